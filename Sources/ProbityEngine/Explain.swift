import ProbityCore
import ProbityLanguage

/// Which record `probity explain` is about: a transaction id, or a line of a file.
public struct RecordSelector: Sendable {
  public let transactionID: String?
  public let file: String?
  public let line: Int?

  /// `B.3` (a transaction id), `17` (a line of the only file) or `filing.csv:17`.
  public init(_ text: String) {
    if let colon = text.lastIndex(of: ":"), let line = Int(text[text.index(after: colon)...]) {
      (transactionID, file, self.line) = (nil, String(text[..<colon]), line)
    } else if let line = Int(text) {
      (transactionID, file, self.line) = (text, nil, line)
    } else {
      (transactionID, file, line) = (text, nil, nil)
    }
  }

  /// A transaction id matches first; a number also matches the record starting on that
  /// line.
  public func matches(_ record: Record) -> Bool {
    if let transactionID, record.transactionID == transactionID { return true }
    guard let line, record.provenance.line == line else { return false }
    return file.map { record.provenance.file == $0 || record.provenance.file.hasSuffix("/" + $0) }
      ?? true
  }
}

/// What one rule made of the record `probity explain` is about, and why.
public struct RuleVerdict: Sendable {
  public enum Status: String, Sendable {
    /// A finding is raised on this record.
    case fired
    /// The condition is false on this record.
    case notFired = "did-not-fire"
    /// The rule is not about records like this one (its kind, or its `where`).
    case notApplicable = "not-applicable"
    /// A value the rule needs is missing.
    case undetermined
    /// The condition could not be evaluated (currency mismatch, overflow).
    case failed = "evaluation-error"
    /// The condition became true on this record, but a later record brought the group
    /// back within it (netted), in time for a cure window.
    case cured
    /// The condition became true on this record and its cure window is still open at
    /// the as-of date.
    case pending
    /// This record is part of a group whose finding is raised on another record.
    case firedOnAnotherRecord = "fired-on-another-record"
  }

  public let ruleIndex: Int
  public internal(set) var status: Status
  /// One sentence: why.
  public internal(set) var reason: String
  /// The `where` clause, part by part, when it decided.
  public internal(set) var filter: [ExplanationLine]
  /// The condition, part by part, with the values it took on this record.
  public internal(set) var condition: [ExplanationLine]
  public internal(set) var missingFields: [String]
  /// For a rule across records: the group.
  public internal(set) var group: [(name: String, value: Value)]
  /// The finding, when one is raised on this record or on another one of its group.
  public internal(set) var finding: Finding?
  var groupKey: GroupKey?
  var crossedHere = false
  /// The crossing the group was over the condition from when this record came (a record
  /// after the one that took it over): what its finding, netting or cure says of this one.
  var within: CrossingNote?
}

/// The record on which a group's condition became true, before the watched record.
struct CrossingNote: Sendable {
  let ordinal: Int
  let file: String
  let line: Int
}

extension CheckRun {
  /// Records a verdict about the watched record.
  mutating func observe(
    _ index: Int, _ status: RuleVerdict.Status, _ reason: String, filter: [ExplanationLine] = [],
    condition: [ExplanationLine] = [], missing: [String] = [],
    group: [(name: String, value: Value)] = [],
    groupKey: GroupKey? = nil, crossedHere: Bool = false, within: CrossingNote? = nil
  ) {
    // Named as `check` names them: a field the format lacks is no field the filer left out.
    let missing = targetRecord.map { described(missing, $0) } ?? missing
    verdicts[index] = RuleVerdict(
      ruleIndex: index, status: status, reason: reason, filter: filter, condition: condition,
      missingFields: missing,
      group: group, finding: nil, groupKey: groupKey, crossedHere: crossedHere, within: within)
  }

  /// Whether a crossing is the watched record's own, or the one it came within: its
  /// netting or cure is named in the explanation.
  /// (A check watches no record: no dictionary is looked up on its netting records.)
  func watches(_ crossingOrdinal: Int, _ index: Int) -> Bool {
    guard let targetOrdinal else { return false }
    return crossingOrdinal == targetOrdinal
      || verdicts[index]?.within?.ordinal == crossingOrdinal
  }

  /// The `where` of a rule on the watched record, explained.
  mutating func filterExplanation(_ rule: CompiledRule, _ record: Record) -> [ExplanationLine] {
    guard let filter = rule.filter else { return [] }
    let trace = evaluator.evaluate(filter, on: record, context: baseContext).trace
    return Explainer.explain(personalData.map { trace.redacted($0, record: record) } ?? trace)
  }

  mutating func explainedTrace(_ trace: Trace, _ record: Record) -> [ExplanationLine] {
    Explainer.explain(personalData.map { trace.redacted($0, record: record) } ?? trace)
  }

