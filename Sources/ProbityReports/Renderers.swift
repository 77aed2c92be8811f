import Dispatch
import ProbityCore
import ProbityEngine

/// The output formats of `probity check`.
public enum ReportFormat: String, CaseIterable, Sendable {
  case text
  case json
  case sarif
  case junit
  case github
}

public enum ReportRenderer {
  public static let jsonSchemaVersion = 1

  /// The report in `format`. (A finding of an XML filing carries its record's element
  /// path, `Finding.locator`: JSON's `"path"`.)
  public static func render(
    _ report: CheckReport, as format: ReportFormat
  ) -> String {
    switch format {
    case .text: return text(report)
    case .json: return json(report)
    case .sarif, .junit, .github:
      let gate = report.gate ?? GateResult(report: report, failLevel: .error, toolVersion: "")
      switch format {
      case .sarif: return SARIFRenderer.render(report, gate: gate).text
      case .junit: return JUnitRenderer.render(report, gate: gate)
      default: return GitHubAnnotations.render(report, gate: gate)
      }
    }
  }

  // MARK: Text

  /// Compiler-style findings, then the summary.
  ///
  ///     filing.csv:7: error[US-CASH-001] Jane Roe gave $250.00 in cash; ...
  ///       citation: 11 CFR 110.4(c)(2)
  ///       record:   receipt SA11AI.0007
  ///       values:   payment_method = "cash", amount = $250.00, cash_limit = $100.00
  ///       remedy:   return the amount over $100.00 to the contributor
  public static func text(_ report: CheckReport) -> String {
    var all = ""
    writeText(report) { all += $0 }
    return all
  }

  /// Findings of the text report handed out at a time by `writeText`.
  static let textFindingsPerPiece = 4_096

  /// The text report given to `emit` in pieces, in order, as it is made (a few thousand
  /// findings at a time, then the summary): what `probity check` writes. Memory holds a
  /// piece's text, not the whole report's. Each piece ends at a line's end. An error
  /// `emit` throws (a write that failed) stops the writing.
  public static func writeText(_ report: CheckReport, to emit: (String) throws -> Void)
    rethrows
  {
    try writeText(report, perPiece: textFindingsPerPiece, to: emit)
  }

  /// `writeText` with pieces of `perPiece` findings (for the tests).
  static func writeText(
    _ report: CheckReport, perPiece: Int, to emit: (String) throws -> Void
  ) rethrows {
    precondition(
      report.gate.map { $0.reviews.count == report.findings.count } ?? true,
      "a gate made from another report")
    let findings = report.findings
    let gate = report.gate
    // Each piece's findings made on all the cores once there are enough of them (a
    // finding's text depends on it and its review alone), then handed out in order; the
    // last piece goes out with the summary.
    var out = ""
    for start in stride(from: 0, to: findings.count, by: perPiece) {
      if start > 0 { try emit(out) }
      let range = start..<min(findings.count, start + perPiece)
      guard range.count >= findingsWrittenInParts else {
        out = ""
        findings.forEachInPlace(in: range) { finding, index in
          appendText(finding, review: gate?.reviews[index], gate: gate, to: &out)
        }
        continue
      }
      out = inParts(range) { part in
        var text = ""
        findings.forEachInPlace(in: part) { finding, index in
          appendText(finding, review: gate?.reviews[index], gate: gate, to: &text)
        }
        return text
      }.joined()
    }
    out +=
      "summary: \(report.recordsRead) records read, \(report.recordsEvaluated) evaluated, \(report.recordsRejected) rejected"
    // Covers, text and the schedules no rule reads (loans, debts, independent
    // expenditures, 48-hour notices: docs/formats.md), or rows a mapping skips: not all
    // without money, so not called that.
    if report.rowsSkipped > 0 {
      let rows = report.rowsSkipped == 1 ? "row" : "rows"
      let types = report.skippedTypesText
      out +=
        ", \(report.rowsSkipped) other \(rows) skipped (not receipts or disbursements read\(types.isEmpty ? "" : ": " + types))"
    }
    out += "\n"
    if let asOf = report.asOf {
      out +=
        "as of:   \(asOf) (\(report.asOfGiven ? "--as-of" : "the latest record date; set it with --as-of"))\n"
    }
    let total = report.findings.count
    out +=
      "findings: \(total) (\(report.count(.error)) error, \(report.count(.warning)) warning, \(report.count(.info)) info)\n"
    if let gate = report.gate, gate.usesWaivers || gate.usesBaseline || gate.failOnUndetermined {
      out += gate.summaryLine(report) + "\n"
    }
    let width = report.rules.map(\.id.count).max() ?? 0
    for rule in report.rules {
      let pad = String(repeating: " ", count: width - rule.id.count)
      var line = "  \(rule.id)\(pad)  \(rule.tally.fired) fired, \(rule.tally.evaluated) evaluated"
      if rule.tally.undetermined > 0 {
        let causes = rule.tally.missingFieldCounts.sorted {
          ($1.value, $0.key) < ($0.value, $1.key)
        }
        .map { "\($0.key) in \($0.value)" }.joined(separator: ", ")
        // Every missing value a rule needed is named (docs/language.md, "Missing
        // values"); should none be, no empty list is printed.
        line += ", \(rule.tally.undetermined) undetermined"
        if !causes.isEmpty { line += " (missing: \(causes))" }
      }
      if rule.tally.failed > 0 { line += ", \(rule.tally.failed) could not be evaluated" }
      if rule.tally.notApplicable > 0 { line += ", \(rule.tally.notApplicable) not applicable" }
      if rule.tally.cured > 0 { line += ", \(rule.tally.cured) cured in time" }
      if rule.tally.pending > 0 {
        line += ", \(rule.tally.pending) with the cure window still open"
      }
      out += line + "\n"
    }
    for problem in report.problems {
      out +=
        "\(problem.file):\(problem.line): evaluation error[\(problem.ruleID)] \(problem.message)\n"
    }
    try emit(out)
  }

