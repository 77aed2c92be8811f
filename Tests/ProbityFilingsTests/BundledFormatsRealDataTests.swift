import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

/// The bundled formats on the real files of ../shared/data: the whole UK register, its
/// older PEF export, FEC bulk contributions. The expected numbers were computed once with
/// Python's csv and decimal modules over the same files (the command is beside each).
@Suite(
  "Real data: UK register and FEC bulk files through the bundled formats",
  .enabled(
    if: FileManager.default.fileExists(
      atPath: sharedFile("data/uk/ec_donations_all_2001_2026.zip")),
    sharedAbsentMessage))
struct BundledFormatsRealDataTests {
  func pence(_ records: [Record]) -> Int64 {
    records.reduce(0) { $0 + ($1["amount"].moneyValue?.minorUnits ?? 0) }
  }

  @Test(
    "the whole register, 2001 to 2026: every row a record, none rejected",
    .enabled(if: python3 != nil, "python3 is not installed: it unzips the register"))
  func wholeRegister() throws {
    let directory =
      scratchFolder
      .appendingPathComponent("probity-uk-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    _ = try runPython(
      ["-m", "zipfile", "-e", sharedFile("data/uk/ec_donations_all_2001_2026.zip"), directory.path])
    let path = directory.appendingPathComponent("Donations_accepted_by_political_parties.csv").path
    #expect(try FilingReader.detectFormat(path: path) == .ukEC)
    var count = 0
    var total: Int64 = 0
    var zeros: [Int] = []
    var missingAccepted = 0
    var aggregations = 0
    var sponsorships = 0
    var problems: [Diagnostic] = []
    var first: Record?
    var last: Record?
    let statistics = try FilingReader.read(
      path: path, format: nil, mapping: nil,
      onRecord: { record in
        count += 1
        let pence = record["amount"].moneyValue?.minorUnits ?? 0
        total += pence
        if pence == 0 { zeros.append(record.provenance.line) }
        if record["accepted_date"].isMissing { missingAccepted += 1 }
        if record["aggregation"] == .boolean(true) { aggregations += 1 }
        if record["sponsorship"] == .boolean(true) { sponsorships += 1 }
        if first == nil { first = record }
        last = record
      }, onProblem: { problems.append($0) })
    #expect(problems.isEmpty, "\(problems.prefix(5).map { $0.rendered() })")
    // python3: len(rows) - 1 with csv.reader over the unzipped file.
    #expect(statistics == ReadStatistics(recordsRead: 91_341))
    #expect(count == 91_341)
    // The sum of Value in pence, by Python's decimal module, reading " £-   " as 0.
    #expect(total == 164_760_730_273)
    // The six rows whose Value is " £-   ": the accounting format's zero, read as £0.00.
    #expect(zeros == [19_529, 21_846, 87_022, 87_026, 87_619, 87_809])
    #expect(missingAccepted == 1_618)
    #expect(aggregations == 22_397)
    // python3: IsSponsorship == "True" with csv.DictReader.
    #expect(sponsorships == 885)
    #expect(first?.transactionID == "C0000001")
    #expect(first?["filer_name"] == .string("Charter 88"))
    #expect(first?["amount"] == .money(Money(units: 50_000, currency: .gbp)))
    #expect(last?.transactionID == "V0834245")
    #expect(last?["amount"] == .money(Money(units: 3_925, currency: .gbp)))
  }

