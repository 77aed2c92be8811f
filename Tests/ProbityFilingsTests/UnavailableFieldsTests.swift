import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// A field a record's format does not have (`Record.unavailable`) holds no value: on it
/// `blank`, `present` and `missing` answer missing, so a value there would be one a
/// rule reads but cannot ask about, and a rule left undetermined on it would be said to
/// lack a field "not in the format" of a filing that gave it. Checked on every record of
/// every reader's fixtures and of the real filings, .fec of every version among them.
@Suite("Fields a format does not have hold no value")
struct UnavailableFieldsTests {
  /// The fields of `record` that are said to be unavailable but hold a value.
  static func valuedButUnavailable(_ record: Record) -> [String] {
    record.values.indices.compactMap { field in
      record.unavailable.contains(field) && !record.values[field].isMissing
        ? "line \(record.provenance.line): \(CanonicalSchema.fields[field].name) = \(record.values[field])"
        : nil
    }
  }

  static func check(_ path: String) throws {
    var records = 0
    var wrong: [String] = []
    _ = try FilingReader.read(
      path: path, format: nil, mapping: nil,
      onRecord: { record in
        records += 1
        if wrong.count < 5 { wrong += valuedButUnavailable(record) }
      },
      onProblem: { _ in })
    #expect(records > 0, "\(path)")
    #expect(wrong.isEmpty, "\(path): \(wrong.prefix(5))")
  }

  @Test(
    "the bundled fixtures",
    arguments: [
      "us-federal/receipts.csv", "us-federal/aggregates.csv", "us-federal/pac-receipts.csv",
      "csv/canonical-sample.csv", "uk-ppera/donations.csv", "xml/receipts.xml",
      "xml/windows-1252.xml",
    ])
  func fixtures(_ file: String) throws {
    try Self.check(fixture(file))
  }

  @Test("real filings", .enabled(if: sharedDataPresent), arguments: realFilingsWithRecords)
  func real(_ file: String) throws {
    try Self.check(sharedFile(file))
  }
}
