import Foundation
import ProbityCore
import Testing

@testable import ProbityLanguage

/// A minimal valid rule around a condition, so each case changes one thing.
func ruleFile(
  when condition: String, message: String = "found {amount}", params: String = "",
  applies: String = "receipt"
) -> String {
  """
  \(params)
  rule T-001 {
    title "test"
    severity error
    category data-quality
    citation "none"
    applies \(applies)
    when \(condition)
    message "\(message)"
  }
  """
}

func compile(_ files: [(String, String)]) -> (CompiledRuleSet?, [Diagnostic]) {
  RulePackCompiler.compile(sources: files.map { SourceFile(path: $0.0, text: $0.1) })
}

func compile(_ text: String) -> (CompiledRuleSet?, [Diagnostic]) {
  compile([("pack/test.probity", text)])
}

/// One expected diagnostic: id, line:col of its start, and (part of) its hint.
struct Expected: CustomStringConvertible {
  let id: String
  let line: Int
  let column: Int
  let hint: String?

  init(_ id: String, _ line: Int, _ column: Int, hint: String? = nil) {
    self.id = id
    self.line = line
    self.column = column
    self.hint = hint
  }

  var description: String { "\(id)@\(line):\(column)" }
}

struct DiagnosticCase: CustomStringConvertible, Sendable {
  let name: String
  let source: String
  let expected: [(String, Int, Int, String?)]

  var description: String { name }
}