  /// One finding of the text report, with the gate's review of it.
  static func appendText(
    _ finding: borrowing Finding, review: FindingReview?, gate: GateResult?, to out: inout String
  ) {
    out +=
      "\(finding.file):\(finding.line): \(finding.severity.rawValue)[\(finding.ruleID)] \(finding.message)\n"
    out += "  rule:     \(finding.title) (\(finding.category.rawValue))\n"
    out += "  citation: \(finding.citation)\n"
    out +=
      "  record:   \(finding.kind.rawValue) \(finding.transactionID ?? "(no transaction id)")\n"
    let values = finding.values.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
    out += "  values:   \(values)\n"
    let because = Explainer.text(finding.explanation, indent: "            ")
    if let first = because.first {
      out += "  because:  " + first.dropFirst(12) + "\n"
      for line in because.dropFirst() { out += line + "\n" }
    }
    if !finding.group.isEmpty {
      out +=
        "  group:    \(finding.group.map { "\($0.name) = \($0.value)" }.joined(separator: ", "))\n"
    }
    if !finding.trail.isEmpty { appendTrail(finding.trail, to: &out) }
    if let deadline = finding.deadline {
      let status: String
      switch finding.remedyStatus {
      case .uncured: status = "passed, not cured"
      case .curedLate: status = "passed, cured late"
      case nil: status = "the remedy is due by then"
      }
      out += "  deadline: \(deadline) (\(status))\n"
    }
    if let remedy = finding.remedy { out += "  remedy:   \(remedy)\n" }
    if let gate, let review { out += gate.textLines(for: review) }
    out += "\n"
  }

  /// The trail as a small table; an arrow marks the record the finding is raised on.
  /// `indent` starts each row (the check output puts a label before the header
  /// instead).
  static func trailText(_ trail: [TrailEntry], indent: String? = nil) -> String {
    var out = ""
    appendTrail(trail, indent: indent, to: &out)
    return out
  }

