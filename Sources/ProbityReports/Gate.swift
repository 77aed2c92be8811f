import ProbityCore
import ProbityEngine

/// A reviewed finding, waived until a date: one entry of a waivers file (docs/ci.md).
public struct Waiver: Sendable {
  public let fingerprint: String
  /// The rule the finding is of, when the waiver names it: then it waives only a
  /// finding of that rule.
  public let rule: String?
  public let reviewer: String
  public let reason: String
  /// The last day the waiver holds, judged at the run's as-of date.
  public let expires: CivilDate
  /// Where the waiver is written.
  public let file: String
  public let line: Int
}

/// What the gate made of one finding.
public struct FindingReview: Sendable {
  public enum Status: Sendable, Equatable {
    /// Counts toward the exit code when at or above the fail level.
    case open
    /// A waiver in force covers it: shown, marked, not counted.
    case waived
    /// A waiver covers it but expired before the as-of date: counted, whatever the
    /// finding's severity, until the waiver is renewed or the finding fixed.
    case waiverExpired
    /// A waiver covers it, but the run has no as-of date to judge the expiry at:
    /// counted as open.
    case waiverUnjudged
  }

  /// The fingerprint as its number (16 hex digits are one allocation each: a review is
  /// kept for every finding).
  let hash: UInt64
  public var fingerprint: String { Fingerprint.hex(hash) }
  public let status: Status
  /// The waiver applied, shared by the findings it covers.
  let applied: WaiverBox?
  public var waiver: Waiver? { applied?.waiver }
  /// Whether the baseline holds it (only with `--baseline`).
  public let inBaseline: Bool
  /// Whether it makes the run exit 1.
  public let counts: Bool
}

/// A waiver held by reference, by the reviews of the findings it covers.
final class WaiverBox: Sendable {
  let waiver: Waiver
  init(_ waiver: Waiver) { self.waiver = waiver }
}

/// The gate of a `probity check` run: fingerprints, waivers, baseline and fail level
/// decide which findings make the run exit 1.
public struct GateResult: Sendable {
  public let failLevel: FindingSeverity
  /// The date waivers are judged at: the run's as-of date.
  public let asOf: CivilDate?
  public let waiversPath: String?
  public let baselinePath: String?
  /// One per finding of the report, in its order.
  public let reviews: [FindingReview]
  /// Waivers that matched no finding.
  public let unusedWaivers: [Waiver]
  /// Fingerprints in the baseline (with repeats).
  public let baselineCount: Int
  /// Inputs that could not be read (the run exits 2).
  public let inputErrors: [Diagnostic]
  /// The version of Probity, for SARIF's tool.driver.
  public let toolVersion: String

  /// Reviews every finding of `report`. `recordKeys` gives the key
  /// (`Fingerprint.recordKey`) of each record without a transaction id that a finding is
  /// raised on, by its place (`Fingerprint.place`). The baseline is a list of fingerprints, repeats allowed:
  /// a fingerprint there twice covers two findings.
  public init(
    report: CheckReport, failLevel: FindingSeverity, waivers: [Waiver]? = nil,
    waiversPath: String? = nil, baseline: [String]? = nil, baselinePath: String? = nil,
    recordKeys: [String: String] = [:], inputErrors: [Diagnostic] = [], toolVersion: String
  ) {
    self.failLevel = failLevel
    self.asOf = report.asOf
    self.waiversPath = waiversPath
    self.baselinePath = baselinePath
    self.inputErrors = inputErrors
    self.toolVersion = toolVersion
    self.baselineCount = baseline?.count ?? 0
    var byFingerprint: [String: WaiverBox] = [:]
    for waiver in waivers ?? [] where byFingerprint[waiver.fingerprint] == nil {
      byFingerprint[waiver.fingerprint] = WaiverBox(waiver)
    }
    var remaining: [String: Int] = [:]
    for fingerprint in baseline ?? [] { remaining[fingerprint, default: 0] += 1 }
    var used: Set<String> = []
    var reviews: [FindingReview] = []
    reviews.reserveCapacity(report.findings.count)
    // The path's part of the fingerprint, found once for the findings of one file (they
    // are in order of file).
    var lastFile: String?
    var lastPathPart = ""
    func review(_ finding: borrowing Finding) {
      if finding.file != lastFile {
        lastFile = finding.file
        lastPathPart = Fingerprint.pathPart(finding.file)
      }
      // A record's key stands in for its transaction id, only where it has none.
      let hash = Fingerprint.hash(
        finding, pathPart: lastPathPart,
        recordKey: finding.transactionID != nil
          ? nil
          : recordKeys[
            Fingerprint.place(file: finding.file, line: finding.line, locator: finding.locator)])
      let fingerprint = Fingerprint.hex(hash)
      var status = FindingReview.Status.open
      var applied: WaiverBox?
      if let box = byFingerprint[fingerprint], box.waiver.rule.map({ $0 == finding.ruleID }) ?? true
      {
        let waiver = box.waiver
        used.insert(fingerprint)
        applied = box
        if let asOf = report.asOf {
          status = asOf > waiver.expires ? .waiverExpired : .waived
        } else {
          status = .waiverUnjudged
        }
      }
      var inBaseline = false
      if let count = remaining[fingerprint], count > 0 {
        remaining[fingerprint] = count - 1
        inBaseline = true
      }
      let counts: Bool
      switch status {
      case .waiverExpired: counts = true
      case .waived: counts = false
      case .open, .waiverUnjudged: counts = finding.severity >= failLevel && !inBaseline
      }
      reviews.append(
        FindingReview(
          hash: hash, status: status, applied: applied, inBaseline: inBaseline, counts: counts))
    }
    // What identifies each finding is all a review reads (its texts are not decoded).
    for index in report.findings.indices { review(report.findings.identity(at: index)) }
    self.reviews = reviews
    self.unusedWaivers = (waivers ?? []).filter { !used.contains($0.fingerprint) }
  }

