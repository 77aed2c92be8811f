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
    var suites: [String] = []
    var totals = (tests: 0, failures: 0, errors: 0)
    for file in report.inputs {
      var cases: [String] = []
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
      cases.append(testcase(file, "records are readable", body: reading))
      let findings = zip(report.findings, gate.reviews).filter { $0.0.file == file }
      for rule in report.rules {
        let mine = findings.filter { $0.0.ruleID == rule.id }
        let counting = mine.filter { $0.1.counts }
        let problems = report.problems.filter { $0.ruleID == rule.id && $0.file == file }
        var body = ""
        if !problems.isEmpty {
          errors += 1
          let detail = problems.map { "\($0.file):\($0.line): \($0.message)" }.joined(
            separator: "\n")
          body +=
            "      <error type=\"evaluation-error\" message=\"\(problems.count) record\(problems.count == 1 ? "" : "s") could not be evaluated\">\(escape(detail))</error>\n"
        } else if !counting.isEmpty {
          failures += 1
          let detail = counting.map { describe($0.0, $0.1) }.joined(separator: "\n\n")
          let message =
            "\(counting.count) finding\(counting.count == 1 ? "" : "s") at fail level \(gate.failLevel.rawValue) (\(rule.citation))"
          body +=
            "      <failure type=\"\(rule.severity.rawValue)\" message=\"\(escape(message))\">\(escape(detail))</failure>\n"
        }
        let others = mine.filter { !$0.1.counts }
        if !others.isEmpty {
          let detail = others.map { describe($0.0, $0.1) }.joined(separator: "\n\n")
          body += "      <system-out>\(escape(detail))</system-out>\n"
        }
        cases.append(testcase(file, "\(rule.id): \(rule.title)", body: body))
      }
      totals.tests += cases.count
      totals.failures += failures
      totals.errors += errors
      suites.append(
        "  <testsuite name=\"\(escape(file))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"0\" time=\"0\">\n"
          + "    <properties>\n"
          + "      <property name=\"rule_pack\" value=\"\(escape(report.rulePack))\"/>\n"
          + "      <property name=\"fail_level\" value=\"\(gate.failLevel.rawValue)\"/>\n"
          + "      <property name=\"as_of\" value=\"\(report.asOf?.description ?? "")\"/>\n"
          + "    </properties>\n"
          + cases.joined()
          + "  </testsuite>\n")
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      + "<testsuites name=\"probity\" tests=\"\(totals.tests)\" failures=\"\(totals.failures)\" errors=\"\(totals.errors)\" skipped=\"0\" time=\"0\">\n"
      + suites.joined()
      + "</testsuites>\n"
  }

  /// A `testcase` element; self-closing when it passed with nothing to say.
  static func testcase(_ file: String, _ name: String, body: String) -> String {
    let open = "    <testcase classname=\"\(escape(file))\" name=\"\(escape(name))\" time=\"0\""
    return body.isEmpty ? open + "/>\n" : open + ">\n" + body + "    </testcase>\n"
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