  /// `trailText`, appended to `out`.
  static func appendTrail(_ trail: [TrailEntry], indent: String? = nil, to out: inout String) {
    let rows = trail.map { entry in
      [
        entry.date?.description ?? "-", entry.amount.plainText, entry.running.plainText,
        "\(entry.file):\(entry.line)" + (entry.transactionID.map { " \($0)" } ?? ""),
      ]
    }
    let header = ["date", "amount", "running", "record"]
    let headerWidths = header.map(displayWidth)
    let rowWidths = rows.map { $0.map(displayWidth) }
    var widths = headerWidths
    for row in rowWidths {
      for (column, width) in row.enumerated() { widths[column] = max(widths[column], width) }
    }
    func line(_ cells: [String], _ cellWidths: [Int], marker: String) {
      out += marker
      for column in cells.indices {
        let pad = widths[column] - cellWidths[column]
        // Amounts are right-aligned, the rest left-aligned.
        if column == 1 || column == 2 {
          appendSpaces(pad, to: &out)
          out += cells[column]
        } else {
          out += cells[column]
          if column != cells.count - 1 { appendSpaces(pad, to: &out) }
        }
        if column < cells.count - 1 { out += "  " }
      }
      out += "\n"
    }
    out += indent ?? "  trail:    "
    line(header, headerWidths, marker: "  ")
    for (index, entry) in trail.enumerated() {
      out += indent ?? "            "
      line(rows[index], rowWidths[index], marker: entry.raisedHere ? "→ " : "  ")
    }
  }

  /// The width of a cell as the trail table counts it: its characters (a plain ASCII
  /// cell without a carriage return has one per byte).
  static func displayWidth(_ text: String) -> Int {
    for byte in text.utf8 where byte >= 0x80 || byte == 0x0D { return text.count }
    return text.utf8.count
  }

  /// Strings of 0 to 63 spaces, for padding without making one each time.
  static let spaces: [String] = (0..<64).map { String(repeating: " ", count: $0) }

  static func appendSpaces(_ count: Int, to out: inout String) {
    guard count > 0 else { return }
    out += count < spaces.count ? spaces[count] : String(repeating: " ", count: count)
  }

  // MARK: JSON

  /// The JSON document described in docs/output.md.
  public static func json(
    _ report: CheckReport
  ) -> String {
    jsonWriter(report) { _ in }.document()
  }

  /// The same document as UTF-8 bytes, not made into a `String` (which checks every byte
  /// again): what `probity check --format json` writes.
  public static func jsonBytes(
    _ report: CheckReport
  ) -> [UInt8] {
    jsonWriter(report) { _ in }.documentBytes()
  }

  /// The same bytes given to `emit` in pieces, in order, as they are made: what `probity
  /// check --format json` writes. Memory holds the text of at most a wave of findings
  /// (`findingsPerWave`), not the whole report (174,000 findings are a 202 MB report).
  /// An error `emit` throws (a write that failed) stops the writing: nothing more is
  /// made.
  public static func writeJSON(_ report: CheckReport, to emit: ([UInt8]) throws -> Void)
    rethrows
  {
    try writeJSON(report, perWave: findingsPerWave, to: emit)
  }

  /// `writeJSON` with waves of `perWave` findings (for the tests).
  static func writeJSON(_ report: CheckReport, perWave: Int, to emit: ([UInt8]) throws -> Void)
    rethrows
  {
    let writer = try jsonWriter(report, perWave: perWave) { writer in
      for chunk in writer.takeChunks() { try emit(chunk) }
    }
    for chunk in writer.documentChunks() { try emit(chunk) }
  }

  /// Findings from which the JSON report writes them in parts, on all the cores: a
  /// finding is some 35,000 instructions to write (the whole UK register's 48,622 are a
  /// 110 MB report), and the run's other threads are done by then.
  static let findingsWrittenInParts = 2_000
  static let findingParts = 8
  /// Findings written in parts at a time, in waves: a wave's text is handed out (when
  /// there is where to) before the next is made.
  static let findingsPerWave = 16_000

  /// The findings, in the array `w` has begun: in parts written at once when there are
  /// many (the same bytes, in the same order), a wave of parts at a time; `afterWave` is
  /// given `w` after each wave (to take out and write what it holds). An error it throws
  /// stops the writing.
  static func writeFindings(
    _ report: CheckReport, to w: inout JSONWriter, perWave: Int = findingsPerWave,
    afterWave: (inout JSONWriter) throws -> Void
  ) rethrows {
    let gate = report.gate
    // The gate's reviews are one per finding, in the report's order (it is made from the
    // report it is set on).
    precondition(
      gate.map { $0.reviews.count == report.findings.count } ?? true,
      "a gate made from another report")
    let findings = report.findings
    guard findings.count >= findingsWrittenInParts else {
      findings.forEachInPlace { finding, index in
        write(finding, review: gate?.reviews[index], to: &w)
      }
      return
    }
    // Read, never written, by the parts' threads.
    nonisolated(unsafe) let start = w.continuation()
    for wave in stride(from: 0, to: findings.count, by: perWave) {
      let range = wave..<min(findings.count, wave + perWave)
      let parts = inParts(range) { range in
        var writer = start.continuation()
        findings.forEachInPlace(in: range) { finding, index in
          write(finding, review: gate?.reviews[index], to: &writer)
        }
        return writer
      }
      for part in parts { w.append(members: part) }
      try afterWave(&w)
    }
  }

