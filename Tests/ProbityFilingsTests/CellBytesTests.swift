import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

/// The readers read most cells straight from their bytes (`CellParser.read`,
/// `PlainASCII`): these tests hold that path to the text path (decode the bytes, then
/// `CellParser.parse(_:currency:)`), value for value and message for message, on tricky
/// cells and on many random ones.
@Suite("Cells read from bytes, against cells read as text")
struct CellBytesTests {
  static let parsers: [CellParser] = [
    .text(nil), .text(.upper), .text(.lower), .money, .accountingMoney,
    .date(.isoDate), .date(.compact), .date(.usSlashes), .date(.ukSlashes), .date(.usCompact),
    .integer, .boolean, .flag(FlagValues(["X"])), .flag(FlagValues(["A"], false: ["N", "T"])),
    .flag(FlagValues(["yes", " Oui "], false: ["false"])),
  ]

  static let currencies: [Currency] = [.usd, .gbp, .eur, .cad]

  static let encodings = TextEncoding.allCases

  /// Cells with a trap in them: each is tried with every parser, currency and encoding.
  static let tricky: [String] = [
    // Money
    "1234.50", "1234", "1234.", ".5", ".", "..", "1.2.3", "0", "-0", "-0.00", "+0", "00012.30",
    "$1,234.50", "$-12.00", "-$12.00", "$$1", "$", "-", "+", "(12.00)", "(-12.00)", "-(12.00)",
    "($12.00)", "( 12.00 )", "()", "(", ")", "(1", "1)", "£50,000.00", "€5", "£-", " £-   ",
    "$-", "$ -", "--", "-$-", "1,234", "1,23", "12,345,678.90", ",123", "1,", "1,,234",
    "1234,567", "1,2,3", "123,4567", "0,000", "12.345", "12.340", "12.3400000", "12.3",
    "1e308", "1E5", "NaN", "nan", "inf", "-inf", "0x10", "1_000", "12 34", "12\t34",
    "92233720368547758.07", "92233720368547758.08", "92233720368547758", "9223372036854775807",
    "99999999999999999999", "-92233720368547758.08", "1\r\n2", "5\r", "\r\n5\r\n", "١٢٣",
    "１２３", "12.٣", "½", "5\u{301}", "$5\u{301}", "1.5\u{301}",
    // Amounts with the symbol of another currency than the dollar.
    "£5", "(£5)", "-£5", "£-5", "+£1,000.50", "££5", "£ 5", "5£", "£5.", "£.5", "£", "£(5)",
    "(£)", "-£", "£-", "£--5", "$£5", "£$5", "€1,234.00", "€1.234", "-€0.01", "£5€", "£5\u{301}",
    "£\u{301}5", "£１", "£12,34", "£999,999,999,999,999.99", "£92233720368547758.08",
    // Dates
    "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "9999-12-31",
    "2024-1-01", "2024-01-1", "2024/01/01", "20240714", "20241314", "00000101", "2024071",
    "202407145", "07142024", "02302024", "7/4/2024", "07/04/2024", "7/04/2024", "07/4/2024",
    "13/4/2024", "4/13/2024", "22/01/2025", "01/22/2025", "1/1/24", "1/1/20245", "001/1/2024",
    "1//2024", "//2024", "/1/1/2024", "1/1/2024/", "12/12/2024 ", "2024-07-14T00:00",
    "2024-07-1a", "２０２４-07-14", "2024-07-14\u{301}",
    // Integers
    "42", "-42", "+42", "0042", "-", "+-1", "--1", "4 2", "999999999999999999",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "12345678901234567890", "4.0", "4e2",
    // Booleans and flags
    "true", "TRUE", "True", "yes", "YES", "y", "Y", "t", "T", "1", "false", "no", "n", "f", "F",
    "0", "maybe", "x", "X", " x ", "xx", "A", "a", "N", "n", "T", "oui", "OUI", "Oui ",
    "false", "FALSE", "İ", "ı", "K", "\u{212A}",
    // Text and blanks
    "", " ", "  ", "\t", "\r\n", "\n\n", " \t\r\n ", "Check", " Check ", "\tcash\r\n",
    "DONOR1, PAT Q", "O'Brien", "Café", "café ", "ß", "straße", "ǅ", "ﬁ", "İstanbul",
    "a long cell with many words that goes past the sixty characters a message shows whole",
    "1234567890123456789012345678901234567890123456789012345678901234567890",
    "\"quoted\"", "a\u{0}b", "\u{0}",
    // Every printable ASCII byte, for the cases made on bytes (the letters' neighbours:
    // @ [ ` { are no letters).
    String((0x20...0x7E).map { Character(UnicodeScalar(UInt8($0))) }), "@AZ[`az{", "M@[`{m",
  ]

