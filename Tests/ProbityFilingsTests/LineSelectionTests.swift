import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

/// The second pass of a run reads only the lines of the records it needs
/// (`FilingReader.read(lines:)`): the delimited and .fec readers pass over the other rows
/// unparsed. Whatever is passed over, each record wanted must come exactly as a full read
/// gives it (same line, same values), on real filings and on the awkward layouts: quoted
/// line breaks, CRLF and lone-CR files, malformed rows read again from their second line.
@Suite("Reading only the lines wanted")
struct LineSelectionTests {
  /// A canonical CSV row; `name` as written (quoted with its line breaks, or not).
  static func row(_ id: Int, _ name: String, _ end: String = "\n") -> String {
    "receipt,T\(id),\(name),2024-01-0\(id % 9 + 1),\(id).00\(end)"
  }
  static let header = "kind,transaction_id,name,date,amount"

  static let texts: [(String, String)] = [
    (
      "quoted line breaks",
      header + "\n" + row(1, "\"A\nB\"") + row(2, "\"C\r\nD\"") + row(3, "E")
        + row(4, "\"F\n\nG\"") + row(5, "H")
    ),
    (
      "CRLF, blank lines, a byte order mark",
      "\u{FEFF}" + header + "\r\n" + row(1, "A", "\r\n") + "\r\n" + row(2, "B", "\r\n")
        + row(3, "C", "\r\n") + "\r\n" + row(4, "D", "\r\n") + row(5, "E", "")
    ),
    (
      "rows longer than what is read after going to a wanted line",
      header + "\n" + row(1, "A") + row(2, String(repeating: "B", count: 20_000)) + row(3, "C")
        + row(4, "\"" + String(repeating: "D\n", count: 40_000) + "\"") + row(5, "E")
        + row(6, String(repeating: "F", count: 9_000))
    ),
    (
      "two rows on one line: a lone CR in a file of LF lines ends a row, not the line",
      header + "\n" + row(1, "A") + row(2, "B", "\r") + row(3, "C") + row(4, "D", "\r")
        + row(5, "E") + row(6, "F")
    ),
    (
      "lone CR",
      header + "\r" + (1...5).map { row($0, "N\($0)", "\r") }.joined()
    ),
    (
      "a quote never closed, read again from its second line",
      header + "\n" + row(1, "A") + row(2, "\"B") + row(3, "C") + row(4, "D")
        + row(5, "\"E\nF\"") + row(6, "G")
    ),
  ]

  static let files: [String] = [
    "data/fec/13360.fec", "data/fec/1229017.fec", "data/fec/1527862.fec", "data/fec/27789.fec",
    "data/fec/1550548.fec", "data/fec-bulk/insight_itcont_2017_sample.txt",
    "data/uk/ec_donations_2025_2026.csv", "data/uk/legacy_pef_donations_2013_first400.csv",
  ]

  /// What a record is, for comparison.
  static func describe(_ records: [Record]) -> [String] {
    records.map { "\($0.provenance.line) \($0.kind) \($0.values) \($0.unavailable)" }
  }