let diagnosticCases: [DiagnosticCase] = [
  DiagnosticCase(
    name: "unknown field with a near name", source: ruleFile(when: "amout > $100.00"),
    expected: [("C0001", 8, 8, "did you mean 'amount'?")]),
  DiagnosticCase(
    name: "unknown function", source: ruleFile(when: "uper(name) == \"X\""),
    expected: [("C0003", 8, 8, "did you mean 'upper'?")]),
  DiagnosticCase(
    name: "money compared with an integer", source: ruleFile(when: "amount > 100"),
    expected: [("C0005", 8, 8, "currency symbol")]),
  // A declaration named by a word of the language could never be used (`true` is the
  // value, `and` the operator): said where it is named, once, and checked on.
  DiagnosticCase(
    name: "a define named by a word of the language",
    source: ruleFile(when: "amount > $5.00", params: "define true = amount > $1.00"),
    expected: [("P0023", 1, 8, "name it another way")]),
  DiagnosticCase(
    name: "a parameter named by a rule property",
    source: ruleFile(when: "amount > $5.00", params: "param when: money = $1.00"),
    expected: [("P0023", 1, 7, "name it another way")]),
  DiagnosticCase(
    name: "a let named by a word of the language",
    source: ruleFile(when: "amount > $5.00").replacingOccurrences(
      of: "  when", with: "  let missing = amount\n  when"),
    expected: [("P0023", 8, 7, "name it another way")]),
  // A number of days out of range is said (`due within 40000` was dropped without an
  // error: the rule had no deadline), and its `days` read.
  DiagnosticCase(
    name: "a deadline too far", source: ruleFile(when: "amount > $5.00\n  due within 40000 days"),
    expected: [("P0020", 9, 14, "from 0 to 36500")]),
  DiagnosticCase(
    name: "a deadline too far, used in the message: the deadline still stands for the check",
    source: ruleFile(
      when: "amount > $5.00\n  due within 40000 days", message: "due by {deadline}"),
    expected: [("P0020", 9, 14, "from 0 to 36500")]),
  DiagnosticCase(
    name: "a deadline before its day",
    source: ruleFile(when: "amount > $5.00\n  due within -5 days", message: "by {deadline}"),
    expected: [("P0020", 9, 14, "from 0 to 36500")]),
  DiagnosticCase(
    name: "a deadline too far, without 'days'",
    source: ruleFile(when: "amount > $5.00\n  due within 40000"),
    expected: [("P0020", 9, 14, "from 0 to 36500"), ("P0010", 10, 3, nil)]),
  // A comparison with the literal `missing` (SQL's `= NULL`) is missing whatever the
  // record: an error with the question to ask instead (it was a warning of lint alone, and
  // a rule undetermined on every record).
  DiagnosticCase(
    name: "a field compared with missing", source: ruleFile(when: "name == missing"),
    expected: [("C0029", 8, 8, "missing(name)")]),
  DiagnosticCase(
    name: "missing compared with a field, not equal",
    source: ruleFile(when: "amount > $1.00 and missing != employer"),
    expected: [("C0029", 8, 27, "present(employer)")]),
  DiagnosticCase(
    name: "missing in an order", source: ruleFile(when: "amount > missing"),
    expected: [("C0029", 8, 8, "no order")]),
  // A list left open is said once (it was also "expected ']'" at the same token).
  DiagnosticCase(
    name: "a list left open", source: ruleFile(when: "amount in [$1.00, $2.00"),
    expected: [("P0010", 9, 3, nil)]),
  DiagnosticCase(
    name: "a list left open after a comma", source: ruleFile(when: "amount in [$1.00, $2.00,"),
    expected: [("P0010", 8, 31, nil)]),
  // A quoted string inside a message's hole is one error with the way to write it (it
  // was an unexpected '\', an unterminated string and more).
  DiagnosticCase(
    name: "a string inside a hole",
    source: ruleFile(when: "amount > $5.00", message: "{name ?? \\\"x\\\"} gave"),
    expected: [("P0017", 9, 12, "name the value with a let")]),
  // A '}' inside that string does not end the hole: one error, not a second for the
  // '}' left over.
  DiagnosticCase(
    name: "a string holding a brace inside a hole",
    source: ruleFile(when: "amount > $5.00", message: "{name ?? \\\"}\\\"} gave"),
    expected: [("P0017", 9, 12, "name the value with a let")]),
  // Any other escape inside a hole is one error too (`{amount\\}` was an unexpected
  // '\' twice and a '}' expected).
  DiagnosticCase(
    name: "an escape inside a hole",
    source: ruleFile(when: "amount > $5.00", message: "{amount\\\\} gave"),
    expected: [("P0017", 9, 12, "outside it for a backslash")]),
  DiagnosticCase(
    name: "an escaped brace inside a hole",
    source: ruleFile(when: "amount > $5.00", message: "{amount\\} gave"),
    expected: [("P0022", 9, 19, "a string knows")]),
  DiagnosticCase(
    name: "a line break written inside a hole",
    source: ruleFile(when: "amount > $5.00", message: "{amount\\n} gave"),
    expected: [("P0017", 9, 12, "outside it for a backslash")]),
  // A string in a hole never closed: the first '}' ends the hole.
  DiagnosticCase(
    name: "a string never closed inside a hole",
    source: ruleFile(when: "amount > $5.00", message: "{name ?? \\\"x} gave"),
    expected: [("P0017", 9, 12, "name the value with a let")]),
  // An amount's thousands grouped wrong is one error on the amount, with the grouping
  // hint (was "unexpected character '.'", or the line ending at the comma).
  DiagnosticCase(
    name: "an amount grouped by two", source: ruleFile(when: "amount > $1,00.00"),
    expected: [("P0003", 8, 17, "group three digits")]),
  DiagnosticCase(
    name: "an amount's cents after a comma", source: ruleFile(when: "amount > $1,000,00"),
    expected: [("P0003", 8, 17, "group three digits")]),
  DiagnosticCase(
    name: "an amount grouped by four", source: ruleFile(when: "amount > $1,0000.00"),
    expected: [("P0003", 8, 17, "group three digits")]),
  DiagnosticCase(
    name: "an amount grouped by four, without cents", source: ruleFile(when: "amount > $1,0000"),
    expected: [("P0003", 8, 17, "group three digits")]),
  DiagnosticCase(
    name: "an amount grouped by four, then a minus",
    source: ruleFile(when: "amount > $1,0000-$1.00"),
    expected: [("P0003", 8, 17, "group three digits")]),

  DiagnosticCase(
    name: "money times money", source: ruleFile(when: "amount * amount > $1.00"),
    expected: [("C0006", 8, 8, nil)]),
  DiagnosticCase(
    name: "condition not boolean", source: ruleFile(when: "amount + $1.00"),
    expected: [("C0011", 8, 8, "compare it")]),
  DiagnosticCase(
    name: "unknown severity and category",
    source: """
      rule T-001 {
        title "t"
        severity eror
        category cash-over-limt
        citation "c"
        applies receipt
        when true
        message "m"
      }
      """,
    expected: [
      ("P0014", 3, 12, "did you mean 'error'?"),
      ("P0015", 4, 12, "did you mean 'cash-over-limit'?"),
    ]),
  DiagnosticCase(
    name: "missing properties", source: "rule T-002 {\n  title \"t\"\n}\n",
    expected: [
      ("P0012", 1, 6, nil), ("P0012", 1, 6, nil), ("P0012", 1, 6, nil), ("P0012", 1, 6, nil),
      ("P0012", 1, 6, nil),
      ("P0012", 1, 6, nil),
    ]),
  DiagnosticCase(
    name: "duplicate rule ids",
    source: ruleFile(when: "true") + "\n" + ruleFile(when: "true"),
    expected: [("C0007", 12, 6, "first used at pack/test.probity:2:6")]),
  DiagnosticCase(
    name: "syntax error then more errors",
    source: ruleFile(when: "amount > > $1.00 and nme == \"x\""),
    expected: [("P0010", 8, 17, nil), ("C0001", 8, 29, "did you mean 'name'?")]),
  DiagnosticCase(
    name: "unterminated string", source: ruleFile(when: "name == \"oops"),
    expected: [("P0002", 8, 16, "close it")]),
  DiagnosticCase(
    name: "a table whose amounts are in two currencies",
    source: ruleFile(
      when: "amount > $1.00",
      params: "param lim: money by year {\n  2023..2024: $3,300.00\n  2025..2026: £3,500.00\n}"),
    expected: [("C0016", 3, 15, "one currency")]),
  DiagnosticCase(
    name: "a list of amounts in two currencies", source: ruleFile(when: "amount in [$1.00, £2.00]"),
    expected: [("C0016", 8, 26, "one currency")]),
  DiagnosticCase(
    name: "?? between amounts in two currencies",
    source: ruleFile(
      when: "(cash_limit ?? £5.00) > amount", params: "param cash_limit: money = $100.00"),
    expected: [("C0016", 8, 9, nil)]),
  DiagnosticCase(
    name: "a table's amount against another currency's",
    source: ruleFile(
      when: "usd[2024] > £5.00", params: "param usd: money by year {\n  2023..2024: $3,300.00\n}"),
    expected: [("C0016", 10, 8, nil)]),
  DiagnosticCase(
    name: "an unknown escape in a string, in a condition and in a message",
    source: ruleFile(when: "matches(zip, \"^\\d{5}$\")", message: "m \\q"),
    expected: [("P0022", 8, 23, "a pattern's \\d is \"\\\\d\""), ("P0022", 9, 14, nil)]),
  DiagnosticCase(
    name: "every missing property is named",
    source: "rule T-002 {\n  title \"t\"\n  when true\n}\n",
    expected: [
      ("P0012", 1, 6, nil), ("P0012", 1, 6, nil), ("P0012", 1, 6, nil), ("P0012", 1, 6, nil),
      ("P0012", 1, 6, nil),
    ]),
  DiagnosticCase(
    name: "an empty title, a blank citation and an empty message are none",
    source:
      "rule T-003 {\n  title \"\"\n  severity error\n  category data-quality\n  citation \"  \"\n  applies receipt\n  when true\n  message \"\"\n}\n",
    expected: [
      ("P0012", 2, 9, "in a few words"), ("P0012", 5, 12, "names the law"),
      ("P0012", 8, 11, "what the record shows"),
    ]),
  DiagnosticCase(
    name: "a kind named twice",
    source: ruleFile(when: "true").replacingOccurrences(
      of: "applies receipt", with: "applies receipt, receipt"),
    expected: [("P0013", 7, 20, "name each kind once")]),
  DiagnosticCase(
    name: "a year of two digits in a table",
    source: ruleFile(
      when: "amount > lim[2024]", params: "param lim: money by year {\n  24: $3,300.00\n}"),
    expected: [("P0020", 2, 3, "four digits")]),
  DiagnosticCase(
    name: "single equals", source: ruleFile(when: "payment_method = \"cash\""),
    expected: [("P0010", 8, 23, "write '==' to compare")]),
  DiagnosticCase(
    name: "field not on the record kind",
    source: ruleFile(when: "employer == \"x\"", applies: "disbursement"),
    expected: [("C0010", 8, 8, nil)]),
  DiagnosticCase(
    name: "table parameter without index",
    source: ruleFile(
      when: "amount > limit", params: "param limit: money by year {\n 2023..2024: $3,300.00\n}"),
    expected: [("C0012", 10, 17, "index it by a year")]),
  DiagnosticCase(
    name: "table indexed by the wrong type",
    source: ruleFile(
      when: "amount > limit[date]",
      params: "param limit: money by year {\n 2023..2024: $3,300.00\n}"),
    expected: [("C0021", 10, 23, "limit[year(date)]")]),
  DiagnosticCase(
    name: "overlapping table entries",
    source: "param limit: money by year {\n 2021..2022: $2,900.00\n 2022..2024: $3,300.00\n}\n",
    expected: [("C0014", 3, 2, nil)]),
  DiagnosticCase(
    name: "invalid regex", source: ruleFile(when: "matches(name, \"[A-\")"),
    expected: [("C0015", 8, 22, nil)]),
  DiagnosticCase(
    name: "currency mismatch between literals", source: ruleFile(when: "$1.00 < £2.00"),
    expected: [("C0016", 8, 8, nil)]),
  DiagnosticCase(
    name: "wrong argument count", source: ruleFile(when: "starts_with(name)"),
    expected: [("C0004", 8, 8, nil)]),
  DiagnosticCase(
    name: "unknown name in a template", source: ruleFile(when: "true", message: "over {cash_limt}"),
    expected: [("C0001", 9, 18, "import")]),
  DiagnosticCase(
    name: "unclosed template brace", source: ruleFile(when: "true", message: "over {amount"),
    expected: [("P0017", 9, 17, "'{{'")]),
  DiagnosticCase(
    name: "unexpected character", source: ruleFile(when: "memo && true"),
    expected: [("P0001", 8, 13, "write 'and'")]),
  DiagnosticCase(
    name: "mixed list", source: ruleFile(when: "entity_type in [\"IND\", 3]"),
    expected: [("C0019", 8, 31, nil)]),
  DiagnosticCase(
    name: "division", source: ruleFile(when: "amount / 2 > $1.00"),
    expected: [("C0017", 8, 8, nil)]),
  DiagnosticCase(
    name: "parameter value not constant", source: "param p: money = amount\n",
    expected: [("C0005", 1, 18, nil)]),
  DiagnosticCase(
    name: "parameter declared type mismatch", source: "param p: money = 100\n",
    expected: [("C0005", 1, 18, "currency symbol")]),
  DiagnosticCase(
    name: "top-level garbage recovers", source: "rul T-1 {}\n" + ruleFile(when: "amout > $1.00"),
    expected: [("P0010", 1, 1, "did you mean 'rule'?"), ("C0001", 9, 8, "did you mean 'amount'?")]),
  DiagnosticCase(
    name: "lets that use each other: C0028 where the cycle closes",
    source: """
      rule T-001 {
        title "t"
        severity error
        category data-quality
        citation "c"
        applies receipt
        let a = b + $1.00
        let b = a + $1.00
        when amount > a
        message "m"
      }
      """,
    expected: [("C0028", 8, 11, "directly or through other names")]),
  DiagnosticCase(
    name: "a define that uses itself: C0028, not an unknown name",
    source: ruleFile(when: "amount > z", params: "define z = z + $1.00"),
    expected: [("C0028", 1, 12, "cannot use itself")]),
  DiagnosticCase(
    name: "a define that failed where it stands says nothing more where it is used",
    source: ruleFile(when: "amount > y", params: "define x = amout + $1.00\ndefine y = x"),
    expected: [("C0001", 1, 12, "did you mean 'amount'?")]),
  DiagnosticCase(
    name: "a parameter whose value failed is not an unknown name where it is used",
    source: ruleFile(when: "amount > limit", params: "param limit: money = $1.00 + \"x\""),
    expected: [("C0005", 1, 22, nil)]),
  DiagnosticCase(
    name: "a parameter without its type: said, and its uses checked against its value's type",
    source: ruleFile(
      when: "amount > limit and amount > \"s\"", params: "param limit = $1.00"),
    expected: [("P0010", 1, 13, "param limit: TYPE = ..."), ("C0005", 8, 27, nil)]),
  DiagnosticCase(
    name: "a parameter of an unknown type is not an unknown name where it is used",
    source: ruleFile(when: "amount > cap", params: "param cap: monye = $2.00"),
    expected: [("P0018", 1, 12, "did you mean 'money'?")]),
  DiagnosticCase(
    name: "a word left after a condition is no property, and the next line is still read",
    source: """
      rule T-001 {
        title "t" foo
        severity error
        category data-quality
        citation "c"
        applies receipt
        when amount > $5.00 amount < $9.00
        wen amount > $1.00
        message "m"
      }
      """,
    expected: [
      ("P0010", 2, 13, "its own line"), ("P0010", 7, 23, "join them with 'and', 'or'"),
      ("P0011", 8, 3, "did you mean 'when'?"),
    ]),
  DiagnosticCase(
    name: "what is left of a line with an error says nothing more",
    source: """
      rule T-001 {
        title "t"
        severity error
        category data-quality
        citation "c"
        applies to receipts
        when amount > $5.00
        message "m"
      }
      """,
    expected: [("P0016", 6, 11, "one of: receipt, disbursement")]),
  DiagnosticCase(
    name: "a let no part of the rule uses is checked all the same",
    source: ruleFile(when: "amount > $5.00").replacingOccurrences(
      of: "  when", with: "  let unused = nme * amount\n  let money = amount * amount\n  when"),
    expected: [
      ("C0001", 8, 16, "did you mean 'name'?"), ("C0006", 9, 15, nil),
    ]),
  DiagnosticCase(
    name: "an expression left unfinished at the end of its line does not take the next line",
    source: """
      define d = amount >
      param cash_limit: money = $100.00
      rule T-001 {
        title "t"
        severity error
        category data-quality
        citation "c"
        applies receipt
        group by name,
        let total = sum(amount) +
        when total >
        message "m {cash_limit}"
      }
      """,
    expected: [
      ("P0010", 1, 19, "finish the expression on its line"),
      ("P0010", 9, 16, "finish the expression on its line"),
      ("P0010", 10, 27, "finish the expression on its line"),
      ("P0010", 11, 14, "finish the expression on its line"),
    ]),
  DiagnosticCase(
    name: "a rule id written wrong: said, and its body still read and checked",
    source: """
      rule US-X- {
        title "t"
        severty error
        category data-quality
        citation "c"
        applies receipt
        when amont > $1.00
        message "m"
      }
      """,
    expected: [
      ("P0010", 1, 10, nil), ("P0011", 3, 3, "did you mean 'severity'?"),
      ("C0001", 7, 8, "did you mean 'amount'?"),
    ]),
  DiagnosticCase(
    name: "deep nesting is refused, not a crash",
    source: ruleFile(
      when: String(repeating: "(", count: 10_000) + "true" + String(repeating: ")", count: 10_000)),
    expected: [("P0019", 8, 208, nil)]),
]

