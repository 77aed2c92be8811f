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
