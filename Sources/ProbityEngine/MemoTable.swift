import Foundation
import ProbityCore

/// The results of one memoized call site (`Memo`), by the exact bytes of the string each
/// was computed from.
///
/// The keys are kept back to back in one buffer and found through an open-addressing
/// table, hashed by `ValueInterner.hash` (seeded, differently in every run). A
/// `[String: Value]` did the same with a `String` per entry: SipHash, a reference count
/// per key, and keys compared by canonical equivalence. Here two strings are one key only
/// when their bytes are the same, so every answer is the function's own on that very
/// string.
struct MemoTable {
  /// The keys' bytes, back to back.
  private var keys: [UInt8] = []
  /// Where each entry's key ends in `keys` (it starts where the one before ends).
  private var ends: [Int] = []
  /// Each entry's result.
  private var values: [Value] = []
  /// Each entry's hash (high 32 bits) and index (low 32 bits), by hash; `empty` is an
  /// empty slot. At most half full.
  private var table = [UInt64](repeating: MemoTable.empty, count: 1024)
  private static let empty = UInt64.max
  private let seed: UInt64

  /// `seed`: for tests, which need a hash known in advance.
  init(seed: UInt64 = .random(in: .min ... .max)) {
    self.seed = seed
  }

  var count: Int { values.count }

  #if DEBUG
    /// For tests: every key hashes alike, so that every lookup compares the keys' bytes.
    var everyHashAlike = false
  #endif

  private func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    #if DEBUG
      if everyHashAlike { return 7 }
    #endif
    return ValueInterner.hash(bytes, seed: seed)
  }

  /// The result remembered for `key`, if any. (Mutating only so that a table inside an
  /// array is read in place: a non-mutating call copied the whole table, retaining each
  /// of its arrays.)
  mutating func value(for key: String) -> Value? {
    var key = key
    return key.withUTF8 { bytes in
      let hash = self.hash(UnsafeRawBufferPointer(bytes))
      let (found, _) = find(bytes, hash: hash)
      return found.map { values[$0] }
    }
  }

  /// Remembers `value` for `key`, which has none yet.
  mutating func insert(_ value: Value, for key: String) {
    var key = key
    key.withUTF8 { bytes in
      let hash = self.hash(UnsafeRawBufferPointer(bytes))
      let (found, slot) = find(bytes, hash: hash)
      precondition(found == nil, "a memo's key remembered twice")
      table[slot] = UInt64(hash) << 32 | UInt64(values.count)
      keys.append(contentsOf: bytes)
      ends.append(keys.count)
      values.append(value)
    }
    if values.count * 2 > table.count { grow() }
  }

  /// Forgets every entry, keeping the room they took.
  mutating func removeAll() {
    keys.removeAll(keepingCapacity: true)
    ends.removeAll(keepingCapacity: true)
    values.removeAll(keepingCapacity: true)
    table.withUnsafeMutableBufferPointer { $0.update(repeating: MemoTable.empty) }
  }

  /// The entry whose key is `bytes`, or nil and the empty slot where it would go.
  private func find(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt32) -> (Int?, Int) {
    let mask = table.count - 1
    var slot = Int(hash) & mask
    while true {
      let entry = table[slot]
      if entry == MemoTable.empty { return (nil, slot) }
      if UInt32(truncatingIfNeeded: entry >> 32) == hash {
        let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF)
        if matches(index, bytes) { return (index, slot) }
      }
      slot = (slot + 1) & mask
    }
  }

  private func matches(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let start = index == 0 ? 0 : ends[index - 1]
    guard ends[index] - start == bytes.count else { return false }
    // The same length: two empty keys are the same (and `keys` may hold no byte at all).
    guard let wanted = bytes.baseAddress, !bytes.isEmpty else { return true }
    return keys.withUnsafeBufferPointer { stored in
      memcmp(stored.baseAddress! + start, wanted, bytes.count) == 0
    }
  }

  private mutating func grow() {
    table = [UInt64](repeating: MemoTable.empty, count: table.count * 2)
    let mask = table.count - 1
    keys.withUnsafeBytes { stored in
      var start = 0
      for (index, end) in ends.enumerated() {
        let hash = self.hash(UnsafeRawBufferPointer(rebasing: stored[start..<end]))
        var slot = Int(hash) & mask
        while table[slot] != MemoTable.empty { slot = (slot + 1) & mask }
        table[slot] = UInt64(hash) << 32 | UInt64(index)
        start = end
      }
    }
  }
}
