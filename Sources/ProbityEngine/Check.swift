import ProbityCore
import ProbityLanguage

/// A rule that fired: what the law says, where the record is, and the values that made
/// it fire. For a rule across records, also the group, its trail of contributing records
/// and, for a rule with a cure window, the deadline and what became of it.
public struct Finding: Sendable {
  public let ruleID: String
  public let title: String
  public let severity: FindingSeverity
  public let category: FindingCategory
  public let citation: String
  public let file: String
  public let line: Int
  /// Where in the file beyond its line: the element path of an XML record.
  public let locator: String?
  public let transactionID: String?
  /// The filer the record belongs to (id, and name when the format gives it).
  public let filerID: String?
  public let filerName: String?
  /// The period of the report the record is in, `2024-01-01..2024-03-31`, when the record
  /// gives both its dates (a `.fec` cover does): a filer's transaction ids may start
  /// again in each report, and a fingerprint tells its reports apart by it.
  public let reportPeriod: String?
  public let kind: RecordKind
  public let message: String
  public let remedy: String?
  /// The fields, parameters and aggregates the condition read, with their values, in
  /// source order.
  public let values: [(name: String, value: Value)]
  /// The condition, part by part, with the values each part took (from the trace).
  public let explanation: [ExplanationLine]
  /// For a rule across records: each `group by` expression and the window, with the
  /// group's values.
  public let group: [(name: String, value: Value)]
  /// For a rule across records: every record of the group, in input order, with the
  /// running total; the record the finding is raised on is marked.
  public internal(set) var trail: [TrailEntry]
  /// For a rule with a cure window: the end of the window, and whether the excess was
  /// never cured or cured late.
  public let deadline: CivilDate?
  public internal(set) var remedyStatus: RemedyStatus?
  /// The group's key as the engine knows it (the shown `group` may be withheld).
  var groupKey: GroupKey?
  /// Position of the record in the input (for a stable order) and of the rule in the pack.
  var ordinal: Int
  let ruleIndex: Int
  /// For a rule across records: the values of its `group by` keys, as computed (never
  /// withheld), to match against records that could not be placed (see
  /// `CheckRun.noteUnplacedNetting`).
  var keyValues: [Value] = []
  /// The group's window, to match the same records (missing for a rule without a window,
  /// or with a rolling one).
  var windowValue: Value = .missing
}

extension Finding {
  static let periodFields = ["report_period_start", "report_period_end"].compactMap {
    CanonicalSchema.id(named: $0)
  }

  /// `start..end` of the record's report, when it gives both.
  static func reportPeriod(of record: Record) -> String? {
    guard periodFields.count == 2, case .date(let start) = record[periodFields[0]],
      case .date(let end) = record[periodFields[1]]
    else { return nil }
    return "\(start)..\(end)"
  }
}

public enum RemedyStatus: String, Sendable {
  /// The condition still held when the cure window closed.
  case uncured
  /// The condition was cured, but after the cure window closed.
  case curedLate = "cured-late"
}

/// One record of a group, as a finding's trail shows it.
public struct TrailEntry: Sendable, Equatable {
  public let file: String
  public let line: Int
  public let transactionID: String?
  public let date: CivilDate?
  /// The value the trail's aggregate took from this record (the argument of the rule's
  /// first `sum`, or of its first aggregate).
  public let amount: Value
  /// The aggregate after this record.
  public let running: Value
  /// Whether the finding is raised on this record.
  public let raisedHere: Bool
}

/// A rule that could not decide on a record because a value it needed was missing.
public struct Undetermined: Sendable {
  public let ruleID: String
  public let file: String
  public let line: Int
  public let transactionID: String?
  public let missingFields: [String]
}

/// A rule whose condition failed on a record (currency mismatch, overflow). Never
/// counted as passing.
public struct EvaluationProblem: Sendable {
  public let ruleID: String
  public let file: String
  public let line: Int
  public let transactionID: String?
  public let message: String
}

/// Per-rule counts for the summary.
public struct RuleTally: Sendable, Equatable {
  /// Records of the rule's kinds that passed its `where` (and were grouped).
  public var evaluated = 0
  public var fired = 0
  public var undetermined = 0
  public var failed = 0
  /// Records of the rule's kinds its `where` left out.
  public var notApplicable = 0
  /// Rules with a cure window: crossings cured in time, and crossings whose window was
  /// still open at the as-of date (not flagged).
  public var cured = 0
  public var pending = 0
  /// For undetermined records: how often each missing field was the cause.
  public var missingFieldCounts: [String: Int] = [:]

  public init(
    evaluated: Int = 0, fired: Int = 0, undetermined: Int = 0, failed: Int = 0,
    notApplicable: Int = 0,
    cured: Int = 0, pending: Int = 0, missingFieldCounts: [String: Int] = [:]
  ) {
    self.evaluated = evaluated
    self.fired = fired
    self.undetermined = undetermined
    self.failed = failed
    self.notApplicable = notApplicable
    self.cured = cured
    self.pending = pending
    self.missingFieldCounts = missingFieldCounts
  }
}

