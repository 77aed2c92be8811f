import ProbityCore
import ProbityEngine

/// SARIF 2.1.0 output (`--format sarif`), for GitHub code scanning and other CI systems
/// (docs/output.md, docs/ci.md).
///
/// One run; `tool.driver.rules` holds every rule of the pack with its citation; each
/// finding is a result with its rule, level, message, file and line, the trail of a rule
/// across records as related locations, and a `partialFingerprints` entry
/// (`Fingerprint`). Waived findings carry an accepted external suppression; with a
/// baseline, `baselineState` says whether a finding is new.
///
/// GitHub's limits are kept: at most `maximumResults` results and `maximumBytes` bytes
/// per file, at most `maximumRelatedLocations` related locations per result. A capped
/// run says so in `run.properties.probity` and in a tool execution notification.
public enum SARIFRenderer {
  public static let maximumResults = 25_000
  public static let maximumBytes = 10_000_000
  public static let maximumRelatedLocations = 1_000
  public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

  /// What was left out of a capped run.
  public struct Cap: Sendable, Equatable {
    public let total: Int
    public let reported: Int
    public let reason: String
  }

  /// The SARIF document, and the cap applied (nil when every finding is in it).
  public static func render(
    _ report: CheckReport, gate: GateResult, maximumResults: Int = maximumResults,
    maximumBytes: Int = maximumBytes
  ) -> (text: String, cap: Cap?) {
    let total = report.findings.count
    // When a cap applies, the findings that count toward the gate go first, then by
    // severity, then in input order; the results keep input order.
    // The severities read once, from the findings' entries (none decoded).
    let severities = report.findings.indices.map(report.findings.severity(at:))
    let priority = report.findings.indices.sorted { a, b in
      let (ca, cb) = (gate.reviews[a].counts, gate.reviews[b].counts)
      if ca != cb { return ca }
      if severities[a] != severities[b] { return severities[a] > severities[b] }
      return a < b
    }
    var keep = min(total, maximumResults)
    var reasons: [String] = []
    if total > maximumResults { reasons.append("at most \(maximumResults) results per run") }
    let bytes =
      maximumBytes >= 1_000_000 ? "\(maximumBytes / 1_000_000) MB" : "\(maximumBytes) bytes"
    while true {
      let chosen = Set(priority.prefix(keep))
      let reason = "GitHub accepts " + reasons.joined(separator: " and ")
      let cap = keep < total ? Cap(total: total, reported: keep, reason: reason) : nil
      let text = document(report, gate: gate, included: chosen, cap: cap)
      let size = text.utf8.count
      if size <= maximumBytes || keep == 0 { return (text, cap) }
      let sizeReason = "SARIF files of at most \(bytes)"
      if !reasons.contains(sizeReason) { reasons.append(sizeReason) }
      // Shrink in proportion, with a margin for the cap notice itself.
      let next = Int(Double(keep) * Double(maximumBytes) / Double(size) * 0.98)
      keep = max(0, min(keep - 1, next))
    }
  }

