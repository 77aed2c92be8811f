import ProbityCore
import ProbityEngine
import ProbityLanguage

/// What `probity explain` says about one record: every rule, whether it fired, and why.
public struct ExplainReport: Sendable {
  public let rulePack: String
  public let record: Record
  public let verdicts: [RuleVerdict]
  public let rules: [CompiledRule]
  public let asOf: CivilDate?
  public let asOfGiven: Bool
  /// How many records matched the selector (the first is explained).
  public let matches: Int
  /// The record's own fields as shown (withheld when personal data is withheld).
  public let recordFields: [(name: String, value: Value)]
  /// The rules whose verdicts are shown (empty: all), by id (`explain --rule`).
  public let onlyRules: Set<String>

  public init(
    rulePack: String, run: CheckRun, record: Record, recordFields: [(name: String, value: Value)],
    onlyRules: [String] = []
  ) {
    self.onlyRules = Set(onlyRules)
    self.rulePack = rulePack
    self.record = record
    self.verdicts = run.finalVerdicts()
    self.rules = run.ruleSet.rules
    self.asOf = run.asOf
    self.asOfGiven = run.givenAsOf != nil
    self.matches = run.targetMatches
    self.recordFields = recordFields
  }

  /// Verdicts in the order a reader wants them: findings first, then the rules that
  /// judged the record and did not fire, then those not about it (only the rules asked
  /// about, when some are).
  var ordered: [RuleVerdict] {
    func rank(_ status: RuleVerdict.Status) -> Int {
      switch status {
      case .fired: return 0
      case .firedOnAnotherRecord: return 1
      case .failed, .undetermined, .pending: return 2
      case .cured, .notFired: return 3
      case .notApplicable: return 4
      }
    }
    let shown =
      onlyRules.isEmpty ? verdicts : verdicts.filter { onlyRules.contains(rules[$0.ruleIndex].id) }
    return shown.enumerated().sorted {
      (rank($0.element.status), $0.offset) < (rank($1.element.status), $1.offset)
    }
    .map(\.element)
  }
}

/// The fields worth showing about a record, in a fixed order.
public enum RecordSummary {
  public static let fields = [
    "name", "entity_type", "date", "amount", "aggregate", "election_code", "memo", "payment_method",
    "employer",
    "occupation", "street1", "city", "state", "zip", "donor_status", "received_date",
    "accepted_date",
  ]

  public static func fields(of record: Record, withholding policy: PersonalDataPolicy?) -> [(
    name: String, value: Value
  )] {
    fields.compactMap { name in
      let value = record[name]
      guard !value.isMissing else { return nil }
      if let policy, PersonalDataPolicy.isPersonal(name) {
        return (
          name,
          policy.replacement(
            readingNames: PersonalDataPolicy.nameFields.contains(name), record: record)
        )
      }
      return (name, value)
    }
  }
}

extension ReportRenderer {
  // MARK: Explain, as a letter

  /// Reads like a regulator's letter: the record, then each rule with the finding, the
  /// regulation, why, the transactions, the remedy and its deadline.
  public static func explainText(_ report: ExplainReport) -> String {
    let record = report.record
    var out = "Record \(record.provenance.file):\(record.provenance.line)"
    if let id = record.transactionID { out += ", transaction \(id)" }
    out += " (\(record.kind.rawValue))\n"
    out +=
      "  " + report.recordFields.map { "\($0.name) = \($0.value)" }.joined(separator: ", ") + "\n"
    if report.matches > 1 {
      out += "  (\(report.matches) records match; this is the first. Name one as FILE:LINE.)\n"
    }
    if let asOf = report.asOf {
      out +=
        "  Judged as of \(asOf)\(report.asOfGiven ? "" : " (the latest record date; set it with --as-of)").\n"
      // The latest record date judges open windows and waivers; a rule's own `as_of` is
      // the date given alone (missing without one), which the traces below show.
      let readsAsOf = report.ordered.contains { verdict in
        report.rules[verdict.ruleIndex].condition.nodes.contains {
          if case .asOf = $0.op { return true }
          return false
        }
      }
      if !report.asOfGiven && readsAsOf {
        out +=
          "  A rule's as_of is the --as-of date alone: without one it is missing, and a condition that needs it is judged without it.\n"
      }
    }
    var number = 0
    for verdict in report.ordered {
      let rule = report.rules[verdict.ruleIndex]
      number += 1
      out += "\n\(number). \(rule.id), \(rule.title): \(headline(verdict.status))\n"
      if verdict.status == .notApplicable && verdict.filter.isEmpty {
        out += "   \(verdict.reason)\n"
        continue
      }
      if let finding = verdict.finding, verdict.status == .fired {
        out += "   Finding:      \(finding.message)\n"
        out += "   Regulation:   \(rule.citation)\n"
        out += "   Category:     \(rule.category.rawValue) (\(rule.severity.rawValue))\n"
      } else {
        out += "   Why:          \(verdict.reason)\n"
        out += "   Regulation:   \(rule.citation)\n"
      }
      if !verdict.filter.isEmpty {
        out +=
          "   Applies when:\n"
          + Explainer.text(verdict.filter, indent: "     ").joined(separator: "\n") + "\n"
      }
      if !verdict.condition.isEmpty {
        out +=
          "   Because:\n"
          + Explainer.text(verdict.condition, indent: "     ").joined(separator: "\n") + "\n"
      }
      if !verdict.missingFields.isEmpty {
        out += "   Missing:      \(verdict.missingFields.joined(separator: ", "))\n"
      }
      if !verdict.group.isEmpty {
        out +=
          "   Group:        \(verdict.group.map { "\($0.name) = \($0.value)" }.joined(separator: ", "))\n"
      }
      if let finding = verdict.finding {
        if !finding.trail.isEmpty {
          out += "   Transactions:\n" + trailText(finding.trail, indent: "     ")
        }
        if verdict.status == .fired {
          if let remedy = finding.remedy { out += "   Remedy:       \(remedy)\n" }
          if let deadline = finding.deadline {
            out += "   Deadline:     \(deadline)\(deadlineNote(finding))\n"
          }
        }
      }
    }
    return out
  }

