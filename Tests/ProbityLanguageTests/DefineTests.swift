import ProbityCore
import Testing

@testable import ProbityLanguage

/// `define`: a record-level expression named once, used by rules of its file and of the
/// files that import it.
@Test func definesAreSharedThroughImports() throws {
  let definitions = """
    define contribution = kind == "receipt" and not memo
    define net = if kind == "receipt" then amount else -amount
    """
  let rules = """
    import "definitions.probity"
    rule D-1 {
      title "t"
      severity error
      category data-quality
      citation "c"
      applies receipt, disbursement
      where contribution
      group by name
      window cycle
      let total = sum(net)
      when total > $10.00
      message "{total}"
    }
    """
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/definitions.probity", text: definitions),
    SourceFile(path: "p/rules.probity", text: rules),
  ])
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let rule = try #require(ruleSet?.rules.first)
  // The define's node keeps its name (explanations show `contribution = true`).
  let filter = try #require(rule.filter)
  guard case .defined(let name) = filter.nodes[filter.root].op else {
    Issue.record("the filter is not the named define")
    return
  }
  #expect(name == "contribution")
  #expect(filter.nodes[filter.root].text == "contribution")
}

@Test func aDefineThatDoesNotFitItsUseIsReportedAtTheUse() {
  let text = """
    define has_employer = present(employer)
    rule D-2 {
      title "t"
      severity error
      category data-quality
      citation "c"
      applies disbursement
      when has_employer
      message "m"
    }
    """
  let (_, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/r.probity", text: text)
  ])
  #expect(diagnostics.map(\.id) == ["C0026"])
  #expect(diagnostics.first?.position?.line == 8)
  #expect(diagnostics.first?.message.contains("employer") == true)
}

@Test func defineNamesMustBeFree() {
  let (_, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/r.probity", text: "define amount = 1\ndefine x = y\n")
  ])
  #expect(diagnostics.map(\.id) == ["C0008", "C0001"])
}

/// A define named where it cannot be seen is still unknown (C0001), and the hint says
/// where it is written and why it cannot be seen, rather than "import the file" when the
/// file is imported.
@Test(
  "a define not visible where it is named: the hint says where it is",
  arguments: [
    (
      "define y = x + $1.00",
      "'x' is a define of p/a.probity: a define can use only those written before it in its own file"
    ),
    (
      "define p = q\ndefine q = amount",
      "'q' is a define written later in this file: a define can use only those written before it"
    ),
  ])
func defineNotVisible(_ text: String, _ hint: String) {
  let (_, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/a.probity", text: "define x = amount\n"),
    SourceFile(path: "p/b.probity", text: "import \"a.probity\"\n" + text + "\n"),
  ])
  #expect(diagnostics.map(\.id) == ["C0001"])
  #expect(diagnostics.first?.hint == hint)
}

@Test func aRuleNamingADefineOfAFileNotImported() {
  let rule = """
    rule R-1 {
      title "t"
      severity info
      category data-quality
      citation "c"
      applies receipt
      when x > $1.00
      message "m"
    }
    """
  let (_, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/a.probity", text: "define x = amount\n"),
    SourceFile(path: "p/b.probity", text: rule),
  ])
  #expect(diagnostics.map(\.id) == ["C0001"])
  #expect(diagnostics.first?.hint == "'x' is a define of p/a.probity: 'import' that file to use it")
}

/// A rule of one file: `when CONDITION` on receipts.
private func rule(_ condition: String, lets: String = "", imports: [String]) -> String {
  imports.map { "import \"\($0)\"\n" }.joined() + """
    rule S-1 {
      title "t"
      severity error
      category data-quality
      citation "c"
      applies receipt
    \(lets)
      when \(condition)
      message "m"
    }
    """
}

/// A define's names mean what they mean where it is written: a rule's `let` of the same
/// name does not reach into it (it crashed the compiler: the define was compiled with its
/// own file's text and the `let`'s positions), and a `let` named like a visible define is
/// refused.
@Test func aLetNamedLikeADefineIsRefusedAndNeverReachesIntoOne() {
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/d.probity", text: "define a = amount < $100.00\ndefine b = not a\n"),
    SourceFile(
      path: "p/r.probity", text: rule("b", lets: "  let a = true", imports: ["d.probity"])),
  ])
  #expect(ruleSet == nil)
  #expect(diagnostics.map(\.id) == ["C0008"])
  #expect(diagnostics.first?.position?.line == 8)
}

/// A parameter the rule's file sees under the name of one the define's file sees does not
/// change the define: it reads its own file's.
@Test func aDefineReadsTheParametersOfItsOwnFile() throws {
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/l.probity", text: "param cash_limit: money = $100.00\n"),
    SourceFile(
      path: "p/a.probity", text: "import \"l.probity\"\ndefine over = amount > cash_limit\n"),
    SourceFile(
      path: "p/c.probity",
      text: "param cash_limit: money = $1,000,000.00\n"
        + rule("over", imports: ["a.probity"])),
  ])
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let condition = try #require(ruleSet?.rules.first?.condition)
  let limits = condition.nodes.compactMap { node -> Int? in
    if case .parameter(let index) = node.op { return index }
    return nil
  }
  let parameters = try #require(ruleSet?.parameters)
  #expect(limits.map { parameters[$0].site.file } == ["p/l.probity"])
}

/// Two defines of one name visible in one file (two imports, or an import and the file's
/// own), or a define and a parameter: which one a rule meant cannot be told (the first
/// import won, silently).
@Test func twoVisibleDefinesOfOneNameAreRefused() {
  let (_, twoImports) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/a.probity", text: "define big = amount > $100.00\n"),
    SourceFile(path: "p/b.probity", text: "define big = amount > $1,000,000.00\n"),
    SourceFile(path: "p/c.probity", text: rule("big", imports: ["b.probity", "a.probity"])),
  ])
  #expect(twoImports.map(\.id) == ["C0008"])
  #expect(twoImports.first?.hint?.contains("p/b.probity:1") == true)
  let (_, withParameter) = RulePackCompiler.compile(sources: [
    SourceFile(path: "p/a.probity", text: "define lim = amount > $100.00\n"),
    SourceFile(path: "p/b.probity", text: "param lim: money = $5.00\n"),
    SourceFile(path: "p/c.probity", text: rule("lim", imports: ["b.probity", "a.probity"])),
  ])
  #expect(withParameter.map(\.id).contains("C0008"))
}