/// Evaluates every applicable rule of a rule set on a stream of records.
///
/// Use: `evaluate` every record; `finish()`; if `needsReplay`, give every record again,
/// in the same order, to `replay` (it builds the trails of the groups that fired) and
/// call `finishReplay()`. Findings come out in input order (the record a finding is
/// raised on), then in pack order.
///
/// Memory holds per-rule counts, the findings, and for each rule across records one
/// small state per group (its aggregates, and the record that made its condition true),
/// never the records: it grows with the number of groups, not of records. Trails are
/// built by the replay for the groups that fired only. Undetermined outcomes and
/// evaluation problems are counted exactly and kept as at most `examplesPerRule`
/// examples per rule.
public struct CheckRun {
  public static let examplesPerRule = 20

  public let ruleSet: CompiledRuleSet
  /// The as-of date given; nil means "the latest record date seen" (see `asOf`).
  public let givenAsOf: CivilDate?
  /// When set, findings show pseudonyms for names and withhold addresses.
  public var personalData: PersonalDataPolicy?
  /// `probity explain`: the record to watch, and what every rule made of it.
  public var target: RecordSelector?
  public internal(set) var targetOrdinal: Int?
  public internal(set) var targetRecord: Record?
  /// How many records matched the selector (the first is explained).
  public internal(set) var targetMatches = 0
  /// A run that judges a group again in date order (see `rejudgeInDateOrder`): the
  /// position, among the records it evaluates, of the record `explain` watches, which
  /// it watches instead of matching `target` (another record of the group may have the
  /// same line, in another file, or the same transaction id).
  var watchedPosition: Int?
  var verdicts: [Int: RuleVerdict] = [:]
  /// The rules compiled to kernels (the fast path), and what they run on.
  let plans: [RulePlan]
  /// `plans` again, unretained, for the loop over a record's rules: a plan taken out of
  /// `plans` was retained and released for every rule and record (atomic operations);
  /// one lent through `_withUnsafeGuaranteedRef` is not. `plans` keeps them alive.
  private let lentPlans: [Unmanaged<RulePlan>]
  let frame: Frame
  /// Group keys interned: the `group by` values of a group, and its window's text.
  var groupValues = ValueInterner()
  var windowIDs: [String: Int32] = [:]
  /// The windows of calendar periods and elections met so far, with their ids (see
  /// `place`).
  var knownWindows = KnownWindows()
  var argumentBuffer: [Value] = []
  /// A record's `group by` values, while they are interned (one array for the run).
  var keyBuffer: [Value] = []
  /// The `where` clauses of each kind of record, remembered by the values they read, for
  /// records that come without values computed ahead (see `ProjectionMemo`; none: every
  /// `where` is computed on every record).
  var memos: [ProjectionMemo]
  /// The missing fields last named for each rule (see `noteUndetermined`).
  var lastUndetermined: [UndeterminedRun?]
  /// For each rule, the memo's list of missing fields its last undetermined `where` was
  /// named from, when it was (see `continuedFromMemo`).
  var undeterminedSources: [UndeterminedSource]
  /// The fields each aggregate of a condition reads, by the name an undetermined outcome
  /// gives it (`max(aggregate)`: `aggregate`), to say when none is in the format.
  let aggregateFields: [String: [FieldID]]

  /// A rule undetermined on records one after another for the same reason: the fields
  /// found missing, the fields the record's format does not have, the names counted
  /// (`RuleTally.missingFieldCounts`), and how many outcomes since are not yet added to
  /// the counts (`flushUndetermined`: counting each name once per record hashed it).
  struct UndeterminedRun {
    let fields: [String]
    let unavailable: FieldSet
    let missing: [String]
    var pending: Int