  /// What `make` gives for each of `findingParts` consecutive parts of `range`, made at
  /// once on all the cores, in order.
  static func inParts<Part>(_ range: Range<Int>, _ make: @Sendable (Range<Int>) -> Part)
    -> [Part]
  {
    let size = (range.count + findingParts - 1) / findingParts
    let lower = range.lowerBound
    var parts = [Part?](repeating: nil, count: findingParts)
    parts.withUnsafeMutableBufferPointer { parts in
      // Each part made into its own place, by one thread.
      nonisolated(unsafe) let parts = parts
      DispatchQueue.concurrentPerform(iterations: findingParts) { part in
        let start = min(range.upperBound, lower + part * size)
        parts[part] = make(start..<min(range.upperBound, lower + (part + 1) * size))
      }
    }
    return parts.map { $0! }
  }

  static func jsonWriter(
    _ report: CheckReport, perWave: Int = findingsPerWave,
    afterWave: (inout JSONWriter) throws -> Void
  ) rethrows -> JSONWriter {
    var w = JSONWriter()
    w.beginObject()
    w.field("schema_version", jsonSchemaVersion)
    w.field("rule_pack", report.rulePack)
    w.key("inputs")
    w.beginArray()
    for input in report.inputs { w.string(input) }
    w.endArray()
    // After the inputs, so that a reader sees first which of them could not be read.
    w.key("input_errors")
    w.beginArray()
    for diagnostic in report.gate?.inputErrors ?? [] { write(diagnostic, to: &w) }
    w.endArray()
    w.key("inputs_set_aside")
    w.beginArray()
    for input in report.setAside {
      w.beginObject()
      w.field("file", input.file)
      w.field("reason", input.reason)
      w.endObject()
    }
    w.endArray()
    w.key("findings")
    w.beginArray()
    try writeFindings(report, to: &w, perWave: perWave, afterWave: afterWave)
    w.endArray()
    w.key("undetermined")
    w.beginArray()
    for item in report.undetermined {
      w.beginObject()
      w.field("rule", item.ruleID)
      w.field("file", item.file)
      w.field("line", item.line)
      w.field("record", item.transactionID)
      w.key("missing_fields")
      w.beginArray()
      for field in item.missingFields { w.string(field) }
      w.endArray()
      w.endObject()
    }
    w.endArray()
    w.key("evaluation_errors")
    w.beginArray()
    for problem in report.problems {
      w.beginObject()
      w.field("rule", problem.ruleID)
      w.field("file", problem.file)
      w.field("line", problem.line)
      w.field("record", problem.transactionID)
      w.field("message", problem.message)
      w.endObject()
    }
    w.endArray()
    w.key("rejected")
    w.beginArray()
    for diagnostic in report.rejections { write(diagnostic, to: &w) }
    w.endArray()
    w.key("summary")
    w.beginObject()
    w.field("records_read", report.recordsRead)
    w.field("records_evaluated", report.recordsEvaluated)
    w.field("records_rejected", report.recordsRejected)
    w.field("rows_skipped", report.rowsSkipped)
    w.key("rows_skipped_by_type")
    w.beginObject()
    for (type, count) in report.skippedTypes.sorted(by: { $0.key < $1.key }) {
      w.field(text: type, count)
    }
    w.endObject()
    w.field("as_of", report.asOf?.description)
    w.key("as_of_given")
    w.bool(report.asOfGiven)
    w.field("rejection_problems", report.rejectionDiagnostics)
    w.key("findings")
    w.beginObject()
    w.field("total", report.findings.count)
    for severity in [FindingSeverity.error, .warning, .info] {
      w.field(text: severity.rawValue, report.count(severity))
    }
    w.endObject()
    w.key("findings_per_rule")
    w.beginObject()
    for rule in report.rules { w.field(text: rule.id, rule.tally.fired) }
    w.endObject()
    if let gate = report.gate { gate.writeSummary(report, to: &w) }
    w.key("rules")
    w.beginArray()
    for rule in report.rules {
      w.beginObject()
      w.field("rule", rule.id)
      w.field("title", rule.title)
      w.field("severity", rule.severity.rawValue)
      w.field("category", rule.category.rawValue)
      w.field("citation", rule.citation)
      w.field("evaluated", rule.tally.evaluated)
      w.field("fired", rule.tally.fired)
      w.field("undetermined", rule.tally.undetermined)
      w.field("evaluation_errors", rule.tally.failed)
      w.field("not_applicable", rule.tally.notApplicable)
      w.field("cured", rule.tally.cured)
      w.field("pending", rule.tally.pending)
      w.key("missing_fields")
      w.beginObject()
      for (field, count) in rule.tally.missingFieldCounts.sorted(by: { $0.key < $1.key }) {
        w.field(text: field, count)
      }
      w.endObject()
      w.endObject()
    }
    w.endArray()
    w.endObject()
    w.endObject()
    return w
  }

