import ProbityCore
import ProbityEngine

/// GitHub Actions workflow commands (`--format github`): `::error file=…,line=…::…`
/// annotations, which GitHub shows on the run and on the pull request's files.
///
/// GitHub shows at most 10 annotations of each level per step, so at most
/// `perLevel` are written for each of error, warning and notice: findings that count
/// toward the gate first. Info findings, waived findings and findings in the baseline
/// are notices. A plain summary follows, saying how many were left out.
public enum GitHubAnnotations {
  public static let perLevel = 10

  public static func render(_ report: CheckReport, gate: GateResult) -> String {
    struct Annotation {
      let level: String
      let file: String
      let line: Int?
      let title: String
      let message: String
      let counts: Bool
    }
    // Per level, the first `perLevel` that count and the first that do not, in order, and
    // how many there are in all: what is shown is the first `perLevel` of the counting
    // ones then the others. (Every finding's annotation kept to pick from took memory
    // growing with the findings, some 200 MB for 145,000.)
    var kept: [String: (counting: [Annotation], other: [Annotation], total: Int)] = [:]
    func wanted(_ level: String, counts: Bool) -> Bool {
      let sofar = kept[level] ?? ([], [], 0)
      return (counts ? sofar.counting.count : sofar.other.count) < perLevel
    }
    func add(_ level: String, counts: Bool, _ annotation: @autoclosure () -> Annotation) {
      let keep = wanted(level, counts: counts)
      kept[level, default: ([], [], 0)].total += 1
      guard keep else { return }
      if counts {
        kept[level]!.counting.append(annotation())
      } else {
        kept[level]!.other.append(annotation())
      }
    }
    func append(_ annotation: Annotation) {
      add(annotation.level, counts: annotation.counts, annotation)
    }
    /// A finding's annotation at `level`.
    func annotation(_ finding: Finding, _ review: FindingReview, _ level: String) -> Annotation {
      var message = finding.message
      if let remedy = finding.remedy { message += "\nRemedy: \(remedy)" }
      message += "\nCitation: \(finding.citation)\nFingerprint: \(review.fingerprint)"
      var title = "\(finding.ruleID) \(finding.title)"
      switch review.status {
      case .waived:
        title += " (waived)"
        if let waiver = review.waiver {
          message += "\nWaived by \(waiver.reviewer) until \(waiver.expires): \(waiver.reason)"
        }
      case .waiverExpired:
        title += " (waiver expired)"
        if let waiver = review.waiver {
          message +=
            "\nThe waiver of \(waiver.reviewer) expired on \(waiver.expires): review it again"
        }
      case .open, .waiverUnjudged:
        if review.inBaseline { title += " (in the baseline)" }
      }
      return Annotation(
        level: level, file: finding.file, line: finding.line, title: title, message: message,
        counts: review.counts)
    }
    for diagnostic in gate.inputErrors {
      append(
        Annotation(
          level: "error", file: diagnostic.file, line: diagnostic.position?.line,
          title: "\(diagnostic.id) unreadable input", message: diagnostic.message, counts: true))
    }
    for input in report.setAside {
      append(
        Annotation(
          level: "warning", file: input.file, line: nil, title: "input set aside",
          message: input.reason, counts: false))
    }
    for diagnostic in report.rejections {
      append(
        Annotation(
          level: "error", file: diagnostic.file, line: diagnostic.position?.line,
          title: "\(diagnostic.id) rejected record", message: diagnostic.message, counts: true))
    }
    for problem in report.problems {
      append(
        Annotation(
          level: "error", file: problem.file, line: problem.line,
          title: "\(problem.ruleID) could not be evaluated", message: problem.message, counts: true)
      )
    }
    for (index, review) in gate.reviews.enumerated() {
      // The level first, from the entry and the review: most findings are not shown,
      // and are counted without being decoded.
      let level: String
      switch (review.status, report.findings.severity(at: index)) {
      case (.waived, _): level = "notice"
      case (.waiverExpired, _): level = "error"
      case (_, _) where review.inBaseline: level = "notice"
      case (_, .error): level = "error"
      case (_, .warning): level = "warning"
      case (_, .info): level = "notice"
      }
      add(level, counts: review.counts, annotation(report.findings[index], review, level))
    }
    var out = ""
    var omitted: [String: Int] = [:]
    for level in ["error", "warning", "notice"] {
      let ofLevel = kept[level] ?? ([], [], 0)
      for annotation in (ofLevel.counting + ofLevel.other).prefix(perLevel) {
        var properties = "file=\(escapeProperty(annotation.file))"
        if let line = annotation.line { properties += ",line=\(line)" }
        properties += ",title=\(escapeProperty(annotation.title))"
        out += "::\(level) \(properties)::\(escapeData(annotation.message))\n"
      }
      if ofLevel.total > perLevel { omitted[level] = ofLevel.total - perLevel }
    }
    out +=
      "probity: \(report.recordsRead) records read, \(report.recordsEvaluated) evaluated, \(report.recordsRejected) rejected; \(report.findings.count) findings (\(report.count(.error)) error, \(report.count(.warning)) warning, \(report.count(.info)) info)\n"
    out += "probity: " + gate.summaryLine(report) + "\n"
    if !omitted.isEmpty {
      let parts = ["error", "warning", "notice"].compactMap { level in
        omitted[level].map { "\($0) \(level)\($0 == 1 ? "" : "s")" }
      }
      out +=
        "probity: not annotated (GitHub shows \(perLevel) per level): \(parts.joined(separator: ", ")); run with --format text or sarif for all\n"
    }
    return out
  }

  /// A workflow command's message: `%`, CR and LF escaped, and the runner's older
  /// syntax (`##[error]`, `##[add-mask]`), a command wherever it stands in a line, broken
  /// by a zero-width space before its bracket (the text reads the same).
  static func escapeData(_ text: String) -> String { escape(text, property: false) }

  /// A workflow command's property value: as a message, and `:` and `,` too.
  static func escapeProperty(_ text: String) -> String { escape(text, property: true) }

  private static func escape(_ text: String, property: Bool) -> String {
    let escaped = Escaping.replacing(text) { scalar in
      switch scalar {
      case "%": return "%25"
      case "\r": return "%0D"
      case "\n": return "%0A"
      case ":" where property: return "%3A"
      case "," where property: return "%2C"
      default: return nil
      }
    }
    guard escaped.contains("##[") else { return escaped }
    return escaped.replacingOccurrences(of: "##[", with: "##\u{200B}[")
  }
}
