import ProbityCore
import Testing

@testable import ProbityFilings

/// Cells read through a mapping and a one-row CSV file: what becomes of them.
@Suite("Cells through mappings")
struct CellParsingTests {
  enum Outcome: Sendable {
    case value(Value)
    /// Rejected; the message contains this text.
    case rejected(String)
  }

  struct MoneyCase: Sendable, CustomTestStringConvertible {
    let cell: String
    let currency: String
    let outcome: Outcome
    var testDescription: String { "\(cell) in \(currency)" }
  }

  static let moneyCases: [MoneyCase] = [
    MoneyCase(
      cell: "1234.50", currency: "USD",
      outcome: .value(.money(Money(minorUnits: 123450, currency: .usd)))),
    MoneyCase(
      cell: "$1,234.50", currency: "USD",
      outcome: .value(.money(Money(minorUnits: 123450, currency: .usd)))),
    MoneyCase(
      cell: "£50,000.00", currency: "GBP",
      outcome: .value(.money(Money(minorUnits: 5_000_000, currency: .gbp)))),
    MoneyCase(
      cell: "(12.00)", currency: "USD",
      outcome: .value(.money(Money(minorUnits: -1200, currency: .usd)))),
    MoneyCase(
      cell: " 7 ", currency: "CAD", outcome: .value(.money(Money(minorUnits: 700, currency: .cad)))),
    MoneyCase(cell: "", currency: "USD", outcome: .value(.missing)),
    MoneyCase(
      cell: "1,2,3", currency: "USD",
      outcome: .rejected(
        "column 2 \"amount\": expected money like 1234.50, $1,234.50 or £50,000.00, found \"1,2,3\": thousands separators must group three digits"
      )),
    MoneyCase(
      cell: "1e308", currency: "USD",
      outcome: .rejected("expected money like 1234.50, $1,234.50 or £50,000.00, found \"1e308\"")),
    MoneyCase(cell: "NaN", currency: "USD", outcome: .rejected("found \"NaN\"")),
    MoneyCase(cell: "12.345", currency: "USD", outcome: .rejected("more than two decimal places")),
    MoneyCase(
      cell: "£50.00", currency: "USD",
      outcome: .rejected("amount is in GBP but this filing's currency is USD")),
    MoneyCase(
      cell: "99999999999999999999", currency: "USD", outcome: .rejected("amount too large")),
    // Two signs cancelled out: a refund of -$50 was read as +$50.
    MoneyCase(cell: "(-50.00)", currency: "USD", outcome: .rejected("found \"(-50.00)\"")),
    MoneyCase(cell: "(-$5.00)", currency: "USD", outcome: .rejected("found \"(-$5.00)\"")),
    MoneyCase(cell: "-$-5.00", currency: "USD", outcome: .rejected("found \"-$-5.00\"")),
    MoneyCase(cell: "(£-5)", currency: "GBP", outcome: .rejected("found \"(£-5)\"")),
    MoneyCase(
      cell: "-£5.00", currency: "GBP",
      outcome: .value(.money(Money(minorUnits: -500, currency: .gbp)))),
    // A symbol in UTF-8 read as Windows-1252: the encoding is named, not the grouping
    // (every row of a PEF export saved again as UTF-8 was "thousands separators must
    // group three digits").
    MoneyCase(
      cell: "Â£14,323.75", currency: "GBP",
      outcome: .rejected(
        "found \"Â£14,323.75\": \"Â£\" is how £ in UTF-8 reads in Windows-1252: the file is not in the encoding it was read in"
      )),
    MoneyCase(cell: "â‚¬5.00", currency: "EUR", outcome: .rejected("is how € in UTF-8 reads")),
  ]

  @Test("money cells", arguments: moneyCases)
  func money(_ testCase: MoneyCase) throws {
    let mapping = try cleanMapping(
      "[file]\ncurrency = \(testCase.currency)\n[kind]\nconstant = receipt\n[fields]\ntransaction_id = column id\namount = column amount\n"
    )
    let result = try read("id,amount\nT1,\"\(testCase.cell)\"\n", mapping: mapping)
    check(result, testCase.outcome, field: "amount")
  }