    /// Counts an outcome undetermined for these missing fields, on a record whose format
    /// lacks `unavailable`, when it continues the run; false when it does not.
    mutating func continued(_ fields: [String], _ unavailable: FieldSet) -> Bool {
      guard self.fields == fields && self.unavailable == unavailable else { return false }
      pending += 1
      return true
    }
  }
  /// After `finish`, by rule index: the groups not judged, and why (see `notJudged` and
  /// `withdrawUnplacedNetting`).
  var unjudged: [Int: [GroupKey: NotJudged]] = [:]
  /// By rule index: the groups not judged for being out of date order, to be judged again
  /// in date order by the replay (see `rejudgeInDateOrder`); the records the replay gave
  /// of them, by ordinal, and each group's ordinals; the verdicts of the watched record
  /// they gave.
  var rejudge: [Int: [GroupKey: Disorder]] = [:]
  var rejudgeRecords: [Int: Record] = [:]
  var rejudgeMembers: [Int: [GroupKey: [Int]]] = [:]
  var rejudgedVerdicts: [Int: RuleVerdict] = [:]
  /// By rule index: those of `rejudge` that stand as judged until the replay judges them
  /// again (no evaluation error): out of date order, they never went over the condition
  /// in input order but took from a sum or have a rolling window (see `notJudged`).
  var quietRejudge: [Int: Set<GroupKey>] = [:]
  /// By rule index: records its `where` admitted that would take from a sum (a refund)
  /// but could not be placed in a group, by the values of the keys known before the
  /// missing one, and by its window when that is known (see `noteUnplacedNetting`).
  var unplacedNetting: [[UnplacedKey: UnplacedNetting]] = []
  var cures: [Int: CureNote] = [:]
  /// The same, for a crossing on the watched record that a later record netted away (a
  /// rule without a cure window).
  var netted: [Int: CureNote] = [:]
  /// The names `filterMissingFields` made last from a list the memo remembered, by slot
  /// (an array: a dictionary hashed the slot on every record a `where` is undetermined
  /// on).
  var rememberedNames: [(list: [Value], names: [String])?] = []
  var observing = false
  var evaluator: Evaluator
  var unsortedFindings = FindingStore()
  public internal(set) var undetermined: [Undetermined] = []
  public internal(set) var problems: [EvaluationProblem] = []
  /// Per rule, in pack order: how its outcomes were counted, so far.
  public var tallies: [RuleTally] {
    var tallies = counted
    for (index, run) in lastUndetermined.enumerated() {
      guard let run, run.pending > 0 else { continue }
      for field in run.missing {
        tallies[index].missingFieldCounts[field, default: 0] += run.pending
      }
    }
    return tallies
  }
  /// The tallies as counted so far: the missing fields of the last run of undetermined
  /// outcomes of each rule are added by `tallies` (see `UndeterminedRun`).
  var counted: [RuleTally]
  public private(set) var recordsEvaluated = 0
  /// The latest `date` of any record evaluated.
  public internal(set) var latestDate: CivilDate?
  /// The last day the input's reports cover, by filer id (`report_period_end`, where the
  /// records give it; noted only when a rule has a cure window). What happened after it
  /// is not in the input: a cure window that closes later is open, not missed (see
  /// `judgementDate`, which a filer's records without a report end extend).
  public internal(set) var coverage = LatestByFiler()
  /// The latest date of each filer's records that do not say what their report covers
  /// (a CSV beside the filer's .fec reports): the input reaches at least that far.
  var uncovered = LatestByFiler()
  /// Whether a rule has a cure window (`coverage` is noted).
  private let notesCoverage: Bool
  /// Group states of the rules across records, by rule index: where each group's state
  /// is, the states in the order their groups were first seen, and their keys.
  var tables: [GroupTable]
  /// The numbering of groups, by class (rules with the same keys and window share one).
  var classes: [GroupClass]
  /// The classes of each set of `group by` keys (`RulePlan.keySet`).
  var classesByKeySet: [[Int]]
  /// After `finish`: the groups whose trails the replay must build, by rule index.
  var trailRequests: [[GroupKey: TrailBuilder]]
  var replayOrdinal = 0
  /// Where each record fell, when kept (see `indexForReplay`).
  var replayIndex: ReplayIndex?
  var replaySelected = false
  var finished = false
  /// What a rule with twins (see `RulePlan.twin`) made of the record it last evaluated:
  /// the record's ordinal, the failure met adding it to its group, or the condition's
  /// value. Its twins, evaluated right after it, take these instead of computing them.
  var twinOutcomes: [TwinOutcome?]
  /// The same, for the twins' quick path (see `evaluateGrouped`), in a form read
  /// without copying anything counted: the group's number and the condition's truth.
  var twinVerdicts: [TwinVerdict]
  /// By rule across records: whether its condition was undetermined (missing) on the
  /// last record it was evaluated on (see `evaluateGrouped`).
  var conditionUndetermined: [Bool]
  /// How many times a rule's condition ran as its collecting kernel at once because it
  /// was undetermined on the rule's last record (see `evaluateGrouped`): read by the
  /// tests, to know that path is taken.
  var conditionsCollected = 0
  /// The rules (of the first 64) about each kind of record, as bits by rule index, by
  /// `ProjectionMemo.index(of:)`.
  let kindMasks: [UInt64]

  struct TwinVerdict {
    /// The ordinal of the record (-1: none yet).
    var ordinal = -1
    var number: Int32 = -1
    /// 1 the condition held, 0 it did not, 2 anything else (missing, failed).
    var holds: UInt8 = 2
  }

  struct TwinOutcome {
    let ordinal: Int
    let failure: EvaluationFailure?
    let condition: Result<Value, EvaluationFailure>?
  }

  /// What two rules across records must have alike to be twins: the kinds of record,
  /// the `where`, the groups (keys and window: the class), the aggregates and the
  /// condition, each by structure, and how they fire. Nil for a rule that can have no
  /// twin: a rolling window (its entries are kept per rule), a condition that reads the
  /// deadline (which a cure or due window of its own sets).
  static func twinSignature(_ plan: RulePlan, _ compiler: inout KernelCompiler) -> String? {
    let rule = plan.rule
    guard let grouping = rule.grouping, !plan.isRolling, !plan.conditionReadsDeadline else {
      return nil
    }
    let kinds = rule.kinds.map(\.rawValue).sorted().joined(separator: ",")
    let filter = rule.filter.map { compiler.structureKey($0) } ?? "-"
    let aggregates = grouping.aggregates.map {
      $0.function.rawValue + " " + ($0.argument.map { compiler.structureKey($0) } ?? "-")
    }
    return [
      kinds, filter, "class \(plan.groupClass)", aggregates.joined(separator: ";"),
      compiler.structureKey(rule.condition), plan.fires.rawValue,
    ].joined(separator: " | ")
  }

  public init(ruleSet: CompiledRuleSet, asOf: CivilDate? = nil) {
    self.init(ruleSet: ruleSet, asOf: asOf, sharingTwins: true)
  }

