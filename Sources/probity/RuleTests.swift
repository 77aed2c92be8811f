import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage

/// A rule test file (`PACK/tests/*.probity-test`, docs/ci.md): example records in a
/// filing format the readers know, grouped into cases, each row saying which findings
/// it must raise.
///
///     format csv                      # an --input-format name (default csv)
///     header kind,transaction_id,...  # the header line of every case's filing
///     as-of 2024-12-31                # optional, for every case after it
///
///     case "cash over $100 fires"
///       receipt,T1,...,cash,250.00 => US-CASH-001
///       receipt,T2,...,check,250.00
///
/// A row's `=> RULE-ID, RULE-ID` names the findings expected on that record; a row
/// without one expects none. `evaluation-error RULE-ID` among them expects that rule to
/// be an evaluation error on the record instead (an excess whose refund cannot be placed,
/// say). Every finding and evaluation error must be expected and every expectation met.
struct RuleTestFile {
  struct Row {
    let line: Int
    let text: String
    let expected: [String]
    var expectedErrors: [String] = []
  }

  /// The word before a rule id that expects an evaluation error of it, not a finding.
  static let evaluationErrorWord = "evaluation-error"

  struct Case {
    let name: String
    let line: Int
    var header: String?
    var format: InputFormat
    var mappingPath: String?
    var asOf: CivilDate?
    var rows: [Row] = []
  }

  let path: String
  var cases: [Case] = []

  static let fileExtension = "probity-test"

  /// Parses a test file; problems are diagnostics with the file and line.
  static func parse(_ text: String, path: String) -> (
    file: RuleTestFile?, diagnostics: [Diagnostic]
  ) {
    var file = RuleTestFile(path: path)
    var problems: [Diagnostic] = []
    var header: String?
    var format = InputFormat.csv
    var mappingPath: String?
    var asOf: CivilDate?
    var current: Case?
    func problem(_ line: Int, _ message: String, hint: String? = nil) {
      problems.append(
        Diagnostic(id: "T0001", message: message, file: path, line: line, hint: hint))
    }
    let directives = ["format", "mapping", "header", "as-of", "case"]
    for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let number = offset + 1
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let word = String(trimmed.prefix { $0 != " " && $0 != "\t" })
      let rest = String(trimmed.dropFirst(word.count).drop { $0 == " " || $0 == "\t" })
      switch word {
      case "case":
        if let current { file.cases.append(current) }
        guard rest.hasPrefix("\""), rest.count >= 2, rest.hasSuffix("\"") else {
          problem(
            number, "a case is named in double quotes", hint: "write: case \"cash over $100\"")
          current = nil
          continue
        }
        current = Case(
          name: String(rest.dropFirst().dropLast()), line: number, header: header, format: format,
          mappingPath: mappingPath, asOf: asOf)
      case "format":
        guard let named = InputFormat(rawValue: rest) else {
          let names = InputFormat.allCases.map(\.rawValue)
          problem(
            number, "unknown format '\(rest)'",
            hint: NearNames.hint(for: rest, among: names)
              ?? "one of: \(names.joined(separator: ", "))")
          continue
        }
        if current != nil {
          problem(number, "'format' goes before the cases it applies to")
        }
        format = named
      case "mapping":
        guard rest.hasPrefix("\""), rest.count >= 2, rest.hasSuffix("\"") else {
          problem(number, "a mapping is named in double quotes, relative to the test file")
          continue
        }
        if current != nil { problem(number, "'mapping' goes before the cases it applies to") }
        mappingPath = String(rest.dropFirst().dropLast())
      case "header":
        if current != nil { problem(number, "'header' goes before the cases it applies to") }
        header = rest
      case "as-of":
        switch DateFormat.isoDate.parse(Substring(rest)) {
        case .success(let date):
          if current != nil { current?.asOf = date } else { asOf = date }
        case .failure(let reason):
          problem(number, "as-of \(rest): \(reason)", hint: "write the date as YYYY-MM-DD")
        }
      default:
        guard current != nil else {
          problem(
            number, "a record outside a case",
            hint: NearNames.hint(for: word, among: directives)
              ?? "start a case first: case \"what it shows\"")
          continue
        }
        let (record, expectation) = splitExpectation(String(trimmed))
        var expected: [String] = []
        var expectedErrors: [String] = []
        if let expectation {
          let names = expectation.split { $0 == "," || $0 == " " || $0 == "\t" }.map(String.init)
          if names.isEmpty {
            problem(
              number, "'=>' names no rule",
              hint: "write '=> US-CASH-001', or leave '=>' out for none")
          }
          var position = 0
          while position < names.count, names != ["none"] {
            guard names[position] == RuleTestFile.evaluationErrorWord else {
              expected.append(names[position])
              position += 1
              continue
            }
            guard position + 1 < names.count else {
              problem(
                number, "'\(RuleTestFile.evaluationErrorWord)' names no rule",
                hint: "write '=> \(RuleTestFile.evaluationErrorWord) US-REMEDY-001'")
              break
            }
            expectedErrors.append(names[position + 1])
            position += 2
          }
        }
        current?.rows.append(
          Row(line: number, text: record, expected: expected, expectedErrors: expectedErrors))
      }
    }
    if let current { file.cases.append(current) }
    for testCase in file.cases where testCase.rows.isEmpty {
      problem(testCase.line, "case \"\(testCase.name)\" has no records")
    }
    if file.cases.isEmpty && problems.isEmpty {
      problem(1, "no cases in the test file", hint: "add: case \"what it shows\" and its records")
    }
    return problems.isEmpty ? (file, []) : (nil, problems)
  }

  /// A row's record text and its expectation (after `=>` outside double quotes).
  static func splitExpectation(_ line: String) -> (String, String?) {
    var quoted = false
    var previous: Character = " "
    for index in line.indices {
      let character = line[index]
      if character == "\"" { quoted.toggle() }
      if !quoted && previous == "=" && character == ">" {
        let arrow = line.index(before: index)
        let record = line[..<arrow].reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        return (String(record), String(line[line.index(after: index)...]))
      }
      previous = character
    }
    let record = line.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
    return (String(record), nil)
  }
}

