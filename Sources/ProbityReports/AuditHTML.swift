import Dispatch
import ProbityCore
import ProbityEngine

extension ReportRenderer {
  /// A self-contained HTML report (one file, no network): counts, charts by rule and by
  /// category, the top filers, and a sortable, filterable table of findings, each with
  /// its full explanation.
  public static func auditHTML(_ report: AuditReport, title: String = "Probity audit") -> String {
    var html = ""
    writeAuditHTML(report, title: title) { html += $0 }
    return html
  }

  /// The same page given to `emit` in pieces, in order, as it is made (the table of
  /// findings a wave of `findingsPerWave` rows at a time): what `probity audit` writes
  /// to report.html. An error `emit` throws (a write that failed) stops the writing.
  public static func writeAuditHTML(
    _ report: AuditReport, title: String = "Probity audit", to emit: (String) throws -> Void
  ) rethrows {
    try writeAuditHTML(report, title: title, perWave: findingsPerWave, to: emit)
  }

  /// `writeAuditHTML` with waves of `perWave` rows (for the tests).
  static func writeAuditHTML(
    _ report: AuditReport, title: String, perWave: Int, to emit: (String) throws -> Void
  ) rethrows {
    let check = report.check
    var html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escape(title))</title>
      <style>
      body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d1d1f; }
      h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
      .meta { color: #555; } .cards { display: flex; gap: 12px; margin: 16px 0; flex-wrap: wrap; }
      .card { border: 1px solid #ddd; border-radius: 8px; padding: 10px 16px; min-width: 110px; }
      .card b { display: block; font-size: 22px; }
      .error b { color: #b3261e; } .warning b { color: #9a6700; } .info b { color: #0b57d0; }
      .charts { display: flex; gap: 32px; flex-wrap: wrap; }
      table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
      th { cursor: pointer; background: #f6f6f6; user-select: none; } th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
      .sev-error { color: #b3261e; font-weight: 600; } .sev-warning { color: #9a6700; font-weight: 600; } .sev-info { color: #0b57d0; }
      .controls { display: flex; gap: 8px; margin: 8px 0; flex-wrap: wrap; } .controls input { flex: 1; min-width: 200px; padding: 5px; }
      details pre { background: #fafafa; border: 1px solid #eee; padding: 8px; overflow-x: auto; font-size: 12px; }
      .num { text-align: right; font-variant-numeric: tabular-nums; }
      .alert { border: 2px solid #b3261e; background: #fdecea; border-radius: 8px; padding: 10px 16px; margin: 12px 0; }
      .alert strong { color: #b3261e; } .verdict { margin-top: 4px; font-weight: 600; }
      </style>
      </head>
      <body>
      <h1>\(escape(title))</h1>
      \(incompleteWarning(report))<div class="meta">Rule pack <code>\(escape(check.rulePack))</code> · \(report.files.count) \(report.files.count == 1 ? "file" : "files") (\(report.fileCounts)) · \(check.recordsRead) records read, \(check.recordsEvaluated) evaluated, \(check.recordsRejected) rejected\(check.asOf.map { " · judged as of \($0)" } ?? "")</div>
      \(check.gate.map { "<div class=\"verdict\" id=\"verdict\">\(escape($0.summaryLine(check)))</div>" } ?? "")
      \(filesNotChecked(report))\(evaluationErrors(report))<div class="cards">
      <div class="card"><b id="count-total">\(check.findings.count)</b>findings</div>
      <div class="card error"><b>\(check.count(.error))</b>errors</div>
      <div class="card warning"><b>\(check.count(.warning))</b>warnings</div>
      <div class="card info"><b>\(check.count(.info))</b>info</div>
      </div>
      <div class="charts">
      <div><h2>Findings by rule</h2>\(barChart(report.byRule, id: "chart-rules"))</div>
      <div><h2>Findings by category</h2>\(barChart(report.byCategory, id: "chart-categories"))</div>
      </div>
      <h2>Top filers</h2>
      <table id="filers"><thead><tr><th>Filer</th><th class="num">Findings</th></tr></thead><tbody>

      """
    for row in report.byFiler.prefix(10) {
      html += "<tr><td>\(escape(row.key))</td><td class=\"num\">\(row.count)</td></tr>\n"
    }
    html += """
      </tbody></table>
      <h2>Findings</h2>
      <div class="controls">
      <input id="filter" type="search" placeholder="Filter: rule, filer, donor, file, message…" aria-label="Filter findings">
      <select id="severity" aria-label="Severity"><option value="">all severities</option><option>error</option><option>warning</option><option>info</option></select>
      <select id="category" aria-label="Category"><option value="">all categories</option>
      """
    for category in report.byCategory { html += "<option>\(escape(category.key))</option>" }
    html += """
      </select>
      <span id="shown"></span>
      </div>
      <table id="findings"><thead><tr>
      <th data-type="text">Severity</th><th data-type="text">Rule</th><th data-type="text">Category</th><th data-type="text">Filer</th><th data-type="text">Record</th><th data-type="text">Finding</th>
      </tr></thead><tbody>

      """
    try emit(html)
    html = ""
    for wave in stride(from: 0, to: check.findings.count, by: perWave) {
      try emit(findingRows(check.findings, wave..<min(check.findings.count, wave + perWave)))
    }
    html += """
      </tbody></table>
      <script>
      (function () {
        var rows = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
        var filter = document.getElementById('filter'), severity = document.getElementById('severity'),
            category = document.getElementById('category'), shown = document.getElementById('shown');
        function apply() {
          var q = filter.value.toLowerCase(), n = 0;
          rows.forEach(function (row) {
            var ok = (!q || row.textContent.toLowerCase().indexOf(q) >= 0)
              && (!severity.value || row.dataset.severity === severity.value)
              && (!category.value || row.dataset.category === category.value);
            row.style.display = ok ? '' : 'none';
            if (ok) n++;
          });
          shown.textContent = n + ' of ' + rows.length + ' shown';
        }
        [filter, severity, category].forEach(function (el) { el.addEventListener('input', apply); });
        document.querySelectorAll('#findings th').forEach(function (th, column) {
          th.addEventListener('click', function () {
            var asc = !th.classList.contains('sorted-asc');
            document.querySelectorAll('#findings th').forEach(function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
            th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
            var body = document.querySelector('#findings tbody');
            rows.sort(function (a, b) {
              var x = a.cells[column].textContent, y = b.cells[column].textContent;
              return asc ? x.localeCompare(y, undefined, {numeric: true}) : y.localeCompare(x, undefined, {numeric: true});
            });
            rows.forEach(function (row) { body.appendChild(row); });
          });
        });
        apply();
      })();
      </script>
      </body>
      </html>

      """
    try emit(html)
  }

  /// The rows of the table of findings of `range`: from `findingsWrittenInParts`
  /// findings, in parts made at once on all the cores, joined in order (the same text).
  static func findingRows(_ findings: Findings, _ range: Range<Int>) -> String {
    @Sendable func rows(_ range: Range<Int>) -> String {
      var html = ""
      findings.forEachInPlace(in: range) { finding, _ in html += findingRow(finding) }
      return html
    }
    guard range.count >= findingsWrittenInParts else { return rows(range) }
    let parts = inParts(range, rows)
    var html = ""
    html.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count })
    for part in parts { html += part }
    return html
  }

  /// A finding's row of the table of findings.
  static func findingRow(_ finding: borrowing Finding) -> String {
    let location =
      "\(finding.file):\(finding.line)" + (finding.transactionID.map { " \($0)" } ?? "")
    let filer = [finding.filerID, finding.filerName].compactMap { $0 }.joined(separator: " ")
    var html =
      "<tr class=\"finding\" data-severity=\"\(finding.severity.rawValue)\" data-category=\"\(finding.category.rawValue)\">"
    html += "<td class=\"sev-\(finding.severity.rawValue)\">\(finding.severity.rawValue)</td>"
    html += "<td>\(escape(finding.ruleID))</td><td>\(escape(finding.category.rawValue))</td>"
    html += "<td>\(escape(filer))</td><td>\(escape(location))</td>"
    html +=
      "<td><details><summary>\(escape(finding.message))</summary><pre>\(escape(explanationText(finding)))</pre></details></td></tr>\n"
    return html
  }

  /// Under the title: a warning when some input could not be read (the counts and
  /// findings below leave its records out).
  static func incompleteWarning(_ report: AuditReport) -> String {
    let unreadable = report.files.count { $0.status == .unreadable }
    guard unreadable > 0 else { return "" }
    let (these, their) = unreadable == 1 ? ("1 input", "Its") : ("\(unreadable) inputs", "Their")
    return """
      <div class="alert" id="incomplete" role="alert"><strong>Incomplete audit: \(these) could not be read</strong> \
      (listed under Files not checked). \(their) records read before the error are in the counts and findings below, any after it are not; the audit does not pass (exit 2).</div>

      """
  }

  /// Near the top of the report: the outcomes that could not be evaluated (they fail the
  /// audit as a finding does), each with its rule, its record and why (at most
  /// `CheckRun.examplesPerRule` of each rule's; the counts are exact).
  static func evaluationErrors(_ report: AuditReport) -> String {
    let problems = report.check.problems
    guard report.evaluationErrors > 0 else { return "" }
    let byRule = report.evaluationErrorsByRule.map { "\($0.key) \($0.count)" }
      .joined(separator: ", ")
    var html = """
      <h2>Could not be evaluated</h2>
      <p>\(report.evaluationErrors) \(report.evaluationErrors == 1 ? "outcome" : "outcomes") could not be evaluated (\(escape(byRule))): the audit fails (exit 1). At most \(CheckRun.examplesPerRule) per rule are listed.</p>
      <table id="evaluation-errors"><thead><tr><th>Rule</th><th>Record</th><th>Why</th></tr></thead><tbody>

      """
    for problem in problems {
      let record =
        "\(problem.file):\(problem.line)" + (problem.transactionID.map { " \($0)" } ?? "")
      html +=
        "<tr><td>\(escape(problem.ruleID))</td><td>\(escape(record))</td><td>\(escape(problem.message))</td></tr>\n"
    }
    html += "</tbody></table>\n"
    return html
  }

  /// Near the top of the report: every file that was not checked, with why: unreadable
  /// (the reader's error and where), skipped, superseded.
  static func filesNotChecked(_ report: AuditReport) -> String {
    let files = report.filesNotChecked
    guard !files.isEmpty else { return "" }
    let errors = report.check.gate?.inputErrors ?? []
    var html = """
      <h2>Files not checked</h2>
      <table id="not-checked"><thead><tr><th>File</th><th>Status</th><th>Why</th></tr></thead><tbody>

      """
    for file in files {
      var why = escape(file.note ?? "")
      if file.status == .unreadable, let error = errors.first(where: { $0.file == file.path }) {
        let line = error.position.map { " (line \($0.line))" } ?? ""
        why = "error[\(escape(error.id))]\(line): \(escape(error.message))"
      }
      html +=
        "<tr class=\"\(file.status.rawValue)\"><td>\(escape(file.path))</td><td\(file.status == .unreadable ? " class=\"sev-error\"" : "")>\(file.status.rawValue)</td><td>\(why)</td></tr>\n"
    }
    return html + "</tbody></table>\n"
  }

  /// A finding's full explanation as plain text (the same blocks as `probity check`).
  static func explanationText(_ finding: borrowing Finding) -> String {
    var out = "\(finding.title) (\(finding.category.rawValue), \(finding.severity.rawValue))\n"
    out += "Regulation: \(finding.citation)\n"
    out += "Record:     \(finding.file):\(finding.line) \(finding.transactionID ?? "")\n"
    out +=
      "Values:     " + finding.values.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
      + "\n"
    let because = Explainer.text(finding.explanation, indent: "  ")
    if !because.isEmpty { out += "Because:\n" + because.joined(separator: "\n") + "\n" }
    if !finding.group.isEmpty {
      out +=
        "Group:      " + finding.group.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
        + "\n"
    }
    if !finding.trail.isEmpty { out += "Transactions:\n" + trailText(finding.trail, indent: "  ") }
    if let remedy = finding.remedy { out += "Remedy:     \(remedy)\n" }
    if let deadline = finding.deadline {
      out += "Deadline:   \(deadline)\(deadlineNote(finding))\n"
    }
    return out
  }

  /// A horizontal bar chart as inline SVG.
  static func barChart(_ rows: [(key: String, count: Int)], id: String) -> String {
    let shown = Array(rows.prefix(15))
    guard let top = shown.map(\.count).max(), top > 0 else { return "<p>No findings.</p>" }
    let labelWidth = 200
    let barWidth = 260
    let rowHeight = 22
    var svg =
      "<svg id=\"\(id)\" role=\"img\" width=\"\(labelWidth + barWidth + 60)\" height=\"\(shown.count * rowHeight + 4)\">"
    for (index, row) in shown.enumerated() {
      let y = index * rowHeight
      let width = max(2, row.count * barWidth / top)
      svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(escape(row.key))</text>"
      svg +=
        "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(width)\" height=\"16\" fill=\"#5b7bd5\"></rect>"
      svg +=
        "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 15)\" font-size=\"12\">\(row.count)</text>"
    }
    return svg + "</svg>"
  }

  static func escape(_ text: String) -> String {
    // By byte, not by character: a quote followed by a combining accent is one
    // character, which was left as it was, and ended an attribute for the browser.
    Escaping.replacingASCII(text) { byte in
      switch byte {
      case UInt8(ascii: "&"): "&amp;"
      case UInt8(ascii: "<"): "&lt;"
      case UInt8(ascii: ">"): "&gt;"
      case UInt8(ascii: "\""): "&quot;"
      case UInt8(ascii: "'"): "&#39;"
      default: nil
      }
    }
  }
}