  /// `sharingTwins`: whether twin rules share their state (see `twinSignature`); the
  /// findings are the same either way (tested).
  init(ruleSet: CompiledRuleSet, asOf: CivilDate?, sharingTwins: Bool) {
    self.ruleSet = ruleSet
    self.givenAsOf = asOf
    self.notesCoverage = ruleSet.rules.contains { $0.grouping?.cureDays != nil }
    self.baseBox = ContextBox(EvaluationContext(asOf: asOf.map { .date($0) } ?? .missing))
    lentBaseBox = Unmanaged.passUnretained(baseBox)
    self.evaluator = Evaluator(ruleSet: ruleSet)
    self.counted = Array(repeating: RuleTally(), count: ruleSet.rules.count)
    self.lastUndetermined = Array(repeating: nil, count: ruleSet.rules.count)
    self.undeterminedSources = Array(repeating: UndeterminedSource(), count: ruleSet.rules.count)
    var aggregateFields: [String: [FieldID]] = [:]
    for rule in ruleSet.rules {
      guard let aggregates = rule.grouping?.aggregates else { continue }
      for (index, node) in rule.condition.nodes.enumerated() {
        guard case .aggregate(let slot) = node.op, slot < aggregates.count,
          let argument = aggregates[slot].argument
        else { continue }
        aggregateFields[rule.condition.text(of: index)] = argument.nodes.compactMap {
          if case .field(let field) = $0.op { field } else { nil }
        }
      }
    }
    self.aggregateFields = aggregateFields
    var compiler = KernelCompiler(ruleSet: ruleSet)
    var plans = ruleSet.rules.map { RulePlan($0, &compiler) }
    var keySets: [String: Int] = [:]
    var classes: [String: Int] = [:]
    for plan in plans where plan.grouped {
      plan.keySet = keySets[plan.keysText] ?? keySets.count
      keySets[plan.keysText] = plan.keySet
      // Rules with the same keys and a window of the same kind taken on the same date
      // (the record's, or the same expression's: the same `windowSlot`), or none, or a
      // rolling one (not part of the key), number their groups alike.
      let window = plan.windowSlot.map { "window \($0)" } ?? ""
      let name = "\(plan.keySet) \(window)"
      plan.groupClass = classes[name] ?? classes.count
      classes[name] = plan.groupClass
    }
    // Twins: a rule across records that differs from an earlier one only in what it
    // does once its condition holds (US-REMEDY-001, the overdue remedy of
    // US-EXCESS-001) shares its groups' accumulators and condition values.
    var leaders: [String: Int] = [:]
    for (index, plan) in plans.enumerated() where plan.grouped && sharingTwins {
      guard let signature = CheckRun.twinSignature(plan, &compiler) else { continue }
      if let leader = leaders[signature] {
        plan.twin = leader
        plans[leader].hasFollowers = true
      } else {
        leaders[signature] = index
      }
    }
    self.plans = plans
    lentPlans = plans.map { Unmanaged.passUnretained($0) }
    self.memos = ProjectionMemo.byKind(ruleSet, plans)
    self.tables = plans.map {
      // A twin keeps no accumulators: its leader's are the same.
      GroupTable(slots: $0.twin == nil ? $0.aggregateFunctions.count : 0, money: $0.moneyAggregates)
    }
    self.twinOutcomes = Array(repeating: nil, count: ruleSet.rules.count)
    self.twinVerdicts = Array(repeating: TwinVerdict(), count: ruleSet.rules.count)
    self.conditionUndetermined = Array(repeating: false, count: ruleSet.rules.count)
    var kindMasks = [UInt64](repeating: 0, count: RecordKind.allCases.count)
    for kind in RecordKind.allCases {
      for index in ruleSet.ruleIndices(for: kind) where index < PreparedRecord.settledRules {
        kindMasks[ProjectionMemo.index(of: kind)] |= 1 << index
      }
    }
    self.kindMasks = kindMasks
    self.classes = Array(repeating: GroupClass(), count: classes.count)
    self.classesByKeySet = Array(repeating: [], count: keySets.count)
    for (index, plan) in plans.enumerated() where plan.grouped {
      self.classes[plan.groupClass].rules.append(index)
      if !classesByKeySet[plan.keySet].contains(plan.groupClass) {
        classesByKeySet[plan.keySet].append(plan.groupClass)
      }
    }
    plans.removeAll()
    self.frame = Frame(
      slots: compiler.slotCount, keySets: keySets.count, classes: classes.count,
      memos: compiler.memoCount, windows: compiler.windowSlotCount)
    frame.asOf = asOf.map { .date($0) } ?? .missing
    lentFrame = Unmanaged.passUnretained(frame)
    self.trailRequests = Array(repeating: [:], count: ruleSet.rules.count)
    self.unplacedNetting = Array(repeating: [:], count: ruleSet.rules.count)
  }

  /// The date open windows are judged at: `--as-of`, or else the latest record date.
  public var asOf: CivilDate? { givenAsOf ?? latestDate }

  /// How many findings are decided so far (for progress displays).
  public var unsortedFindingCount: Int { unsortedFindings.count }

  /// The findings, in input order then pack order.
  public var findings: Findings { Findings(unsortedFindings.sortedByOrder()) }

  /// A preparer of records for this run, for another thread (see `RecordPreparer`).
  public func makePreparer() -> RecordPreparer { preparerSource().make() }

  /// What makes preparers of records for this run, one per thread, when first needed.
  public func preparerSource() -> RecordPreparer.Source {
    RecordPreparer.Source(
      ruleSet: ruleSet, plans: plans, frame: frame, keySeed: groupValues.seed)
  }

