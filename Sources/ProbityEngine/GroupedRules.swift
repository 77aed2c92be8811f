import ProbityCore
import ProbityLanguage

/// The key of one group of a rule across records: its `group by` values and its window.
struct GroupKey: Hashable {
  let values: [Value]
}

/// A running aggregate: nothing yet, a value, or poisoned by a missing value (then the
/// aggregate is missing for good, and the rule undetermined on the group).
enum Accumulator {
  case empty
  case value(Value)
  case missing

  var value: Value {
    if case .value(let v) = self { return v }
    return .missing
  }
}

/// The moment a group's condition became true: the finding it will be, if it stands.
/// A class, so that the many groups that never cross carry one empty reference rather
/// than room for a whole finding.
final class Crossing {
  var finding: Finding
  let deadline: CivilDate?

  init(finding: Finding, deadline: CivilDate?) {
    self.finding = finding
    self.deadline = deadline
  }
}

/// The state of one group: small and fixed, whatever the number of its records (rolling
/// windows also keep the values of the records inside the window).
struct GroupState {
  var accumulators: [Accumulator]
  var rolling: [(day: Int, values: [Value])] = []
  var holds = false
  var crossing: Crossing?
  var lateCures: [Crossing] = []

  init(slots: Int) {
    accumulators = Array(repeating: .empty, count: slots)
  }

  var values: [Value] { accumulators.map(\.value) }
}

/// Rebuilds one fired group's trail during the replay.
struct TrailBuilder {
  var state: GroupState
  var entries: [TrailEntry] = []
  /// Ordinals of the records its findings are raised on.
  let raisedOn: Set<Int>
}

/// Where a record falls for a rule across records.
enum Placement {
  case group(GroupKey, window: Value, day: Int?, description: [(name: String, value: Value)])
  case notApplicable
  case undetermined([String])
  case failed(EvaluationFailure)
}

extension CheckRun {
  /// The rule's `where`, group keys and window for a record. Counts nothing.
  mutating func place(_ rule: CompiledRule, _ grouping: Grouping, _ record: Record) -> Placement {
    let context = baseContext
    if placeCacheFor != record.provenance {
      placeCache.removeAll(keepingCapacity: true)
      placeCacheFor = record.provenance
    }
    if let filter = rule.filter {
      let result = cachedValue("where " + filter.nodes[filter.root].text, filter, record, context)
      switch result {
      case .success(.boolean(true)): break
      case .success(.boolean(false)): return .notApplicable
      case .success: return .undetermined(evaluator.evaluate(filter, on: record, context: context).trace.missingFields)
      case .failure(let failure): return .failed(failure)
      }
    }
    var values: [Value] = []
    var description: [(name: String, value: Value)] = []
    for key in grouping.keys {
      let result = cachedValue(key.nodes[key.root].text, key, record, context)
      switch result {
      case .success(let value):
        if value.isMissing { return .undetermined(evaluator.evaluate(key, on: record, context: context).trace.missingFields) }
        values.append(value)
        // The group as shown: withheld like the trace when personal data is withheld.
        let shown =
          personalData.map { policy in
            evaluator.evaluate(key, on: record, context: context).trace.redacted(policy, record: record).values[key.root] ?? value
          } ?? value
        description.append((key.nodes[key.root].text, shown))
      case .failure(let failure):
        return .failed(failure)
      }
    }
    var window: Value = .missing
    var day: Int?
    if let declared = grouping.window {
      var date: CivilDate?
      if let on = declared.on {
        let result = evaluator.value(on, on: record, context: context)
        switch result {
        case .success(.date(let d)): date = d
        case .success: return .undetermined(evaluator.evaluate(on, on: record, context: context).trace.missingFields)
        case .failure(let failure): return .failed(failure)
        }
      } else if case .date(let d) = record[CanonicalSchema.dateField] {
        date = d
      }
      guard let date else { return .undetermined(["date"]) }
      day = date.dayNumber
      let text: String
      switch declared.kind {
      case .calendarYear: text = String(date.year)
      case .quarter: text = "\(date.year)-Q\((date.month - 1) / 3 + 1)"
      case .cycle: text = CheckRun.cycleText(date)
      case .election:
        if case .string(let code) = record[CanonicalSchema.electionCodeField], !code.isEmpty {
          text = code
        } else {
          text = "undesignated, cycle \(CheckRun.cycleText(date))"
        }
      case .rolling(let days):
        text = "\(days) days to \(date)"
      }
      window = .string(text)
      if case .rolling = declared.kind {} else { values.append(window) }
      description.append(("window", window))
    }
    return .group(GroupKey(values: values), window: window, day: day, description: description)
  }

