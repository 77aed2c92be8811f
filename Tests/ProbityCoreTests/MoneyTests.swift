import Testing

@testable import ProbityCore

struct MoneyCase: CustomStringConvertible, Sendable {
  let text: String
  let currency: Currency
  let expected: Int64?  // minor units; nil when refused
  var description: String { text }
}

let moneyCases: [MoneyCase] = [
  MoneyCase(text: "1234.50", currency: .usd, expected: 123_450),
  MoneyCase(text: "1234", currency: .usd, expected: 123_400),
  MoneyCase(text: "$1,234.50", currency: .usd, expected: 123_450),
  MoneyCase(text: "£50,000.00", currency: .gbp, expected: 5_000_000),
  MoneyCase(text: " 12.5 ", currency: .usd, expected: 1250),
  MoneyCase(text: "-12.00", currency: .usd, expected: -1200),
  MoneyCase(text: "$-12.00", currency: .usd, expected: -1200),
  MoneyCase(text: "-$12.00", currency: .usd, expected: -1200),
  MoneyCase(text: "(12.00)", currency: .usd, expected: -1200),
  MoneyCase(text: "$-0", currency: .usd, expected: 0),
  MoneyCase(text: "12.500", currency: .usd, expected: 1250),
  MoneyCase(text: ".50", currency: .usd, expected: 50),
  MoneyCase(text: "1,2,3", currency: .usd, expected: nil),
  MoneyCase(text: "12.345", currency: .usd, expected: nil),
  MoneyCase(text: "1e308", currency: .usd, expected: nil),
  MoneyCase(text: "NaN", currency: .usd, expected: nil),
  MoneyCase(text: "inf", currency: .usd, expected: nil),
  MoneyCase(text: "", currency: .usd, expected: nil),
  MoneyCase(text: "$", currency: .usd, expected: nil),
  MoneyCase(text: "£5.00", currency: .usd, expected: nil),
  MoneyCase(text: "99999999999999999999", currency: .usd, expected: nil),
  MoneyCase(text: "1.2.3", currency: .usd, expected: nil),
  // One sign at most: two cancelled out, and a refund of -$50 was read as +$50.
  MoneyCase(text: "(-50.00)", currency: .usd, expected: nil),
  MoneyCase(text: "(+5)", currency: .usd, expected: nil),
  MoneyCase(text: "($-5)", currency: .usd, expected: nil),
  MoneyCase(text: "(-$5.00)", currency: .usd, expected: nil),
  MoneyCase(text: "-$-5.00", currency: .usd, expected: nil),
  MoneyCase(text: "--5", currency: .usd, expected: nil),
  MoneyCase(text: "+$5.00", currency: .usd, expected: 500),
  MoneyCase(text: "($5.00)", currency: .usd, expected: -500),
  MoneyCase(text: "£-5.00", currency: .gbp, expected: -500),
]

@Test("money parsing: exact, never rounded", arguments: moneyCases)
func moneyParsing(_ testCase: MoneyCase) {
  let result = MoneyParser.parse(Substring(testCase.text), currency: testCase.currency)
  switch result {
  case .success(let money):
    #expect(money.minorUnits == testCase.expected)
    #expect(money.currency == testCase.currency)
  case .failure:
    #expect(testCase.expected == nil)
  }
}

@Test func moneyFormatting() {
  #expect(Money(units: 3300, currency: .usd).description == "$3,300.00")
  #expect(Money(minorUnits: -5025, currency: .gbp).description == "-£50.25")
  #expect(Money(minorUnits: 175_000, currency: .cad).description == "CAD 1,750.00")
  #expect(Money(minorUnits: 5, currency: .usd).decimalString == "0.05")
  #expect(Money(minorUnits: -123_456_789, currency: .usd).description == "-$1,234,567.89")
}

@Test func moneyArithmeticIsCheckedAndSameCurrency() {
  let a = Money(units: 100, currency: .usd)
  #expect(a.adding(Money(units: 1, currency: .gbp)) == .failure(.currencyMismatch(.usd, .gbp)))
  #expect(
    Money(minorUnits: .max, currency: .usd).adding(Money(minorUnits: 1, currency: .usd))
      == .failure(.overflow))
  #expect(a.multiplied(by: 3) == .success(Money(units: 300, currency: .usd)))
  #expect(Money(minorUnits: .min, currency: .usd).negated() == .failure(.overflow))
  #expect(a.compare(Money(units: 100, currency: .gbp)) == nil)
}