  /// A record the run will evaluate a few records from now: the processor is asked to
  /// load the slot of the interner of group values its keys will be looked up in, when
  /// the preparer hashed them (`PreparedRecord.keyHash`). On a large filing the lookup
  /// misses the cache (a slot among millions); asked ahead, the wait overlaps the
  /// records before it. A hint only: nothing else changes.
  /// `near`: the record comes sooner; the slot, asked for before, is read, and the
  /// tuple it points to asked for.
  public mutating func lookAhead(_ prepared: inout PreparedRecord, near: Bool) {
    guard prepared.keyHashSet >= 0 else { return }
    if near {
      groupValues.prefetchTuple(hash: prepared.keyHash)
    } else {
      groupValues.prefetch(hash: prepared.keyHash)
    }
  }

  public mutating func evaluate(_ record: Record) {
    evaluate(PreparedRecord(record))
  }

  /// Keeps, in a temporary file, where each record falls, so that the replay need only
  /// see the records of the groups that fired (see `replaySelection`). Without it (or if
  /// the file cannot be written), the replay takes every record.
  public mutating func indexForReplay() {
    replayIndex = ReplayIndex(keySets: frame.groupIDs.count)
  }

  /// Evaluates a record, using the values computed ahead for it.
  public mutating func evaluate(_ prepared: borrowing PreparedRecord) {
    let record = prepared.record
    let ordinal = recordsEvaluated
    recordsEvaluated += 1
    evaluator.startRecord()
    frame.start(
      record, prepared: prepared.cacheValues, remembered: prepared.rememberedValues)
    defer { frame.endBorrowing() }
    // The rules whose `where` the memo knows is false on the record, and those it knows
    // it is true on.
    var known = ProjectionMemo.Known()
    if prepared.cache == nil && evaluator.traceObserver == nil && !memos.isEmpty {
      known = memos[ProjectionMemo.index(of: record.kind)].fill(frame)
    }
    if case .date(let date) = record[CanonicalSchema.dateField],
      latestDate.map({ date > $0 }) ?? true
    {
      latestDate = date
    }
    // The latest record date is the latest of every date a record says an event of its
    // came on: a donation's receipt, acceptance and report too (a register's returned
    // donations have no acceptance date, and the run was judged as of ten years before
    // their reports: every waiver that had expired since still held).
    for field in CanonicalSchema.eventDateFields {
      if case .date(let date) = record[field], latestDate.map({ date > $0 }) ?? true {
        latestDate = date
      }
    }
    if notesCoverage { noteCoverage(record) }
    observing = false
    let watched =
      if let watchedPosition { watchedPosition == ordinal } else { target?.matches(record) == true }
    if watched {
      targetMatches += 1
      if targetOrdinal == nil {
        targetOrdinal = ordinal
        targetRecord = record
        observing = true
        for (index, rule) in ruleSet.rules.enumerated() where !rule.kinds.contains(record.kind) {
          let kinds = rule.kinds.map { $0.rawValue + "s" }.joined(separator: " and ")
          observe(
            index, .notApplicable,
            "not applicable: the rule is about \(kinds), this record is a \(record.kind.rawValue)")
        }
      }
    }
    // What the preparer settled is only counted; a record watched by `explain` or an
    // observer of traces sees every rule evaluated.
    let counting = !observing && evaluator.traceObserver == nil
    let settled = counting ? prepared.notApplicable | known.leftOut : 0
    let settledNotFired = counting ? prepared.notFired : 0
    let admitted = counting ? prepared.admitted | known.admitted : 0
    // The rules whose `where` the memo knows is missing on the record: named undetermined
    // by what the memo kept, without evaluating the `where`.
    let undeterminedWhere = counting ? prepared.undetermined | known.undetermined : 0
    // The settled rules of the record's kind counted together, in place: an element
    // changed through the array checked the array's uniqueness, for some fifteen rules a
    // record.
    let kindMask = kindMasks[ProjectionMemo.index(of: record.kind)]
    let leftOut = settled & kindMask
    let notFired = settledNotFired & ~settled & kindMask
    if leftOut | notFired != 0 {
      counted.withUnsafeMutableBufferPointer { counts in
        var bits = leftOut
        while bits != 0 {
          counts[bits.trailingZeroBitCount].notApplicable += 1
          bits &= bits - 1
        }
        bits = notFired
        while bits != 0 {
          counts[bits.trailingZeroBitCount].evaluated += 1
          bits &= bits - 1
        }
      }
    }
    for index in ruleSet.ruleIndices(for: record.kind) {
      if index < PreparedRecord.settledRules, (leftOut | notFired) & (1 << index) != 0 {
        continue
      }
      // The `where` is known to admit the record (the preparer or the memo found it true).
      let whereHolds = index < PreparedRecord.settledRules && admitted & (1 << index) != 0
      lentPlans[index]._withUnsafeGuaranteedRef { plan in
        if index < PreparedRecord.settledRules, undeterminedWhere & (1 << index) != 0 {
          guard !continuedFromMemo(plan, index, record) else { return }
          let box = lentBaseBox
          noteUndetermined(
            index, record,
            filterMissingFields(plan, record, { box._withUnsafeGuaranteedRef { $0.context } }))
          noteUndeterminedSource(plan, index, record)
        } else if plan.grouped {
          evaluateGrouped(plan, index, record, ordinal: ordinal, admitted: whereHolds)
        } else if whereHolds {
          counted[index].evaluated += 1
          evaluateSingle(plan, index, record, ordinal: ordinal)
        } else if admits(plan, index, record) {
          evaluateSingle(plan, index, record, ordinal: ordinal)
        }
      }
    }
    replayIndex?.append(record.provenance, offset: record.offset, groups: frame.groupIDs)
  }