  static func headline(_ status: RuleVerdict.Status) -> String {
    switch status {
    case .fired: return "FINDING"
    case .firedOnAnotherRecord: return "finding on another record of the group"
    case .notFired: return "did not fire"
    case .notApplicable: return "not applicable"
    case .undetermined: return "undetermined"
    case .failed: return "could not be evaluated"
    case .cured: return "cured"
    case .pending: return "not flagged yet: cure window open"
    }
  }

  static func deadlineNote(_ finding: borrowing Finding) -> String {
    switch finding.remedyStatus {
    case .uncured: return " (passed, not cured)"
    case .curedLate: return " (passed, cured late)"
    case nil: return ""
    }
  }

  // MARK: Explain, as JSON

  /// The same structure as the text, documented in docs/output.md.
  public static func explainJSON(_ report: ExplainReport) -> String {
    var w = JSONWriter()
    w.beginObject()
    w.field("schema_version", jsonSchemaVersion)
    w.field("rule_pack", report.rulePack)
    w.key("record")
    w.beginObject()
    w.field("file", report.record.provenance.file)
    w.field("line", report.record.provenance.line)
    w.field("record", report.record.transactionID)
    w.field("kind", report.record.kind.rawValue)
    w.key("fields")
    write(report.recordFields, to: &w)
    w.endObject()
    w.field("matches", report.matches)
    w.field("as_of", report.asOf?.description)
    w.key("as_of_given")
    w.bool(report.asOfGiven)
    w.key("rules")
    w.beginArray()
    for verdict in report.ordered {
      let rule = report.rules[verdict.ruleIndex]
      w.beginObject()
      w.field("rule", rule.id)
      w.field("title", rule.title)
      w.field("severity", rule.severity.rawValue)
      w.field("category", rule.category.rawValue)
      w.field("citation", rule.citation)
      w.field("status", verdict.status.rawValue)
      w.field("reason", verdict.reason)
      w.key("filter")
      write(verdict.filter, to: &w)
      w.key("condition")
      write(verdict.condition, to: &w)
      w.key("missing_fields")
      w.beginArray()
      for field in verdict.missingFields { w.string(field) }
      w.endArray()
      w.key("group")
      if verdict.group.isEmpty { w.null() } else { write(verdict.group, to: &w) }
      w.key("finding")
      if let finding = verdict.finding {
        // Its fingerprint, as `check` gives it: by transaction id, or by the key fields of
        // a record without one (known here for the record explained only).
        let own =
          finding.file == report.record.provenance.file
          && finding.line == report.record.provenance.line
        let fingerprint =
          finding.transactionID != nil
          ? Fingerprint.of(finding)
          : own ? Fingerprint.of(finding, recordKey: Fingerprint.recordKey(of: report.record)) : nil
        write(finding, fingerprint: fingerprint, to: &w)
      } else {
        w.null()
      }
      w.endObject()
    }
    w.endArray()
    w.endObject()
    return w.document()
  }

  static func write(_ lines: [ExplanationLine], to w: inout JSONWriter) {
    w.beginArray()
    for line in lines {
      w.beginObject()
      w.field("depth", line.depth)
      w.field("text", line.text)
      w.key("outcome")
      if let outcome = line.outcome { write(outcome, to: &w) } else { w.string("not evaluated") }
      w.endObject()
    }
    w.endArray()
  }
}