@Test("diagnostics: source → ids, positions and hints", arguments: diagnosticCases)
func diagnostics(_ testCase: DiagnosticCase) {
  let (ruleSet, diagnostics) = compile(testCase.source)
  let got = diagnostics.map { d -> String in
    let p = d.position ?? (0, 0)
    return "\(d.id)@\(p.line):\(p.column)"
  }
  let want = testCase.expected.map { "\($0.0)@\($0.1):\($0.2)" }
  #expect(got == want, "\(diagnostics.map { $0.rendered() }.joined(separator: "\n"))")
  #expect(ruleSet == nil)
  for (diagnostic, expected) in zip(diagnostics, testCase.expected) {
    if let hint = expected.3 {
      #expect(
        diagnostic.hint?.contains(hint) == true,
        "hint of \(diagnostic.id): \(diagnostic.hint ?? "none")")
    }
  }
}

@Test func renderedDiagnosticShowsLineAndCaret() {
  let (_, diagnostics) = compile(ruleFile(when: "amout > $100.00"))
  #expect(
    diagnostics.first?.rendered() == """
      pack/test.probity:8:8: error[C0001]: unknown field or parameter 'amout'
       8 |   when amout > $100.00
         |        ^~~~~
         = help: did you mean 'amount'?
      """)
}