  /// What was missing (named as `Trace.missingFields` names it) for a program whose value
  /// was just found missing
  /// (the frame still holds its context), through its collecting kernel; when traces are
  /// observed, from the trace.
  mutating func missingFields(
    _ kernel: CollectingKernel?, _ program: @autoclosure () -> ExprProgram, _ record: Record,
    _ context: () -> EvaluationContext
  ) -> [String] {
    guard evaluator.traceObserver == nil, let kernel else {
      return evaluator.evaluate(program(), on: record, context: context()).trace.missingFields
    }
    return frame.missingFields(kernel, program())
  }

  /// The list the memo gave for the missing fields of a rule's `where`, by identity, and
  /// the list itself (kept, so that no other list is made where it was while the rule's
  /// run of undetermined outcomes is named from it).
  struct UndeterminedSource {
    var list: [Value]? = nil
    var identity: UnsafeRawPointer? = nil
    var unavailable = FieldSet()
  }

  /// A rule whose `where` the memo knows is missing on the record, for the same list of
  /// missing fields (by identity) as on the rule's last undetermined outcome, on a record
  /// of the same format: counted in that run at once, past the examples a report lists.
  /// (On the benchmark's filing US-CONTRACTOR-001 is undetermined on every record, for a
  /// field the CSV does not have: naming it again, and comparing the names, copied the
  /// lists, some 2% of the run.) False: not counted (`noteUndetermined` must).
  mutating func continuedFromMemo(_ plan: RulePlan, _ index: Int, _ record: Record) -> Bool {
    guard evaluator.traceObserver == nil, let slot = plan.filterMissingSlot,
      counted[index].undetermined >= CheckRun.examplesPerRule,
      let identity = undeterminedSources[index].identity,
      undeterminedSources[index].unavailable == record.unavailable,
      frame.rememberedListIdentity(slot) == identity,
      lastUndetermined[index] != nil
    else { return false }
    lastUndetermined[index]!.pending += 1
    counted[index].undetermined += 1
    return true
  }

  /// After `noteUndetermined` named the missing fields of a rule's `where` from the list
  /// the memo gave (`filterMissingFields`): that list, as what the rule's run of
  /// undetermined outcomes is now named from; none when the names came another way.
  mutating func noteUndeterminedSource(_ plan: RulePlan, _ index: Int, _ record: Record) {
    var source = UndeterminedSource()
    if evaluator.traceObserver == nil, let slot = plan.filterMissingSlot,
      slot < frame.remembered.count, case .list(let list)? = frame.remembered[slot],
      !list.isEmpty
    {
      source = UndeterminedSource(
        list: list, identity: frame.rememberedListIdentity(slot), unavailable: record.unavailable)
    }
    undeterminedSources[index] = source
  }

  /// What was missing for a rule whose `where` was just found missing:
  /// those the memo of the record's kind remembered for its tuple of values, else
  /// through the collecting kernel (`missingFields`).
  mutating func filterMissingFields(
    _ plan: RulePlan, _ record: Record, _ context: () -> EvaluationContext
  ) -> [String] {
    if evaluator.traceObserver == nil, let slot = plan.filterMissingSlot,
      slot < frame.remembered.count, case .list(let names)? = frame.remembered[slot]
    {
      // The memo gives the same list for every record of its tuple: its names are made
      // once (and then found equal at once, by identity, in `noteUndetermined`).
      if slot < rememberedNames.count, let last = rememberedNames[slot], last.list == names {
        return last.names
      }
      let made = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
      if slot >= rememberedNames.count {
        rememberedNames.append(
          contentsOf: repeatElement(nil, count: slot + 1 - rememberedNames.count))
      }
      rememberedNames[slot] = (names, made)
      return made
    }
    return missingFields(plan.filterMissing, plan.rule.filter!, record, context)
  }

  /// The value of a program on the current record, through its kernel (the frame holds
  /// the context); when traces are observed (coverage), through the tracing evaluator,
  /// so that every evaluation is seen.
  mutating func value(
    _ kernel: Kernel, _ program: @autoclosure () -> ExprProgram, _ record: Record,
    _ context: () -> EvaluationContext
  ) -> Result<Value, EvaluationFailure> {
    if evaluator.traceObserver != nil {
      return evaluator.evaluate(program(), on: record, context: context()).result
    }
    return frame.run(kernel)
  }

  /// Whether the rule's `where` admits the record; counts it as not applicable,
  /// undetermined or failed otherwise.
  mutating func admits(_ plan: RulePlan, _ index: Int, _ record: Record) -> Bool {
    guard let kernel = plan.filter else {
      counted[index].evaluated += 1
      return true
    }
    var filter: ExprProgram { plan.rule.filter! }
    frame.base()
    let box = lentBaseBox
    var context: EvaluationContext { box._withUnsafeGuaranteedRef { $0.context } }
    switch value(kernel, filter, record, { context }) {
    case .success(.boolean(true)):
      counted[index].evaluated += 1
      return true
    case .success(.boolean(false)):
      counted[index].notApplicable += 1
      if observing {
        observe(
          index, .notApplicable, "not applicable: the rule's 'where' leaves this record out",
          filter: explainedTrace(
            evaluator.evaluate(filter, on: record, context: context).trace, record))
      }
    case .success:
      let missing = filterMissingFields(plan, record, { context })
      noteUndetermined(index, record, missing)
      if observing {
        observe(
          index, .undetermined,
          "undetermined: the rule's 'where' needs a value this record does not have",
          filter: explainedTrace(
            evaluator.evaluate(filter, on: record, context: context).trace, record),
          missing: missing)
      }
    case .failure(let failure):
      noteProblem(index, record, failure)
      if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
    }
    return false
  }

