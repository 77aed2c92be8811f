import CHugePages
import CPrefetch
import Foundation
import ProbityCore

// Compact storage for the state of rules across records: memory grows with the number
// of groups (donors), so a group must cost bytes, not objects.

/// Interns the `group by` values of groups: one id per distinct tuple of values, the
/// same for equal tuples (`==` of `Value`), in input order. The tuples are kept as bytes
/// in one buffer, each after its id and length, and found through an open-addressing
/// table of where they start: 8 bytes and the tuple's own (some 25 for a person's key
/// and zip code), and 16 to 32 bytes of table. A lookup touches a slot and then
/// the tuple it points to (on a large filing, two cache misses; with the lengths kept
/// in an array of their own, it was three).
struct ValueInterner {
  /// Each tuple as its id (4 bytes), its length (4 bytes) and its encoded values.
  private var bytes: [UInt8] = []
  /// Each tuple's hash (high 24 bits) and where it starts in `bytes` (low 40 bits), by
  /// hash, open addressing; `empty` is an empty slot. At most half full. A slot holds
  /// part of the hash, so a lookup reads the tuple only when the hashes agree.
  private var table = [UInt64](repeating: ValueInterner.empty, count: 1024)
  private static let empty = UInt64.max
  private static let offsetBits: UInt64 = 40
  private static let offsetMask: UInt64 = (1 << offsetBits) - 1
  private static let header = 8
  private var scratch = KeyBytes()

  private(set) var count = 0

  /// The id of the tuple (a new one, the next, when it is new).
  mutating func id(_ values: [Value]) -> Int32 {
    scratch.removeAll()
    for value in values { ValueInterner.encode(value, into: &scratch) }
    return idOfScratch()
  }

  /// The id of a tuple already encoded (by the caller's own encoding: ids of bytes
  /// encoded one way must not be mixed with those of another). `key` is left as it was.
  mutating func id(bytes key: inout KeyBytes) -> Int32 {
    swap(&scratch, &key)
    defer { swap(&scratch, &key) }
    return idOfScratch()
  }

  /// The same, for bytes in an array (tests).
  mutating func id(bytes key: [UInt8]) -> Int32 {
    scratch.removeAll()
    key.withUnsafeBufferPointer { scratch.append($0) }
    return idOfScratch()
  }

  private mutating func idOfScratch() -> Int32 {
    let hash = scratch.withUnsafeBytes { ValueInterner.hash($0, seed: seed) }
    let tag = UInt64(hash >> 8) << ValueInterner.offsetBits
    let mask = table.count - 1
    var slot = Int(hash) & mask
    while true {
      let entry = table[slot]
      if entry == ValueInterner.empty { break }
      if entry & ~ValueInterner.offsetMask == tag,
        let id = idIfMatching(Int(entry & ValueInterner.offsetMask))
      {
        return id
      }
      slot = (slot + 1) & mask
    }
    let id = Int32(count)
    count += 1
    let start = bytes.count
    HugePageAdvice.reserve(&bytes, adding: ValueInterner.header + scratch.count)
    withUnsafeBytes(of: UInt32(bitPattern: id).littleEndian) { bytes.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt32(scratch.count).littleEndian) { bytes.append(contentsOf: $0) }
    scratch.withUnsafeBytes { bytes.append(contentsOf: $0) }
    precondition(UInt64(bytes.count) <= ValueInterner.offsetMask, "too many group keys")
    table[slot] = tag | UInt64(start)
    if count * 2 > table.count { grow() }
    return id
  }

  /// The id of the tuple starting at `start`, if it is the one in `scratch`.
  private func idIfMatching(_ start: Int) -> Int32? {
    bytes.withUnsafeBytes { stored in
      let length = Int(
        UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self)))
      guard length == scratch.count else { return nil }
      // No keys at all (a rule with a window and no `group by`): nothing to compare.
      let same =
        length == 0
        || scratch.withUnsafeBytes { wanted in
          memcmp(stored.baseAddress! + start + ValueInterner.header, wanted.baseAddress!, length)
            == 0
        }
      guard same else { return nil }
      return Int32(
        bitPattern: UInt32(
          littleEndian: stored.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
    }
  }

  /// Seeds the hash, differently in every run: a filing made to collide in a hash known
  /// in advance would slow the run to a crawl. Ids are given in input order, so the
  /// output does not depend on the seed.
  let seed: UInt64