  /// The review of a finding of `report` (the report the gate was made from): that of
  /// the first finding of its rule, file and line. A search through them all; the
  /// renderers, which go through every finding, take `reviews` in order instead (one per
  /// finding, in the report's order).
  public func review(of finding: Finding, in report: CheckReport) -> FindingReview? {
    report.findings.firstIndex {
      $0.ruleID == finding.ruleID && $0.file == finding.file && $0.line == finding.line
    }.map { reviews[$0] }
  }

  /// Findings that make the run exit 1.
  public var failing: Int { reviews.count { $0.counts } }
  public var waived: Int { reviews.count { $0.status == .waived } }
  public var expired: Int { reviews.count { $0.status == .waiverExpired } }
  public var baselined: Int { reviews.count { $0.inBaseline } }
  public var usesBaseline: Bool { baselinePath != nil }
  public var usesWaivers: Bool { waiversPath != nil }

  /// Whether the run exits 1: a finding that counts, a rejected record, or a rule that
  /// failed to evaluate.
  public func fails(_ report: CheckReport) -> Bool {
    failing > 0 || report.recordsRejected > 0 || report.evaluationFailures > 0
      || (failOnUndetermined && undeterminedCounting(report) > 0)
  }

  /// `--fail-on-undetermined`: a rule at or above the fail level left undetermined on a
  /// record (a value it needs missing: a filing without the column a rule reads) fails
  /// the run, as a finding would. Off by default: a format may lack a field for good (a
  /// `.fec` filing has no payment method).
  public var failOnUndetermined = false

  /// The records left undetermined by rules at or above the fail level.
  public func undeterminedCounting(_ report: CheckReport) -> Int {
    report.rules.reduce(0) { $0 + ($1.severity >= failLevel ? $1.tally.undetermined : 0) }
  }

  /// The exit code the run ends with (docs/output.md).
  public func exitCode(_ report: CheckReport) -> Int {
    if !inputErrors.isEmpty { return 2 }
    return fails(report) ? 1 : 0
  }

  /// One line on what the gate decided, for the text summary and standard error.
  public func summaryLine(_ report: CheckReport) -> String {
    var parts: [String] = []
    if usesWaivers { parts.append("\(waived) waived") }
    if expired > 0 { parts.append("\(expired) under an expired waiver") }
    if usesBaseline { parts.append("\(baselined) in the baseline") }
    let detail = parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))"
    let undetermined = failOnUndetermined ? undeterminedCounting(report) : 0
    let judged =
      undetermined == 0
      ? ""
      : ", and \(undetermined) undetermined (a rule at that level on a record; --fail-on-undetermined)"
    let verdict: String
    switch exitCode(report) {
    case 0: verdict = "passes (exit 0)"
    case 1: verdict = "fails (exit 1)"
    default: verdict = "cannot judge: some input could not be read (exit 2)"
    }
    return
      "gate: \(failing) finding\(failing == 1 ? "" : "s") count at fail level \(failLevel.rawValue)\(detail)\(judged); the run \(verdict)"
  }

  /// The lines the text report adds under a finding of this review: its waiver or
  /// baseline state.
  public func textLines(for review: FindingReview) -> String {
    var out = ""
    if let waiver = review.waiver {
      let state: String
      switch review.status {
      case .waived: state = "waived by \(waiver.reviewer) until \(waiver.expires)"
      case .waiverExpired: state = "EXPIRED waiver of \(waiver.reviewer) (until \(waiver.expires))"
      default:
        state = "waiver of \(waiver.reviewer) until \(waiver.expires) not judged (no as-of date)"
      }
      out += "  waiver:   \(state): \(waiver.reason) (\(waiver.file):\(waiver.line))\n"
    }
    if review.inBaseline { out += "  baseline: in \(baselinePath ?? "the baseline"), not new\n" }
    return out
  }
}