  struct DateCase: Sendable, CustomTestStringConvertible {
    let cell: String
    let layout: String
    let outcome: Outcome
    var testDescription: String { "\(cell) as \(layout)" }
  }

  static func day(_ y: Int, _ m: Int, _ d: Int) -> Outcome {
    CivilDate(year: y, month: m, day: d).map { .value(.date($0)) } ?? .rejected("bad test date")
  }

  static let dateCases: [DateCase] = [
    DateCase(cell: "2024-02-29", layout: "yyyy-mm-dd", outcome: day(2024, 2, 29)),
    DateCase(cell: "20240714", layout: "yyyymmdd", outcome: day(2024, 7, 14)),
    DateCase(cell: "7/4/2024", layout: "mm/dd/yyyy", outcome: day(2024, 7, 4)),
    DateCase(cell: "22/01/2025", layout: "dd/mm/yyyy", outcome: day(2025, 1, 22)),
    DateCase(cell: "07142024", layout: "mmddyyyy", outcome: day(2024, 7, 14)),
    DateCase(cell: "", layout: "yyyy-mm-dd", outcome: .value(.missing)),
    DateCase(
      cell: "20240230", layout: "yyyymmdd",
      outcome: .rejected(
        "column 2 \"date\": expected a date like 20240714 (yyyymmdd), found \"20240230\": no such day: year 2024, month 2, day 30"
      )),
    DateCase(
      cell: "20240230", layout: "yyyy-mm-dd",
      outcome: .rejected("expected a date like 2024-07-14 (yyyy-mm-dd), found \"20240230\"")),
    DateCase(
      cell: "2023-02-29", layout: "yyyy-mm-dd",
      outcome: .rejected("no such day: year 2023, month 2, day 29")),
    DateCase(cell: "01/22/2025", layout: "dd/mm/yyyy", outcome: .rejected("no such day")),
    // A year no filing's record is dated in: a typing slip, rejected with the year's range
    // (taken as a date, 0025 made an acceptance 2,000 years before its receipt).
    DateCase(
      cell: "05/02/0025", layout: "dd/mm/yyyy",
      outcome: .rejected(
        "column 2 \"date\": expected a date like 14/07/2024 (dd/mm/yyyy), found \"05/02/0025\": its year is outside 1900 to 2099, the years a filing's record is dated in"
      )),
    DateCase(cell: "22050205", layout: "yyyymmdd", outcome: .rejected("its year is outside 1900")),
    DateCase(cell: "1899-12-31", layout: "yyyy-mm-dd", outcome: .rejected("its year is outside")),
    DateCase(cell: "1900-01-01", layout: "yyyy-mm-dd", outcome: day(1900, 1, 1)),
    DateCase(cell: "12/31/2099", layout: "mm/dd/yyyy", outcome: day(2099, 12, 31)),
  ]

  @Test("date cells", arguments: dateCases)
  func date(_ testCase: DateCase) throws {
    let mapping = try cleanMapping(
      "[file]\ncurrency = USD\n[kind]\nconstant = receipt\n[fields]\ntransaction_id = column id\ndate = column date as date \(testCase.layout)\n"
    )
    let result = try read("id,date\nT1,\(testCase.cell)\n", mapping: mapping)
    check(result, testCase.outcome, field: "date")
  }

  struct OtherCase: Sendable, CustomTestStringConvertible {
    let field: String
    let parser: String
    let cell: String
    let outcome: Outcome
    var testDescription: String { "\(cell) as \(parser)" }
  }