  /// Asks the processor to load the table's slot for a tuple of this hash (see
  /// `CheckRun.lookAhead`).
  func prefetch(hash: UInt32) {
    table.withUnsafeBufferPointer { slots in
      probity_prefetch(slots.baseAddress! + (Int(hash) & (slots.count - 1)))
    }
  }

  /// The same, a little later: the slot (asked for before, by `prefetch(hash:)`) is
  /// read, and the tuple it points to is asked for when the slot's part of the hash is
  /// this one's (the first slot alone: most lookups end there).
  func prefetchTuple(hash: UInt32) {
    let tag = UInt64(hash >> 8) << ValueInterner.offsetBits
    table.withUnsafeBufferPointer { slots in
      let entry = slots[Int(hash) & (slots.count - 1)]
      guard entry != ValueInterner.empty, entry & ~ValueInterner.offsetMask == tag else {
        return
      }
      let start = Int(entry & ValueInterner.offsetMask)
      bytes.withUnsafeBufferPointer { stored in
        if start < stored.count { probity_prefetch(stored.baseAddress! + start) }
      }
    }
  }

  /// `seed`: for tests, which need a hash known in advance.
  init(seed: UInt64 = .random(in: .min ... .max)) {
    self.seed = seed
  }

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
    table = HugePageAdvice.filled(ValueInterner.empty, count: table.count * 2)
    let mask = table.count - 1
    // The entries keep only part of each hash: the tuples are hashed again, read in the
    // order they were stored (one pass through memory, not a jump per tuple).
    bytes.withUnsafeBytes { stored in
      var start = 0
      while start < stored.count {
        let length = Int(
          UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self)))
        let end = start + ValueInterner.header + length
        let hash = ValueInterner.hash(
          UnsafeRawBufferPointer(rebasing: stored[start + ValueInterner.header..<end]), seed: seed)
        var slot = Int(hash) & mask
        while table[slot] != ValueInterner.empty { slot = (slot + 1) & mask }
        table[slot] = UInt64(hash >> 8) << ValueInterner.offsetBits | UInt64(start)
        start = end
      }
    }
  }

  /// A value as bytes, so that equal values (`==`) give equal bytes: strings in their
  /// canonical composition (Swift compares strings by canonical equivalence).
  static func encode(_ value: Value, into out: inout KeyBytes) {
    func integer(_ n: Int64) { out.append(bytesOf: n.littleEndian) }
    func text(_ s: String) {
      var s = s
      // ASCII (nearly every name) is its own canonical composition: its bytes as they are.
      let ascii = s.withUTF8 { bytes in
        var any: UInt8 = 0
        for byte in bytes { any |= byte }
        guard any < 0x80 else { return false }
        out.appendLength(bytes.count)
        out.append(bytes)
        return true
      }
      guard !ascii else { return }
      s = s.precomposedStringWithCanonicalMapping
      s.withUTF8 { bytes in
        out.appendLength(bytes.count)
        out.append(bytes)
      }
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
      out.appendLength(items.count)
      for item in items { encode(item, into: &out) }
    }
  }
}

/// The accumulators of a rule's groups, `slots` per group. Aggregates of money in one
/// currency (all the usual ones: sums, maxima of amounts) are kept as minor units alone,
/// 8 bytes in one array (one cache line to touch per group), with two values no sum
/// reaches standing for empty and missing. Anything else (a count, a date, a second
/// currency, a sum that would be one of those two values) turns the store generic:
/// `Accumulator`s.
struct AccumulatorStore {
  private var compact: Bool
  private var generic: [Accumulator] = []
  private var minor: [Int64] = []
  /// The currency of every amount of a compact store (nil until the first).
  private var currency: Currency?
  private static let empty = Int64.min
  private static let missing = Int64.min + 1

  /// `compact`: whether every value will be money (the store turns generic if not).
  init(compact: Bool, count: Int = 0) {
    self.compact = compact
    append(count)
  }

  var count: Int { compact ? minor.count : generic.count }

  mutating func append(_ count: Int) {
    if compact {
      HugePageAdvice.reserve(&minor, adding: count)
    } else {
      HugePageAdvice.reserve(&generic, adding: count)
    }
    if compact && count <= 4 {
      // A new group's few accumulators (see `GroupTable.ensure`).
      for _ in 0..<count { minor.append(AccumulatorStore.empty) }
    } else if compact {
      minor.append(contentsOf: repeatElement(AccumulatorStore.empty, count: count))
    } else {
      generic.append(contentsOf: repeatElement(.empty, count: count))
    }
  }