  /// A `where` or a group key on the current record, computed once for every rule that
  /// has the same one (the text decides; they read the record alone).
  mutating func cachedValue(_ text: String, _ program: ExprProgram, _ record: Record, _ context: EvaluationContext)
    -> Result<Value, EvaluationFailure>
  {
    guard program.nodes[program.root].recordOnly else { return evaluator.value(program, on: record, context: context) }
    if let cached = placeCache[text] { return .success(cached) }
    let result = evaluator.value(program, on: record, context: context)
    if case .success(let value) = result { placeCache[text] = value }
    return result
  }

  static func cycleText(_ date: CivilDate) -> String {
    let end = date.year + date.year % 2
    return "\(end - 1)-\(end)"
  }

  /// Adds a record to its group's aggregates.
  mutating func accumulate(
    _ state: inout GroupState, _ grouping: Grouping, _ record: Record, day: Int?
  )
    -> EvaluationFailure?
  {
    var arguments: [Value] = []
    for aggregate in grouping.aggregates {
      guard let argument = aggregate.argument else {
        arguments.append(.integer(1))
        continue
      }
      switch evaluator.value(argument, on: record, context: baseContext) {
      case .success(let value): arguments.append(value)
      case .failure(let failure): return failure
      }
    }
    if case .rolling(let days) = grouping.window?.kind, let day {
      state.rolling.append((day, arguments))
      let latest = state.rolling.map(\.day).max() ?? day
      state.rolling.removeAll { $0.day <= latest - days }
      state.accumulators = Array(repeating: .empty, count: grouping.aggregates.count)
      for entry in state.rolling where entry.day <= day && entry.day > day - days {
        if let failure = add(entry.values, to: &state, grouping) { return failure }
      }
      return nil
    }
    return add(arguments, to: &state, grouping)
  }

  private func add(_ arguments: [Value], to state: inout GroupState, _ grouping: Grouping)
    -> EvaluationFailure?
  {
    for (slot, aggregate) in grouping.aggregates.enumerated() {
      let value = arguments[slot]
      let current = state.accumulators[slot]
      if case .missing = current { continue }
      if aggregate.function != .count && value.isMissing {
        state.accumulators[slot] = .missing
        continue
      }
      guard case .value(let before) = current else {
        state.accumulators[slot] = .value(value)
        continue
      }
      switch aggregate.function {
      case .sum, .count:
        switch Semantics.apply(.arithmetic(.add), [before, value]) {
        case .success(let sum): state.accumulators[slot] = .value(sum)
        case .failure(let failure): return failure
        }
      case .min, .max:
        switch Semantics.apply(
          .compare(aggregate.function == .min ? .less : .greater), [value, before])
        {
        case .success(.boolean(true)): state.accumulators[slot] = .value(value)
        case .success: break
        case .failure(let failure): return failure
        }
      }
    }
    return nil
  }

