import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// A finding names the record it is about by file, line and transaction id: the line
/// must be the one that holds that record. Checked on every record with a transaction
/// id of the fixtures (delimited text and XML, whose records give their id on the start
/// tag's line) and of the real filings: its line (counted from 1, on line feeds, a CR
/// LF ending included) holds the id.
@Suite("A record's line is the line that holds it")
struct ProvenanceLineTests {
  static func check(_ path: String) throws {
    let lines = try Data(contentsOf: URL(fileURLWithPath: path))
      .split(separator: 0x0A, omittingEmptySubsequences: false)
    var checked = 0
    var wrong: [String] = []
    _ = try FilingReader.read(
      path: path, format: nil, mapping: nil,
      onRecord: { record in
        guard let id = record.transactionID, !id.isEmpty else { return }
        checked += 1
        let line = record.provenance.line
        let holds =
          line >= 1 && line <= lines.count
          && String(decoding: lines[line - 1], as: UTF8.self).contains(id)
        if !holds && wrong.count < 5 { wrong.append("\(id) said to be on line \(line)") }
      },
      onProblem: { _ in })
    #expect(checked > 0, "\(path)")
    #expect(wrong.isEmpty, "\(path): \(wrong)")
  }

  @Test(
    "the bundled fixtures",
    arguments: [
      "us-federal/receipts.csv", "us-federal/aggregates.csv", "us-federal/pac-receipts.csv",
      "us-federal/receipts-with-bad-rows.csv", "csv/canonical-sample.csv",
      "uk-ppera/donations.csv", "xml/receipts.xml", "xml/windows-1252.xml",
    ])
  func fixtures(_ file: String) throws {
    try Self.check(fixture(file))
  }

  @Test("real filings", .enabled(if: sharedDataPresent), arguments: realFilingsWithRecords)
  func real(_ file: String) throws {
    try Self.check(sharedFile(file))
  }
}
