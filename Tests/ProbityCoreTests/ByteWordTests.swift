import Testing

@testable import ProbityCore

/// The exact masks of `ByteWord` against a byte-by-byte reading: every byte value at
/// every position of a word, among neighbours that trip the bit tricks (zero, the
/// bounds, the high bit set), for the bounds and bytes the readers and writers ask of.
@Suite struct ByteWordTests {
  static let neighbours: [UInt8] = [
    0x00, 0x01, 0x09, 0x0A, 0x1F, 0x20, 0x61, 0x7F, 0x80, 0xC2, 0xFF,
  ]

  /// The word of `bytes`, first byte lowest (as `loadUnaligned` reads memory here).
  static func word(_ bytes: [UInt8]) -> UInt64 {
    bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
  }

  /// The mask with the high bit of byte `i` set for each `i` that `holds`.
  static func reference(_ bytes: [UInt8], _ holds: (UInt8) -> Bool) -> UInt64 {
    bytes.enumerated().reduce(0) { holds($1.element) ? $0 | 0x80 << (8 * UInt64($1.offset)) : $0 }
  }

  @Test func masksSayExactlyWhichBytes() {
    for value in 0...255 {
      for position in 0..<8 {
        for neighbour in ByteWordTests.neighbours {
          var bytes = [UInt8](repeating: neighbour, count: 8)
          bytes[position] = UInt8(value)
          let word = ByteWordTests.word(bytes)
          for bound: UInt8 in [0x00, 0x01, 0x20, 0x7F, 0x80] {
            #expect(
              ByteWord.lessMask(word, than: bound) == ByteWordTests.reference(bytes) { $0 < bound },
              "\(bytes) < \(bound)")
          }
          for byte: UInt8 in [0x00, 0x09, 0x0A, 0x7F, 0xC2, 0xFF] {
            #expect(
              ByteWord.equalMask(word, byte) == ByteWordTests.reference(bytes) { $0 == byte },
              "\(bytes) == \(byte)")
          }
        }
      }
    }
  }
}