  /// What a `where`, a group key or an aggregate's argument sees besides the record: the
  /// as-of date given, nothing else.
  var baseContext: EvaluationContext { baseBox.context }

  /// `baseContext`, held by reference: the hot paths take the box, and copy the context
  /// only where they use it (a copy of the struct, with its array and values, cost a
  /// reference count each, some fifteen times a record).
  final class ContextBox: Sendable {
    let context: EvaluationContext
    init(_ context: EvaluationContext) { self.context = context }
  }
  let baseBox: ContextBox
  /// `baseBox` and `frame` again, unretained (see `lentPlans`): the hot paths take them
  /// for every rule and record, to read on their slow paths.
  let lentBaseBox: Unmanaged<ContextBox>
  let lentFrame: Unmanaged<Frame>

  mutating func evaluateSingle(_ plan: RulePlan, _ index: Int, _ record: Record, ordinal: Int) {
    // Computed where used: most records make no finding, and few conditions read it.
    var deadline: CivilDate? { CheckRun.deadline(plan.deadlineDays, record) }
    let box = lentBaseBox
    var context: EvaluationContext {
      var context = box._withUnsafeGuaranteedRef { $0.context }
      context.deadline = deadline.map { .date($0) } ?? .missing
      return context
    }
    frame.base()
    if plan.conditionReadsDeadline { frame.deadline = deadline.map { .date($0) } ?? .missing }
    var condition: ExprProgram { plan.rule.condition }
    let result = value(plan.condition, condition, record, { context })
    switch result {
    case .success(.boolean(true)):
      counted[index].fired += 1
      let trace = evaluator.evaluate(condition, on: record, context: context).trace
      let made = makeFinding(
        plan.rule, index, record, ordinal: ordinal, trace: trace, context: context, group: [],
        deadline: deadline, status: nil)
      unsortedFindings.append(made)
      if observing {
        observe(
          index, .fired, "fired: the condition holds on this record",
          condition: explainedTrace(trace, record))
      }
    case .success(.boolean(false)):
      if observing {
        observe(
          index, .notFired, "did not fire: the condition is false on this record",
          filter: filterExplanation(plan.rule, record),
          condition: explainedTrace(
            evaluator.evaluate(condition, on: record, context: context).trace, record))
      }
    case .success:
      let missing = missingFields(plan.conditionMissing, condition, record, { context })
      noteUndetermined(index, record, missing)
      if observing {
        observe(
          index, .undetermined, "undetermined: a value the condition needs is missing",
          condition: explainedTrace(
            evaluator.evaluate(condition, on: record, context: context).trace, record),
          missing: missing)
      }
    case .failure(let failure):
      noteProblem(index, record, failure)
      if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
    }
  }

  /// The remedy's deadline for a record: its date plus the rule's `due` or `cure` days.
  static func deadline(_ days: Int?, _ record: Record) -> CivilDate? {
    guard let days, case .date(let date) = record[CanonicalSchema.dateField] else { return nil }
    return date.adding(days: days)
  }

  /// A finding of `rule` on `record`. Mutating: the message and remedy are rendered by
  /// the run's own evaluator (a copy of it, made to render, copied its scratch space on
  /// the first value it wrote, for every finding).
  mutating func makeFinding(
    _ rule: CompiledRule, _ index: Int, _ record: Record, ordinal: Int, trace: Trace,
    context: EvaluationContext,
    group: [(name: String, value: Value)], groupKey: GroupKey? = nil, deadline: CivilDate?,
    status: RemedyStatus?
  ) -> Finding {
    let policy = personalData
    let shown = policy.map { evaluator.redacted(trace, $0, record: record) } ?? trace
    return Finding(
      ruleID: rule.id, title: rule.title, severity: rule.severity, category: rule.category,
      citation: rule.citation,
      file: record.provenance.file, line: record.provenance.line,
      locator: record.provenance.locator,
      transactionID: record.transactionID,
      filerID: record[CanonicalSchema.filerField].stringValue,
      filerName: CanonicalSchema.filerNameField.flatMap { record[$0].stringValue },
      reportPeriod: Finding.reportPeriod(of: record),
      kind: record.kind,
      message: evaluator.render(rule.message, on: record, context: context, withholding: policy),
      remedy: rule.remedy.map {
        evaluator.render($0, on: record, context: context, withholding: policy)
      },
      values: shown.inputs, explanation: Explainer.explain(shown), group: group, trail: [],
      deadline: deadline, remedyStatus: status, groupKey: groupKey, ordinal: ordinal,
      ruleIndex: index)
  }

  mutating func noteUndetermined(_ index: Int, _ record: Record, _ fields: [String]) {
    // A field the format does not have at all is named as such. A rule undetermined on
    // one record is mostly so on the next for the same reason: the names are made once.
    // The last run continued in place, by a mutating call (`?.continued` changes the
    // element where it is). Reading the run out of the array to compare it (by `if let`,
    // by `?.fields`, or through the array's buffer) copied it, its two arrays retained
    // and released, on every record a rule cannot decide.
    if lastUndetermined[index]?.continued(fields, record.unavailable) != true {
      flushUndetermined(index)
      if undeterminedSources[index].identity != nil {
        undeterminedSources[index] = UndeterminedSource()
      }
      lastUndetermined[index] = UndeterminedRun(
        fields: fields, unavailable: record.unavailable, missing: described(fields, record),
        pending: 1)
    }
    counted[index].undetermined += 1
    guard counted[index].undetermined <= CheckRun.examplesPerRule else { return }
    undetermined.append(
      Undetermined(
        ruleID: ruleSet.rules[index].id, file: record.provenance.file, line: record.provenance.line,
        transactionID: record.transactionID, missingFields: lastUndetermined[index]!.missing))
  }