  static func document(
    _ report: CheckReport, gate: GateResult, included: Set<Int>, cap: Cap?
  ) -> String {
    var w = JSONWriter()
    w.beginObject()
    w.field("$schema", schemaURI)
    w.field("version", "2.1.0")
    w.key("runs")
    w.beginArray()
    w.beginObject()
    writeTool(report, gate: gate, to: &w)
    writeInvocation(report, gate: gate, cap: cap, to: &w)
    w.key("results")
    w.beginArray()
    let ruleIndex = Dictionary(
      report.rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    // In input order, each included finding decoded (those left out by a cap are not).
    for index in included.sorted() {
      let finding = report.findings[index]
      writeResult(
        finding, gate.reviews[index], ruleIndex: ruleIndex[finding.ruleID], gate: gate, to: &w)
    }
    w.endArray()
    writeRunProperties(report, gate: gate, cap: cap, to: &w)
    w.endObject()
    w.endArray()
    w.endObject()
    return w.document()
  }

  static func level(_ severity: FindingSeverity) -> String {
    switch severity {
    case .error: return "error"
    case .warning: return "warning"
    case .info: return "note"
    }
  }

  /// A rule's `name`: its title in upper camel case ("CashContributionOver100").
  static func ruleName(_ title: String) -> String {
    title.split { !$0.isLetter && !$0.isNumber }.map { $0.prefix(1).uppercased() + $0.dropFirst() }
      .joined()
  }

  private static func text(_ text: String, to w: inout JSONWriter) {
    w.beginObject()
    w.field("text", text)
    w.endObject()
  }

  private static func writeTool(_ report: CheckReport, gate: GateResult, to w: inout JSONWriter) {
    w.key("tool")
    w.beginObject()
    w.key("driver")
    w.beginObject()
    w.field("name", "Probity")
    w.field("fullName", "Probity electoral-finance compliance engine")
    w.field("version", gate.toolVersion)
    w.field("semanticVersion", gate.toolVersion)
    w.key("rules")
    w.beginArray()
    for rule in report.rules {
      w.beginObject()
      w.field("id", rule.id)
      w.field("name", ruleName(rule.title))
      w.key("shortDescription")
      text(rule.title, to: &w)
      w.key("fullDescription")
      text("\(rule.title). Citation: \(rule.citation).", to: &w)
      w.key("defaultConfiguration")
      w.beginObject()
      w.field("level", level(rule.severity))
      w.endObject()
      w.key("help")
      w.beginObject()
      w.field(
        "text",
        "\(rule.title)\nCitation: \(rule.citation)\nCategory: \(rule.category.rawValue)\nSeverity: \(rule.severity.rawValue)\nSee the rule's remedy in each finding, and `probity rules list` for its source."
      )
      w.field(
        "markdown",
        "**\(rule.title)**\n\nCitation: \(rule.citation)\n\nCategory: `\(rule.category.rawValue)`; severity: `\(rule.severity.rawValue)`."
      )
      w.endObject()
      w.key("properties")
      w.beginObject()
      w.field("category", rule.category.rawValue)
      w.field("severity", rule.severity.rawValue)
      w.field("citation", rule.citation)
      w.key("tags")
      w.beginArray()
      w.string("compliance")
      w.string(rule.category.rawValue)
      w.endArray()
      w.endObject()
      w.endObject()
    }
    w.endArray()
    w.endObject()
    w.endObject()
  }

  private static func writeInvocation(
    _ report: CheckReport, gate: GateResult, cap: Cap?, to w: inout JSONWriter
  ) {
    w.key("invocations")
    w.beginArray()
    w.beginObject()
    w.key("executionSuccessful")
    w.bool(gate.inputErrors.isEmpty)
    w.field("exitCode", gate.exitCode(report))
    w.key("toolExecutionNotifications")
    w.beginArray()
    if let cap {
      notification(
        id: "probity/results-capped", level: "warning",
        message:
          "\(cap.total - cap.reported) of \(cap.total) findings are not in this file: \(cap.reason). Run with --format json for all of them.",
        file: nil, line: nil, to: &w)
    }
    for diagnostic in gate.inputErrors {
      notification(
        id: diagnostic.id, level: "error", message: diagnostic.message, file: diagnostic.file,
        line: diagnostic.position?.line, to: &w)
    }
    for input in report.setAside {
      notification(
        id: "probity/input-set-aside", level: "warning", message: input.reason, file: input.file,
        line: nil, to: &w)
    }
    for diagnostic in report.rejections {
      notification(
        id: diagnostic.id, level: "error", message: "rejected record: \(diagnostic.message)",
        file: diagnostic.file, line: diagnostic.position?.line, to: &w)
    }
    // The problems past the first kept are counted, not listed: said, so that a reader of
    // this file does not take those listed for all.
    if report.rejectionDiagnostics > report.rejections.count {
      let more = report.rejectionDiagnostics - report.rejections.count
      notification(
        id: "probity/rejections-not-listed", level: "error",
        message:
          "\(more) more problem\(more == 1 ? "" : "s") with rejected records \(more == 1 ? "is" : "are") not listed here (the first \(report.rejections.count) are; \(report.recordsRejected) records were rejected in all, the run's records_rejected). Run with --format json, or see standard error, for each file's first",
        file: nil, line: nil, to: &w)
    }
    for problem in report.problems {
      notification(
        id: problem.ruleID, level: "error",
        message: "\(problem.ruleID) could not be evaluated: \(problem.message)", file: problem.file,
        line: problem.line, to: &w)
    }
    for waiver in gate.unusedWaivers {
      notification(
        id: "probity/unused-waiver", level: "note",
        message: "waiver of \(waiver.fingerprint) matches no finding", file: waiver.file,
        line: waiver.line, to: &w)
    }
    w.endArray()
    w.endObject()
    w.endArray()
  }

  private static func notification(
    id: String, level: String, message: String, file: String?, line: Int?, to w: inout JSONWriter
  ) {
    w.beginObject()
    w.key("descriptor")
    w.beginObject()
    w.field("id", id)
    w.endObject()
    w.field("level", level)
    w.key("message")
    text(message, to: &w)
    if let file {
      w.key("locations")
      w.beginArray()
      location(file: file, line: line, to: &w)
      w.endArray()
    }
    w.endObject()
  }

  private static func location(
    file: String, line: Int?, id: Int? = nil, message: String? = nil, locator: String? = nil,
    to w: inout JSONWriter
  ) {
    w.beginObject()
    if let id { w.field("id", id) }
    w.key("physicalLocation")
    w.beginObject()
    w.key("artifactLocation")
    w.beginObject()
    w.field("uri", uri(file))
    w.endObject()
    if let line, line > 0 {
      w.key("region")
      w.beginObject()
      w.field("startLine", line)
      w.endObject()
    }
    w.endObject()
    if let locator {
      // An XML record's element path (`/filing/receipt[3]`).
      w.key("logicalLocations")
      w.beginArray()
      w.beginObject()
      w.field("fullyQualifiedName", locator)
      w.field("kind", "element")
      w.endObject()
      w.endArray()
    }
    if let message {
      w.key("message")
      text(message, to: &w)
    }
    w.endObject()
  }

  private static func writeResult(
    _ finding: borrowing Finding, _ review: FindingReview, ruleIndex: Int?, gate: GateResult,
    to w: inout JSONWriter
  ) {
    w.beginObject()
    w.field("ruleId", finding.ruleID)
    if let ruleIndex { w.field("ruleIndex", ruleIndex) }
    w.field("level", level(finding.severity))
    w.key("message")
    text(finding.message, to: &w)
    w.key("locations")
    w.beginArray()
    location(file: finding.file, line: finding.line, locator: finding.locator, to: &w)
    w.endArray()
    w.key("partialFingerprints")
    w.beginObject()
    w.field(text: Fingerprint.sarifKey, review.fingerprint)
    w.endObject()
    if !finding.trail.isEmpty {
      w.key("relatedLocations")
      w.beginArray()
      for (position, entry) in finding.trail.prefix(maximumRelatedLocations).enumerated() {
        var note =
          "\(entry.date?.description ?? "no date"): \(entry.amount.plainText), running total \(entry.running.plainText)"
        if let id = entry.transactionID { note += " (\(id))" }
        if entry.raisedHere { note += "; the finding is raised on this record" }
        location(file: entry.file, line: entry.line, id: position + 1, message: note, to: &w)
      }
      w.endArray()
    }
    if let waiver = review.waiver, review.status == .waived {
      w.key("suppressions")
      w.beginArray()
      w.beginObject()
      w.field("kind", "external")
      w.field("status", "accepted")
      w.field("justification", waiver.reason)
      w.key("properties")
      w.beginObject()
      w.field("reviewer", waiver.reviewer)
      w.field("expires", waiver.expires.description)
      w.field("waiver", "\(waiver.file):\(waiver.line)")
      w.endObject()
      w.endObject()
      w.endArray()
    }
    if gate.usesBaseline { w.field("baselineState", review.inBaseline ? "unchanged" : "new") }
    w.key("properties")
    w.beginObject()
    w.field("title", finding.title)
    w.field("category", finding.category.rawValue)
    w.field("citation", finding.citation)
    w.field("record", finding.transactionID)
    w.field("kind", finding.kind.rawValue)
    w.field("filer_id", finding.filerID)
    w.field("filer_name", finding.filerName)
    w.field("remedy", finding.remedy)
    w.key("values")
    ReportRenderer.write(finding.values, to: &w)
    if !finding.group.isEmpty {
      w.key("group")
      ReportRenderer.write(finding.group, to: &w)
    }
    if finding.trail.count > maximumRelatedLocations {
      w.field("trail_records", finding.trail.count)
    }
    w.field("deadline", finding.deadline?.description)
    w.field("remedy_status", finding.remedyStatus?.rawValue)
    w.key("counts_toward_gate")
    w.bool(review.counts)
    if review.status == .waiverExpired, let waiver = review.waiver {
      w.field("expired_waiver", "\(waiver.file):\(waiver.line), expired \(waiver.expires)")
    }
    w.endObject()
    w.endObject()
  }

  private static func writeRunProperties(
    _ report: CheckReport, gate: GateResult, cap: Cap?, to w: inout JSONWriter
  ) {
    w.key("properties")
    w.beginObject()
    w.key("probity")
    w.beginObject()
    w.field("rule_pack", report.rulePack)
    w.key("inputs")
    w.beginArray()
    for input in report.inputs { w.string(input) }
    w.endArray()
    w.field("as_of", report.asOf?.description)
    w.field("fail_level", gate.failLevel.rawValue)
    w.field("records_read", report.recordsRead)
    w.field("records_evaluated", report.recordsEvaluated)
    w.field("records_rejected", report.recordsRejected)
    w.field("evaluation_errors", report.evaluationFailures)
    w.field("findings", report.findings.count)
    w.field("findings_counting", gate.failing)
    w.field("waived", gate.waived)
    w.field("expired_waivers", gate.expired)
    if gate.usesBaseline { w.field("in_baseline", gate.baselined) }
    w.field("results_reported", cap?.reported ?? report.findings.count)
    w.key("truncated")
    w.bool(cap != nil)
    if let cap { w.field("truncation_reason", cap.reason) }
    w.endObject()
    w.endObject()
  }

  /// The bytes a path keeps as they are in a URI, by value. Made once: every result and
  /// related location has a URI.
  private static let uriAllowed: [Bool] = {
    var allowed = [Bool](repeating: false, count: 256)
    for byte in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=@"
      .utf8
    {
      allowed[Int(byte)] = true
    }
    return allowed
  }()

  /// A path as a URI reference: relative paths stay relative (percent-encoded), absolute
  /// ones become `file://` URIs.
  static func uri(_ path: String) -> String {
    var out = path.hasPrefix("/") ? "file://" : ""
    var firstSegment = !path.hasPrefix("/")
    for byte in path.utf8 {
      if byte == UInt8(ascii: "/") { firstSegment = false }
      // A colon in the first segment of a relative reference would read as a scheme.
      if uriAllowed[Int(byte)] || (byte == UInt8(ascii: ":") && !firstSegment) {
        out.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        let hex = String(byte, radix: 16, uppercase: true)
        out += "%" + (hex.count == 1 ? "0" : "") + hex
      }
    }
    return out
  }
}
