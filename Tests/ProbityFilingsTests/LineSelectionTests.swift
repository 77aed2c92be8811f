import Foundation
import ProbityCore
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
  /// the last, only the second, and none: the records wanted are the full read's, and
  /// fewer rows are read when lines are left out.
  static func compare(_ path: String) throws {
    var all: [Record] = []
    let full = try FilingReader.read(
      path: path, format: nil, mapping: nil, onRecord: { all.append($0) }, onProblem: { _ in })
    #expect(all.count >= 3, "\(path)")
    let lines = all.map(\.provenance.line)
    let selections: [Set<Int>] =
      [1, 3, 7].map { every in Set(stride(from: 0, to: lines.count, by: every).map { lines[$0] }) }
      + [[lines[lines.count - 1]], [lines[1]], []]
    for wanted in selections {
      var got: [Record] = []
      let statistics = try FilingReader.read(
        path: path, format: nil, mapping: nil, lines: wanted, onRecord: { got.append($0) },
        onProblem: { _ in })
      let expected = all.filter { wanted.contains($0.provenance.line) }
      #expect(
        describe(got.filter { wanted.contains($0.provenance.line) }) == describe(expected),
        "\(path), \(wanted.count) lines")
      if wanted.count < lines.count {
        #expect(statistics.recordsRead < full.recordsRead, "\(path), \(wanted.count) lines")
      }
    }
  }

  @Test("awkward layouts", arguments: texts)
  func layouts(_ name: String, _ text: String) throws {
    try Self.compare(try temporaryFile(text))
  }

  @Test(
    "the bundled fixtures",
    arguments: ["us-federal/receipts-with-bad-rows.csv", "csv/canonical-sample.csv"])
  func fixtures(_ file: String) throws {
    try Self.compare(fixture(file))
  }

  @Test(
    "real filings", .enabled(if: FileManager.default.fileExists(atPath: sharedFile("data"))),
    arguments: files)
  func real(_ file: String) throws {
    try Self.compare(sharedFile(file))
  }
}