struct DateCase: CustomStringConvertible, Sendable {
  let text: String
  let format: DateFormat
  let expected: String?
  var description: String { "\(text) as \(format.rawValue)" }
}

let dateCases: [DateCase] = [
  DateCase(text: "2024-07-14", format: .isoDate, expected: "2024-07-14"),
  DateCase(text: "20240714", format: .compact, expected: "2024-07-14"),
  DateCase(text: "07/14/2024", format: .usSlashes, expected: "2024-07-14"),
  DateCase(text: "7/4/2024", format: .usSlashes, expected: "2024-07-04"),
  DateCase(text: "14/07/2024", format: .ukSlashes, expected: "2024-07-14"),
  DateCase(text: "07142024", format: .usCompact, expected: "2024-07-14"),
  DateCase(text: "2024-02-29", format: .isoDate, expected: "2024-02-29"),
  DateCase(text: "2023-02-29", format: .isoDate, expected: nil),
  DateCase(text: "20240230", format: .compact, expected: nil),
  DateCase(text: "2024-13-01", format: .isoDate, expected: nil),
  DateCase(text: "2024-7-14", format: .isoDate, expected: nil),
  DateCase(text: "14/07/2024", format: .usSlashes, expected: nil),
  DateCase(text: "", format: .isoDate, expected: nil),
  DateCase(text: "２０２４-07-14", format: .isoDate, expected: nil),
]

@Test("date layouts", arguments: dateCases)
func dateParsing(_ testCase: DateCase) {
  switch testCase.format.parse(Substring(testCase.text)) {
  case .success(let date): #expect(date.description == testCase.expected)
  case .failure: #expect(testCase.expected == nil)
  }
}

@Test func dayNumbersRoundTrip() throws {
  let epoch = try #require(CivilDate(year: 1970, month: 1, day: 1))
  #expect(epoch.dayNumber == 0)
  let leap = try #require(CivilDate(year: 2024, month: 2, day: 29))
  #expect(CivilDate(dayNumber: leap.dayNumber) == leap)
  #expect(leap.adding(days: 1)?.description == "2024-03-01")
  let start = try #require(CivilDate(year: 2024, month: 3, day: 15))
  #expect(start.adding(days: 60)?.description == "2024-05-14")
  for day in stride(from: -700_000, to: 2_900_000, by: 997) {
    #expect(CivilDate(dayNumber: day)?.dayNumber == day)
  }
}

@Test func nearNamesSuggestPlausibleTypos() {
  let fields = CanonicalSchema.fields.map(\.name)
  #expect(NearNames.suggestion(for: "amout", among: fields) == "amount")
  #expect(NearNames.suggestion(for: "employr", among: fields) == "employer")
  #expect(NearNames.suggestion(for: "ammount", among: fields) == "amount")
  #expect(NearNames.suggestion(for: "zipcode", among: fields) == nil)
  #expect(NearNames.suggestion(for: "xyz", among: fields) == nil)
}

@Test func diagnosticRenderingShowsCaretUnderTheSpan() {
  let source = SourceFile(path: "a.probity", text: "line one\n  when amout > $1\n")
  let start = 16
  let diagnostic = Diagnostic(
    id: "C0001", message: "unknown field 'amout'", source: source,
    range: SourceRange(start: start, end: start + 5),
    hint: "did you mean 'amount'?")
  #expect(
    diagnostic.rendered() == """
      a.probity:2:8: error[C0001]: unknown field 'amout'
       2 |   when amout > $1
         |        ^~~~~
         = help: did you mean 'amount'?
      """)
  let rowProblem = Diagnostic(id: "F0009", message: "bad amount", file: "f.csv", line: 12)
  #expect(rowProblem.rendered() == "f.csv:12: error[F0009]: bad amount")
}