@Test func importsShareParametersBetweenFiles() {
  let limits = "param cash_limit: money = $100.00\n"
  let rules = "import \"limits.probity\"\n" + ruleFile(when: "amount > cash_limit")
  let (ruleSet, diagnostics) = compile([
    ("pack/limits.probity", limits), ("pack/rules.probity", rules),
  ])
  #expect(diagnostics.isEmpty)
  #expect(ruleSet?.rules.count == 1)
  // Without the import the name is unknown, and the hint says to import it.
  let (_, withoutImport) = compile([
    ("pack/limits.probity", limits), ("pack/rules.probity", ruleFile(when: "amount > cash_limit")),
  ])
  #expect(withoutImport.map(\.id) == ["C0001"])
  #expect(withoutImport.first?.hint?.contains("import") == true)
}

@Test func missingImportIsReported() {
  let (_, diagnostics) = compile("import \"limts.probity\"\n")
  #expect(diagnostics.map(\.id) == ["L0001"])
}

@Test func dateTablesLookUpByDate() throws {
  let source = """
    param threshold: money by date {
      from 2001-02-16: £7,500.00
      from 2024-01-01: £11,180.00
    }
    param by_year: money by year {
      2023..2024: $3,300.00
      2025..2026: $3,500.00
    }
    """
  let (ruleSet, diagnostics) = compile(source)
  #expect(diagnostics.isEmpty)
  let parameters = try #require(ruleSet?.parameters)
  let threshold = parameters[0]
  let before = try #require(CivilDate(year: 2023, month: 12, day: 31))
  let after = try #require(CivilDate(year: 2024, month: 1, day: 1))
  let early = try #require(CivilDate(year: 2000, month: 1, day: 1))
  #expect(threshold.lookup(.date(before)) == .money(Money(units: 7500, currency: .gbp)))
  #expect(threshold.lookup(.date(after)) == .money(Money(units: 11180, currency: .gbp)))
  #expect(threshold.lookup(.date(early)) == .missing)
  #expect(parameters[1].lookup(.integer(2024)) == .money(Money(units: 3300, currency: .usd)))
  #expect(parameters[1].lookup(.integer(2026)) == .money(Money(units: 3500, currency: .usd)))
  #expect(parameters[1].lookup(.integer(2027)) == .missing)
}