  /// The verdicts about the watched record, in pack order; call after `finish` (and
  /// `finishReplay`), when findings of rules across records are decided.
  public func finalVerdicts() -> [RuleVerdict] {
    var verdicts = self.verdicts
    guard let targetOrdinal else { return [] }
    for (index, verdict) in self.verdicts {
      if let rejudged = rejudgedVerdicts[index] {
        // Its group was judged again, in date order (see `rejudgeInDateOrder`).
        verdicts[index] = rejudged
        continue
      }
      if let key = verdict.groupKey, let why = unjudged[index]?[key] {
        // Its group was not judged: its records are not in date order (said of the record
        // out of order; on another record of the group, that one is named), or a refund
        // that could not be placed may be the group's.
        verdicts[index]?.status = .failed
        switch why {
        case .unplacedNetting(let message), .doubted(let message):
          verdicts[index]?.reason = message
        case .outOfOrder(let disorder):
          let outOfOrder =
            targetRecord?.provenance.file == disorder.file
            && targetRecord?.provenance.line == disorder.line
          verdicts[index]?.reason =
            outOfOrder
            ? disorder.message
            : disorder.message(
              naming: "the record on \(location(disorder.file, disorder.line))"
                + (disorder.transactionID.map { " (\($0))" } ?? ""))
        }
        verdicts[index]?.finding = nil
        continue
      }
      if let finding = unsortedFindings.first(
        rule: index,
        where: { ordinal, _ in
          ordinal == targetOrdinal
        })
      {
        verdicts[index]?.status = .fired
        verdicts[index]?.reason =
          finding.remedyStatus == .curedLate
          ? "fired: the condition became true on this record and was cured only after the deadline"
          : "fired: the condition holds on this record"
        verdicts[index]?.finding = finding
        continue
      }
      guard let key = verdict.groupKey else { continue }
      if let elsewhere = unsortedFindings.first(
        rule: index,
        where: { _, groupKey in
          groupKey == key
        })
      {
        if verdict.crossedHere && verdict.status == .fired && cures[index] != nil {
          // It crossed here and was cured in time (check counts it cured); the group's
          // finding is of another crossing, before or after.
          let (status, reason) = noFinding(index, went: nil)
          verdicts[index]?.status = status
          verdicts[index]?.reason =
            reason
            + " (the group's finding on \(location(elsewhere.file, elsewhere.line)) is of another time it went over)"
          verdicts[index]?.finding = elsewhere
          continue
        }
        verdicts[index]?.status = .firedOnAnotherRecord
        // A record that brought the group back says so (a late cure: the finding).
        let brought = "did not fire: this record brought"
        let how =
          verdict.reason.hasPrefix(brought)
          ? "; this record brought" + verdict.reason.dropFirst(brought.count) : ""
        verdicts[index]?.reason =
          "this record is part of a group whose finding is raised on \(location(elsewhere.file, elsewhere.line))"
          + how
        verdicts[index]?.finding = elsewhere
      } else if verdict.crossedHere && verdict.status == .fired {
        // It crossed here, and no finding stands: netted, cured in time, or pending.
        let (status, reason) = noFinding(index, went: nil)
        verdicts[index]?.status = status
        verdicts[index]?.reason = reason
      } else if let within = verdict.within, verdict.status == .notFired {
        // Over the condition since an earlier record, and no finding stands: that crossing
        // was netted, cured in time, or waits on its cure window.
        let (status, reason) = noFinding(
          index,
          went:
            "the group went over the condition on \(location(within.file, within.line)), before this record"
        )
        verdicts[index]?.status = status
        verdicts[index]?.reason = reason
      } else if verdict.status == .fired {
        verdicts[index]?.status = .notFired
        verdicts[index]?.reason = "did not fire on this record"
      }
    }
    return verdicts.keys.sorted().compactMap { verdicts[$0] }
  }

  /// Why no finding stands on a group that went over its condition: the record that
  /// cured it in time or netted it, or its cure window still open. `went`: how it went
  /// over before the watched record (nil: on the watched record, which is then the cured
  /// one; a record after it did not fire).
  private func noFinding(_ index: Int, went: String?) -> (RuleVerdict.Status, String) {
    let back = went.map { "\($0), and the record on" } ?? "the record on"
    let group = went == nil ? "the group" : "it"
    if let cure = cures[index] {
      return (
        went == nil ? .cured : .notFired,
        "cured: \(back) \(location(cure.file, cure.line)) (\(cure.described)) brought \(group) back within the condition in time"
      )
    }
    if ruleSet.rules[index].grouping?.cureDays != nil {
      let over = went.map { "\($0), and" } ?? "the condition holds, but"
      return (.pending, "not flagged: \(over) the cure window is still open \(openWindowNote())")
    }
    let reason =
      netted[index].map {
        "netted: \(back) \(location($0.file, $0.line)) (\($0.described)) brought \(group) back within the condition"
      }
      ?? "netted: \(went.map { "\($0), and a later record" } ?? "a later record") of the group brought it back within the condition"
    return (.notFired, reason)
  }

  /// When an open cure window of the watched record's group is judged: the as-of date, or
  /// how far its filer's reports reach (the group's filer is the record's).
  private func openWindowNote() -> String {
    let filer: String? =
      if case .string(let id) = targetRecord?[CanonicalSchema.filerField] { id } else { nil }
    let judged = judgementDate(filer: filer)
    return judged == asOf
      ? "at the as-of date \(asOf.map(\.description) ?? "")"
      : "on \(judged.map(\.description) ?? ""), as far as the filer's records in the input reach (the end of its reports)"
  }

  /// "line 55" in the watched record's own file, "line 55 of FILE" in another.
  func location(_ file: String, _ line: Int) -> String {
    file == targetRecord?.provenance.file ? "line \(line)" : "line \(line) of \(file)"
  }
}

/// The cure of a crossing raised on the watched record: the record that cured it.
struct CureNote: Sendable {
  let file: String
  let line: Int
  let date: CivilDate?
  var transactionID: String? = nil

  /// "A.R, 2024-03-01": what names the record beside its line.
  var described: String {
    ([transactionID].compactMap { $0 } + [date.map(\.description) ?? "no date"])
      .joined(separator: ", ")
  }
}