  mutating func evaluateGrouped(
    _ rule: CompiledRule, _ index: Int, _ grouping: Grouping, _ record: Record, ordinal: Int
  ) {
    let key: GroupKey
    let window: Value
    let day: Int?
    let description: [(name: String, value: Value)]
    switch place(rule, grouping, record) {
    case .group(let k, let w, let d, let desc):
      (key, window, day, description) = (k, w, d, desc)
      tallies[index].evaluated += 1
    case .notApplicable:
      tallies[index].notApplicable += 1
      if observing {
        observe(
          index, .notApplicable, "not applicable: the rule's 'where' leaves this record out",
          filter: filterExplanation(rule, record))
      }
      return
    case .undetermined(let missing):
      noteUndetermined(index, record, missing)
      if observing {
        observe(
          index, .undetermined, "undetermined: the record cannot be placed in a group (a value is missing)",
          filter: filterExplanation(rule, record), missing: missing)
      }
      return
    case .failed(let failure):
      noteProblem(index, record, failure)
      if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
      return
    }
    var state = groups[index][key] ?? GroupState(slots: grouping.aggregates.count)
    defer { groups[index][key] = state }
    if let failure = accumulate(&state, grouping, record, day: day) {
      noteProblem(index, record, failure)
      return
    }
    let date: CivilDate? =
      if case .date(let d) = record[CanonicalSchema.dateField] { d } else { nil }
    var context = baseContext
    context.aggregates = state.values
    context.window = window
    let candidateDeadline = CheckRun.deadline(rule, record)
    context.deadline = (state.crossing?.deadline ?? candidateDeadline).map { .date($0) } ?? .missing
    let result = evaluator.value(rule.condition, on: record, context: context)
    // The trace, only where an outcome needs one (a finding, an undetermined outcome, the
    // record `probity explain` watches).
    func conditionTrace() -> Trace { evaluator.evaluate(rule.condition, on: record, context: context).trace }
    let holds: Bool
    switch result {
    case .success(.boolean(let b)): holds = b
    case .success:
      noteUndetermined(index, record, conditionTrace().missingFields)
      if observing {
        observe(
          index, .undetermined, "undetermined: a value the condition needs is missing",
          condition: explainedTrace(conditionTrace(), record), missing: conditionTrace().missingFields, group: description, groupKey: key)
      }
      return
    case .failure(let failure):
      noteProblem(index, record, failure)
      if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
      return
    }
    if observing {
      let crossing = holds && (!state.holds || grouping.fires == .each)
      observe(
        index, crossing ? .fired : .notFired,
        holds ? "the condition holds, as it did before this record" : "did not fire: the condition is false after this record",
        condition: explainedTrace(conditionTrace(), record), group: description, groupKey: key, crossedHere: crossing)
    }
    if grouping.fires == .each {
      if holds {
        tallies[index].fired += 1
        unsortedFindings.append(
          makeFinding(
            rule, index, record, ordinal: ordinal, trace: conditionTrace(), context: context,
            group: description, groupKey: key,
            deadline: candidateDeadline, status: nil))
      }
      return
    }
    if holds && !state.holds && CheckRun.isRolling(grouping) && grouping.cureDays == nil {
      // A rolling window moves on: a later record does not undo an earlier excess, so
      // every crossing is a finding.
      tallies[index].fired += 1
      unsortedFindings.append(
        makeFinding(
          rule, index, record, ordinal: ordinal, trace: conditionTrace(), context: context, group: description, groupKey: key,
          deadline: candidateDeadline, status: nil))
    } else if holds && !state.holds {
      state.crossing = Crossing(
        finding: makeFinding(
          rule, index, record, ordinal: ordinal, trace: conditionTrace(), context: context, group: description, groupKey: key,
          deadline: candidateDeadline, status: nil),
        deadline: candidateDeadline)
    } else if !holds && state.holds, let crossing = state.crossing {
      // Netted back within the condition: cured. With a cure window, in time or late.
      if grouping.cureDays != nil {
        if let deadline = crossing.deadline, let date, date > deadline {
          let late = crossing
          late.finding.remedyStatus = .curedLate
          state.lateCures.append(late)
        } else {
          tallies[index].cured += 1
          if crossing.finding.ordinal == targetOrdinal {
            cures[index] = CureNote(line: record.provenance.line, date: date)
          }
        }
      }
      state.crossing = nil
    }
    state.holds = holds
  }