/// Reference lists read by a plain first-column reader (the tool reads them through
/// libcsv, tested end to end).
let firstColumnLists: RulePackCompiler.ListLoader = { path, _ in
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
    return .failure(ListLoadError(reason: "cannot read \(path)"))
  }
  return .success(
    text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) })
}

/// The package's root folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// The bundled packs compile clean.
@Test(arguments: ["Rules/us-federal", "Rules/uk-ppera"])
func bundledPacksCompileClean(_ pack: String) throws {
  let (ruleSet, diagnostics) = RulePackLoader.load(
    path: packageRoot.appendingPathComponent(pack).path, listLoader: firstColumnLists)
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  #expect((ruleSet?.rules.count ?? 0) >= 5)
}

/// A grouped rule around a condition, so each case changes one thing.
func groupedRule(
  _ clauses: String, when condition: String = "sum(amount) > $100.00", message: String = "over"
)
  -> String
{
  """
  rule G-001 {
    title "test"
    severity error
    category excessive-contribution
    citation "none"
    applies receipt
    \(clauses)
    when \(condition)
    message "\(message)"
  }
  """
}

let groupedCases: [DiagnosticCase] = [
  DiagnosticCase(
    name: "a rolling window of no days",
    source: groupedRule("group by name\n  window rolling 0 days"),
    expected: [("P0020", 8, 18, "from 1 to 36500")]),
  DiagnosticCase(
    name: "aggregate outside a grouped rule", source: ruleFile(when: "sum(amount) > $1.00"),
    expected: [("C0022", 8, 8, "group by")]),
  DiagnosticCase(
    name: "nested aggregate",
    source: groupedRule("group by name", when: "sum(sum(amount)) > $1.00"),
    expected: [("C0023", 8, 12, nil)]),
  DiagnosticCase(
    name: "aggregate in a group key", source: groupedRule("group by sum(amount)"),
    expected: [("C0022", 7, 12, "use 'sum' in 'when' or a 'let'")]),
  DiagnosticCase(
    name: "aggregate in the where of a rule that groups: no hint to add a group",
    source: groupedRule("where sum(amount) > $1.00\n  group by name"),
    expected: [("C0022", 7, 9, "evaluated on each record alone")]),
  DiagnosticCase(
    name: "sum of a string", source: groupedRule("group by name", when: "sum(name) > $1.00"),
    expected: [("C0005", 8, 12, nil)]),
  DiagnosticCase(
    name: "unknown window", source: groupedRule("window fortnight"),
    expected: [("P0010", 7, 10, nil)]),
  DiagnosticCase(
    name: "window on a non-date", source: groupedRule("window calendar-year on amount"),
    expected: [("C0005", 7, 27, nil)]),
  DiagnosticCase(
    name: "cure without a group",
    source: ruleFile(when: "amount > $1.00").replacingOccurrences(
      of: "when", with: "cure within 60 days\n  when"),
    expected: [("C0024", 8, 15, nil)]),
  DiagnosticCase(
    name: "deadline without cure", source: groupedRule("group by name", message: "by {deadline}"),
    expected: [("C0005", 9, 16, "cure within")]),
  DiagnosticCase(
    name: "deadline in a where",
    source: groupedRule(
      "where deadline > as_of\n  group by name\n  window election\n  cure within 60 days"),
    expected: [("C0005", 7, 9, "before its group and deadline are known")]),
  DiagnosticCase(
    name: "deadline in the where of a rule on single records",
    source: ruleFile(when: "amount > $1.00").replacingOccurrences(
      of: "when", with: "where deadline > as_of\n  due within 30 days\n  when"),
    expected: [("C0005", 8, 9, "before its group and deadline are known")]),
  DiagnosticCase(
    name: "window in a where of a rule without a window",
    source: groupedRule("where window == \"x\"\n  group by name"),
    expected: [("C0005", 7, 9, "window calendar-year")]),
  DiagnosticCase(
    name: "window in a group key",
    source: groupedRule("group by name, window\n  window election"),
    expected: [("C0005", 7, 18, "use 'window' in 'when'")]),
  DiagnosticCase(
    name: "window in a window's date",
    source: groupedRule(
      "group by name\n  window calendar-year on if window == \"x\" then date else date"),
    expected: [("C0005", 8, 30, nil)]),
  DiagnosticCase(
    name: "deadline in an aggregate's argument",
    source: groupedRule(
      "group by name\n  window election\n  cure within 60 days",
      when: "max(deadline) > as_of"),
    expected: [("C0005", 10, 12, nil)]),
  DiagnosticCase(
    name: "window name without a window",
    source: groupedRule("group by name", message: "in {window}"),
    expected: [("C0005", 9, 16, "window calendar-year")]),
  DiagnosticCase(
    name: "if branches of two types",
    source: ruleFile(when: "(if memo then amount else \"x\") == amount"),
    expected: [("C0005", 8, 9, nil)]),
  DiagnosticCase(
    name: "let that names a field",
    source: groupedRule("group by name\n  let amount = sum(amount)"),
    expected: [("C0008", 8, 7, nil)]),
  DiagnosticCase(
    name: "reference list without a loader",
    source: "list contractors from \"lists/c.csv\" column \"name\" key org_key\n",
    expected: [("L0004", 1, 23, nil)]),
  DiagnosticCase(
    name: "reference list with an unknown key function",
    source: "list contractors from \"lists/c.csv\" column \"name\" key org_ky\n",
    expected: [("C0025", 1, 55, "did you mean 'org_key'?")]),
]

