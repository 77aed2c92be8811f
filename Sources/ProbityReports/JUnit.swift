import ProbityCore
import ProbityEngine

/// JUnit XML output (`--format junit`): one test suite per filing, one test case per
/// rule in it, for CI systems that show test reports (GitLab, Jenkins, Azure).
///
/// A test case fails when the rule has findings in the filing that count toward the
/// gate (at or above the fail level, not waived, not in the baseline, or under an
/// expired waiver); its other findings are listed in `system-out`. A rule that could
/// not be evaluated on a record of the filing is an `error`. Each suite also has a test
/// case "records are readable", failing on rejected rows (an error when the filing
/// could not be read to its end, listing the rows rejected before too).
public enum JUnitRenderer {
  public static func render(_ report: CheckReport, gate: GateResult) -> String {
    var out = ""
    write(report, gate: gate) { out += $0 }
    return out
  }

  /// One filing's test cases, as planned before any is written: the counts of failures
  /// and errors come first in the document, the cases after.
  struct Suite {
    struct RuleCase {
      let rule: CheckReport.RuleSummary
      let problems: [EvaluationProblem]
      /// Positions of the findings that count toward the gate, and of the others.
      let counting: [Int]
      let others: [Int]
    }
    let file: String
    /// The body of "records are readable" (a few examples at most).
    let reading: String
    let rules: [RuleCase]
    let failures: Int
    let errors: Int
  }

  /// The same document given to `emit` in pieces, in order, as it is made (at most about
  /// `pieceBytes` held at once besides the findings' positions): what `probity check
  /// --format junit` writes. A rule's findings are decoded and described one by one. An
  /// error `emit` throws (a write that failed) stops the writing.
  public static func write<Failure: Error>(
    _ report: CheckReport, gate: GateResult, to emit: (String) throws(Failure) -> Void
  ) throws(Failure) {
    try write(report, gate: gate, pieceBytes: pieceBytes, to: emit)
  }