  subscript(index: Int) -> Accumulator {
    get {
      guard compact else { return generic[index] }
      switch minor[index] {
      case AccumulatorStore.empty: return .empty
      case AccumulatorStore.missing: return .missing
      case let units: return .value(.money(Money(minorUnits: units, currency: currency!)))
      }
    }
    set {
      guard compact else {
        generic[index] = newValue
        return
      }
      switch newValue {
      case .empty: minor[index] = AccumulatorStore.empty
      case .missing: minor[index] = AccumulatorStore.missing
      case .value(.money(let money))
      where money.currency == (currency ?? money.currency)
        && money.minorUnits > AccumulatorStore.missing:
        currency = money.currency
        minor[index] = money.minorUnits
      case .value:
        makeGeneric()
        generic[index] = newValue
      }
    }
  }

  /// Adds an amount to a compact accumulator that is empty or holds an amount of the
  /// same currency, when the sum does not overflow (nor land on one of the two values
  /// kept for empty and missing); false (nothing done) otherwise, and the caller takes
  /// the general path (`Semantics`, with its failures).
  mutating func add(_ money: Money, at index: Int) -> Bool {
    guard compact, money.currency == (currency ?? money.currency) else { return false }
    let units = minor[index]
    if units == AccumulatorStore.empty {
      guard money.minorUnits > AccumulatorStore.missing else { return false }
      currency = money.currency
      minor[index] = money.minorUnits
      return true
    }
    guard units != AccumulatorStore.missing else { return false }
    let (sum, overflow) = units.addingReportingOverflow(money.minorUnits)
    guard !overflow, sum > AccumulatorStore.missing else { return false }
    minor[index] = sum
    return true
  }

  /// Lends the `count` accumulators from `first` to the frame as minor units (see
  /// `Frame.lentUnits`), when the store is compact; false (nothing lent) otherwise.
  /// (Mutating though it only reads: called on a store inside the run's array of
  /// tables, a non-mutating call copied the store, retaining its two arrays.)
  mutating func lend(from first: Int, count: Int, to frame: Frame) -> Bool {
    guard compact, first + count <= minor.count else { return false }
    // No aggregates: the frame, just reset (`Frame.base()`), has none.
    guard count > 0 else { return true }
    minor.withUnsafeBufferPointer { units in
      frame.lendAggregates(units.baseAddress! + first, count: count, currency: currency)
    }
    return true
  }

  /// Starts loading the accumulator at `index` into the cache, if there is one (see
  /// `CheckRun.prefetchRows`).
  mutating func prefetch(_ index: Int) {
    // Only an accumulator there is (see `CheckRun.prefetchRows`: an empty array's mutable
    // buffer is a copy).
    if compact {
      guard index < minor.count else { return }
      minor.withUnsafeMutableBufferPointer {
        probity_prefetch_for_write($0.baseAddress! + index)
      }
    } else {
      guard index < generic.count else { return }
      generic.withUnsafeMutableBufferPointer {
        probity_prefetch_for_write($0.baseAddress! + index)
      }
    }
  }

  private mutating func makeGeneric() {
    generic = minor.indices.map { self[$0] }
    compact = false
    minor = []
  }
}

/// Numbers 64-bit keys densely, in order of arrival: an open-addressing table of keys
/// and their numbers side by side (a lookup touches one slot, not a slot and then the
/// key it points to: on a large filing each was a cache miss), some 23 bytes a key at
/// most 70% full, where a `Dictionary` of the same would take some 40.
struct NumberTable {
  /// Keys and numbers by hash, open addressing; a number of -1 is an empty slot.
  private var slots = [(key: UInt64, number: Int32)](
    repeating: (0, -1), count: 1024)
  private(set) var count = 0

  /// Where a key's search starts. A key is a group's values (high half: an interned id,
  /// dense from 0) and its window (low half: an interned id, or all ones for none).
  /// Fibonacci hashing of the values (the top bits of the product, as many as the table
  /// has) spreads the donors; the window, plus one, is added, so the groups of one donor
  /// lie side by side from there (no window: there itself), which `prefetch` loads as
  /// soon as the values are known.
  private func start(_ key: UInt64) -> Int {
    (spread(key >> 32) &+ Int(Int32(truncatingIfNeeded: key)) &+ 1) & (slots.count - 1)
  }

  private func spread(_ values: UInt64) -> Int {
    Int(truncatingIfNeeded: (values &* 0x9E37_79B9_7F4A_7C15) >> shift)
  }

  /// 64 less the bits of a slot's index.
  private var shift = UInt64(64 - 10)