@Test("diagnostics of rules across records", arguments: groupedCases)
func groupedDiagnostics(_ testCase: DiagnosticCase) {
  diagnostics(testCase)
}

@Test func groupedRuleCompilesWithItsParts() throws {
  let source = groupedRule(
    """
    where entity_type == "IND" and not memo
      group by person_key(name), zip5(zip)
      window election
      let total = sum(if kind == "receipt" then amount else -amount)
      cure within 60 days
    """, when: "total > $3,300.00 and count() >= 2", message: "{total} by {deadline} in {window}")
  let (ruleSet, diagnostics) = compile(source)
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let rule = try #require(ruleSet?.rules.first)
  let grouping = try #require(rule.grouping)
  #expect(grouping.keys.count == 2)
  #expect(grouping.window?.kind == .election)
  #expect(grouping.cureDays == 60)
  #expect(grouping.fires == .crossing)
  #expect(
    grouping.aggregates.map(\.text) == [
      "sum(if kind == \"receipt\" then amount else -amount)", "count()",
    ])
  #expect(rule.filter != nil)
}

@Test func referenceListsLoadThroughTheLoader() throws {
  let source = SourceFile(
    path: "pack/rules.probity",
    text: "list contractors from \"lists/c.csv\" column \"name\" key org_key\n"
      + ruleFile(when: "org_key(name) in contractors"))
  let (ruleSet, diagnostics) = RulePackCompiler.compile(
    sources: [source],
    listLoader: { path, column in
      #expect(path == "pack/lists/c.csv")
      #expect(column == "name")
      return .success(["Acme Widgets, Inc.", "Beta Corp"])
    })
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let list = try #require(ruleSet?.parameters.first)
  guard case .set(let entries) = list.definition else {
    Issue.record("not a set")
    return
  }
  #expect(entries == ["ACME WIDGETS INC", "BETA CORP"])
  let (_, failed) = RulePackCompiler.compile(
    sources: [source], listLoader: { _, _ in .failure(ListLoadError(reason: "no such file")) })
  #expect(failed.map(\.id) == ["L0004"])
}