/// The outcome of one case.
struct CaseResult {
  let file: String
  let testCase: RuleTestFile.Case
  /// Lines of the diff: what was expected and not found, what was found and not expected.
  var problems: [String] = []
  /// Per rule (by pack index), what the case's run counted.
  var tallies: [RuleTally] = []
  var passed: Bool { problems.isEmpty }
}

/// Runs the cases of rule test files against a compiled rule set.
struct RuleTestRunner {
  let ruleSet: CompiledRuleSet
  let coverage = ConditionCoverage()

  /// Runs one case: its rows become a filing in a temporary file, read by the reader of
  /// the case's format (so the test exercises real parsing), checked with a fresh run.
  func run(_ testCase: RuleTestFile.Case, in file: RuleTestFile, mapping: Mapping?, scratch: URL)
    -> CaseResult
  {
    var result = CaseResult(file: file.path, testCase: testCase)
    var lines: [String] = []
    // Line of the temporary filing → line of the test file.
    var lineMap: [Int: Int] = [:]
    if let header = testCase.header { lines.append(header) }
    for row in testCase.rows {
      lines.append(row.text)
      lineMap[lines.count] = row.line
    }
    let filing = scratch.appendingPathComponent("case-\(testCase.line).txt")
    do {
      try (lines.joined(separator: "\n") + "\n").write(
        to: filing, atomically: true, encoding: .utf8)
    } catch {
      result.problems.append("cannot write the case's filing: \(error.localizedDescription)")
      return result
    }
    defer { try? FileManager.default.removeItem(at: filing) }
    var run = CheckRun(ruleSet: ruleSet, asOf: testCase.asOf)
    run.observeTraces(coverage)
    func testLine(_ line: Int) -> Int { lineMap[line] ?? testCase.line }
    do {
      _ = try FilingReader.read(
        path: filing.path, format: mapping == nil ? testCase.format : nil, mapping: mapping,
        onRecord: { run.evaluate($0) },
        onProblem: { diagnostic in
          let line = diagnostic.position.map { testLine($0.line) } ?? testCase.line
          result.problems.append("line \(line): the record was rejected: \(diagnostic.message)")
        })
    } catch {
      result.problems.append("the case's records cannot be read: \(error.diagnostic.message)")
      return result
    }
    run.finish()
    if run.needsReplay {
      // The second read, as `check` makes it: trails, and the groups a rule judges in
      // date order whose records are not in it (judged again in date order).
      _ = try? FilingReader.read(
        path: filing.path, format: mapping == nil ? testCase.format : nil, mapping: mapping,
        onRecord: { run.replay($0) }, onProblem: { _ in })
      run.finishReplay()
    }
    result.tallies = run.tallies
    // Evaluation errors, as multisets of (line, rule): those expected are consumed.
    var expectedErrors: [String: Int] = [:]
    for row in testCase.rows {
      for rule in row.expectedErrors { expectedErrors["\(row.line) \(rule)", default: 0] += 1 }
    }
    for problem in run.problems {
      let key = "\(testLine(problem.line)) \(problem.ruleID)"
      if let count = expectedErrors[key], count > 0 {
        expectedErrors[key] = count - 1
        continue
      }
      result.problems.append(
        "line \(testLine(problem.line)): \(problem.ruleID) could not be evaluated: \(problem.message)"
      )
    }
    for row in testCase.rows {
      for rule in row.expectedErrors where (expectedErrors["\(row.line) \(rule)"] ?? 0) > 0 {
        expectedErrors["\(row.line) \(rule)"] = (expectedErrors["\(row.line) \(rule)"] ?? 1) - 1
        result.problems.append(
          "line \(row.line): expected \(rule) to be an evaluation error, which it was not")
      }
    }
    // Compare as multisets of (line, rule).
    var expected: [String: Int] = [:]
    for row in testCase.rows {
      for rule in row.expected { expected["\(row.line) \(rule)", default: 0] += 1 }
    }
    var unexpected: [(line: Int, rule: String, message: String)] = []
    for finding in run.findings {
      let key = "\(testLine(finding.line)) \(finding.ruleID)"
      if let count = expected[key], count > 0 {
        expected[key] = count - 1
      } else {
        unexpected.append((testLine(finding.line), finding.ruleID, finding.message))
      }
    }
    let known = Set(ruleSet.rules.map(\.id))
    for row in testCase.rows {
      for rule in row.expected where (expected["\(row.line) \(rule)"] ?? 0) > 0 {
        expected["\(row.line) \(rule)"] = (expected["\(row.line) \(rule)"] ?? 1) - 1
        var text = "line \(row.line): expected \(rule), which did not fire"
        if !known.contains(rule) {
          text += " (no rule \(rule) in the pack"
          if let hint = NearNames.hint(for: rule, among: known) { text += "; \(hint)" }
          text += ")"
        }
        result.problems.append(text)
      }
    }
    for item in unexpected {
      result.problems.append("line \(item.line): \(item.rule) fired, not expected: \(item.message)")
    }
    return result
  }
}