extension GateResult {
  /// A finding's "gate" object in the JSON report.
  static func write(_ review: FindingReview, to w: inout JSONWriter) {
    w.key("gate")
    w.beginObject()
    w.key("counts")
    w.bool(review.counts)
    let status: String
    switch review.status {
    case .open: status = "open"
    case .waived: status = "waived"
    case .waiverExpired: status = "waiver-expired"
    case .waiverUnjudged: status = "waiver-not-judged"
    }
    w.field("status", status)
    w.key("in_baseline")
    w.bool(review.inBaseline)
    w.key("waiver")
    if let waiver = review.waiver {
      w.beginObject()
      w.field("reviewer", waiver.reviewer)
      w.field("reason", waiver.reason)
      w.field("expires", waiver.expires.description)
      w.field("file", waiver.file)
      w.field("line", waiver.line)
      w.endObject()
    } else {
      w.null()
    }
    w.endObject()
  }

  /// The "gate" object of the JSON report's summary.
  func writeSummary(_ report: CheckReport, to w: inout JSONWriter) {
    w.key("gate")
    w.beginObject()
    w.field("fail_level", failLevel.rawValue)
    w.field("counting", failing)
    w.field("waived", waived)
    w.field("expired_waivers", expired)
    w.field("unused_waivers", unusedWaivers.count)
    w.key("in_baseline")
    if usesBaseline { w.int(baselined) } else { w.null() }
    w.key("undetermined_counting")
    if failOnUndetermined { w.int(undeterminedCounting(report)) } else { w.null() }
    w.field("exit_code", exitCode(report))
    w.endObject()
  }
}

/// Reads waivers files (docs/ci.md).
public enum WaiverFile {
  static let keys = ["fingerprint", "rule", "reviewer", "reason", "expires"]

  /// Parses a waivers file; every problem is a diagnostic with the file and line.
  public static func parse(_ text: String, path: String) -> (
    waivers: [Waiver]?, diagnostics: [Diagnostic]
  ) {
    let root: JSONNode
    switch JSONReader.parse(text, path: path, diagnosticID: "G0001") {
    case .success(let node): root = node
    case .failure(let diagnostic): return (nil, [diagnostic])
    }
    var problems: [Diagnostic] = []
    func problem(_ id: String, _ message: String, _ node: JSONNode, hint: String? = nil) {
      problems.append(
        Diagnostic(
          id: id, message: message, file: path, line: node.line, column: node.column, hint: hint))
    }
    guard case .object(let members) = root.kind else {
      problem(
        "G0002", "a waivers file is an object with a \"waivers\" array, found \(root.typeName)",
        root, hint: "write {\"waivers\": [ ... ]}")
      return (nil, problems)
    }
    for member in members where member.key != "waivers" && member.key != "version" {
      problem(
        "G0002", "unknown key \"\(member.key)\" in the waivers file", member.value,
        hint: NearNames.hint(for: member.key, among: ["waivers", "version"]))
    }
    if let version = root["version"], version.integer != 1 {
      problem("G0002", "unknown waivers file version", version, hint: "write \"version\": 1")
    }
    guard let list = root["waivers"], case .array(let items) = list.kind else {
      problem(
        "G0002", "the waivers file has no \"waivers\" array", root["waivers"] ?? root,
        hint: "write {\"waivers\": [ ... ]}")
      return (nil, problems)
    }
    var waivers: [Waiver] = []
    var seen: [String: Int] = [:]
    for item in items {
      guard case .object(let fields) = item.kind else {
        problem("G0002", "a waiver is an object, found \(item.typeName)", item)
        continue
      }
      for field in fields where !keys.contains(field.key) {
        problem(
          "G0002", "unknown key \"\(field.key)\" in a waiver", field.value,
          hint: NearNames.hint(for: field.key, among: keys)
            ?? "a waiver has: \(keys.joined(separator: ", "))")
      }
      func text(_ key: String, required: Bool = true) -> String? {
        guard let node = item[key] else {
          if required {
            problem(
              "G0003", "the waiver has no \"\(key)\"", item,
              hint: "every waiver gives fingerprint, reviewer, reason and expires")
          }
          return nil
        }
        guard let value = node.string else {
          problem("G0003", "\"\(key)\" must be a string, found \(node.typeName)", node)
          return nil
        }
        guard !value.allSatisfy(\.isWhitespace) else {
          problem(
            "G0003", "\"\(key)\" is empty", node, hint: "a waiver says who reviewed it and why")
          return nil
        }
        return value
      }
      let fingerprint = text("fingerprint")
      let rule = text("rule", required: false)
      let reviewer = text("reviewer")
      let reason = text("reason")
      let expiresText = text("expires")
      if let fingerprint, let node = item["fingerprint"] {
        if !Fingerprint.isWellFormed(fingerprint) {
          problem(
            "G0003", "\"\(fingerprint)\" is not a fingerprint", node,
            hint: "a fingerprint is 16 lower-case hex digits, as --format json or sarif shows it")
        } else if let first = seen[fingerprint] {
          problem(
            "G0004", "fingerprint \(fingerprint) is waived twice (first on line \(first))", node)
        } else {
          seen[fingerprint] = node.line
        }
      }
      var expires: CivilDate?
      if let expiresText, let node = item["expires"] {
        switch DateFormat.isoDate.parse(Substring(expiresText)) {
        case .success(let date): expires = date
        case .failure(let reason):
          problem("G0003", "\"expires\": \(reason)", node, hint: "write the date as YYYY-MM-DD")
        }
      }
      if let fingerprint, let reviewer, let reason, let expires {
        waivers.append(
          Waiver(
            fingerprint: fingerprint, rule: rule, reviewer: reviewer, reason: reason,
            expires: expires, file: path, line: item.line))
      }
    }
    return problems.isEmpty ? (waivers, []) : (nil, problems.sortedForDisplay())
  }
}