  @Test("the 2025-26 register and the returned, forfeited and impermissible rows")
  func subsets() throws {
    let recent = try readFiling(path: sharedFile("data/uk/ec_donations_2025_2026.csv"))
    #expect(recent.problems.isEmpty)
    #expect(recent.statistics == ReadStatistics(recordsRead: 2340))
    #expect(pence(recent.records) == 5_549_347_029)
    let first = try #require(recent.records.first)
    #expect(first["donor_company_number"] == .string("06278422"))
    #expect(first["donee_type"] == .string("Members Association"))
    #expect(first["donor_id"] == .string("103417.0"))
    #expect(first["report_type"] == .string("Feb-25"))
    #expect(first["reported_date"] == CivilDate(year: 2025, month: 2, day: 4).map(Value.date))
    #expect(first["aggregation"] == .boolean(false))
    #expect(first["sponsorship"] == .boolean(false))

    // The two " £-   " rows the plain money parser rejects (RealDataTests) are £0.00 here.
    let returned = try readFiling(
      path: sharedFile("data/uk/ec_donations_impermissible_returned_forfeited_all_years.csv"))
    #expect(returned.problems.isEmpty)
    #expect(returned.statistics == ReadStatistics(recordsRead: 554))
    #expect(pence(returned.records) == 418_790_855)
    #expect(
      returned.records.filter { $0["amount"] == .money(Money(minorUnits: 0, currency: .gbp)) }
        .map(\.provenance.line) == [430, 434])
    #expect(returned.records.contains { $0["donation_action"] == .string("Returned") })
  }

  @Test("the older PEF export: Windows-1252, other column names")
  func pef() throws {
    let path = sharedFile("data/uk/legacy_pef_donations_2013_first400.csv")
    #expect(try FilingReader.detectFormat(path: path) == .ukPEF)
    let result = try readFiling(path: path)
    #expect(result.problems.isEmpty, "\(result.problems.prefix(3).map { $0.rendered() })")
    // 394 rows (csv.reader, encoding cp1252); 400 lines, as five cells hold line breaks.
    #expect(result.statistics == ReadStatistics(recordsRead: 394))
    #expect(pence(result.records) == 765_943_755)
    let first = try #require(result.records.first)
    #expect(first.transactionID == "C0087002")
    #expect(first["amount"] == .money(Money(units: 20_000, currency: .gbp)))
    #expect(first["name"] == .string("IM Group Limited, IM House"))
    #expect(first["donor_company_number"] == .string(":3456018"))
    #expect(first["accepted_date"] == CivilDate(year: 2013, month: 2, day: 4).map(Value.date))
    // A Windows-1252 right quote (0x92), decoded.
    let visit = try #require(result.records.first { $0.transactionID == "V0087070" })
    #expect(visit.provenance.line == 21)
    #expect(result.records.last?["accounting_unit"] == .string("Crewe and Nantwich CLP"))
  }

  @Test(
    "FEC bulk contributions: 21 columns, no header, MMDDYYYY, Latin-1",
    arguments: [
      ("agaiduk_itcont_random5000_2015_2018.txt", 5000, 111_925_200, 27, 2410),
      ("insight_itcont_2017_sample.txt", 699, 49_619_900, 70, 175),
    ] as [(String, Int, Int64, Int, Int)])
  func bulk(_ name: String, _ rows: Int, _ cents: Int64, _ memos: Int, _ amendments: Int) throws {
    let path = sharedFile("data/fec-bulk/\(name)")
    #expect(try FilingReader.detectFormat(path: path) == .fecBulk)
    let result = try readFiling(path: path)
    #expect(result.problems.isEmpty, "\(result.problems.prefix(3).map { $0.rendered() })")
    // Python: rows split on "|", sum of TRANSACTION_AMT (column 15) in cents, MEMO_CD X,
    // AMNDT_IND A.
    #expect(result.statistics == ReadStatistics(recordsRead: rows))
    #expect(pence(result.records) == cents)
    #expect(result.records.count { $0["memo"] == .boolean(true) } == memos)
    #expect(result.records.count { $0["amendment"] == .boolean(true) } == amendments)
    #expect(result.lines == Array(1...rows))
    // TRANSACTION_TP (column 6), as form_type: the US pack's contributions and refunds.
    let types = Dictionary(grouping: result.records) { $0["form_type"].stringValue ?? "" }
    #expect(types["15"] != nil && types[""] == nil)
  }

  @Test("FEC bulk rows of more or fewer than 21 fields are rejected, not read by position")
  func bulkFieldCount() throws {
    // Row 6 run together with one more field; row 8 cut to 20 fields (its MEMO_CD, #19,
    // would be lost: a memo entry read as a gift).
    let data = try Data(
      contentsOf: URL(fileURLWithPath: sharedFile("data/fec-bulk/insight_itcont_2017_sample.txt")))
    var rows = data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
    rows[5] += Array("|extra".utf8)
    let fields = rows[7].split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
    rows[7] = Array(fields.prefix(20).joined(separator: [UInt8(ascii: "|")]))
    let path = try temporaryFile(
      Array(rows.map { $0 + [UInt8(ascii: "\n")] }.joined()), suffix: ".txt")
    let result = try readFiling(path: path, format: .fecBulk)
    #expect(result.problems.map(\.id) == ["F0007", "F0007"])
    #expect(result.problemLines == [6, 8])
    #expect(
      result.problems.map(\.message) == [
        "expected 21 fields, found 22", "expected 21 fields, found 20",
      ])
    #expect(result.statistics.recordsRead == 699)
    #expect(result.statistics.recordsRejected == 2)
  }

  @Test("a bulk row, field by field")
  func bulkRow() throws {
    let result = try readFiling(
      path: sharedFile("data/fec-bulk/agaiduk_itcont_random5000_2015_2018.txt"))
    let first = try #require(result.records.first)
    #expect(first.kind == .receipt)
    #expect(first["filer_id"] == .string("C00401224"))
    #expect(first["amendment"] == .boolean(true))
    #expect(first["report_type"] == .string("M9"))
    #expect(first["entity_type"] == .string("IND"))
    #expect(first["name"] == .string("HEWLETT, MARY"))
    #expect(first["zip"] == .string("19335"))
    #expect(first["occupation"] == .string("NOT EMPLOYED"))
    #expect(first["date"] == CivilDate(year: 2017, month: 8, day: 24).map(Value.date))
    #expect(first["amount"] == .money(Money(units: 15, currency: .usd)))
    #expect(first.transactionID == "SA11AI_89379681")
    #expect(first["memo"] == .boolean(false))
    #expect(first["memo_text"] == .string("EARMARKED FOR END CITIZENS UNITED PAC (C00573261)"))
    #expect(first["election_code"] == .missing)
  }
}