  /// Decides the findings of rules across records, after the last record: a group whose
  /// condition still holds fires on the record that made it true; with a cure window,
  /// only once the window has closed at the as-of date.
  public mutating func finish() {
    guard !finished else { return }
    finished = true
    let asOf = self.asOf
    for (index, rule) in ruleSet.rules.enumerated() {
      guard let grouping = rule.grouping else { continue }
      for (key, state) in groups[index] {
        var fired: [Finding] = state.lateCures.map(\.finding)
        if grouping.fires == .crossing, state.holds, let crossing = state.crossing,
          !(CheckRun.isRolling(grouping) && grouping.cureDays == nil)
        {
          if grouping.cureDays != nil {
            if let deadline = crossing.deadline, let asOf, asOf > deadline {
              var finding = crossing.finding
              finding.remedyStatus = .uncured
              fired.append(finding)
            } else {
              tallies[index].pending += 1
            }
          } else {
            fired.append(crossing.finding)
          }
        }
        tallies[index].fired += fired.count
        unsortedFindings.append(contentsOf: fired)
      }
      // Trails: every group with a finding, including findings fired on each record.
      var raised: [GroupKey: Set<Int>] = [:]
      for finding in unsortedFindings where finding.ruleIndex == index {
        guard let key = finding.groupKey else { continue }
        raised[key, default: []].insert(finding.ordinal)
      }
      for (key, ordinals) in raised {
        trailRequests[index][key] = TrailBuilder(
          state: GroupState(slots: grouping.aggregates.count), raisedOn: ordinals)
      }
    }
    groups = Array(repeating: [:], count: ruleSet.rules.count)
  }

  static func isRolling(_ grouping: Grouping) -> Bool {
    if case .rolling = grouping.window?.kind { return true }
    return false
  }

  /// Whether `replay` must see the records again to build trails.
  public var needsReplay: Bool { trailRequests.contains { !$0.isEmpty } }

  /// The second pass: give every record again, in the same order.
  public mutating func replay(_ record: Record) {
    let ordinal = replayOrdinal
    replayOrdinal += 1
    evaluator.startRecord()
    placeCacheFor = nil
    for index in ruleSet.ruleIndices(for: record.kind) where !trailRequests[index].isEmpty {
      let rule = ruleSet.rules[index]
      guard let grouping = rule.grouping,
        case .group(let key, _, let day, _) = place(rule, grouping, record),
        var builder = trailRequests[index][key]
      else { continue }
      let slot = grouping.aggregates.firstIndex { $0.function == .sum } ?? 0
      var amount: Value = .missing
      if slot < grouping.aggregates.count, let argument = grouping.aggregates[slot].argument,
        case .success(let value) = evaluator.evaluate(argument, on: record, context: baseContext)
          .result
      {
        amount = value
      }
      _ = accumulate(&builder.state, grouping, record, day: day)
      let date: CivilDate? =
        if case .date(let d) = record[CanonicalSchema.dateField] { d } else { nil }
      builder.entries.append(
        TrailEntry(
          file: record.provenance.file, line: record.provenance.line,
          transactionID: record.transactionID,
          date: date, amount: amount,
          running: slot < builder.state.accumulators.count
            ? builder.state.accumulators[slot].value : .missing,
          raisedHere: builder.raisedOn.contains(ordinal)))
      trailRequests[index][key] = builder
    }
  }

  /// Attaches the trails the replay built to their findings.
  public mutating func finishReplay() {
    for (position, finding) in unsortedFindings.enumerated() {
      guard let key = finding.groupKey else { continue }
      if let builder = trailRequests[finding.ruleIndex][key] {
        unsortedFindings[position].trail = builder.entries
      }
    }
    trailRequests = Array(repeating: [:], count: ruleSet.rules.count)
  }
}
