import Foundation
import ProbityCore

// Compact storage for the state of rules across records: memory grows with the number
// of groups (donors), so a group must cost bytes, not objects.

/// Interns the `group by` values of groups: one id per distinct tuple of values, the
/// same for equal tuples (`==` of `Value`), in input order. The tuples are kept as bytes
/// in one buffer and found through an open-addressing table: some 40 bytes a tuple.
struct ValueInterner {
  /// The encoded tuples back to back; `ends[id]` is where tuple `id` ends.
  private var bytes: [UInt8] = []
  private var ends: [Int] = []
  private var hashes: [UInt32] = []
  /// Ids by hash, open addressing; -1 is empty. At most half full.
  private var table = [Int32](repeating: -1, count: 1024)
  private var scratch: [UInt8] = []

  var count: Int { ends.count }

  /// The id of the tuple (a new one, the next, when it is new).
  mutating func id(_ values: [Value]) -> Int32 {
    scratch.removeAll(keepingCapacity: true)
    for value in values { ValueInterner.encode(value, into: &scratch) }
    return idOfScratch()
  }

  /// The id of a tuple already encoded (by the caller's own encoding: ids of bytes
  /// encoded one way must not be mixed with those of another). `key` is left as it was.
  mutating func id(bytes key: inout [UInt8]) -> Int32 {
    swap(&scratch, &key)
    defer { swap(&scratch, &key) }
    return idOfScratch()
  }

  private mutating func idOfScratch() -> Int32 {
    let hash = scratch.withUnsafeBytes { ValueInterner.hash($0, seed: seed) }
    let mask = table.count - 1
    var slot = Int(hash) & mask
    while true {
      let id = table[slot]
      if id < 0 { break }
      if hashes[Int(id)] == hash && matches(Int(id)) { return id }
      slot = (slot + 1) & mask
    }
    let id = Int32(ends.count)
    bytes.append(contentsOf: scratch)
    ends.append(bytes.count)
    hashes.append(hash)
    table[slot] = id
    if ends.count * 2 > table.count { grow() }
    return id
  }

  private func matches(_ id: Int) -> Bool {
    let start = id == 0 ? 0 : ends[id - 1]
    let end = ends[id]
    guard end - start == scratch.count else { return false }
    // No keys at all (a rule with a window and no `group by`): nothing to compare.
    if scratch.isEmpty { return true }
    return bytes.withUnsafeBufferPointer { stored in
      scratch.withUnsafeBufferPointer { wanted in
        memcmp(stored.baseAddress! + start, wanted.baseAddress!, wanted.count) == 0
      }
    }
  }

  /// Seeds the hash, differently in every run: a filing made to collide in a hash known
  /// in advance would slow the run to a crawl. Ids are given in input order, so the
  /// output does not depend on the seed.
  private let seed = UInt64.random(in: .min ... .max)

  /// A hash of a short byte string, eight bytes at a time (Swift's `Hasher`, SipHash,
  /// took a tenth of the placing of records in groups).
  static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt32 {
    let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h = seed ^ UInt64(bytes.count) &* multiplier
    var offset = 0
    while offset + 8 <= bytes.count {
      let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
      h = (h ^ word) &* multiplier
      h ^= h >> 29
      offset += 8
    }
    if offset < bytes.count {
      var word: UInt64 = 0
      for index in offset..<bytes.count {
        word = word << 8 | UInt64(bytes[index])
      }
      h = (h ^ word) &* multiplier
      h ^= h >> 29
    }
    h = (h ^ (h >> 32)) &* multiplier
    return UInt32(truncatingIfNeeded: h >> 32)
  }

  private mutating func grow() {
    table = [Int32](repeating: -1, count: table.count * 2)
    let mask = table.count - 1
    for id in ends.indices {
      var slot = Int(hashes[id]) & mask
      while table[slot] >= 0 { slot = (slot + 1) & mask }
      table[slot] = Int32(id)
    }
  }

  /// A value as bytes, so that equal values (`==`) give equal bytes: strings in their
  /// canonical composition (Swift compares strings by canonical equivalence).
  static func encode(_ value: Value, into out: inout [UInt8]) {
    func integer(_ n: Int64) {
      withUnsafeBytes(of: n.littleEndian) { out.append(contentsOf: $0) }
    }
    func length(_ n: Int) {
      var n = UInt(n)
      while n >= 0x80 {
        out.append(UInt8(n & 0x7F) | 0x80)
        n >>= 7
      }
      out.append(UInt8(n))
    }
    func text(_ s: String) {
      var s = s
      if !s.utf8.allSatisfy({ $0 < 0x80 }) { s = s.precomposedStringWithCanonicalMapping }
      length(s.utf8.count)
      out.append(contentsOf: s.utf8)
    }
    switch value {
    case .missing: out.append(0)
    case .boolean(let b):
      out.append(1)
      out.append(b ? 1 : 0)
    case .integer(let n):
      out.append(2)
      integer(n)
    case .money(let m):
      out.append(3)
      integer(m.minorUnits)
      text(m.currency.code)
    case .date(let d):
      out.append(4)
      integer(Int64(d.dayNumber))
    case .string(let s):
      out.append(5)
      text(s)
    case .list(let items):
      out.append(6)
      length(items.count)
      for item in items { encode(item, into: &out) }
    }
  }
}