  /// Starts loading the slots where keys with these values (the high half) start their
  /// search: the first line, and the next (see `start`).
  mutating func prefetch(values: UInt32) {
    let mask = slots.count - 1
    let first = spread(UInt64(values)) & mask
    // In place (see `CheckRun.prefetchRows`).
    slots.withUnsafeMutableBufferPointer {
      probity_prefetch($0.baseAddress! + first)
      probity_prefetch($0.baseAddress! + ((first + 4) & mask))
    }
  }

  mutating func number(_ key: UInt64) -> Int32 {
    let mask = slots.count - 1
    var slot = start(key)
    while true {
      let entry = slots[slot]
      if entry.number < 0 { break }
      if entry.key == key { return entry.number }
      slot = (slot + 1) & mask
    }
    let number = Int32(count)
    count += 1
    slots[slot] = (key, number)
    if count * 10 > slots.count * 7 { grow() }
    return number
  }

  private mutating func grow() {
    let old = slots
    slots = HugePageAdvice.filled((key: 0, number: -1), count: old.count * 2)
    shift -= 1
    let mask = slots.count - 1
    for entry in old where entry.number >= 0 {
      var slot = start(entry.key)
      while slots[slot].number >= 0 { slot = (slot + 1) & mask }
      slots[slot] = entry
    }
  }
}

/// The bytes of a key being encoded (`ValueInterner.encode`, `ProjectionMemo`), written
/// into room kept from key to key (appending to an array, its checks of uniqueness and
/// capacity took most of an encoding, four or five a record).
typealias KeyBytes = GrowingBytes

extension GrowingBytes {
  /// Room for a key, kept from key to key.
  init() { self.init(capacity: 256) }

  /// A length, seven bits a byte, low bits first, the high bit set on all but the last.
  mutating func appendLength(_ length: Int) {
    var n = UInt(length)
    while n >= 0x80 {
      append(UInt8(n & 0x7F) | 0x80)
      n >>= 7
    }
    append(UInt8(n))
  }

  /// The bytes written, untyped (for hashing and comparing).
  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
  }
}

/// The windows of calendar periods and of elections met so far in a run, with their
/// interned ids, found without hashing: `place` looks one up for the first rule of each
/// window kind on every record.
struct KnownWindows {
  typealias Window = (value: Value, id: Int32)

  /// Calendar periods (`year * 8 + k`, see `place`) by their offset from `first`, within
  /// `span` of it: `span / 16` years either side of the first period met, which holds
  /// every date of a filing. A period beyond them is kept in `farPeriods`.
  private var first = 0
  private var periods: [Window?] = []
  private var farPeriods: [Int: Window] = [:]
  static let span = 8 * 400

  /// The codes of elections (`P2024`, `G2024`: a filing holds a handful), each with its
  /// window, looked through in order and compared byte for byte (as the window's text
  /// is written); past `codesKept` codes, the others are kept in `farCodes`.
  private var codes: [(code: String, window: Window)] = []
  private var farCodes: [String: Window] = [:]
  static let codesKept = 16

  func period(_ period: Int) -> Window? {
    let offset = period - first
    if !periods.isEmpty, offset >= 0, offset < periods.count { return periods[offset] }
    return farPeriods.isEmpty ? nil : farPeriods[period]
  }

  mutating func setPeriod(_ period: Int, _ window: Window) {
    if periods.isEmpty { first = period - KnownWindows.span / 2 }
    let offset = period - first
    guard offset >= 0, offset < KnownWindows.span else {
      farPeriods[period] = window
      return
    }
    if offset >= periods.count {
      periods.append(contentsOf: repeatElement(nil, count: offset + 1 - periods.count))
    }
    periods[offset] = window
  }

  func election(_ code: String) -> Window? {
    // First by the strings' two words alike (the same words, the same bytes: a code of up
    // to 15 bytes holds them in its words), which finds the code of nearly every record
    // without a call to compare bytes for each code before it; the codes kept differ
    // byte for byte, so no other could be found first.
    for entry in codes where TextBytes.sameWords(entry.code, code) { return entry.window }
    for entry in codes where TextBytes.same(entry.code, code) { return entry.window }
    return farCodes.isEmpty ? nil : KnownWindows.byBytes(code, in: farCodes)
  }