/// Reads and writes baseline files (docs/ci.md).
public enum BaselineFile {
  public static let version = 1

  /// The fingerprints of a baseline, with repeats.
  public static func parse(_ text: String, path: String) -> (
    fingerprints: [String]?, diagnostics: [Diagnostic]
  ) {
    let root: JSONNode
    switch JSONReader.parse(text, path: path, diagnosticID: "G0001") {
    case .success(let node): root = node
    case .failure(let diagnostic): return (nil, [diagnostic])
    }
    var problems: [Diagnostic] = []
    func problem(_ message: String, _ node: JSONNode, hint: String? = nil) {
      problems.append(
        Diagnostic(
          id: "G0005", message: message, file: path, line: node.line, column: node.column,
          hint: hint))
    }
    let hint = "write it with probity check --write-baseline FILE"
    if let version = root["probity_baseline"], version.integer != BaselineFile.version {
      problem("unknown baseline version", version, hint: hint)
    }
    guard let list = root["findings"], case .array(let items) = list.kind else {
      problem(
        "a baseline is an object with a \"findings\" array", root["findings"] ?? root, hint: hint)
      return (nil, problems)
    }
    var fingerprints: [String] = []
    for item in items {
      guard let node = item["fingerprint"], let fingerprint = node.string else {
        problem("each finding of a baseline has a \"fingerprint\" string", item, hint: hint)
        continue
      }
      guard Fingerprint.isWellFormed(fingerprint)
      else {
        problem(
          "\"\(fingerprint)\" is not a fingerprint", node,
          hint: "a fingerprint is 16 lower-case hex digits, as --write-baseline writes it")
        continue
      }
      fingerprints.append(fingerprint)
    }
    return problems.isEmpty ? (fingerprints, []) : (nil, problems)
  }

  /// A baseline of every finding of the report, in its order.
  public static func render(_ report: CheckReport, gate: GateResult) -> String {
    var w = JSONWriter()
    w.beginObject()
    w.field("probity_baseline", BaselineFile.version)
    w.field("rule_pack", report.rulePack)
    w.key("findings")
    w.beginArray()
    for (finding, review) in zip(report.findings, gate.reviews) {
      w.beginObject()
      w.field("fingerprint", review.fingerprint)
      w.field("rule", finding.ruleID)
      w.field("file", finding.file)
      w.field("line", finding.line)
      w.field("record", finding.transactionID)
      w.field("message", finding.message)
      w.endObject()
    }
    w.endArray()
    w.endObject()
    return w.document()
  }
}