  /// Raw byte cells: Windows-1252 and Latin-1 bytes, invalid UTF-8, NUL.
  static let trickyBytes: [[UInt8]] = [
    [0xE9], [0x43, 0x61, 0x66, 0xE9], [0x91, 0x78, 0x92], [0x81], [0x8D, 0x31], [0x80, 0x35],
    [0x24, 0x31, 0xA0], [0xA3, 0x35, 0x30], [0x31, 0x32, 0x00], [0x00], [0xC3, 0xA9, 0xE9],
    [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98, 0x80], [0xEF, 0xBB, 0xBF, 0x31], [0x20, 0xA0, 0x31],
    [0x31, 0x2E, 0x35, 0x9D],
    // Pound and euro signs as Windows-1252 and Latin-1 write them, and stray halves of
    // their UTF-8 forms.
    [0xA3, 0x35], [0x2D, 0xA3, 0x35], [0xA3, 0x2D, 0x35], [0x28, 0xA3, 0x35, 0x29], [0x80, 0x35],
    [0x2D, 0x80, 0x31, 0x2E, 0x35, 0x30], [0xA3, 0xA3, 0x35], [0xC2, 0xA3], [0xC2, 0xA3, 0x2D],
    [0xA3, 0x31, 0x2C, 0x30, 0x30, 0x30], [0xC2, 0x35], [0xE2, 0x82, 0xAC, 0x35],
    [0xE2, 0x82, 0x35],
    [0xA3, 0x35, 0x00], [0x00, 0xA3, 0x35], [0xA3, 0x35, 0xA3], [0x24, 0xA3, 0x35],
  ]

  /// The text path: what the readers did before they read from bytes.
  static func reference(
    _ parser: CellParser, _ bytes: [UInt8], _ encoding: TextEncoding, _ currency: Currency
  ) -> CellReading {
    switch encoding.decode(bytes) {
    case .failure(let invalid): return .invalidText(invalid)
    case .success(let text):
      switch parser.parse(text, currency: currency) {
      case .success(let value): return .value(value)
      case .failure(let problem): return .problem(problem)
      }
    }
  }

  /// Compares both paths for one cell under every parser, currency and encoding; returns
  /// the first difference.
  static func difference(_ bytes: [UInt8], parsers: [CellParser] = parsers) -> String? {
    let plain = bytes.withUnsafeBufferPointer { PlainASCII.holds($0) }
    #expect(plain == bytes.allSatisfy { $0 != 0 && $0 < 0x80 })
    for parser in parsers {
      for currency in currencies {
        for encoding in encodings {
          let expected = reference(parser, bytes, encoding, currency)
          // As the readers call it: told that the row is plain ASCII, told to go the way of
          // the text (once the byte path gave nothing), or left to find out.
          for ascii in plain ? [true, false, nil] : [nil] as [Bool?] {
            let found = bytes.withUnsafeBufferPointer {
              parser.read($0, encoding: encoding, currency: currency, ascii: ascii)
            }
            if !found.isIdentical(to: expected) {
              return
                "\(bytes) as \(parser) in \(currency) (\(encoding.rawValue), ascii \(String(describing: ascii))): bytes gave \(found), text gave \(expected)"
            }
          }
        }
      }
    }
    return nil
  }

  @Test("tricky cells: the same value or the same message either way", arguments: tricky)
  func trickyCell(_ cell: String) {
    // As written, and with blanks around.
    for variant in [cell, " \(cell) ", "\t\(cell)\r\n", "\(cell)  "] {
      let difference = CellBytesTests.difference(Array(variant.utf8))
      #expect(difference == nil)
    }
  }