  static let otherCases: [OtherCase] = [
    OtherCase(field: "memo", parser: "flag X", cell: "x", outcome: .value(.boolean(true))),
    OtherCase(field: "memo", parser: "flag X", cell: "", outcome: .value(.boolean(false))),
    OtherCase(
      field: "memo", parser: "flag X Y", cell: "N",
      outcome: .rejected("expected \"X\", \"Y\" or an empty cell, found \"N\"")),
    OtherCase(field: "memo", parser: "boolean", cell: "Yes", outcome: .value(.boolean(true))),
    OtherCase(field: "memo", parser: "boolean", cell: "0", outcome: .value(.boolean(false))),
    OtherCase(
      field: "memo", parser: "boolean", cell: "maybe", outcome: .rejected("expected true/false")),
    OtherCase(field: "memo", parser: "boolean", cell: " ", outcome: .value(.missing)),
    OtherCase(
      field: "payment_method", parser: "text lower", cell: " Check ",
      outcome: .value(.string("check"))),
    OtherCase(field: "state", parser: "text upper", cell: "il", outcome: .value(.string("IL"))),
    OtherCase(field: "city", parser: "text", cell: "  ", outcome: .value(.missing)),
    OtherCase(
      field: "amendment", parser: "flag A false N T", cell: "A", outcome: .value(.boolean(true))),
    OtherCase(
      field: "amendment", parser: "flag A false N T", cell: "n", outcome: .value(.boolean(false))),
    OtherCase(
      field: "amendment", parser: "flag A false N T", cell: "", outcome: .value(.boolean(false))),
    OtherCase(
      field: "amendment", parser: "flag A false N T", cell: "X",
      outcome: .rejected("expected \"A\", \"N\", \"T\" or an empty cell, found \"X\"")),
    OtherCase(
      field: "amendment", parser: "flag yes false \"false\"", cell: "false",
      outcome: .value(.boolean(false))),
    // The Electoral Commission's exports write a zero as a spreadsheet's accounting
    // format does: a dash. `money accounting` reads it as 0.00; `money` refuses it.
    OtherCase(
      field: "amount", parser: "money accounting", cell: " £-   ",
      outcome: .value(.money(Money(minorUnits: 0, currency: .gbp)))),
    OtherCase(
      field: "amount", parser: "money accounting", cell: "-",
      outcome: .value(.money(Money(minorUnits: 0, currency: .gbp)))),
    OtherCase(
      field: "amount", parser: "money accounting", cell: "£1,500.25",
      outcome: .value(.money(Money(minorUnits: 150_025, currency: .gbp)))),
    OtherCase(
      field: "amount", parser: "money accounting", cell: "£--", outcome: .rejected("found \"£--\"")),
    OtherCase(
      field: "amount", parser: "money accounting", cell: "$-",
      outcome: .rejected("amount is in USD but this filing's currency is GBP")),
    OtherCase(field: "amount", parser: "money", cell: "£-", outcome: .rejected("found \"£-\"")),
  ]

  @Test("flag, boolean and text cells", arguments: otherCases)
  func other(_ testCase: OtherCase) throws {
    let mapping = try cleanMapping(
      "[file]\ncurrency = GBP\n[kind]\nconstant = receipt\n[fields]\ntransaction_id = column id\n\(testCase.field) = column \(testCase.field) as \(testCase.parser)\n"
    )
    let result = try read("id,\(testCase.field)\nT1,\"\(testCase.cell)\"\n", mapping: mapping)
    check(result, testCase.outcome, field: testCase.field)
  }

  func check(_ result: ReadResult, _ outcome: Outcome, field: String) {
    #expect(result.statistics.recordsRead == 1)
    switch outcome {
    case .value(let value):
      #expect(result.problems.isEmpty, "\(result.problems.map { $0.rendered() })")
      #expect(result.records.first?[field] == value)
      #expect(result.statistics.recordsRejected == 0)
    case .rejected(let text):
      #expect(result.records.isEmpty)
      #expect(result.statistics.recordsRejected == 1)
      #expect(result.problems.count == 1)
      let problem = result.problems.first
      #expect(problem?.id == "F0009")
      #expect(problem?.line == 2)
      #expect(problem?.message.contains(text) == true, "\(problem?.message ?? "no problem")")
    }
  }
}