/// An entry the key function gives no key for could never match: the list is refused,
/// never used with it left out (`2134` under zip5: a ZIP code that lost its leading zero).
@Test func aListEntryWithNoKeyIsAnError() {
  let source = SourceFile(
    path: "pack/rules.probity",
    text: "list zips from \"lists/z.csv\" column \"zip\" key zip5\n"
      + ruleFile(when: "zip5(zip) in zips"))
  let (ruleSet, diagnostics) = RulePackCompiler.compile(
    sources: [source], listLoader: { _, _ in .success(["02134", "2134", "10001-1234"]) })
  #expect(ruleSet == nil)
  #expect(diagnostics.map(\.id) == ["L0004"])
  #expect(diagnostics.first?.message.contains("1 entry has no zip5 key: \"2134\"") == true)
}

extension String {
  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    components(separatedBy: target).joined(separator: replacement)
  }
}

/// A comment ends at a line end of any kind, CR alone too (old Mac files), as `probity
/// fmt` reads it: such a file was one comment, 0 rules and no error.
@Test func aCommentEndsAtACarriageReturnAlone() throws {
  let text = ruleFile(
    when: "amount > cash_limit", params: "# cash\nparam cash_limit: money = $100.00"
  )
  .replacingOccurrences(of: "\n", with: "\r")
  let (ruleSet, diagnostics) = compile(text)
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  #expect(ruleSet?.rules.map(\.id) == ["T-001"])
}

