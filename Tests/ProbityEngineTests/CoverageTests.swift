import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

@Suite struct CoverageTests {
  /// Compiles one rule with the given `where`.
  func ruleSet(where filter: String) throws -> CompiledRuleSet {
    let text = """
      param limit: money = $100.00
      rule C-1 {
        title "t"
        severity error
        category cash-over-limit
        citation "c"
        applies receipt
        where \(filter)
        let big = amount > limit
        when big and payment_method == "cash" or big and blank(name)
        message "m"
      }
      """
    let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "c.probity", text: text)
    ])
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    return try #require(ruleSet)
  }

  func outcomes(_ report: RuleCoverage) -> [String] {
    report.parts.map { "\($0.clause) \($0.line):\($0.column) \($0.text) → \($0.outcomes.text)" }
  }

  @Test func recordsTrueFalseAndMissingPerBooleanPart() throws {
    let rules = try ruleSet(where: "not memo")
    let coverage = ConditionCoverage()
    var run = CheckRun(ruleSet: rules)
    run.observeTraces(coverage)
    run.evaluate(
      receipt([
        "amount": usd("250.00"), "payment_method": .string("cash"), "memo": .boolean(false),
        "name": .string("A"),
      ]))
    run.evaluate(
      receipt(["amount": usd("50.00"), "payment_method": .string("check"), "memo": .boolean(false)])
    )
    run.evaluate(receipt(["amount": usd("50.00"), "memo": .boolean(true)]))
    run.evaluate(receipt(["payment_method": .string("cash"), "memo": .boolean(false)]))
    run.finish()
    let report = try #require(coverage.report(for: rules).first)
    #expect(
      outcomes(report) == [
        "where 8:9 not memo → true false",
        "when 10:8 big and payment_method == \"cash\" or big and blank(name) → true false missing",
        "when 9:13 amount > limit → true false missing",
        "when 10:8 big and payment_method == \"cash\" → true false missing",
        "when 10:16 payment_method == \"cash\" → true",
        "when 10:44 big and blank(name) → false missing",
        "when 10:52 blank(name) → true",
      ])
    // The let is one part, however many times it is used.
    #expect(report.parts.count { $0.text == "amount > limit" } == 1)
    #expect(report.branches == 14)
    #expect(report.branchesTaken == 11)
    #expect(!report.parts[4].isCovered && report.parts[1].isCovered)
  }

  @Test func aDefineOfAnotherFileIsOnePartWhereItIsUsed() throws {
    let definitions = """
      define cash_gift = payment_method == "cash" and not memo
      """
    let rules = """
      import "definitions.probity"
      rule D-1 {
        title "t"
        severity error
        category cash-over-limit
        citation "c"
        applies receipt
        when cash_gift and amount > $100.00
        message "m"
      }
      """
    let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "pack/definitions.probity", text: definitions),
      SourceFile(path: "pack/rules.probity", text: rules),
    ])
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    let rulesCompiled = try #require(ruleSet)
    let coverage = ConditionCoverage()
    var run = CheckRun(ruleSet: rulesCompiled)
    run.observeTraces(coverage)
    // Two records on two lines (a define's value is kept for the rest of its record).
    for (line, method) in [(2, "cash"), (3, "check")] {
      let fields = receipt([
        "amount": usd("250.00"), "payment_method": .string(method), "memo": .boolean(false),
      ])
      run.evaluate(
        Record(
          kind: .receipt, provenance: Provenance(file: "test.csv", line: line),
          values: fields.values))
    }
    run.finish()
    let report = try #require(coverage.report(for: rulesCompiled).first)
    #expect(
      outcomes(report) == [
        "when 8:8 cash_gift and amount > $100.00 → true false",
        "when 8:8 cash_gift → true false",
        "when 8:22 amount > $100.00 → true",
      ])
  }

  /// A define in the rules' own file is one part where each rule uses it, as one of
  /// another file is: its own parts are evaluated once a record, for the first rule that
  /// needs them, and were shown under that rule alone, and as never evaluated in the
  /// others (the UK pack's `donation`, before it moved to a file of its own).
  @Test func aDefineOfTheRulesOwnFileIsOnePartInEveryRuleThatUsesIt() throws {
    func rule(_ id: String, _ name: String) -> String {
      """
      rule \(id) {
        title "t"
        severity error
        category cash-over-limit
        citation "c"
        applies receipt
        when big and name == "\(name)"
        message "m"
      }
      """
    }
    let text = "define big = amount > $100.00\n" + rule("D-1", "A") + "\n" + rule("D-2", "B")
    let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "pack/rules.probity", text: text)
    ])
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    let rules = try #require(ruleSet)
    let coverage = ConditionCoverage()
    var run = CheckRun(ruleSet: rules)
    run.observeTraces(coverage)
    for (line, name, amount) in [(2, "A", "250.00"), (3, "B", "50.00"), (4, "B", "250.00")] {
      let fields = receipt(["amount": usd(amount), "name": .string(name)])
      run.evaluate(
        Record(
          kind: .receipt, provenance: Provenance(file: "test.csv", line: line),
          values: fields.values))
    }
    run.finish()
    let reports = coverage.report(for: rules)
    #expect(
      reports.map(outcomes) == [
        [
          "when 8:8 big and name == \"A\" → true false",
          "when 8:8 big → true false",
          "when 8:16 name == \"A\" → true false",
        ],
        [
          "when 17:8 big and name == \"B\" → true false",
          "when 17:8 big → true false",
          "when 17:16 name == \"B\" → true false",
        ],
      ])
  }

  @Test func aRuleNeverEvaluatedHasNoOutcomes() throws {
    let rules = try ruleSet(where: "not memo")
    let report = try #require(ConditionCoverage().report(for: rules).first)
    #expect(report.branchesTaken == 0)
    #expect(report.parts.allSatisfy { $0.outcomes.text == "never evaluated" })
  }
}