  mutating func addElection(_ code: String, _ window: Window) {
    if codes.count < KnownWindows.codesKept {
      codes.append((code, window))
    } else if farCodes.index(forKey: code) == nil {
      // (A code equal in Unicode to one kept there but written otherwise is not added:
      // the dictionary would keep the other's text as the key, with this window. It is
      // made again each time it is met.)
      farCodes[code] = window
    }
  }

  /// A code's window among those kept in a dictionary, only when its text is the same
  /// byte for byte (a dictionary of `String`s finds a text equal to another in Unicode,
  /// written otherwise).
  private static func byBytes(_ code: String, in table: [String: Window]) -> Window? {
    guard let index = table.index(forKey: code), TextBytes.same(table[index].key, code)
    else { return nil }
    return table[index].value
  }

}

/// Texts compared byte for byte (Swift's `==` compares by canonical equivalence: "é"
/// composed and decomposed are equal strings, but other bytes), as a window's code and a
/// remembered value are.
enum TextBytes {
  /// Whether two strings are the same two words: then the same bytes (a string of up to
  /// 15 bytes holds them in its words; a longer one points at its storage). Strings of
  /// the same bytes may be other words.
  @inline(__always)
  static func sameWords(_ a: String, _ b: String) -> Bool {
    typealias Words = (UInt64, UInt64)
    return unsafeBitCast(a, to: Words.self) == unsafeBitCast(b, to: Words.self)
  }

  /// Whether two texts are written with the same bytes, compared where they lie (the
  /// generic `elementsEqual` of two UTF-8 views cost some 250 instructions for five
  /// bytes).
  static func same(_ a: String, _ b: String) -> Bool {
    if sameWords(a, b) { return true }
    let compared = a.utf8.withContiguousStorageIfAvailable { x in
      b.utf8.withContiguousStorageIfAvailable { y in
        x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
      }
    }
    return (compared ?? nil) ?? a.utf8.elementsEqual(b.utf8)
  }
}

/// Huge pages for the memory of a large table read and written at random (see
/// `probity_advise_huge_pages`): the tables of groups, whose lines a record touches
/// scattered over hundreds of MiB on a national filing, each access also a miss of the
/// processor's page translations with 4 KiB pages. Tables under `threshold` are left
/// alone (no system call on a small filing). A hint: no value changes.
///
/// The kernel is asked before anything is written into a table's new room: its pages
/// then come as huge pages when first written (the copy of the old contents, the
/// appends), where asked afterwards they came as 4 KiB pages that `MADV_COLLAPSE`
/// copied again into huge ones (the thirty-first round's way: some 1.5% of a 1 GB run).
enum HugePageAdvice {
  static let threshold = 4 << 20

  /// Whether to ask at all: not where the administrator turned huge pages off
  /// (`never` in /sys/kernel/mm/transparent_hugepage/enabled). Read once, at the first
  /// large table.
  static let allowed: Bool = {
    guard let file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r") else {
      return true  // No such setting (another system): the hint does nothing there.
    }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return true }
    return !line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.contains("[never]")
  }()

  /// Whether a room of `count` elements is large enough to ask for.
  private static func asks<Element>(_ count: Int, of _: Element.Type) -> Bool {
    count * MemoryLayout<Element>.stride >= threshold && allowed
  }

  /// A table of `count` copies of `value` (a table of slots, doubled), its memory
  /// advised before it is filled.
  static func filled<Element>(_ value: Element, count: Int) -> [Element] {
    guard asks(count, of: Element.self) else { return Array(repeating: value, count: count) }
    return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
      probity_advise_huge_pages(buffer.baseAddress, count * MemoryLayout<Element>.stride)
      buffer.baseAddress!.initialize(repeating: value, count: count)
      initialized = count
    }
  }

  /// Makes room for `more` elements after those of `array` (a table grown by appending),
  /// as appending would (doubling the room), but with the new room advised before the
  /// elements are copied into it. Rooms under `threshold` are left to the appends.
  static func reserve<Element>(_ array: inout [Element], adding more: Int) {
    let needed = array.count + more
    guard needed > array.capacity else { return }
    let room = Swift.max(needed, array.capacity * 2)
    guard asks(room, of: Element.self) else { return }
    let old = array
    array = []  // The old room's only reference is `old`: freed once copied.
    array = Array(unsafeUninitializedCapacity: room) { buffer, initialized in
      probity_advise_huge_pages(buffer.baseAddress, room * MemoryLayout<Element>.stride)
      old.withUnsafeBufferPointer {
        if let start = $0.baseAddress {
          buffer.baseAddress!.initialize(from: start, count: $0.count)
        }
      }
      initialized = old.count
    }
  }
}
