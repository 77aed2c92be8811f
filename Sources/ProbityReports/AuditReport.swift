import ProbityCore
import ProbityEngine

/// A batch audit: the check report over many filings, with what happened to each file.
public struct AuditReport: Sendable {
  public struct FileEntry: Sendable {
    public enum Status: String, Sendable {
      case checked
      /// Another filing amends it: its records are not counted twice.
      case superseded
      /// Not a filing Probity reads (found in a folder).
      case skipped
      case unreadable
    }

    public let path: String
    public let format: String?
    public let status: Status
    public let note: String?
    public let records: Int

    public init(path: String, format: String?, status: Status, note: String?, records: Int) {
      self.path = path
      self.format = format
      self.status = status
      self.note = note
      self.records = records
    }
  }

  public let check: CheckReport
  public let files: [FileEntry]

  public init(check: CheckReport, files: [FileEntry]) {
    self.check = check
    self.files = files
  }

  /// How many files ended in each status, as "12 checked, 1 skipped, 1 unreadable" (by
  /// count, then status).
  public var fileCounts: String {
    AuditReport.tally(files.map(\.status.rawValue)).map { "\($0.count) \($0.key)" }
      .joined(separator: ", ")
  }

  /// The files that were not checked: those that could not be read first, then those
  /// skipped, then those superseded; each in path order.
  public var filesNotChecked: [FileEntry] {
    let rank: [FileEntry.Status: Int] = [.unreadable: 0, .skipped: 1, .superseded: 2]
    return files.enumerated().filter { $0.element.status != .checked }
      .sorted { (rank[$0.element.status]!, $0.offset) < (rank[$1.element.status]!, $1.offset) }
      .map(\.element)
  }

  /// (key, count) sorted by count, then key.
  static func tally(_ keys: [String]) -> [(key: String, count: Int)] {
    var counts: [String: Int] = [:]
    for key in keys { counts[key, default: 0] += 1 }
    return ranked(counts)
  }

  /// Counts by key, sorted by count, then key.
  static func ranked(_ counts: [String: Int]) -> [(key: String, count: Int)] {
    counts.map { ($0.key, $0.value) }.sorted { ($1.count, $0.key) < ($0.count, $1.key) }
  }

  public var byRule: [(key: String, count: Int)] {
    tally { $0.ruleID }
  }
  /// The outcomes that could not be evaluated (counted per rule; at most
  /// `CheckRun.examplesPerRule` of each rule's are in `check.problems`), by rule.
  public var evaluationErrorsByRule: [(key: String, count: Int)] {
    check.rules.filter { $0.tally.failed > 0 }.map { ($0.id, $0.tally.failed) }
      .sorted { ($1.count, $0.key) < ($0.count, $1.key) }
  }
  public var evaluationErrors: Int { check.rules.reduce(0) { $0 + $1.tally.failed } }
  public var byCategory: [(key: String, count: Int)] {
    tally { $0.category.rawValue }
  }
  public var byFiler: [(key: String, count: Int)] {
    tally { finding in
      [finding.filerID, finding.filerName].compactMap { $0 }.joined(separator: " ").nonEmpty
        ?? "(filer not given)"
    }
  }

  /// The findings counted by a key of each (of what identifies it: its rule and record,
  /// read without decoding its texts), most first, then by key.
  private func tally(_ key: (borrowing Finding) -> String) -> [(key: String, count: Int)] {
    var counts: [String: Int] = [:]
    for index in check.findings.indices {
      counts[key(check.findings.identity(at: index)), default: 0] += 1
    }
    return AuditReport.ranked(counts)
  }
}

extension String {
  fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

extension ReportRenderer {
  // MARK: Audit summary (text)