/// Lines end at LF, CRLF or a CR alone: a file with old Mac line ends has its errors at
/// their lines, with the line shown under them (it was all line 1, shown whole).
@Test(arguments: ["\n", "\r\n", "\r"])
func diagnosticsAreAtTheirLinesWhateverTheLineEnds(_ ending: String) {
  let (_, diagnostics) = compile(
    ruleFile(when: "amout > $100.00").replacingOccurrences(of: "\n", with: ending))
  #expect(
    diagnostics.first?.rendered() == """
      pack/test.probity:8:8: error[C0001]: unknown field or parameter 'amout'
       8 |   when amout > $100.00
         |        ^~~~~
         = help: did you mean 'amount'?
      """)
  // A string left open ends at its line's end, whatever ends it: one error at its line.
  let (_, open) = compile(
    ruleFile(when: "amount > $1.00").replacingOccurrences(of: "\"test\"", with: "\"test")
      .replacingOccurrences(of: "\n", with: ending))
  #expect(open.map(\.id) == ["P0002"], "\(open.map { $0.rendered() })")
  #expect(open.first?.position?.line == 3)
  let mixed = SourceFile(path: "x", text: "a\rb\r\nc\nd")
  #expect(mixed.lineStarts == [0, 2, 5, 7])
  #expect((0..<8).map { mixed.line(of: $0) } == [1, 1, 2, 2, 2, 3, 3, 4])
  #expect((1...4).map { mixed.lineText($0) } == ["a", "b", "c", "d"])
}

/// A table on one line, its entries parted by commas without spaces: the next year's or
/// date's key after a comma is no part of the amount before it (`$1,00.00` is one bad
/// amount, P0003, but `$3,300,2025:` is an amount and the next entry's key).
@Test func aTablesEntriesPartedByCommasWithoutSpaces() throws {
  let (ruleSet, diagnostics) = compile(
    ruleFile(
      when: "amount > t[2024] and amount > u[2025] and amount > v[2024-06-01]",
      params: """
        param t: money by year { 2024: $3,300,2025: $3,500,2026 : $3,600 }
        param u: money by year { 2023..2024: $3300,2025..2026: $3500,2027 .. 2028: $3,700 }
        param v: money by date { from 2024-01-01: $1,000,from 2025-01-01: $2,000 }
        """))
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let parameters = try #require(ruleSet?.parameters)
  #expect(parameters.map(\.name) == ["t", "u", "v"])
}

/// C0028 names the whole cycle, from the name used to itself again.
@Test func aCycleOfLetsIsNamedWhole() throws {
  let source = """
    rule T-001 {
      title "t"
      severity error
      category data-quality
      citation "c"
      applies receipt
      let a = b + $1.00
      let b = c
      let c = a
      when amount > a
      message "m"
    }
    """
  let (_, diagnostics) = compile(source)
  #expect(diagnostics.map(\.id) == ["C0028"])
  #expect(diagnostics.first?.message == "'a' is defined in terms of itself: a uses b uses c uses a")
}

/// `window` is a property and a name the rules read: a condition may go on with it on
/// the next line (it was taken for the property, five errors).
@Test func aConditionGoesOnWithWindowOnTheNextLine() {
  let source = """
    rule T-001 {
      title "t"
      severity error
      category data-quality
      citation "c"
      applies receipt
      group by name
      window calendar-year
      when sum(amount) > $1.00 and
        window != "2001"
      message "m"
    }
    """
  let (ruleSet, diagnostics) = compile(source)
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  #expect(ruleSet != nil)
}