@Test func currencyCodesAreThreeASCIILetters() {
  #expect(Currency(code: "USD") == .usd)
  #expect(Currency(code: "gbp") == .gbp)
  #expect(Currency(code: "cAd")?.code == "CAD")
  #expect(Currency(code: "JPY")?.code == "JPY")
  #expect(Currency(code: "JPY")?.symbol == nil)
  #expect(Currency(code: "USD")?.symbol == "$")
  for bad in ["", "US", "USDX", "US1", "U D", "€UR", "US\u{0}", "[SD", "@SD", "ÜSD"] {
    #expect(Currency(code: bad) == nil, "\(bad.debugDescription) is not a currency code")
  }
  #expect(Currency.usd != Currency.cad)
  #expect(Money(minorUnits: 100, currency: .eur).description == "€1.00")
  #expect(
    Money(minorUnits: -175_050, currency: Currency(code: "chf")!).description == "-CHF 1,750.50")
}

/// Dates are packed into one number: their order, equality and fields must be the
/// calendar's, across every boundary of the packing.
@Test func packedDatesKeepTheCalendarOrder() throws {
  let dates = try [
    (1, 1, 1), (1, 12, 31), (2, 1, 1), (1999, 12, 31), (2000, 1, 1), (2000, 2, 29),
    (2000, 3, 1), (2024, 1, 31), (2024, 2, 1), (2024, 10, 9), (2024, 10, 10), (2024, 11, 1),
    (9999, 12, 31),
  ].map { try #require(CivilDate(year: $0.0, month: $0.1, day: $0.2)) }
  for (i, a) in dates.enumerated() {
    for (j, b) in dates.enumerated() {
      #expect((a < b) == (i < j) && (a == b) == (i == j), "\(a) against \(b)")
      #expect((a < b) == (a.dayNumber < b.dayNumber))
    }
  }
  let last = try #require(dates.last)
  #expect((last.year, last.month, last.day) == (9999, 12, 31))
  #expect(last.description == "9999-12-31")
  // The point of the packing: a value of any kind fits in three words.
  #expect(MemoryLayout<Value>.size <= 3 * MemoryLayout<Int>.size)
  #expect(MemoryLayout<Money>.size <= 2 * MemoryLayout<Int>.size)
}

/// The forms as they were written before they were made of bytes: grouped by characters
/// and interpolated.
private func referenceDescription(_ money: Money) -> String {
  let magnitude = money.minorUnits.magnitude
  let units = magnitude / 100
  let cents = magnitude % 100
  let digits = String(units)
  var grouped = ""
  for (offset, ch) in digits.enumerated() {
    if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(",") }
    grouped.append(ch)
  }
  let centsText = cents < 10 ? "0\(cents)" : "\(cents)"
  let sign = money.minorUnits < 0 ? "-" : ""
  if let symbol = money.currency.symbol { return "\(sign)\(symbol)\(grouped).\(centsText)" }
  return "\(sign)\(money.currency.code) \(grouped).\(centsText)"
}

private func referenceDecimal(_ money: Money) -> String {
  let magnitude = money.minorUnits.magnitude
  let cents = magnitude % 100
  let centsText = cents < 10 ? "0\(cents)" : "\(cents)"
  return "\(money.minorUnits < 0 ? "-" : "")\(magnitude / 100).\(centsText)"
}

@Test("amounts written as before, every currency, sign and number of digits")
func moneyFormsAsBefore() throws {
  var amounts: [Int64] = [
    0, 1, 9, 10, 99, 100, 101, 999, 1000, Int64.max, Int64.min, Int64.min + 1,
  ]
  var power: Int64 = 1
  for _ in 0..<18 {
    power *= 10
    amounts += [power - 1, power, power + 1, power * 3 + 45]
  }
  let other = try #require(Currency(code: "CHF"))
  for minorUnits in amounts + amounts.map({ $0 == Int64.min ? 0 : -$0 }) {
    for currency in [Currency.usd, .gbp, .eur, .cad, other] {
      let money = Money(minorUnits: minorUnits, currency: currency)
      #expect(money.description == referenceDescription(money))
      #expect(money.decimalString == referenceDecimal(money))
    }
  }
}