  @Test("tricky bytes: Windows-1252, Latin-1, invalid UTF-8, NUL")
  func trickyByteCells() {
    for bytes in CellBytesTests.trickyBytes {
      #expect(CellBytesTests.difference(bytes) == nil)
      #expect(CellBytesTests.difference([0x20] + bytes + [0x09]) == nil)
    }
  }

  @Test("random cells from the characters of amounts, dates and flags")
  func randomCells() {
    let alphabet: [[UInt8]] =
      [
        "0", "1", "2", "3", "5", "9", "0", "1", "2", "-", "+", ".", ",", "$", "(", ")", " ", "\t",
        "\r", "\n", "/", "e", "x", "X", "y", "N", "T", "a",
      ].map { Array($0.utf8) } + [Array("£".utf8), Array("€".utf8), [0xA3], [0x80], [0x00]]
    var generator = SeededGenerator(seed: 20_240_714)
    var failures: [String] = []
    for _ in 0..<3_000 {
      let length = Int.random(in: 0...12, using: &generator)
      var bytes: [UInt8] = []
      for _ in 0..<length { bytes += alphabet.randomElement(using: &generator)! }
      if let difference = CellBytesTests.difference(bytes) {
        failures.append(difference)
        if failures.count >= 5 { break }
      }
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  /// The XML reader's way (`parse(utf8:currency:)`, libxml2's text being UTF-8 without
  /// NUL) against the text's, on random text with the characters that trip text up:
  /// symbols, a non-breaking space, a combining mark, a prepended mark, a joiner, a byte
  /// order mark, other digits, an emoji, CRLF.
  @Test("random UTF-8 text: the XML reader's way gives what parsing the text gives")
  func randomUTF8Text() {
    let alphabet: [String] = [
      "0", "1", "5", "9", "-", "+", ".", ",", "$", "(", ")", " ", "\t", "\r", "\n", "/", "x",
      "X", "y", "N", "T", "a", "£", "€", "\u{A0}", "\u{301}", "\u{600}", "\u{200D}", "é", "İ",
      "١", "😀", "\u{FEFF}", "\r\n",
    ]
    var generator = SeededGenerator(seed: 99)
    var failures: [String] = []
    for _ in 0..<1_000 {
      let length = Int.random(in: 0...10, using: &generator)
      var text = ""
      for _ in 0..<length { text += alphabet.randomElement(using: &generator)! }
      for parser in CellBytesTests.parsers {
        for currency in CellBytesTests.currencies {
          let expected = "\(parser.parse(text, currency: currency))"
          let found = "\(parser.parse(utf8: text, currency: currency))"
          if found != expected {
            failures.append(
              "\(Array(text.unicodeScalars)) as \(parser) in \(currency): \(found), text gave \(expected)"
            )
          }
        }
      }
      if failures.count >= 5 { break }
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  @Test("random well-formed amounts and dates, read from bytes, are the values of their text")
  func randomValues() {
    var generator = SeededGenerator(seed: 7)
    var failures: [String] = []
    let parsers = CellBytesTests.parsers.filter {
      switch $0 {
      case .money, .accountingMoney, .date: return true
      default: return false
      }
    }
    for _ in 0..<1_000 {
      let units = Int64.random(in: 0...99_999_999, using: &generator)
      let cents = Int.random(in: 0...99, using: &generator)
      let sign = ["", "-", "+", "$", "-$", "$-"].randomElement(using: &generator)!
      let grouped = Bool.random(using: &generator)
      var digits = String(units)
      if grouped {
        var out = ""
        for (offset, character) in digits.enumerated() {
          if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
          out.append(character)
        }
        digits = out
      }
      let amount = "\(sign)\(digits).\(cents < 10 ? "0" : "")\(cents)"
      let year = Int.random(in: 1...9999, using: &generator)
      let month = Int.random(in: 1...12, using: &generator)
      let day = Int.random(in: 1...31, using: &generator)
      func pad(_ n: Int, _ width: Int) -> String {
        String(repeating: "0", count: max(0, width - String(n).count)) + String(n)
      }
      let dates = [
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))",
        "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))",
        "\(month)/\(day)/\(pad(year, 4))", "\(pad(month, 2))\(pad(day, 2))\(pad(year, 4))",
      ]
      for cell in [amount] + dates {
        if let difference = CellBytesTests.difference(Array(cell.utf8), parsers: parsers) {
          failures.append(difference)
        }
      }
      if failures.count >= 5 { break }
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  @Test("plain ASCII: every byte from 0x01 to 0x7F, eight at a time and one by one")
  func plainASCII() {
    for length in 0..<40 {
      let clean = [UInt8](repeating: 0x41, count: length)
      #expect(clean.withUnsafeBufferPointer { PlainASCII.holds($0) })
      for position in 0..<length {
        for bad: UInt8 in [0x00, 0x80, 0xFF, 0xC3] {
          var bytes = clean
          bytes[position] = bad
          #expect(!bytes.withUnsafeBufferPointer { PlainASCII.holds($0) })
        }
        var edge = clean
        edge[position] = position % 2 == 0 ? 0x01 : 0x7F
        #expect(edge.withUnsafeBufferPointer { PlainASCII.holds($0) })
      }
    }
  }

  @Test("byte scans find the first line break or separator wherever it lies")
  func byteScans() {
    for length in 0..<40 {
      for position in 0...length {
        for (byte, scanned) in [(UInt8(0x0A), true), (0x0D, true), (0x1C, false)] {
          var bytes = [UInt8](repeating: 0x41, count: length)
          if position < length { bytes[position] = byte }
          for start in 0...length {
            let expected =
              bytes.indices.first {
                $0 >= start
                  && (scanned ? bytes[$0] == 0x0A || bytes[$0] == 0x0D : bytes[$0] == byte)
              }
              ?? length
            let found = bytes.withUnsafeBufferPointer {
              scanned
                ? ByteScan.lineBreak(in: $0, from: start)
                : ByteScan.first(byte, in: $0, from: start)
            }
            #expect(found == expected)
          }
        }
      }
    }
  }

  /// `LastCells` gives what `readPlain` gives, cell for cell: on runs of one cell, on
  /// cells of one length that differ in one byte, on cells that cannot be read plain,
  /// and through the stretches where a column that seldom repeats is not remembered.
  @Test("the last cell remembered gives what reading the cell gives")
  func lastCells() {
    let vocabulary = [
      "IND", "IND ", "INE", "ORG", "", "  ", "1234.50", "1234.5", "12345678.90", "12345678.91",
      "2024-03-01", "20240301", "CAMPAIGN FOR A BETTER TOMORROW", "CAMPAIGN FOR A BETTER TOMORROX",
      "(12.00)", "--", "X", "x",
    ]
    for (number, parser) in Self.parsers.enumerated() {
      // A short rest, so that the test sees columns wake up and remember again.
      // Two columns with parsers of their own: each slot must read with its column's.
      let other = Self.parsers[(number + 1) % Self.parsers.count]
      let cells = LastCells(parsers: [parser, other], rest: 100)
      var generator = SeededGenerator(seed: UInt64(number + 1))
      var previous = 0
      // Runs, then a stretch of cells that seldom repeat, then runs again.
      let judged = Int(LastCells.judgedOn)
      for step in 0..<judged * 8 {
        let noisy = (judged..<judged * 3).contains(step)
        let pick =
          noisy || Int.random(in: 0..<4, using: &generator) == 0
          ? Int.random(in: 0..<vocabulary.count, using: &generator) : previous
        previous = pick
        let cell = Array(vocabulary[pick].utf8)
        cell.withUnsafeBufferPointer { bytes in
          for (column, columnParser) in [parser, other].enumerated() {
            let expected = columnParser.readPlain(bytes, currency: .usd)
            let value = cells.readPlain(column, bytes, currency: .usd)
            #expect(value == expected, "\(columnParser) \(vocabulary[pick].debugDescription)")
          }
        }
      }
    }
  }
}

extension CellReading {
  /// The same reading, with text values the same to the byte (`==` on strings is
  /// canonical equivalence, which could hide a difference in the output).
  func isIdentical(to other: CellReading) -> Bool {
    switch (self, other) {
    case (.value(.string(let x)), .value(.string(let y))): return Array(x.utf8) == Array(y.utf8)
    case (.value(let x), .value(let y)): return x == y
    case (.invalidText(let x), .invalidText(let y)): return x == y
    case (.problem(let x), .problem(let y)): return Array(x.message.utf8) == Array(y.message.utf8)
    default: return false
    }
  }
}