  /// `write` in pieces of about `pieceBytes` (for the tests).
  static func write<Failure: Error>(
    _ report: CheckReport, gate: GateResult, pieceBytes: Int,
    to emit: (String) throws(Failure) -> Void
  ) throws(Failure) {
    let suites = plan(report, gate: gate)
    // A set-aside input the run could not read either (a replaced file that holds
    // another filing, F0025): an error, not a skip, as the run exits 2 for it.
    let setAsideErrors = report.setAside.map { input in
      gate.inputErrors.filter { $0.file == input.file }
    }
    let setAsideFailing = setAsideErrors.filter { !$0.isEmpty }.count
    // `--fail-on-undetermined`: one more suite, whose case fails when rules at the fail
    // level were undetermined (the run's exit 1 is then told in the report too).
    let undetermined = gate.failOnUndetermined ? gate.undeterminedCounting(report) : 0
    let gateSuite = gate.failOnUndetermined ? 1 : 0
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out +=
      "<testsuites name=\"probity\" tests=\"\(suites.reduce(0) { $0 + 1 + $1.rules.count } + report.setAside.count + gateSuite)\" failures=\"\(suites.reduce(0) { $0 + $1.failures } + (undetermined > 0 ? 1 : 0))\" errors=\"\(suites.reduce(0) { $0 + $1.errors } + setAsideFailing)\" skipped=\"\(report.setAside.count - setAsideFailing)\" time=\"0\">\n"
    func flush(_ force: Bool = false) throws(Failure) {
      guard force || out.utf8.count >= pieceBytes else { return }
      try emit(out)
      out = ""
    }
    // Each finding escaped description by description (the escape works on each
    // character alone: the same text as the descriptions joined, then escaped).
    func details(_ positions: [Int]) throws(Failure) {
      for (number, position) in positions.enumerated() {
        if number > 0 { out += "\n\n" }
        out += escape(describe(report.findings[position], gate.reviews[position]))
        try flush()
      }
    }
    for suite in suites {
      out +=
        "  <testsuite name=\"\(escape(suite.file))\" tests=\"\(1 + suite.rules.count)\" failures=\"\(suite.failures)\" errors=\"\(suite.errors)\" skipped=\"0\" time=\"0\">\n"
        + "    <properties>\n"
        + "      <property name=\"rule_pack\" value=\"\(escape(report.rulePack))\"/>\n"
        + "      <property name=\"fail_level\" value=\"\(gate.failLevel.rawValue)\"/>\n"
        + "      <property name=\"as_of\" value=\"\(report.asOf?.description ?? "")\"/>\n"
        + "    </properties>\n"
      out += testcase(suite.file, "records are readable", body: suite.reading)
      for ruleCase in suite.rules {
        let rule = ruleCase.rule
        let (problems, counting, others) = (ruleCase.problems, ruleCase.counting, ruleCase.others)
        let open = testcaseOpening(suite.file, "\(rule.id): \(rule.title)")
        guard !problems.isEmpty || !counting.isEmpty || !others.isEmpty else {
          out += open + "/>\n"
          continue
        }
        out += open + ">\n"
        if !problems.isEmpty {
          // The findings that count are told too (an error is the testcase's one verdict:
          // they were left out, so no waiver could be written from the report).
          let detail = problems.map { "\($0.file):\($0.line): \($0.message)" }.joined(
            separator: "\n")
          let findings =
            counting.isEmpty
            ? ""
            : ", and \(counting.count) finding\(counting.count == 1 ? "" : "s") at fail level \(gate.failLevel.rawValue) (\(rule.citation))"
          out +=
            "      <error type=\"evaluation-error\" message=\"\(problems.count) record\(problems.count == 1 ? "" : "s") could not be evaluated\(escape(findings))\">\(escape(detail))"
          if !counting.isEmpty {
            out += "\n\n"
            try details(counting)
          }
          out += "</error>\n"
        } else if !counting.isEmpty {
          let message =
            "\(counting.count) finding\(counting.count == 1 ? "" : "s") at fail level \(gate.failLevel.rawValue) (\(rule.citation))"
          out +=
            "      <failure type=\"\(rule.severity.rawValue)\" message=\"\(escape(message))\">"
          try details(counting)
          out += "</failure>\n"
        }
        if !others.isEmpty {
          out += "      <system-out>"
          try details(others)
          out += "</system-out>\n"
        }
        out += "    </testcase>\n"
        try flush()
      }
      out += "  </testsuite>\n"
    }
    // An input not read as given (see `CheckReport.setAside`): its reading skipped, why.
    for (input, errors) in zip(report.setAside, setAsideErrors) {
      let body =
        errors.first.map { first in
          "      <error type=\"\(escape(first.id))\" message=\"\(escape(first.message))\">\(escape(([input.reason] + errors.map { $0.rendered() }).joined(separator: "\n")))</error>\n"
        } ?? "      <skipped message=\"\(escape(input.reason))\"/>\n"
      out +=
        "  <testsuite name=\"\(escape(input.file))\" tests=\"1\" failures=\"0\" errors=\"\(errors.isEmpty ? 0 : 1)\" skipped=\"\(errors.isEmpty ? 1 : 0)\" time=\"0\">\n"
        + testcase(input.file, "records are readable", body: body)
        + "  </testsuite>\n"
    }
    if gate.failOnUndetermined {
      let name = "every record judged by the rules at fail level \(gate.failLevel.rawValue)"
      var body = ""
      if undetermined > 0 {
        let detail = report.rules.filter {
          $0.severity >= gate.failLevel && $0.tally.undetermined > 0
        }.map { rule in
          let missing = rule.tally.missingFieldCounts.sorted { $0.key < $1.key }.map {
            "\($0.key) in \($0.value)"
          }.joined(separator: ", ")
          return "\(rule.id): \(rule.tally.undetermined) undetermined (missing: \(missing))"
        }.joined(separator: "\n")
        body =
          "      <failure type=\"undetermined\" message=\"\(undetermined) undetermined (--fail-on-undetermined)\">\(escape(detail))</failure>\n"
      }
      out +=
        "  <testsuite name=\"gate\" tests=\"1\" failures=\"\(undetermined > 0 ? 1 : 0)\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
        + testcase("gate", name, body: body) + "  </testsuite>\n"
    }
    out += "</testsuites>\n"
    try flush(true)
  }

  /// Bytes of the document written out at a time.
  static let pieceBytes = 1 << 20