  /// One finding as a JSON object (check and explain share it).
  /// `review`: what the gate made of it (`probity check`), written as its fingerprint
  /// and a "gate" object; `fingerprint`: the fingerprint alone, where there is no gate
  /// (`probity explain`).
  static func write(
    _ finding: borrowing Finding, review: FindingReview? = nil, fingerprint: String? = nil,
    to w: inout JSONWriter
  ) {
    w.beginObject()
    w.field("rule", finding.ruleID)
    w.field("title", finding.title)
    w.field("category", finding.category.rawValue)
    w.field("severity", finding.severity.rawValue)
    w.field("citation", finding.citation)
    w.field("file", finding.file)
    w.field("line", finding.line)
    w.field("path", finding.locator)
    w.field("record", finding.transactionID)
    if let fingerprint = review?.fingerprint ?? fingerprint { w.field("fingerprint", fingerprint) }
    w.field("kind", finding.kind.rawValue)
    w.field("message", finding.message)
    w.field("remedy", finding.remedy)
    w.key("explanation")
    write(finding.explanation, to: &w)
    w.key("values")
    write(finding.values, to: &w)
    w.key("group")
    if finding.group.isEmpty { w.null() } else { write(finding.group, to: &w) }
    w.key("trail")
    w.beginArray()
    for entry in finding.trail {
      w.beginObject()
      w.field("file", entry.file)
      w.field("line", entry.line)
      w.field("record", entry.transactionID)
      w.field("date", entry.date?.description)
      w.key("amount")
      write(entry.amount, to: &w)
      w.key("running")
      write(entry.running, to: &w)
      w.key("raised_here")
      w.bool(entry.raisedHere)
      w.endObject()
    }
    w.endArray()
    w.field("deadline", finding.deadline?.description)
    w.field("remedy_status", finding.remedyStatus?.rawValue)
    if let review { GateResult.write(review, to: &w) }
    w.endObject()
  }

  /// A reader's diagnostic as `{"id", "file", "line", "message"}` (`line` null when the
  /// problem is not on a line): a rejected row, or an input that could not be read.
  static func write(_ diagnostic: Diagnostic, to w: inout JSONWriter) {
    w.beginObject()
    w.field("id", diagnostic.id)
    w.field("file", diagnostic.file)
    if let line = diagnostic.position?.line {
      w.field("line", line)
    } else {
      w.key("line")
      w.null()
    }
    w.field("message", diagnostic.message)
    w.endObject()
  }

  /// Named values as one JSON object, in their order.
  static func write(_ pairs: [(name: String, value: Value)], to w: inout JSONWriter) {
    w.beginObject()
    for (name, value) in pairs {
      w.key(text: name)
      write(value, to: &w)
    }
    w.endObject()
  }

  static func write(_ value: Value, to w: inout JSONWriter) {
    switch value {
    case .missing: w.null()
    case .boolean(let b): w.bool(b)
    case .integer(let i): w.int(i)
    case .string(let s): w.string(s)
    case .date(let d): w.string(d.description)
    case .money(let m):
      w.beginObject()
      w.field("amount", m.decimalString)
      w.field("currency", m.currency.code)
      w.endObject()
    case .list(let items):
      w.beginArray()
      for item in items { write(item, to: &w) }
      w.endArray()
    }
  }
}
