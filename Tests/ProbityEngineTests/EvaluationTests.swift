import ProbityCore
import ProbityEngine
import ProbityLanguage
import Testing

/// A receipt with a few fields set, for evaluating expressions.
func receipt(_ fields: [String: Value]) -> Record {
  var record = Record(kind: .receipt, provenance: Provenance(file: "test.csv", line: 2))
  for (name, value) in fields {
    guard let id = CanonicalSchema.id(named: name) else {
      Issue.record("no field \(name)")
      continue
    }
    record[id] = value
  }
  return record
}

func usd(_ text: String) -> Value {
  guard case .success(let m) = MoneyParser.parse(Substring(text), currency: .usd) else {
    return .missing
  }
  return .money(m)
}

func date(_ text: String) -> Value {
  guard case .success(let d) = DateFormat.isoDate.parse(Substring(text)) else { return .missing }
  return .date(d)
}

let parameters = """
  param cash_limit: money = $100.00
  param limit: money by year {
    2023..2024: $3,300.00
    2025..2026: $3,500.00
  }
  param threshold: money by date {
    from 2001-02-16: £7,500.00
    from 2024-01-01: £11,180.00
  }
  param codes: list of string = ["H", "S", "P"]
  """

/// The parameters above, compiled once.
let parameterPack: CompiledRuleSet? = RulePackCompiler.compile(sources: [
  SourceFile(path: "t.probity", text: parameters)
])
.ruleSet

/// Compiles `expression` against the parameters above and evaluates it on `record`.
func evaluate(_ expression: String, on record: Record) -> Result<Value, EvaluationFailure>? {
  guard let pack = parameterPack else {
    Issue.record("the parameters do not compile")
    return nil
  }
  let source = SourceFile(path: "expression", text: expression)
  let (program, diagnostics) = RulePackCompiler.compileExpression(
    source, kinds: [.receipt], ruleSet: pack)
  guard let program else {
    Issue.record("does not compile: \(diagnostics.map { $0.rendered() })")
    return nil
  }
  var evaluator = Evaluator(ruleSet: pack)
  return evaluator.evaluate(program, on: record).result
}

struct ValueCase: CustomStringConvertible, Sendable {
  let expression: String
  let expected: Value
  var description: String { expression }
}

let sample = receipt([
  "amount": usd("250.00"), "payment_method": .string("cash"), "name": .string("  Smith, John "),
  "date": date("2024-03-15"), "election_code": .string("P2024"), "memo": .boolean(false),
])