  /// The missing fields' names as the reports give them: a field the record's format
  /// does not have at all is "(not in the format)", and so is an aggregate none of whose
  /// fields it has.
  func described(_ fields: [String], _ record: Record) -> [String] {
    fields.map { name in
      let notInFormat: Bool
      if let field = CanonicalSchema.id(named: name) {
        notInFormat = record.unavailable.contains(field)
      } else if let read = aggregateFields[name], !read.isEmpty {
        notInFormat = read.allSatisfy { record.unavailable.contains($0) }
      } else {
        notInFormat = false
      }
      return notInFormat ? "\(name) (not in the format)" : name
    }
  }

  /// Adds the undetermined outcomes of a rule not yet counted by missing field to its
  /// tally (`finish` does it for every rule).
  mutating func flushUndetermined(_ index: Int) {
    guard let run = lastUndetermined[index], run.pending > 0 else { return }
    for field in run.missing { counted[index].missingFieldCounts[field, default: 0] += run.pending }
    lastUndetermined[index]!.pending = 0
  }

  mutating func noteProblem(_ index: Int, _ record: Record, _ failure: EvaluationFailure) {
    counted[index].failed += 1
    guard counted[index].failed <= CheckRun.examplesPerRule else { return }
    problems.append(
      EvaluationProblem(
        ruleID: ruleSet.rules[index].id, file: record.provenance.file, line: record.provenance.line,
        transactionID: record.transactionID, message: failure.message))
  }
}

extension CanonicalSchema {
  static let dateField: FieldID = id(named: "date") ?? 0
  /// The dates of a record's events beside its `date` (the run reads them: `fieldsRead`).
  static let eventDateFields: [FieldID] = ["received_date", "accepted_date", "reported_date"]
    .compactMap(id(named:))
  static let filerField: FieldID = id(named: "filer_id") ?? 0
  static let filerNameField: FieldID? = id(named: "filer_name")
  static let reportEndField: FieldID = id(named: "report_period_end") ?? 0
  static let electionCodeField: FieldID = id(named: "election_code") ?? 0
}

extension CheckRun {
  /// Every field the run reads of a record: a reader may leave the others out
  /// (`FilingReader.read(fields:)`) and the run's output is the same. Those its rules
  /// name (`CompiledRuleSet.fieldsRead`), and those the run reads itself: the date (the
  /// latest date of a run, windows, deadlines) and the dates of receipt, acceptance and
  /// report (the latest date of a run), the transaction id (findings,
  /// `explain`'s target), the filer's id and name and its report's period (findings,
  /// their fingerprints), the election code where
  /// a rule groups by election, the end of a report's period where a rule has a cure
  /// window (`coverage`), and the name and postal code a pseudonym is made from
  /// when personal data is withheld.
  public var fieldsRead: FieldSet {
    var names = [
      "date", "transaction_id", "filer_id", "filer_name", "report_period_start",
      "report_period_end", "received_date", "accepted_date", "reported_date",
    ]
    if ruleSet.rules.contains(where: { $0.grouping?.window?.kind == .election }) {
      names.append("election_code")
    }
    if personalData != nil { names += ["name", "zip"] }
    var fields = ruleSet.fieldsRead
    fields.formUnion(FieldSet(names.compactMap(CanonicalSchema.id(named:))))
    return fields
  }
}

extension CheckRun {
  /// Notes the last day `record`'s report covers, for its filer.
  mutating func noteCoverage(_ record: Record) {
    guard case .string(let filer) = record[CanonicalSchema.filerField] else { return }
    if case .date(let end) = record[CanonicalSchema.reportEndField] {
      coverage.note(end, for: filer)
    } else if case .date(let date) = record[CanonicalSchema.dateField] {
      uncovered.note(date, for: filer)
    }
  }

  /// The date a cure window opened on `filer`'s record is judged at: the as-of date, or
  /// how far the input reaches for that filer when its records say and it is earlier:
  /// the last day its reports cover (a refund after a quarterly report's end is in the
  /// next report), or the date of a later record of the filer that gives no report end.
  public func judgementDate(filer: String?) -> CivilDate? {
    guard let asOf else { return nil }
    guard let filer, let end = coverage[filer] else { return asOf }
    return min(asOf, max(end, uncovered[filer] ?? end))
  }
}

/// The latest of the dates noted for each filer. A run of one filer's records (a file's)
/// costs a comparison each.
public struct LatestByFiler: Sendable {
  private var dates: [String: CivilDate] = [:]
  private var last: (filer: String, date: CivilDate)?

  mutating func note(_ date: CivilDate, for filer: String) {
    if let last, last.date >= date, last.filer == filer { return }
    let latest = max(dates[filer] ?? date, date)
    dates[filer] = latest
    last = (filer, latest)
  }

  public subscript(filer: String) -> CivilDate? { dates[filer] }
}
