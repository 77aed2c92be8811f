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

/// A date's text, written in place, against the padded numbers it stands for: every day
/// of three years (a leap year among them) and the first and last dates there are.
@Test func dateTextIsThePaddedNumbers() {
  func padded(_ n: Int, _ width: Int) -> String {
    String(repeating: "0", count: width - String(n).count) + String(n)
  }
  var dates = [CivilDate(year: 1, month: 1, day: 1)!, CivilDate(year: 9999, month: 12, day: 31)!]
  dates += [CivilDate(year: 999, month: 7, day: 4)!, CivilDate(year: 10, month: 10, day: 10)!]
  var day = CivilDate(year: 2023, month: 1, day: 1)!
  while day.year < 2026 {
    dates.append(day)
    day = day.adding(days: 1)!
  }
  for date in dates {
    #expect(
      date.description == "\(padded(date.year, 4))-\(padded(date.month, 2))-\(padded(date.day, 2))")
  }
  #expect(CivilDate(year: 2024, month: 2, day: 29)!.description == "2024-02-29")
  #expect(CivilDate(year: 7, month: 1, day: 9)!.description == "0007-01-09")
}