let valueCases: [ValueCase] = [
  // Comparisons and arithmetic on money.
  ValueCase(expression: "amount > cash_limit", expected: .boolean(true)),
  ValueCase(expression: "amount - cash_limit", expected: usd("150.00")),
  ValueCase(expression: "amount * 3", expected: usd("750.00")),
  ValueCase(expression: "-amount", expected: usd("-250.00")),
  ValueCase(expression: "amount + $0.01 == $250.01", expected: .boolean(true)),
  ValueCase(expression: "abs(-amount)", expected: usd("250.00")),
  // Dated parameters.
  ValueCase(expression: "limit[2024]", expected: usd("3300.00")),
  ValueCase(expression: "limit[year(date)]", expected: usd("3300.00")),
  ValueCase(expression: "limit[election_year(election_code) + 1]", expected: usd("3500.00")),
  ValueCase(expression: "limit[2030]", expected: .missing),
  ValueCase(
    expression: "threshold[2023-12-31]", expected: .money(Money(units: 7500, currency: .gbp))),
  ValueCase(
    expression: "threshold[2024-01-01]", expected: .money(Money(units: 11180, currency: .gbp))),
  // Strings.
  ValueCase(expression: "upper(trim(name))", expected: .string("SMITH, JOHN")),
  ValueCase(expression: "lower(payment_method) == \"cash\"", expected: .boolean(true)),
  ValueCase(expression: "starts_with(trim(name), \"Smith\")", expected: .boolean(true)),
  ValueCase(expression: "ends_with(election_code, \"2024\")", expected: .boolean(true)),
  ValueCase(expression: "contains(name, \"John\")", expected: .boolean(true)),
  ValueCase(
    expression: "matches(election_code, \"^[GPRSCEO][0-9]{4}$\")", expected: .boolean(true)),
  ValueCase(expression: "matches(\"X2024\", \"^[GPRSCEO][0-9]{4}$\")", expected: .boolean(false)),
  // A backslash in a pattern is written \\ (a lone \d is an error, P0022).
  ValueCase(expression: "matches(\"12345\", \"^\\\\d{5}$\")", expected: .boolean(true)),
  ValueCase(expression: "matches(\"ddddd\", \"^\\\\d{5}$\")", expected: .boolean(false)),
  ValueCase(expression: "length(payment_method)", expected: .integer(4)),
  ValueCase(expression: "payment_method in [\"cash\", \"check\"]", expected: .boolean(true)),
  ValueCase(expression: "payment_method not in [\"cash\", \"check\"]", expected: .boolean(false)),
  // A list with a missing item: found among the others, true; else it cannot be told.
  ValueCase(expression: "payment_method in [employer, \"cash\"]", expected: .boolean(true)),
  ValueCase(expression: "payment_method not in [employer, \"check\"]", expected: .missing),
  ValueCase(expression: "amount in [$250.00, $1.00]", expected: .boolean(true)),
  ValueCase(expression: "\"H\" in codes", expected: .boolean(true)),
  // Dates.
  ValueCase(expression: "year(date)", expected: .integer(2024)),
  ValueCase(expression: "month(date)", expected: .integer(3)),
  ValueCase(expression: "month(2024-12-01)", expected: .integer(12)),
  ValueCase(expression: "cycle(date)", expected: .integer(2024)),
  ValueCase(expression: "cycle(2023-06-01)", expected: .integer(2024)),
  ValueCase(expression: "quarter(date)", expected: .integer(1)),
  ValueCase(expression: "quarter(2024-11-05)", expected: .integer(4)),
  ValueCase(expression: "zip5(\"45402-1234\")", expected: .string("45402")),
  ValueCase(expression: "zip5(\"4540\")", expected: .missing),
  ValueCase(expression: "zip5(employer)", expected: .missing),
  ValueCase(expression: "year(2024-01-01) + cycle(2025-01-01)", expected: .integer(4050)),
  ValueCase(expression: "days_between(date, 2024-05-14)", expected: .integer(60)),
  ValueCase(expression: "add_days(date, 60)", expected: date("2024-05-14")),
  ValueCase(expression: "date < 2024-03-16", expected: .boolean(true)),
  // Missing values: Kleene logic, strict operators, and the total functions.
  ValueCase(expression: "employer == \"X\"", expected: .missing),
  ValueCase(expression: "upper(employer)", expected: .missing),
  ValueCase(expression: "employer == \"X\" and false", expected: .boolean(false)),
  ValueCase(expression: "employer == \"X\" or true", expected: .boolean(true)),
  ValueCase(expression: "employer == \"X\" and true", expected: .missing),
  ValueCase(expression: "not (employer == \"X\")", expected: .missing),
  ValueCase(expression: "present(employer)", expected: .boolean(false)),
  ValueCase(expression: "missing(employer)", expected: .boolean(true)),
  ValueCase(expression: "blank(employer)", expected: .boolean(true)),
  ValueCase(expression: "blank(\"  \")", expected: .boolean(true)),
  ValueCase(expression: "blank(name)", expected: .boolean(false)),
  ValueCase(expression: "employer ?? \"none\"", expected: .string("none")),
  ValueCase(expression: "aggregate ?? amount", expected: usd("250.00")),
  ValueCase(expression: "employer in [\"A\"]", expected: .missing),
  ValueCase(expression: "election_year(\"P20X4\")", expected: .missing),
  ValueCase(expression: "election_year(\"G2026\")", expected: .integer(2026)),
  ValueCase(expression: "election_year(\"O1998\")", expected: .integer(1998)),
  ValueCase(expression: "election_year(\"p2024\")", expected: .missing),
  ValueCase(expression: "election_year(\"X2024\")", expected: .missing),
  ValueCase(expression: "election_year(\"P202\")", expected: .missing),
  ValueCase(expression: "election_year(\"P20245\")", expected: .missing),
  ValueCase(expression: "election_year(\"\")", expected: .missing),
  // Not ASCII: a full-width letter, a full-width digit, a combining accent.
  ValueCase(expression: "election_year(\"\u{FF30}2024\")", expected: .missing),
  ValueCase(expression: "election_year(\"P202\u{FF14}\")", expected: .missing),
  ValueCase(expression: "election_year(\"P2024\u{301}\")", expected: .missing),
  ValueCase(expression: "memo", expected: .boolean(false)),
]

@Test("expressions evaluate to their values", arguments: valueCases)
func values(_ testCase: ValueCase) {
  guard let result = evaluate(testCase.expression, on: sample) else { return }
  #expect(result == .success(testCase.expected))
}