/// The accumulators of a rule's groups, `slots` per group. Aggregates of money (all the
/// usual ones: sums, maxima of amounts) are kept as minor units and a byte saying empty,
/// missing or which currency: 9 bytes instead of a `Value`'s 32. Anything else (a count,
/// a date) is kept as `Accumulator`s.
struct AccumulatorStore {
  private var compact: Bool
  private var generic: [Accumulator] = []
  private var minor: [Int64] = []
  /// 0: empty; 1: missing; 2 + n: an amount in `currencies[n]`.
  private var state: [UInt8] = []
  private var currencies: [Currency] = []

  /// `compact`: whether every value will be money (the store turns generic if not).
  init(compact: Bool, count: Int = 0) {
    self.compact = compact
    append(count)
  }

  var count: Int { compact ? state.count : generic.count }

  mutating func append(_ count: Int) {
    if compact {
      minor.append(contentsOf: repeatElement(0, count: count))
      state.append(contentsOf: repeatElement(0, count: count))
    } else {
      generic.append(contentsOf: repeatElement(.empty, count: count))
    }
  }

  subscript(index: Int) -> Accumulator {
    get {
      guard compact else { return generic[index] }
      switch state[index] {
      case 0: return .empty
      case 1: return .missing
      case let code:
        return .value(.money(Money(minorUnits: minor[index], currency: currencies[Int(code) - 2])))
      }
    }
    set {
      guard compact else {
        generic[index] = newValue
        return
      }
      switch newValue {
      case .empty: state[index] = 0
      case .missing: state[index] = 1
      case .value(.money(let money)):
        var code = currencies.firstIndex(of: money.currency)
        if code == nil && currencies.count < 250 {
          currencies.append(money.currency)
          code = currencies.count - 1
        }
        guard let code else {
          makeGeneric()
          generic[index] = newValue
          return
        }
        minor[index] = money.minorUnits
        state[index] = UInt8(code + 2)
      case .value:
        makeGeneric()
        generic[index] = newValue
      }
    }
  }

  /// Adds an amount to a compact accumulator that is empty or holds an amount of the
  /// same currency, when the sum does not overflow; false (nothing done) otherwise, and
  /// the caller takes the general path (`Semantics`, with its failures).
  mutating func add(_ money: Money, at index: Int) -> Bool {
    guard compact else { return false }
    let code = state[index]
    if code == 0 {
      self[index] = .value(.money(money))
      return true
    }
    guard code >= 2, currencies[Int(code) - 2] == money.currency else { return false }
    let (sum, overflow) = minor[index].addingReportingOverflow(money.minorUnits)
    guard !overflow else { return false }
    minor[index] = sum
    return true
  }

  private mutating func makeGeneric() {
    generic = state.indices.map { self[$0] }
    compact = false
    minor = []
    state = []
  }
}

/// Numbers 64-bit keys densely, in order of arrival: an open-addressing table of 32-bit
/// numbers over the keys kept in one array (some 16 bytes a key, where a `Dictionary`
/// of the same would take some 40).
struct NumberTable {
  /// The key of each number.
  private(set) var keys: [UInt64] = []
  /// Numbers by hash, open addressing; -1 is empty. At most 70% full.
  private var slots = [Int32](repeating: -1, count: 1024)

  private static func start(_ key: UInt64, _ mask: Int) -> Int {
    // Fibonacci hashing: the keys are small counters, their high bits spread them.
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
  }

  mutating func number(_ key: UInt64) -> Int32 {
    let mask = slots.count - 1
    var slot = NumberTable.start(key, mask)
    while true {
      let number = slots[slot]
      if number < 0 { break }
      if keys[Int(number)] == key { return number }
      slot = (slot + 1) & mask
    }
    let number = Int32(keys.count)
    keys.append(key)
    slots[slot] = number
    if keys.count * 10 > slots.count * 7 { grow() }
    return number
  }

  private mutating func grow() {
    slots = [Int32](repeating: -1, count: slots.count * 2)
    let mask = slots.count - 1
    for (number, key) in keys.enumerated() {
      var slot = NumberTable.start(key, mask)
      while slots[slot] >= 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(number)
    }
  }
}
