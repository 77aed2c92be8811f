import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// Real Electoral Commission register exports in ../shared/data/uk, read through
/// Fixtures/mappings/uk-ec-donations.map. Skipped when ../shared is absent.
@Suite(
  "Real data: UK donations register",
  .enabled(
    if: FileManager.default.fileExists(atPath: sharedFile("data/uk/ec_donations_2025_2026.csv")),
    "../shared/data/uk is absent: the real-data tests need the shared folder next to the package"))
struct RealDataTests {
  let mapping: Mapping

  init() throws {
    let (mapping, diagnostics) = Mapping.load(path: fixture("mappings/uk-ec-donations.map"))
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    self.mapping = try #require(mapping)
  }

  func total(_ records: [Record]) -> Int64 {
    records.reduce(0) { $0 + ($1["amount"].moneyValue?.minorUnits ?? 0) }
  }

  func count(_ records: [Record], missing field: String) -> Int {
    records.filter { $0[field].isMissing }.count
  }

  @Test("2025-26 register: every row is a record")
  func donations2025() throws {
    let result = try read(path: sharedFile("data/uk/ec_donations_2025_2026.csv"), mapping: mapping)
    #expect(result.problems.isEmpty, "\(result.problems.prefix(5).map { $0.rendered() })")
    // 2340 data rows: python3 -c "import csv; print(sum(1 for _ in csv.reader(open(
    //   'ec_donations_2025_2026.csv', newline='', encoding='utf-8'))) - 1)"
    // The file has CRLF line endings and no quoted line breaks: record n is on line n + 1.
    #expect(
      result.statistics == ReadStatistics(recordsRead: 2340, recordsRejected: 0, rowsSkipped: 0))
    #expect(result.lines == Array(2...2341))
    // The sum of Value in pence, by python3's decimal module over the same rows.
    #expect(total(result.records) == 5_549_347_029)
    // Empty cells, counted the same way: AcceptedDate 29, ReceivedDate 173, DonorName 5.
    #expect(count(result.records, missing: "date") == 29)
    #expect(count(result.records, missing: "accepted_date") == 29)
    #expect(count(result.records, missing: "received_date") == 173)
    #expect(count(result.records, missing: "name") == 5)

    let first = try #require(result.records.first)
    #expect(first.kind == .receipt)
    #expect(first.transactionID == "C0596891")
    #expect(first["amount"] == .money(Money(units: 50_000, currency: .gbp)))
    #expect(first["date"] == CivilDate(year: 2025, month: 1, day: 22).map(Value.date))
    #expect(first["filer_name"] == .string("Carlton Club Political Committee"))
    #expect(first["filer_id"] == .string("6901"))
    #expect(first["committee_type"] == .string("Regulated Donee"))
    #expect(first["name"] == .string("Strandbrook Ltd"))
    #expect(first["donor_status"] == .string("Company"))
    #expect(first["zip"] == .string("SW19 7JY"))
    #expect(first["payment_method"] == .string("cash"))
    let last = try #require(result.records.last)
    #expect(last.transactionID == "V0834245")
    #expect(last["name"] == .string("Great Britain China Centre"))
    #expect(last["amount"] == .money(Money(units: 3925, currency: .gbp)))
  }

  @Test("returned, forfeited and impermissible rows: every row read; the export's \"£-\" is zero")
  func impermissible() throws {
    let result = try read(
      path: sharedFile("data/uk/ec_donations_impermissible_returned_forfeited_all_years.csv"),
      mapping: mapping)
    // 554 data rows (python3 csv module, as above). Two (lines 430 and 434) have Value
    // " £-   ", the spreadsheet accounting format's zero: the mapping reads Value with
    // `money accounting`, so they are £0.00, and the total is unchanged.
    #expect(
      result.statistics == ReadStatistics(recordsRead: 554, recordsRejected: 0, rowsSkipped: 0))
    #expect(result.problems.isEmpty)
    let zeros = result.records.filter { $0["amount"] == .money(Money(units: 0, currency: .gbp)) }
    #expect(zeros.map(\.provenance.line) == [430, 434])
    #expect(total(result.records) == 418_790_855)
    // Returned and forfeited donations were never accepted: AcceptedDate is empty on 552.
    #expect(count(result.records, missing: "date") == 552)
  }
}