@Test func currencyMismatchIsAFailureNotAPass() {
  // A GBP amount against a USD limit must not quietly pass or fire.
  let record = receipt(["amount": .money(Money(units: 500, currency: .gbp))])
  guard let result = evaluate("amount > cash_limit", on: record) else { return }
  guard case .failure(let failure) = result else {
    Issue.record("expected a failure, got \(result)")
    return
  }
  #expect(failure.message.contains("GBP"))
}

@Test func anAmountInAListOfAnotherCurrencyIsAFailureNotAPass() {
  // `amount not in [£5.00]` on a USD amount was a silent true, where `==` fails.
  let record = receipt(["amount": usd("5.00")])
  for expression in ["amount not in [£5.00]", "amount in [£1.00, £5.00]"] {
    guard let result = evaluate(expression, on: record) else { return }
    guard case .failure(let failure) = result else {
      Issue.record("\(expression): expected a failure, got \(result)")
      continue
    }
    #expect(failure.message.contains("GBP"))
  }
}

@Test func overflowIsAFailure() {
  let record = receipt(["amount": .money(Money(minorUnits: .max / 2, currency: .usd))])
  guard let result = evaluate("amount * 3", on: record) else { return }
  #expect(result == .failure(EvaluationFailure(message: "amount too large to represent exactly")))
}

@Test func checkRunCountsFiredUndeterminedAndExplainsValues() throws {
  let text =
    parameters + """

      rule CASH {
        title "Cash over limit"
        severity error
        category cash-over-limit
        citation "11 CFR 110.4(c)(2)"
        applies receipt
        when payment_method == "cash" and amount > cash_limit
        message "{amount} in cash, over {cash_limit}"
        remedy "return {amount - cash_limit}"
      }
      """
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "t.probity", text: text)
  ])
  #expect(diagnostics.isEmpty)
  var run = CheckRun(ruleSet: try #require(ruleSet))
  run.evaluate(sample)  // fires
  run.evaluate(receipt(["amount": usd("20.00"), "payment_method": .string("cash")]))  // passes
  run.evaluate(receipt(["amount": usd("500.00")]))  // payment method missing: undetermined
  run.evaluate(receipt(["amount": usd("50.00")]))  // false whatever the method: passes
  #expect(run.recordsEvaluated == 4)
  #expect(
    run.tallies[0]
      == RuleTally(
        evaluated: 4, fired: 1, undetermined: 1, failed: 0,
        missingFieldCounts: ["payment_method": 1]))
  let finding = try #require(run.findings.first)
  #expect(finding.message == "$250.00 in cash, over $100.00")
  #expect(finding.remedy == "return $150.00")
  #expect(finding.file == "test.csv" && finding.line == 2)
  #expect(finding.values.map(\.name) == ["payment_method", "amount", "cash_limit"])
  #expect(finding.values.map(\.value) == [.string("cash"), usd("250.00"), usd("100.00")])
  #expect(run.undetermined.first?.missingFields == ["payment_method"])
}

@Test func tableLookupsShowTheEntryUsed() throws {
  let text =
    parameters + """

      rule LIMIT {
        title "over"
        severity error
        category excessive-contribution
        citation "c"
        applies receipt
        when amount > limit[election_year(election_code)]
        message "over"
      }
      """
  let (ruleSet, _) = RulePackCompiler.compile(sources: [SourceFile(path: "t.probity", text: text)])
  var run = CheckRun(ruleSet: try #require(ruleSet))
  run.evaluate(receipt(["amount": usd("3600.00"), "election_code": .string("G2024")]))
  let finding = try #require(run.findings.first)
  #expect(finding.values.map(\.name) == ["amount", "limit[2024]", "election_code"])
}

@Test func fieldsTheFormatLacksDoNotAnswerBlank() {
  // street1 not in the format: blank(street1) and present(street1) stay missing.
  var record = receipt(["amount": usd("250.00")])
  record.unavailable = FieldSet([CanonicalSchema.id(named: "street1")!])
  #expect(evaluate("blank(street1)", on: record) == .success(.missing))
  #expect(evaluate("present(street1)", on: record) == .success(.missing))
  // ?? is the author's explicit default, for absent fields too.
  #expect(evaluate("street1 ?? \"x\"", on: record) == .success(.string("x")))
  // A field the format has but this record leaves empty: they answer.
  #expect(evaluate("blank(city)", on: record) == .success(.boolean(true)))
  #expect(evaluate("city ?? \"x\"", on: record) == .success(.string("x")))
}
