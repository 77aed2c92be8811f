/// Tests on the eight bytes of a word at once, for scanning text eight bytes at a time
/// (the readers' line breaks and plain-ASCII cells, the reports' escapes and control
/// characters). Each says whether some byte matches, not which: a caller that needs
/// the place looks at the word's bytes one by one.
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
}