  /// Each filing's cases, with their counts: the findings' positions by file and rule,
  /// found in one pass from the start of each finding's bytes (none decoded).
  static func plan(_ report: CheckReport, gate: GateResult) -> [Suite] {
    var positions: [String: [String: [Int]]] = [:]
    for position in report.findings.indices {
      let (ruleID, file) = report.findings.ruleAndFile(at: position)
      positions[file, default: [:]][ruleID, default: []].append(position)
    }
    return report.inputs.map { file in
      var failures = 0
      var errors = 0
      // Reading the filing.
      let unreadable = gate.inputErrors.filter { $0.file == file }
      let rejected = report.rejections.filter { $0.file == file }
      var reading = ""
      if let first = unreadable.first {
        errors += 1
        // The records rejected before the read stopped are listed too.
        let listed = unreadable.map { $0.rendered() } + rejected.map { $0.rendered() }
        reading +=
          "      <error type=\"\(escape(first.id))\" message=\"\(escape(first.message))\">\(escape(listed.joined(separator: "\n")))</error>\n"
      } else if !rejected.isEmpty {
        failures += 1
        reading +=
          "      <failure type=\"rejected\" message=\"\(rejected.count) rejected record\(rejected.count == 1 ? "" : "s")\">\(escape(rejected.map { $0.rendered() }.joined(separator: "\n")))</failure>\n"
      }
      let byRule = positions[file] ?? [:]
      let rules = report.rules.map { rule in
        let mine = byRule[rule.id] ?? []
        let ruleCase = Suite.RuleCase(
          rule: rule, problems: report.problems.filter { $0.ruleID == rule.id && $0.file == file },
          counting: mine.filter { gate.reviews[$0].counts },
          others: mine.filter { !gate.reviews[$0].counts })
        if !ruleCase.problems.isEmpty {
          errors += 1
        } else if !ruleCase.counting.isEmpty {
          failures += 1
        }
        return ruleCase
      }
      return Suite(file: file, reading: reading, rules: rules, failures: failures, errors: errors)
    }
  }

  /// A `testcase` element; self-closing when it passed with nothing to say.
  static func testcase(_ file: String, _ name: String, body: String) -> String {
    let open = testcaseOpening(file, name)
    return body.isEmpty ? open + "/>\n" : open + ">\n" + body + "    </testcase>\n"
  }

  /// A `testcase` element's opening, to its last attribute.
  static func testcaseOpening(_ file: String, _ name: String) -> String {
    "    <testcase classname=\"\(escape(file))\" name=\"\(escape(name))\" time=\"0\""
  }

  /// A finding as the body of a failure: the text report's lines.
  static func describe(_ finding: Finding, _ review: FindingReview) -> String {
    var out =
      "\(finding.file):\(finding.line): \(finding.severity.rawValue)[\(finding.ruleID)] \(finding.message)\n"
    out += "citation: \(finding.citation)\n"
    out += "record: \(finding.kind.rawValue) \(finding.transactionID ?? "(no transaction id)")\n"
    if let remedy = finding.remedy { out += "remedy: \(remedy)\n" }
    switch review.status {
    case .waived:
      if let waiver = review.waiver {
        out += "waived by \(waiver.reviewer) until \(waiver.expires): \(waiver.reason)\n"
      }
    case .waiverExpired:
      if let waiver = review.waiver {
        out += "waiver of \(waiver.reviewer) EXPIRED on \(waiver.expires): review it again\n"
      }
    case .open, .waiverUnjudged:
      break
    }
    if review.inBaseline { out += "in the baseline\n" }
    out += "fingerprint: \(review.fingerprint)"
    return out
  }

  /// Text for XML content and attribute values; characters XML 1.0 cannot hold are
  /// dropped.
  static func escape(_ text: String) -> String {
    // From the bytes: each character replaced or dropped is one ASCII byte, or U+FFFE or
    // U+FFFF (0xEF 0xBF 0xBE or 0xBF); scalar by scalar, escaping was a third of a JUnit
    // report of many findings.
    Escaping.replacingBytes(text) { utf8, index in
      switch utf8[index] {
      case UInt8(ascii: "&"): ("&amp;", 1)
      case UInt8(ascii: "<"): ("&lt;", 1)
      case UInt8(ascii: ">"): ("&gt;", 1)
      case UInt8(ascii: "\""): ("&quot;", 1)
      case UInt8(ascii: "'"): ("&apos;", 1)
      case UInt8(ascii: "\r"): ("&#13;", 1)
      case UInt8(ascii: "\n"), UInt8(ascii: "\t"): nil
      case 0xEF:
        index + 2 < utf8.count && utf8[index + 1] == 0xBF && utf8[index + 2] >= 0xBE
          ? ("", 3) : nil
      case let byte: byte < 0x20 ? ("", 1) : nil
      }
    }
  }
}
