import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// A finding names the record it is about by file, line and transaction id: the line
/// must be the one that holds that record. Checked on every record with a transaction
/// id of the delimited and `.fec` fixtures and real filings: its line (counted from 1,
/// on line feeds, a CR LF ending included) holds the id.
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
      "uk-ppera/donations.csv",
    ])
  func fixtures(_ file: String) throws {
    try Self.check(fixture(file))
  }

  @Test(
    "real filings", .enabled(if: FileManager.default.fileExists(atPath: sharedFile("data"))),
    arguments: [
      "data/fec/13360.fec", "data/fec/27789.fec", "data/fec/1229017.fec",
      "data/fec/1527862.fec", "data/fec/1544132.fec", "data/fec/1550126.fec",
      "data/fec/1550548.fec", "data/fec-bulk/insight_itcont_2017_sample.txt",
      "data/fec-bulk/agaiduk_itcont_random5000_2015_2018.txt",
      "data/uk/ec_donations_2025_2026.csv", "data/uk/legacy_pef_donations_2013_first400.csv",
      "data/uk/ec_donations_impermissible_returned_forfeited_all_years.csv",
    ])
  func real(_ file: String) throws {
    try Self.check(sharedFile(file))
  }
}
