import ProbityCore
import ProbityLanguage

/// The key of one group of a rule across records: its `group by` values and its window,
/// both interned by the run (`CheckRun.groupValueIDs`, `windowIDs`; -1 for no window).
struct GroupKey: Hashable {
  let values: Int32
  let window: Int32
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
  case group(GroupKey, window: Value, day: Int?)
  case notApplicable
  case undetermined([String])
  case failed(EvaluationFailure)
}

extension CheckRun {
  /// The rule's `where`, group keys and window for a record. Counts nothing.
  mutating func place(_ plan: RulePlan, _ record: Record) -> Placement {
    let context = baseContext
    // The rule's programs are read only on the slow paths (they are structs: a copy
    // costs a reference count per array).
    var grouping: Grouping { plan.rule.grouping! }
    var filter: ExprProgram { plan.rule.filter! }
    frame.base()
    if let kernel = plan.filter {
      switch value(kernel, filter, record, { context }) {
      case .success(.boolean(true)): break
      case .success(.boolean(false)): return .notApplicable
      case .success:
        return .undetermined(missingFields(plan.filterMissing, filter, record, { context }))
      case .failure(let failure): return .failed(failure)
      }
    }
    // The group's values, interned once per record for every rule with the same keys
    // (every key is evaluated again when traces are observed).
    var valuesID = frame.groupIDs[plan.keySet]
    if valuesID < 0 || evaluator.traceObserver != nil {
      var values: [Value] = []
      values.reserveCapacity(plan.keys.count)
      for position in plan.keys.indices {
        switch value(plan.keys[position], grouping.keys[position], record, { context }) {
        case .success(let value):
          if value.isMissing {
            return .undetermined(
              missingFields(
                plan.keysMissing[position], grouping.keys[position], record, { context }))
          }
          values.append(value)
        case .failure(let failure):
          return .failed(failure)
        }
      }
      valuesID = CheckRun.intern(values, in: &groupValueIDs)
      frame.groupIDs[plan.keySet] = valuesID
    }
    guard let kind = plan.windowKind else {
      return .group(GroupKey(values: valuesID, window: -1), window: .missing, day: nil)
    }
    var date: CivilDate?
    if let kernel = plan.windowDate {
      var on: ExprProgram { grouping.window!.on! }
      switch value(kernel, on, record, { context }) {
      case .success(.date(let d)): date = d
      case .success:
        return .undetermined(missingFields(plan.windowDateMissing, on, record, { context }))
      case .failure(let failure): return .failed(failure)
      }
    } else if case .date(let d) = record[CanonicalSchema.dateField] {
      date = d
    }
    guard let date else { return .undetermined(["date"]) }
    if let slot = plan.windowSlot, let cached = frame.windows[slot] {
      return .group(
        GroupKey(values: valuesID, window: cached.id), window: cached.value, day: date.dayNumber)
    }
    let text: String
    switch kind {
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
    let window = Value.string(text)
    // A rolling window is not part of the key: the group is the donor's.
    let windowID = plan.isRolling ? -1 : CheckRun.intern(text, in: &windowIDs)
    if let slot = plan.windowSlot { frame.windows[slot] = (window, windowID) }
    return .group(GroupKey(values: valuesID, window: windowID), window: window, day: date.dayNumber)
  }

  /// The id of a key in an interning table, the next free one for a new key (one hash
  /// lookup: the defaulted subscript inserts in place).
  static func intern<Key: Hashable>(_ key: Key, in table: inout [Key: Int32]) -> Int32 {
    func id(_ slot: inout Int32) -> Int32 { slot }
    let next = Int32(table.count)
    return id(&table[key, default: next])
  }

  /// The group as a finding shows it: each `group by` expression with its value, and
  /// the window (withheld like the trace when personal data is withheld).
  mutating func groupDescription(_ plan: RulePlan, _ record: Record, window: Value) -> [(
    name: String, value: Value
  )] {
    guard let grouping = plan.rule.grouping else { return [] }
    var description: [(name: String, value: Value)] = []
    for key in grouping.keys {
      let (result, trace) = evaluator.evaluate(key, on: record, context: baseContext)
      guard case .success(let value) = result else { continue }
      let shown =
        personalData.map { trace.redacted($0, record: record).values[key.root] ?? value } ?? value
      description.append((key.nodes[key.root].text, shown))
    }
    if grouping.window != nil { description.append(("window", window)) }
    return description
  }

  static func cycleText(_ date: CivilDate) -> String {
    let end = date.year + date.year % 2
    return "\(end - 1)-\(end)"
  }

  /// Adds a record to its group's aggregates.
  mutating func accumulate(_ state: inout GroupState, _ plan: RulePlan, _ record: Record, day: Int?)
    -> EvaluationFailure?
  {
    frame.base()
    var arguments = argumentBuffer
    argumentBuffer = []
    defer {
      arguments.removeAll(keepingCapacity: true)
      argumentBuffer = arguments
    }
    for (slot, kernel) in plan.aggregateArguments.enumerated() {
      guard let kernel else {
        arguments.append(.integer(1))
        continue
      }
      let context = baseContext
      switch value(kernel, plan.rule.grouping!.aggregates[slot].argument!, record, { context }) {
      case .success(let value): arguments.append(value)
      case .failure(let failure): return failure
      }
    }
    if case .rolling(let days)? = plan.windowKind, let day {
      state.rolling.append((day, arguments))
      let latest = state.rolling.map(\.day).max() ?? day
      state.rolling.removeAll { $0.day <= latest - days }
      state.accumulators = Array(repeating: .empty, count: plan.aggregateFunctions.count)
      for entry in state.rolling where entry.day <= day && entry.day > day - days {
        if let failure = CheckRun.add(entry.values, to: &state, plan.aggregateFunctions) {
          return failure
        }
      }
      return nil
    }
    return CheckRun.add(arguments, to: &state, plan.aggregateFunctions)
  }

  private static func add(
    _ arguments: [Value], to state: inout GroupState, _ functions: [AggregateFunction]
  )
    -> EvaluationFailure?
  {
    for (slot, function) in functions.enumerated() {
      let value = arguments[slot]
      let current = state.accumulators[slot]
      if case .missing = current { continue }
      if function != .count && value.isMissing {
        state.accumulators[slot] = .missing
        continue
      }
      guard case .value(let before) = current else {
        state.accumulators[slot] = .value(value)
        continue
      }
      switch function {
      case .sum, .count:
        switch Semantics.apply(.arithmetic(.add), before, value, count: 2) {
        case .success(let sum): state.accumulators[slot] = .value(sum)
        case .failure(let failure): return failure
        }
      case .min, .max:
        switch Semantics.apply(
          .compare(function == .min ? .less : .greater), value, before, count: 2)
        {
        case .success(.boolean(true)): state.accumulators[slot] = .value(value)
        case .success: break
        case .failure(let failure): return failure
        }
      }
    }
    return nil
  }

  /// The state of a rule's group, taken out of the table (so that changing it copies
  /// nothing); put it back with `putState`. A new group starts empty.
  mutating func takeState(_ index: Int, _ key: GroupKey, slots: Int) -> (GroupState, Int) {
    let next = groupStates[index].count
    func slot(_ value: inout Int) -> Int { value }
    let position = slot(&groupSlots[index][key, default: next])
    if position == next {
      groupStates[index].append(GroupState(slots: 0))
      groupKeys[index].append(key)
      return (GroupState(slots: slots), position)
    }
    let state = groupStates[index][position]
    groupStates[index][position] = GroupState(slots: 0)
    return (state, position)
  }

  mutating func evaluateGrouped(_ plan: RulePlan, _ index: Int, _ record: Record, ordinal: Int) {
    let key: GroupKey
    let window: Value
    let day: Int?
    switch place(plan, record) {
    case .group(let k, let w, let d):
      (key, window, day) = (k, w, d)
      tallies[index].evaluated += 1
    case .notApplicable:
      tallies[index].notApplicable += 1
      if observing {
        observe(
          index, .notApplicable, "not applicable: the rule's 'where' leaves this record out",
          filter: filterExplanation(plan.rule, record))
      }
      return
    case .undetermined(let missing):
      noteUndetermined(index, record, missing)
      if observing {
        observe(
          index, .undetermined,
          "undetermined: the record cannot be placed in a group (a value is missing)",
          filter: filterExplanation(plan.rule, record), missing: missing)
      }
      return
    case .failed(let failure):
      noteProblem(index, record, failure)
      if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
      return
    }
    var (state, position) = takeState(index, key, slots: plan.aggregateFunctions.count)
    defer { groupStates[index][position] = state }
    if let failure = accumulate(&state, plan, record, day: day) {
      noteProblem(index, record, failure)
      return
    }
    let date: CivilDate? =
      if case .date(let d) = record[CanonicalSchema.dateField] { d } else { nil }
    let candidateDeadline = CheckRun.deadline(plan.deadlineDays, record)
    let deadline: Value =
      (state.crossing?.deadline ?? candidateDeadline).map { .date($0) } ?? .missing
    let base = baseContext
    var context: EvaluationContext {
      var context = base
      context.aggregates = state.values
      context.window = window
      context.deadline = deadline
      return context
    }
    frame.base()
    for accumulator in state.accumulators { frame.aggregates.append(accumulator.value) }
    frame.window = window
    frame.deadline = deadline
    var condition: ExprProgram { plan.rule.condition }
    let result = value(plan.condition, condition, record, { context })
    // The trace, only where an outcome needs one (a finding, an undetermined outcome, the
    // record `probity explain` watches).
    func conditionTrace() -> Trace {
      evaluator.evaluate(condition, on: record, context: context).trace
    }
    func finding() -> Finding {
      makeFinding(
        plan.rule, index, record, ordinal: ordinal, trace: conditionTrace(), context: context,
        group: groupDescription(plan, record, window: window), groupKey: key,
        deadline: candidateDeadline, status: nil)
    }
    let holds: Bool
    switch result {
    case .success(.boolean(let b)): holds = b
    case .success:
      let missing = missingFields(plan.conditionMissing, condition, record, { context })
      noteUndetermined(index, record, missing)
      if observing {
        observe(
          index, .undetermined, "undetermined: a value the condition needs is missing",
          condition: explainedTrace(conditionTrace(), record), missing: missing,
          group: groupDescription(plan, record, window: window), groupKey: key)
      }
      return
    case .failure(let failure):
      noteProblem(index, record, failure)
      if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
      return
    }
    if observing {
      let crossing = holds && (!state.holds || plan.fires == .each)
      observe(
        index, crossing ? .fired : .notFired,
        holds
          ? "the condition holds, as it did before this record"
          : "did not fire: the condition is false after this record",
        condition: explainedTrace(conditionTrace(), record),
        group: groupDescription(plan, record, window: window),
        groupKey: key, crossedHere: crossing)
    }
    if plan.fires == .each {
      if holds {
        tallies[index].fired += 1
        unsortedFindings.append(finding())
      }
      return
    }
    if holds && !state.holds && plan.isRolling && plan.cureDays == nil {
      // A rolling window moves on: a later record does not undo an earlier excess, so
      // every crossing is a finding.
      tallies[index].fired += 1
      unsortedFindings.append(finding())
    } else if holds && !state.holds {
      state.crossing = Crossing(finding: finding(), deadline: candidateDeadline)
    } else if !holds && state.holds, let crossing = state.crossing {
      // Netted back within the condition: cured. With a cure window, in time or late.
      if plan.cureDays != nil {
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
      // Groups in the order they were first seen.
      for (key, state) in zip(groupKeys[index], groupStates[index]) {
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
    groupSlots = Array(repeating: [:], count: ruleSet.rules.count)
    groupStates = Array(repeating: [], count: ruleSet.rules.count)
    groupKeys = Array(repeating: [], count: ruleSet.rules.count)
  }

  static func isRolling(_ grouping: Grouping) -> Bool {
    if case .rolling = grouping.window?.kind { return true }
    return false
  }

  /// Whether `replay` must see the records again to build trails.
  public var needsReplay: Bool { trailRequests.contains { !$0.isEmpty } }

  /// After `finish`, with `indexForReplay`: the lines, by file, of the records the
  /// replay needs (those placed in a group that fired, for some rule); the reader may
  /// give `replay` these and no others (whole lines, in input order). nil: give it every
  /// record.
  public mutating func replaySelection() -> [String: Set<Int>]? {
    guard let replayIndex else { return nil }
    var wanted = [Set<Int32>](repeating: [], count: frame.groupIDs.count)
    for (index, requests) in trailRequests.enumerated() where !requests.isEmpty {
      for key in requests.keys { wanted[plans[index].keySet].insert(key.values) }
    }
    guard let lines = replayIndex.select(wanted: wanted) else {
      self.replayIndex = nil
      return nil
    }
    replaySelected = true
    return lines
  }

  /// The second pass: give every record again, in the same order.
  public mutating func replay(_ record: Record) {
    replay(PreparedRecord(record))
  }

  public mutating func replay(_ prepared: PreparedRecord) {
    let record = prepared.record
    let ordinal: Int
    if replaySelected, let replayIndex {
      // Only the records the index picked; the others cannot be in a trail.
      guard let picked = replayIndex.ordinal(of: record.provenance) else { return }
      ordinal = picked
    } else {
      ordinal = replayOrdinal
      replayOrdinal += 1
    }
    evaluator.startRecord()
    frame.start(record, cache: prepared.cache)
    for index in ruleSet.ruleIndices(for: record.kind) where !trailRequests[index].isEmpty {
      let plan = plans[index]
      guard let grouping = plan.rule.grouping,
        case .group(let key, _, let day) = place(plan, record),
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
      _ = accumulate(&builder.state, plan, record, day: day)
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
    replayIndex = nil
    replaySelected = false
  }
}