  /// Reads `path` whole, then with every line wanted, every third, every seventh, only
  /// the last, only the second, and none, each without the lines' offsets and with them
  /// (as the full read gave them, `Record.offset`): the records wanted are the full
  /// read's, and (with `fewerRead`) fewer rows are read when lines are left out.
  static func compare(_ path: String, fewerRead: Bool = true) throws {
    var all: [Record] = []
    let full = try FilingReader.read(
      path: path, format: nil, mapping: nil, onRecord: { all.append($0) }, onProblem: { _ in })
    #expect(all.count >= 3, "\(path)")
    try checkOffsets(path, all)
    let lines = all.map(\.provenance.line)
    // The last record's offset of each line: the records of a line must all have it.
    let offsets = Dictionary(all.map { ($0.provenance.line, $0.offset) }) { _, last in last }
    // All but the first: the reader goes to the second line before it has seen how
    // lines end, and reads on from there.
    let selections: [Set<Int>] =
      [1, 3, 7].map { every in Set(stride(from: 0, to: lines.count, by: every).map { lines[$0] }) }
      + [[lines[lines.count - 1]], [lines[1]], [], Set(lines.dropFirst())]
    for wanted in selections {
      for withOffsets in [false, true] {
        let selection = LineSelection(
          lines: wanted, offsets: withOffsets ? offsets.filter { wanted.contains($0.key) } : [:])
        #expect(selection.offsets.isEmpty == (!withOffsets || wanted.isEmpty))
        var got: [Record] = []
        let statistics = try FilingReader.read(
          path: path, format: nil, mapping: nil, lines: selection, onRecord: { got.append($0) },
          onProblem: { _ in })
        let expected = all.filter { wanted.contains($0.provenance.line) }
        let what = "\(path), \(wanted.count) lines, offsets: \(withOffsets)"
        #expect(
          describe(got.filter { wanted.contains($0.provenance.line) }) == describe(expected),
          "\(what)")
        #expect(
          got.filter { wanted.contains($0.provenance.line) }.map(\.offset)
            == expected.map(\.offset), "\(what)")
        if fewerRead && wanted.count < Set(lines).count {
          #expect(statistics.recordsRead < full.recordsRead, "\(what)")
        }
      }
    }
  }

  /// Each record's offset is where its first line starts: at the start of the file (or
  /// after its byte order mark), or just after a line break.
  static func checkOffsets(_ path: String, _ records: [Record]) throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    for (line, onLine) in Dictionary(grouping: records, by: \.provenance.line) {
      #expect(Set(onLine.map(\.offset)).count == 1, "\(path):\(line): one line, one offset")
    }
    for record in records {
      let offset = record.offset
      let where_ = "\(path):\(record.provenance.line): byte \(offset)"
      #expect(offset >= start && offset < bytes.count, "\(where_)")
      guard offset > start && offset < bytes.count else { continue }
      #expect(
        bytes[offset - 1] == UInt8(ascii: "\n") || bytes[offset - 1] == UInt8(ascii: "\r"),
        "\(where_) does not start a line")
    }
  }

  @Test("awkward layouts", arguments: texts)
  func layouts(_ name: String, _ text: String) throws {
    try Self.compare(try temporaryFile(text))
  }

  /// A file of the awkward layouts mixed at random: each row ended by the file's line
  /// ending or, now and then, another; blank lines; quoted names holding line breaks of
  /// each kind, doubled quotes or the delimiter; long rows; a quote never closed; a byte
  /// order mark; the last row with no line ending.
  static func randomLayout(_ random: inout SeededGenerator) -> String {
    let endings = ["\n", "\r\n", "\r"]
    let fileEnding = endings[random.next(below: endings.count)]
    func ending(_ random: inout SeededGenerator) -> String {
      random.next(below: 6) == 0 ? endings[random.next(below: endings.count)] : fileEnding
    }
    let insides = ["\n", "\r\n", "\r", "\n\n", "\r\r", "\"\"", ",", "\r\n\r\n"]
    var text = random.next(below: 4) == 0 ? "\u{FEFF}" : ""
    text += header + ending(&random)
    let rows = 5 + random.next(below: 8)
    for id in 1...rows {
      if random.next(below: 6) == 0 { text += ending(&random) }
      let name: String
      switch random.next(below: 12) {
      case 0...2: name = "\"A" + insides[random.next(below: insides.count)] + "B\""
      case 3: name = String(repeating: "L", count: 5_000 + random.next(below: 10_000))
      case 4 where random.next(below: 3) == 0: name = "\"U"
      default: name = "N\(id)"
      }
      text += row(id, name, id == rows && random.next(below: 3) == 0 ? "" : ending(&random))
    }
    return text
  }

  /// A row of an FEC bulk file (pipes, no header, no quoting).
  static func bulk(_ id: Int, _ memo: String, _ end: String) -> String {
    "C00570994|N|Q3|P|2017101302002922\(id)|15|IND|DOE\(id), JANE|DAYTON|OH|454020000"
      + "|ACME|CLERK|0902201\(id % 10)|250||SA\(id)|1187824||\(memo)|21017201714584744\(id)"
      + end
  }

  /// An FEC bulk file (no header: the reader may go to a wanted line before it has seen
  /// a line ending) with stray CRs at random, in a memo or ending a row.
  static func randomBulk(_ random: inout SeededGenerator) -> String {
    let rows = 5 + random.next(below: 8)
    return (1...rows).map { id in
      // Not in the first row: the file would not be told by its first line, and would be
      // read as an old Mac file (docs/formats.md, "Line numbers").
      let memo = id > 1 && random.next(below: 5) == 0 ? "IN-KIND\rPRINTING" : ""
      let end = ["\n", "\n", "\n", "\r", "\r\n"][random.next(below: 5)]
      return bulk(10 + id, memo, id == rows && random.next(below: 3) == 0 ? "" : end)
    }.joined()
  }

  /// A .fec v8.3 filing of receipts and disbursements mixed at random with what the
  /// reader passes over (F99 text blocks of any lines, text records, blank lines), lines
  /// ended by LF or CRLF, and now and then a row that cannot be read.
  static func randomFEC(_ random: inout SeededGenerator) -> String {
    let fs = "\u{1C}"
    let end = random.next(below: 2) == 0 ? "\n" : "\r\n"
    var lines = [
      ["HDR", "FEC", "8.3", "test", "1", "", ""],
      [
        "F3N", "C00999001", "Test for Congress", "1 Main St", "", "Dayton", "OH", "45402", "X",
        "OH", "10", "Q2", "", "", "", "20240101", "20240930",
      ],
    ].map { $0.joined(separator: fs) }
    for id in 1...(5 + random.next(below: 10)) {
      switch random.next(below: 10) {
      case 0:
        let text = (0..<random.next(below: 4)).map { "free text \($0), with a comma" }
        lines += ["[BEGINTEXT]"] + text + ["[ENDTEXT]"]
      case 1: lines.append("")
      case 2:
        lines.append(["TEXT", "C00999001", "TX\(id)", "", "", "a note"].joined(separator: fs))
      case 3:
        lines.append(
          [
            "SB17", "C00999001", "D\(id)", "", "", "ORG", "Printer Inc", "", "", "", "", "",
            "2 Main St", "", "Dayton", "OH", "45402", "", "", "2024020\(id % 9 + 1)",
            "\(id).00", "", "Printing",
          ].joined(separator: fs))
      case 4 where random.next(below: 3) == 0:
        lines.append(["SA11AI", "C00999001", "B\(id)", "bad date"].joined(separator: fs))
      default:
        lines.append(
          [
            "SA11AI", "C00999001", "T\(id)", "", "", "IND", "", "DOE\(id)", "JANE", "", "", "",
            "1 Main St", "", "Dayton", "OH", "45402", "P2024", "", "2024010\(id % 9 + 1)",
            "\(id * 10).00", "", "", "Acme", "Clerk",
          ].joined(separator: fs))
      }
    }
    return lines.joined(separator: end) + (random.next(below: 3) == 0 ? "" : end)
  }

  @Test("awkward layouts mixed at random (400 files, seeded: CSV, bulk, .fec)")
  func randomLayouts() throws {
    var random = SeededGenerator(seed: 20_261_205)
    var compared: [String: Int] = [:]
    for number in 0..<400 {
      let (text, suffix) =
        switch number % 4 {
        case 0: (Self.randomBulk(&random), ".txt")
        case 1: (Self.randomFEC(&random), ".fec")
        default: (Self.randomLayout(&random), ".csv")
        }
      var records = 0
      let path = try temporaryFile(text, suffix: suffix)
      _ = try FilingReader.read(
        path: path, format: nil, mapping: nil, onRecord: { _ in records += 1 },
        onProblem: { _ in })
      // A quote never closed early on may leave too few records to choose among.
      guard records >= 3 else { continue }
      // Fewer rows read only where no lone CR may put two rows on one line (in a file of
      // CRLF lines, a row left out may then run on into the line a wanted one starts on,
      // and must be read to find where that one starts).
      try Self.compare(path, fewerRead: suffix == ".fec" || !text.contains("\r"))
      compared[suffix, default: 0] += 1
    }
    // Files of every kind were compared (a quote never closed, or a .fec file of few
    // receipts, leaves a few out; so does a bulk file of LF lines where rows end in a
    // lone CR: two rows run together on one line of 41 fields, rejected, where they were
    // once read as one row and the second lost).
    #expect(compared[".txt", default: 0] >= 95, "\(compared)")
    #expect(compared[".fec", default: 0] >= 90, "\(compared)")
    #expect(compared[".csv", default: 0] >= 180, "\(compared)")
  }

  /// The offsets are what the readers go by: an offset given for one line that is where
  /// another starts delivers that other line's record, numbered as the line asked for.
  /// (A reader that passed over the lines one by one would deliver the line asked for.)
  @Test(
    "the offsets are followed",
    arguments: [
      ("csv", header + "\n" + (1...6).map { row($0, "N\($0)") }.joined()),
      ("fec", FECLineSelection.text),
    ])
  func followed(_ format: String, _ text: String) throws {
    let path = try temporaryFile(text, suffix: "." + format)
    var all: [Record] = []
    _ = try FilingReader.read(
      path: path, format: nil, mapping: nil, onRecord: { all.append($0) }, onProblem: { _ in })
    try #require(all.count >= 5)
    let asked = all[1].provenance.line
    let elsewhere = all[4]
    var got: [Record] = []
    _ = try FilingReader.read(
      path: path, format: nil, mapping: nil,
      lines: LineSelection(lines: [asked], offsets: [asked: elsewhere.offset]),
      onRecord: { got.append($0) }, onProblem: { _ in })
    let first = try #require(got.first)
    #expect(first.provenance.line == asked)
    #expect(first["transaction_id"] == elsewhere["transaction_id"])
  }

  /// A file without a header (FEC bulk): the reader may go to a wanted line before it
  /// has seen a line ending. A stray CR there (it ends a row, there being no quoting in
  /// this format, but not the line) must still be judged as the first pass judged it,
  /// by the first line's LF.
  @Test("a file without a header, with a stray CR")
  func headerless() throws {
    let bulk = Self.bulk
    let text =
      bulk(10, "", "\n") + bulk(11, "", "\r") + bulk(12, "", "\n")
      + bulk(13, "IN-KIND\rPRINTING", "\n") + bulk(14, "", "\n") + bulk(15, "", "\n")
    try Self.compare(try temporaryFile(text, suffix: ".txt"))
  }

  @Test(
    "the bundled fixtures",
    arguments: ["us-federal/receipts-with-bad-rows.csv", "csv/canonical-sample.csv"])
  func fixtures(_ file: String) throws {
    try Self.compare(fixture(file))
  }

  @Test(
    "real filings", .enabled(if: sharedDataPresent),
    arguments: files)
  func real(_ file: String) throws {
    try Self.compare(sharedFile(file))
  }
}

/// A small .fec v8.3 filing: a header, a cover record and six receipts.
enum FECLineSelection {
  static let text: String = {
    let fs = "\u{1C}"
    var lines = [
      ["HDR", "FEC", "8.3", "test", "1", "", ""],
      [
        "F3N", "C00999001", "Test for Congress", "1 Main St", "", "Dayton", "OH", "45402", "X",
        "OH", "10", "Q2", "", "", "", "20240101", "20240930",
      ],
    ]
    for id in 1...6 {
      lines.append([
        "SA11AI", "C00999001", "T\(id)", "", "", "IND", "", "DOE\(id)", "JANE", "", "", "",
        "1 Main St", "", "Dayton", "OH", "45402", "P2024", "", "2024010\(id)", "\(id * 10).00", "",
        "", "Acme", "Clerk",
      ])
    }
    return lines.map { $0.joined(separator: fs) }.joined(separator: "\n") + "\n"
  }()
}
