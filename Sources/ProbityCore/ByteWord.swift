/// Tests on the eight bytes of a word at once, for scanning text eight bytes at a time
/// (the readers' line breaks and plain-ASCII cells, the reports' escapes and control
/// characters). The `has` tests say whether some byte matches, not which: a caller that
/// needs the place looks at the word's bytes one by one. The masks say which, exactly.
public enum ByteWord {
  public static let lowBits: UInt64 = 0x0101_0101_0101_0101
  public static let highBits: UInt64 = 0x8080_8080_8080_8080

  /// Whether some byte of `word` is zero.
  @inlinable @inline(__always)
  public static func hasZero(_ word: UInt64) -> Bool {
    (word &- lowBits) & ~word & highBits != 0
  }

  /// Whether some byte of `word` is below `bound` (at most 0x80).
  @inlinable @inline(__always)
  public static func hasLess(_ word: UInt64, than bound: UInt8) -> Bool {
    (word &- lowBits &* UInt64(bound)) & ~word & highBits != 0
  }

  /// Whether some byte of `word` is `byte`.
  @inlinable @inline(__always)
  public static func has(_ word: UInt64, _ byte: UInt8) -> Bool {
    hasZero(word ^ (lowBits &* UInt64(byte)))
  }

  /// The bytes of `word` below `bound` (at most 0x80), exactly: a mask with the high bit
  /// of each such byte set. (`hasLess` may also answer for a byte just above one that
  /// is below: it says whether, not which.) No carry crosses bytes: each byte's low seven
  /// bits plus at most 0x80 stay within the byte.
  @inlinable @inline(__always)
  public static func lessMask(_ word: UInt64, than bound: UInt8) -> UInt64 {
    let sum = (word & ~highBits) &+ lowBits &* UInt64(0x80 - bound)
    return ~(sum | word) & highBits
  }

  /// The bytes of `word` equal to `byte`, exactly: a mask with the high bit of each set.
  @inlinable @inline(__always)
  public static func equalMask(_ word: UInt64, _ byte: UInt8) -> UInt64 {
    let difference = word ^ (lowBits &* UInt64(byte))
    let sum = (difference & ~highBits) &+ ~highBits
    return ~(sum | difference) & highBits
  }
}