  public static func auditSummary(_ report: AuditReport) -> String {
    var out = ""
    out += "files: \(report.files.count) (\(report.fileCounts))\n"
    for file in report.files where file.status != .checked {
      out += "  \(file.path): \(file.status.rawValue)\(file.note.map { ": \($0)" } ?? "")\n"
    }
    let check = report.check
    out +=
      "records: \(check.recordsRead) read, \(check.recordsEvaluated) evaluated, \(check.recordsRejected) rejected"
    if check.rowsSkipped > 0 {
      let rows = check.rowsSkipped == 1 ? "row" : "rows"
      let types = check.skippedTypesText
      out +=
        ", \(check.rowsSkipped) other \(rows) skipped (not receipts or disbursements read\(types.isEmpty ? "" : ": " + types))"
    }
    out += "\n"
    if let asOf = check.asOf {
      out +=
        "as of:   \(asOf) (\(check.asOfGiven ? "--as-of" : "the latest record date; set it with --as-of"))\n"
    }
    out +=
      "findings: \(check.findings.count) (\(check.count(.error)) error, \(check.count(.warning)) warning, \(check.count(.info)) info)\n"
    if report.evaluationErrors > 0 {
      out +=
        "evaluation errors: \(report.evaluationErrors) (could not be evaluated: the audit fails)\n"
    }
    func section(_ title: String, _ rows: [(key: String, count: Int)], limit: Int = .max) {
      guard !rows.isEmpty else { return }
      out += "\nby \(title):\n"
      let width = rows.prefix(limit).map(\.key.count).max() ?? 0
      for row in rows.prefix(limit) {
        out += "  \(row.key)\(String(repeating: " ", count: width - row.key.count))  \(row.count)\n"
      }
      if rows.count > limit { out += "  ... and \(rows.count - limit) more\n" }
    }
    section("rule", report.byRule)
    section("category", report.byCategory)
    section("filer", report.byFiler, limit: 20)
    // What could not be evaluated fails the audit as a finding does: said here too, not
    // only in findings.json and findings.sarif.
    section("rule, could not be evaluated", report.evaluationErrorsByRule)
    if !check.problems.isEmpty {
      out += "\ncould not be evaluated (at most \(CheckRun.examplesPerRule) per rule):\n"
      for problem in check.problems {
        out +=
          "  \(problem.file):\(problem.line): evaluation error[\(problem.ruleID)] \(problem.message)\n"
      }
    }
    return out
  }

  // MARK: Findings as CSV

  /// One row per finding, for spreadsheets: RFC 4180 quoting, a header line.
  public static func findingsCSV(_ report: CheckReport) -> String {
    var out = ""
    writeFindingsCSV(report) { out += $0 }
    return out
  }

  /// The same text given to `emit` in pieces, in order, as it is made (a piece every
  /// `csvRowsPerPiece` findings): what `probity audit` writes to findings.csv. An error
  /// `emit` throws (a write that failed) stops the writing.
  public static func writeFindingsCSV(_ report: CheckReport, to emit: (String) throws -> Void)
    rethrows
  {
    let header = [
      "rule", "severity", "category", "title", "citation", "file", "line", "record", "filer_id",
      "filer_name", "kind",
      "message", "remedy", "deadline", "remedy_status", "values",
    ]
    var out = header.joined(separator: ",") + "\r\n"
    try report.findings.forEachInPlace { finding, index in
      out += csvRow(finding)
      if (index + 1) % csvRowsPerPiece == 0 {
        try emit(out)
        out = ""
      }
    }
    try emit(out)
  }

  static let csvRowsPerPiece = 4_096

  /// A finding's row of findings.csv, with its line break.
  static func csvRow(_ finding: borrowing Finding) -> String {
    let row: [String] = [
      finding.ruleID, finding.severity.rawValue, finding.category.rawValue, finding.title,
      finding.citation,
      finding.file, String(finding.line), finding.transactionID ?? "", finding.filerID ?? "",
      finding.filerName ?? "",
      finding.kind.rawValue, finding.message, finding.remedy ?? "",
      finding.deadline?.description ?? "",
      finding.remedyStatus?.rawValue ?? "",
      finding.values.map { "\($0.name) = \($0.value)" }.joined(separator: "; "),
    ]
    return row.map(csvField).joined(separator: ",") + "\r\n"
  }

  static func csvField(_ text: String) -> String {
    // Read by byte, not by character: "\r\n" is one character, equal to neither "\r"
    // nor "\n", so a text whose only line break was one was left unquoted (and broke the
    // row in two); and "=" followed by a combining accent is a character other than "=".
    // A leading =, +, - or @ would be a formula in a spreadsheet: quote it as text.
    let risky = text.utf8.first.map { "=+-@".utf8.contains($0) } ?? false
    guard
      risky
        || text.utf8.contains(where: {
          $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n")
            || $0 == UInt8(ascii: "\r")
        })
    else { return text }
    let escaped = Escaping.replacingASCII(text) { $0 == UInt8(ascii: "\"") ? "\"\"" : nil }
    return "\"" + (risky ? "'" : "") + escaped + "\""
  }
}
