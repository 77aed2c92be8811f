import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// Readers fill again the arrays of values of records given back (`RecordValuesPool`):
/// each record read so is the record a fresh read gives, whatever the record before it
/// left in the array (other fields, other kinds, rows rejected between).
@Suite("Records read into arrays given back")
struct ValuesPoolReadTests {
  static func compare(_ path: String) throws {
    var fresh: [Record] = []
    var freshProblems: [String] = []
    _ = try FilingReader.read(
      path: path, format: nil, mapping: nil, onRecord: { fresh.append($0) },
      onProblem: { freshProblems.append($0.rendered()) })
    #expect(!fresh.isEmpty, "\(path)")
    // Every record given back at once: the next one is read into its array. (A copy is
    // kept to compare, as a finding would keep a record: that one must not change.)
    let pool = RecordValuesPool()
    var reused: [String] = []
    var reusedProblems: [String] = []
    var kept: [Record] = []
    _ = try FilingReader.read(
      path: path, format: nil, mapping: nil, pool: pool,
      onRecord: { record in
        reused.append(LineSelectionTests.describe([record])[0])
        if kept.count < 5 { kept.append(record) }
        pool.give(record.values)
      },
      onProblem: { reusedProblems.append($0.rendered()) })
    #expect(reused == LineSelectionTests.describe(fresh), "\(path)")
    #expect(reusedProblems == freshProblems, "\(path)")
    #expect(
      LineSelectionTests.describe(kept) == LineSelectionTests.describe(Array(fresh.prefix(5))))
  }

  @Test(
    "the bundled fixtures",
    arguments: [
      "us-federal/receipts-with-bad-rows.csv", "csv/canonical-sample.csv",
      "us-federal/receipts.csv",
    ])
  func fixtures(_ file: String) throws {
    try Self.compare(fixture(file))
  }

  @Test(
    "real filings", .enabled(if: sharedDataPresent),
    arguments: LineSelectionTests.files)
  func real(_ file: String) throws {
    try Self.compare(sharedFile(file))
  }
}
