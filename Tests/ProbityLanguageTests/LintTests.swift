import Foundation
import ProbityCore
import Testing

@testable import ProbityLanguage

/// "id line:col" of each lint warning of a pack.
func lint(_ text: String) throws -> [String] {
  let (ruleSet, diagnostics) = compile(text)
  #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
  return RulePackLint.lint(try #require(ruleSet)).map { warning in
    #expect(warning.severity == .warning)
    let position = warning.position ?? (0, 0)
    return "\(warning.id) \(position.line):\(position.column)"
  }
}

@Suite struct LintTests {
  @Test func unusedParametersAndListsAreWarned() throws {
    let params = """
      param used_in_when: money = $1.00
      param used_in_template: money = $2.00
      param used_in_let: money = $3.00
      param unused: money = $4.00
      param unused_table: money by year {
        2024: $1.00
      }
      """
    let text = ruleFile(
      when: "amount > used_in_when and total > $0.00",
      message: "over {used_in_template}", params: params
    ).replacingOccurrences(of: "  when", with: "  let total = amount + used_in_let\n  when")
    #expect(try lint(text) == ["W0001 4:7", "W0001 5:7"])
  }

  @Test func constantConditionsAreWarned() throws {
    let params = """
      param limit: money = $100.00
      param codes: list of string = ["H", "S"]
      """
    func constant(_ condition: String, _ params: String) throws -> [String] {
      try lint(ruleFile(when: condition, params: params)).filter { $0.hasPrefix("W0002") }
    }
    // Folds to false without reading the record.
    #expect(try constant("limit < $50.00 and amount > limit", params) == ["W0002 9:8"])
    #expect(try constant("\"P\" in codes", params) == ["W0002 9:8"])
    // `kind` is known in a rule that applies to receipts only.
    #expect(try constant("kind == \"disbursement\" and amount > limit", params) == ["W0002 9:8"])
    // Always missing: a table with no entry for its constant key.
    let table = "param t: money by year {\n  2024: $1.00\n}"
    #expect(try constant("amount > t[2019]", table) == ["W0002 10:8"])
    // Not constant: depends on the record; or true (a catch-all rule is legitimate).
    #expect(try constant("amount > limit or limit < $50.00", params) == [])
    #expect(try constant("limit > $50.00 or amount > limit", params) == [])
  }

  @Test func aWhereThatIsAlwaysFalseIsWarned() throws {
    let text = ruleFile(when: "amount > $1.00", params: "param on: boolean = false")
      .replacingOccurrences(of: "  when", with: "  where on and amount > $0.00\n  when")
    #expect(try lint(text) == ["W0003 8:9"])
  }

  @Test func unusedLetsAreWarned() throws {
    // `total` is used by the condition, `limit` through `total`; `left` by nothing (nor
    // `also`, used only by `left`).
    let text = ruleFile(when: "total > $1.00").replacingOccurrences(
      of: "  when",
      with:
        "  let limit = $5.00\n  let total = amount + limit\n  let also = amount\n  let left = also\n  when"
    )
    #expect(try lint(text) == ["W0004 10:7", "W0004 11:7"])
  }

  @Test(arguments: ["Rules/us-federal", "Rules/uk-ppera"])
  func shippedPacksAreLintClean(_ pack: String) throws {
    let (ruleSet, _) = RulePackLoader.load(
      path: packageRoot.appendingPathComponent(pack).path, listLoader: firstColumnLists)
    let warnings = RulePackLint.lint(try #require(ruleSet))
    #expect(warnings.isEmpty, "\(warnings.map { $0.rendered() })")
  }

  @Test func lintIdsAreInTheCatalogue() {
    #expect(LanguageMessage.unusedParameter("x").id == "W0001")
    #expect(LanguageMessage.conditionNeverTrue(rule: "R", outcome: "false").id == "W0002")
    #expect(LanguageMessage.filterNeverTrue(rule: "R", outcome: "false").id == "W0003")
    #expect(LanguageMessage.unusedLet("x", rule: "R").id == "W0004")
    #expect(LanguageMessage.formatWouldChangeMeaning.id == "P0090")
  }
}
