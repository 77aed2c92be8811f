import CPrefetch
import ProbityCore
import ProbityLanguage

/// The key of one group of a rule across records: its `group by` values and its window,
/// both interned by the run (`CheckRun.groupValues`, `windowIDs`; -1 for no window).
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

  /// What a record dated `date` that brings the group back within a rule's cure window
  /// makes of this crossing, judged at the as-of date given (`asOf`, nil: none given).
  enum Cure { case pending, late, inTime }

  func cure(on date: CivilDate?, asOf: CivilDate?) -> Cure {
    // After the as-of date, the deadline not yet passed at that date: the window was
    // still open then. (A deadline passed by the as-of date is a finding: a record after
    // that date does not hide it.)
    if let asOf, let date, date > asOf, deadline.map({ $0 >= asOf }) ?? true { return .pending }
    if let deadline, let date, date > deadline { return .late }
    return .inTime
  }
}

/// The groups of one class: rules with the same `group by` keys and windows of the same
/// kind number their groups alike, so a record's group is looked up once for them all.
struct GroupClass {
  private var table = NumberTable()
  /// The rules of the class, by index, for `CheckRun.prefetchRows`.
  var rules: [Int] = []

  mutating func number(_ key: GroupKey) -> Int32 {
    table.number(
      UInt64(UInt32(bitPattern: key.values)) << 32 | UInt64(UInt32(bitPattern: key.window)))
  }

  /// Starts loading where the groups with these values are (see `NumberTable.prefetch`).
  mutating func prefetch(values: Int32) {
    table.prefetch(values: UInt32(bitPattern: values))
  }

}

/// A group whose records are not in date order in the input: the first record that came
/// dated before an earlier record of the group.
struct Disorder {
  let key: GroupKey
  let file: String
  let line: Int
  let transactionID: String?
  let date: CivilDate
  /// The latest date of the group's records before it.
  let latest: CivilDate

  /// Why the group stands not judged when no second read judged it again in date order,
  /// said on the record out of order.
  var message: String { message(naming: "this record") }

  /// The same, said on another record of the group: `record` names the one out of order
  /// ("the record on line 3").
  func message(naming record: String) -> String {
    "not judged: \(record), dated \(date), comes after a record of its group dated \(latest); the group is judged in date order from a second read of the input, which was not made (sort the records by date, or give the files in date order)"
  }
}

/// Why a group of a rule was not judged (`CheckRun.unjudged`).
enum NotJudged {
  /// Its records are not in date order, and the rule judges them in their order.
  case outOfOrder(Disorder)
  /// A refund that could not be placed in a group may be its: the message says so.
  case unplacedNetting(String)
  /// Its records hold one transaction twice in one file, or name two people one key
  /// joins: the message says so (`GroupDoubt`).
  case doubted(String)
}

/// Why a group that fired may not be one donor's gifts, each counted once, found among its
/// records as the replay builds its trail (see `CheckRun.withdrawDoubted`): said on the
/// record that raised the doubt.
struct GroupDoubt {
  let message: String
  let file: String
  let line: Int
  let transactionID: String?

  /// One transaction id twice in one file, for records of one kind: one gift filed twice
  /// would be counted twice in the group's total, money that was not given.
  static func repeated(_ id: String, file: String, firstLine: Int, line: Int) -> GroupDoubt {
    GroupDoubt(
      message:
        "not judged: transaction \(id) is in \(file) twice (lines \(firstLine) and \(line)), and both are counted in this group's total; if it is one gift filed twice, the total is overstated. Correct the filing, or make sure they are two gifts, and check again",
      file: file, line: line, transactionID: id)
  }

  /// Two names the group's person key joins that tell two people apart: middle names of
  /// other initials, or a man's title and a woman's.
  static func twoPeople(
    _ first: (name: String, place: String), _ second: (name: String, place: String),
    differ what: String, record: Record
  ) -> GroupDoubt {
    GroupDoubt(
      message:
        "not judged: this group's records may be two people's: \"\(first.name)\" (\(first.place)) and \"\(second.name)\" (\(second.place)) are one donor by their key but differ in their \(what); their total may be no one person's. Check whether they are one donor",
      file: record.provenance.file, line: record.provenance.line,
      transactionID: record.transactionID)
  }
}

/// A record that would take from a group's sum (a refund) but could not be placed in a
/// group: where it is, what it takes, and what it lacks.
struct UnplacedNetting {
  let file: String
  let line: Int
  let taken: Value
  let missing: [String]

  /// Why a finding on a group it may belong to does not stand.
  func message(sameFile: Bool) -> String {
    let place = sameFile ? "line \(line)" : "line \(line) of \(file)"
    return
      "not judged: \(place), which takes \(taken) from a total of this rule, may be this group's but could not be placed in a group (missing: \(missing.joined(separator: ", "))); whether it brought the group back within the condition cannot be told"
  }
}

/// The groups a record that could not be placed may belong to: the values of the keys
/// known before the missing one, and its window (missing when not known: the date the
/// window is taken on is what is missing, or the window is rolling).
struct UnplacedKey: Hashable {
  let keys: [Value]
  let window: Value
}

/// The groups of one rule across records, by group number (see `GroupClass`), in flat
/// arrays: a group costs a few bytes and an accumulator per aggregate, whatever the
/// number of its records. What few groups need more (a crossing, late cures, the records
/// of a rolling window) is kept aside, by number.
struct GroupTable {
  /// Aggregates per group.
  let slots: Int
  /// `slots` accumulators per group number.
  var accumulators: AccumulatorStore
  /// By group number, in one word: `placedFlag` (the rule has a group of that number:
  /// the class may have more groups), `holdsFlag` (its condition holds) and `tookFlag`
  /// in the low bits, and above them (`dateShift`), for a rule that notes its groups'
  /// date order (`RulePlan.tracksOrder`: every rule across records but a twin), the
  /// latest date of the group's records so far (`CivilDate.bits`, under 2^23; 0 for none
  /// yet, `outOfOrder` once a record came dated before it). One array, so one cache line
  /// to read and write per record and rule: with the dates in an array of their own, a
  /// rule that tracks order touched two lines at random per record on a national filing.
  /// The rule's own records (those its `where` admits) only: a record another rule of
  /// the class places is no record of its group.
  var rows: [UInt32] = []
  static let placedFlag: UInt32 = 1
  static let holdsFlag: UInt32 = 2
  /// A record of the group took from one of its sums (a refund): in another order the
  /// group may go over the condition where it did not (see `CheckRun.notJudged`).
  static let tookFlag: UInt32 = 4
  static let dateShift: UInt32 = 3
  static let flagsMask: UInt32 = (1 << dateShift) - 1
  /// The date part of a group out of date order: no date's bits.
  static let outOfOrder: UInt32 = UInt32.max >> dateShift

  func took(_ number: Int) -> Bool { rows[number] & GroupTable.tookFlag != 0 }

  func placed(_ number: Int) -> Bool { rows[number] & GroupTable.placedFlag != 0 }
  func holds(_ number: Int) -> Bool { rows[number] & GroupTable.holdsFlag != 0 }
  var crossings: [Int32: Crossing] = [:]
  var lateCures: [Int32: [Crossing]] = [:]
  /// How many crossings of each group were cured in time (a rule with a cure window): a
  /// group found out of date order at the end is not judged, its cures not counted.
  var curedCounts: [Int32: Int] = [:]
  var rolling: [Int32: RollingWindow] = [:]
  /// The groups out of date order: the first record of each dated before an earlier one.
  var disorders: [Int32: Disorder] = [:]

  /// Notes the date (`CivilDate.bits`) of a record placed in group `position` (made:
  /// `ensure`): the latest date of the group's records before it when the record is
  /// dated before that (the first time only: the group then stays out of order), else
  /// nil.
  mutating func noteDate(_ bits: UInt32, at position: Int) -> UInt32? {
    precondition(position < rows.count, "a date noted for a group not made")
    return rows.withUnsafeMutableBufferPointer { rows in
      let row = rows[position]
      let latest = row >> GroupTable.dateShift
      if latest == GroupTable.outOfOrder { return nil }
      let flags = row & GroupTable.flagsMask
      if bits >= latest {
        rows[position] = bits << GroupTable.dateShift | flags
        return nil
      }
      rows[position] = GroupTable.outOfOrder << GroupTable.dateShift | flags
      return latest
    }
  }

  init(slots: Int, money: Bool) {
    self.slots = slots
    accumulators = AccumulatorStore(compact: money)
  }

  /// Makes room for group `number`.
  mutating func ensure(_ number: Int32) {
    let count = Int(number) + 1
    guard rows.count < count else { return }
    let more = count - rows.count
    HugePageAdvice.reserve(&rows, adding: more)
    // Mostly one new group (a donor not seen before), appended element by element:
    // appending a repeated element goes through the general path, which cost more.
    if more == 1 {
      rows.append(0)
    } else {
      rows.append(contentsOf: repeatElement(0, count: more))
    }
    accumulators.append(more * slots)
  }
}

/// The aggregates of one group being rebuilt by the replay.
struct GroupState {
  var accumulators: AccumulatorStore
  var rolling = RollingWindow()

  init(slots: Int) {
    accumulators = AccumulatorStore(compact: false, count: slots)
  }
}

/// The records of one group inside its rolling window (`window rolling N days`): each
/// record's day number and the values it gives the aggregates, in the order they came.
/// Only the entries from `start` on are still kept (`active`); those before it are let go
/// of in bulk, now and then.
///
/// A record dated on or after every record of its group before it (records in date
/// order, the usual case) does not fold the whole window again: the records it pushes
/// out of the window are taken out of the aggregates (a sum or a count less their values;
/// a minimum or a maximum stays as it is when the record leaving was not it), and the
/// record is added. That is exact only while the aggregates are the fold of the active
/// entries, in their order, which is date order, and while no sum of their amounts can
/// overflow whatever their order (`exact`, see `mostExact`). Anything else (a record out
/// of date order, a missing value or the minimum leaving, a failure, a huge amount) folds
/// the window again, as every record did before the twenty-seventh round: there the
/// cost of a record grows with the records inside its window, so one donor's 20,000
/// gifts in a year cost the square of that.
struct RollingWindow {
  private(set) var entries: [(day: Int, values: [Value])] = []
  private var start = 0
  /// The latest day of the group's records: never let go of (a record is inside its own
  /// window), so the latest of the entries kept too.
  private(set) var latest = Int.min
  /// The aggregates hold the fold of the active entries, which are in date order and
  /// small (`isSmall`), and fewer than `mostExact`.
  var exact = false

  /// Fewer than 2^22 entries of less than 2^40 (some 11 billion dollars in cents) each:
  /// no sum of some of them, in any order, reaches 2^62, so taking one out of a sum gives
  /// the sum the fold would give.
  static let mostExact = 1 << 22
  private static let largest: Int64 = 1 << 40

  var count: Int { entries.count - start }
  var isEmpty: Bool { start == entries.count }
  var active: ArraySlice<(day: Int, values: [Value])> { entries[start...] }

  mutating func append(day: Int, _ values: [Value]) {
    entries.append((day, values))
    latest = max(latest, day)
  }

  /// Lets go of every entry dated on or before `cutoff`, wherever it stands.
  mutating func forget(through cutoff: Int) {
    if start > 0 {
      entries.removeFirst(start)
      start = 0
    }
    entries.removeAll { $0.day <= cutoff }
  }

  /// Takes the entries dated on or before `cutoff` (the first ones: the active entries
  /// are in date order while `exact`) out of the aggregates (`functions.count` of them
  /// from `base`), and lets go of them. False when one cannot be taken out exactly: the
  /// aggregates are then to be folded again (some may have changed).
  mutating func takeOut(
    through cutoff: Int, from accumulators: inout AccumulatorStore, at base: Int,
    _ functions: [AggregateFunction]
  ) -> Bool {
    while start < entries.count && entries[start].day <= cutoff {
      for slot in functions.indices {
        guard
          let left = RollingWindow.without(
            entries[start].values[slot], accumulators[base + slot], functions[slot])
        else { return false }
        accumulators[base + slot] = left
      }
      start += 1
    }
    if start >= 64 && start * 2 >= entries.count {
      entries.removeFirst(start)
      start = 0
    }
    return true
  }

  /// An aggregate without one of the values folded into it; nil when that cannot be told
  /// from the two (a missing value leaving, which may or may not have been the only one;
  /// the minimum or maximum leaving; kinds of value a sum is not taken out of).
  static func without(_ value: Value, _ accumulator: Accumulator, _ function: AggregateFunction)
    -> Accumulator?
  {
    if value.isMissing { return nil }
    guard case .value(let held) = accumulator else {
      // Missing: a missing value still inside the window poisons the aggregate.
      if case .missing = accumulator { return .missing }
      return nil
    }
    switch (function, held, value) {
    case (.sum, .money(let sum), .money(let leaving)) where sum.currency == leaving.currency:
      return .value(
        .money(Money(minorUnits: sum.minorUnits - leaving.minorUnits, currency: sum.currency)))
    case (.sum, .integer(let sum), .integer(let leaving)),
      (.count, .integer(let sum), .integer(let leaving)):
      return .value(.integer(sum - leaving))
    case (.min, .money(let least), .money(let leaving)) where least.currency == leaving.currency:
      return leaving.minorUnits > least.minorUnits ? accumulator : nil
    case (.max, .money(let most), .money(let leaving)) where most.currency == leaving.currency:
      return leaving.minorUnits < most.minorUnits ? accumulator : nil
    case (.min, .integer(let least), .integer(let leaving)):
      return leaving > least ? accumulator : nil
    case (.max, .integer(let most), .integer(let leaving)):
      return leaving < most ? accumulator : nil
    case (.min, .date(let least), .date(let leaving)):
      return leaving > least ? accumulator : nil
    case (.max, .date(let most), .date(let leaving)):
      return leaving < most ? accumulator : nil
    default:
      return nil
    }
  }

  /// Whether no amount or number among `values` is too large for `exact`.
  static func isSmall(_ values: [Value]) -> Bool {
    for value in values {
      switch value {
      case .money(let money) where money.minorUnits.magnitude >= largest.magnitude: return false
      case .integer(let integer) where integer.magnitude >= largest.magnitude: return false
      default: continue
      }
    }
    return true
  }
}

/// Rebuilds one fired group's trail during the replay.
struct TrailBuilder {
  var state: GroupState
  var entries: [TrailEntry] = []
  /// Ordinals of the records its findings are raised on.
  let raisedOn: Set<Int>
  /// The line of each transaction id of the group's records, by file and kind of record;
  /// the first doubt met (`GroupDoubt`). Kept for the groups that fired alone: a set of
  /// every id read would grow with the records.
  var lines: [TransactionPlace: Int] = [:]
  var doubt: GroupDoubt?
  /// The first middle initial and the first title the group's person names gave, each with
  /// the name and where it is.
  var middle: (initial: Character, name: String, place: String)?
  var title: (title: DonorIdentity.PersonMarks.Title, name: String, place: String)?

  struct TransactionPlace: Hashable {
    let id: String
    let file: String
    let kind: RecordKind
  }

  /// Notes a record's transaction id, and the first met twice in one file; and, for a
  /// group keyed by a person (`person`: the fields of the name its key reads), the marks
  /// of the name that tell two people apart (`DonorIdentity.marks`).
  mutating func note(_ record: Record, person: PersonFields?) {
    guard doubt == nil else { return }
    if let id = record.transactionID {
      let place = TransactionPlace(id: id, file: record.provenance.file, kind: record.kind)
      if let first = lines[place] {
        doubt = .repeated(id, file: place.file, firstLine: first, line: record.provenance.line)
        return
      }
      lines[place] = record.provenance.line
    }
    if let person { notePerson(record, person) }
  }

  private mutating func notePerson(_ record: Record, _ person: PersonFields) {
    guard case .string(let name) = record[person.name] else { return }
    var marks = DonorIdentity.marks(name)
    // The name's parts, where the filing gives them apart (a .fec file's prefix).
    func part(_ field: FieldID?) -> String? {
      guard let field, !record.leftOut.contains(field), case .string(let text) = record[field]
      else { return nil }
      let word = DonorIdentity.words(Substring(text)).first
      return word
    }
    if let middleName = part(person.middle), let initial = middleName.first {
      marks.middleInitial = initial
    }
    if let prefix = part(person.prefix), let title = DonorIdentity.title(prefix) {
      marks.title = title
    }
    let place = "line \(record.provenance.line)"
    var shown = name
    if let field = person.prefix, !record.leftOut.contains(field),
      case .string(let prefix) = record[field]
    {
      shown += " (\(prefix))"
    }
    if let initial = marks.middleInitial {
      if let middle, middle.initial != initial {
        doubt = .twoPeople(
          (middle.name, middle.place), (shown, place), differ: "middle names", record: record)
        return
      }
      if middle == nil { middle = (initial, shown, place) }
    }
    if let given = marks.title {
      if let title, title.title != given {
        doubt = .twoPeople(
          (title.name, title.place), (shown, place), differ: "titles (a man's and a woman's)",
          record: record)
        return
      }
      if title == nil { title = (given, shown, place) }
    }
  }

  /// The fields of the name a rule's person key reads (`person_key(name)`), with the
  /// name's middle name and prefix where the filing gives them apart.
  struct PersonFields {
    let name: FieldID
    let middle: FieldID?
    let prefix: FieldID?

    /// For a rule grouped by `person_key` of a field; nil otherwise.
    init?(_ grouping: Grouping) {
      for key in grouping.keys {
        let root = key.nodes[key.root]
        guard case .call(.personKey) = root.op, let argument = root.children.first,
          case .field(let field) = key.nodes[argument].op
        else { continue }
        name = field
        let canonical = CanonicalSchema.id(named: "name")
        middle = field == canonical ? CanonicalSchema.id(named: "middle_name") : nil
        prefix = field == canonical ? CanonicalSchema.id(named: "prefix") : nil
        return
      }
      return nil
    }
  }

  /// Adds a record of the group: its aggregates' `arguments` to the running sums (nil:
  /// they could not be computed), then its entry, made of the running value of `slot`.
  mutating func add(
    arguments: [Value]?, date: CivilDate?, plan: RulePlan, slot: Int,
    entry: (_ running: Value, _ raisedOn: Set<Int>) -> TrailEntry
  ) {
    if let arguments {
      _ = CheckRun.accumulate(
        arguments, into: &state.accumulators, at: 0, rolling: &state.rolling, date: date, plan)
    }
    let running = slot < state.accumulators.count ? state.accumulators[slot].value : .missing
    entries.append(entry(running, raisedOn))
  }
}

/// Where a record falls for a rule across records.
enum Placement {
  /// The group's key, its number in the rule's class, the window and the date the window
  /// is taken on (its day number is computed only for a rolling window, which needs it).
  case group(GroupKey, number: Int32, window: Value, date: CivilDate?)
  case notApplicable
  /// A value it needs is missing; `admitted`: the rule's `where` admits the record (a key
  /// or the window's date is what is missing).
  case undetermined([String], admitted: Bool)
  case failed(EvaluationFailure)

  /// The window of a group (missing for any other placement).
  var window: Value {
    if case .group(_, _, let window, _) = self { return window }
    return .missing
  }
}

extension CheckRun {
  /// The rule's `where`, group keys and window for a record. Counts nothing. `admitted`:
  /// the `where` is known to admit the record (a `RecordPreparer` evaluated it, or the
  /// memo of the record's kind knows it is true on the record's values).
  mutating func place(_ plan: RulePlan, _ record: Record, admitted: Bool = false) -> Placement {
    let box = lentBaseBox
    var context: EvaluationContext { box._withUnsafeGuaranteedRef { $0.context } }
    // The rule's programs are read only on the slow paths (they are structs: a copy
    // costs a reference count per array).
    var grouping: Grouping { plan.rule.grouping! }
    var filter: ExprProgram { plan.rule.filter! }
    frame.base()
    if !admitted, let kernel = plan.filter {
      switch value(kernel, filter, record, { context }) {
      case .success(.boolean(true)): break
      case .success(.boolean(false)): return .notApplicable
      case .success:
        return .undetermined(filterMissingFields(plan, record, { context }), admitted: false)
      case .failure(let failure): return .failed(failure)
      }
    }
    // The group's values, interned once per record for every rule with the same keys
    // (every key is evaluated again when traces are observed).
    var valuesID = frame.groupIDs[plan.keySet]
    if valuesID < 0 || evaluator.traceObserver != nil {
      keyBuffer.empty()
      var outcome = RulePlan.KeysOutcome.complete
      if evaluator.traceObserver == nil {
        // The kernels alone, chained (see `RulePlan.collectKeys`).
        outcome = plan.collectKeys(frame, &keyBuffer)
      } else {
        // Key by key, each traced.
        keys: for position in plan.keys.indices {
          switch value(plan.keys[position].run, grouping.keys[position], record, { context }) {
          case .success(let value) where value.isMissing:
            outcome = .missing(position)
            break keys
          case .success(let value): keyBuffer.append(value)
          case .failure(let failure):
            outcome = .failed(failure)
            break keys
          }
        }
      }
      switch outcome {
      case .complete: break
      case .missing(let position):
        return .undetermined(
          missingFields(plan.keysMissing[position], grouping.keys[position], record, { context }),
          admitted: true)
      case .failed(let failure): return .failed(failure)
      }
      valuesID = groupValues.id(keyBuffer)
      frame.groupIDs[plan.keySet] = valuesID
      // The record's groups in every class with these keys, looked up by the rules to
      // come: their cache misses overlap the work until then.
      for position in classesByKeySet[plan.keySet].indices {
        classes[classesByKeySet[plan.keySet][position]].prefetch(values: valuesID)
      }
    }
    guard let kind = plan.windowKind else {
      return group(
        plan, GroupKey(values: valuesID, window: -1), window: .missing, date: nil)
    }
    // A window taken on an expression that a rule before this one took on this record
    // (the same expression: the same slot) is the same window. Its date is read only by
    // rolling windows, which are not cached: it is not computed again. (With traces
    // observed, every expression is evaluated, to be seen.)
    if plan.windowDate != nil, let slot = plan.windowSlot, let cached = frame.windows[slot],
      evaluator.traceObserver == nil
    {
      return group(
        plan, GroupKey(values: valuesID, window: cached.id), window: cached.value, date: nil)
    }
    var date: CivilDate?
    if let kernel = plan.windowDate {
      var on: ExprProgram { grouping.window!.on! }
      switch value(kernel, on, record, { context }) {
      case .success(.date(let d)): date = d
      case .success:
        return .undetermined(
          missingFields(plan.windowDateMissing, on, record, { context }), admitted: true)
      case .failure(let failure): return .failed(failure)
      }
    } else if case .date(let d) = record[CanonicalSchema.dateField] {
      date = d
    }
    guard let date else { return .undetermined(["date"], admitted: true) }
    if let slot = plan.windowSlot, let cached = frame.windows[slot] {
      return group(
        plan, GroupKey(values: valuesID, window: cached.id), window: cached.value,
        date: date)
    }
    // A window of a calendar period is named by its year (and quarter) alone: it is
    // made and interned once per period, not once per record.
    let period: Int? =
      switch kind {
      case .calendarYear: date.year * 8
      case .quarter: date.year * 8 + 1 + (date.month - 1) / 3
      case .cycle: date.year * 8 + 5
      case .election:
        if case .string(let code) = record[CanonicalSchema.electionCodeField], !code.isEmpty {
          nil
        } else {
          date.year * 8 + 6
        }
      case .rolling: nil
      }
    // Met before: a calendar period by its number, an election by its code (the few a
    // filing holds, compared byte for byte), without hashing a text for every record.
    let known =
      if let period {
        knownWindows.period(period)
      } else if case .election = kind,
        case .string(let code) = record[CanonicalSchema.electionCodeField]
      {
        knownWindows.election(code)
      } else {
        KnownWindows.Window?.none
      }
    if let known {
      if let slot = plan.windowSlot { frame.windows[slot] = known }
      return group(
        plan, GroupKey(values: valuesID, window: known.id), window: known.value,
        date: date)
    }
    let text = CheckRun.windowText(kind, date, record)
    let window = Value.string(text)
    // A rolling window is not part of the key: the group is the donor's.
    let windowID = plan.isRolling ? -1 : CheckRun.intern(text, in: &windowIDs)
    if let slot = plan.windowSlot { frame.windows[slot] = (window, windowID) }
    if let period {
      knownWindows.setPeriod(period, (window, windowID))
    } else if case .election = kind {
      knownWindows.addElection(text, (window, windowID))
    }
    return group(
      plan, GroupKey(values: valuesID, window: windowID), window: window, date: date)
  }

  /// The placement in a group, with its number in the rule's class (looked up once per
  /// record for the rules of a class).
  private mutating func group(_ plan: RulePlan, _ key: GroupKey, window: Value, date: CivilDate?)
    -> Placement
  {
    var number = frame.groupNumbers[plan.groupClass]
    if number < 0 {
      number = classes[plan.groupClass].number(key)
      frame.groupNumbers[plan.groupClass] = number
      prefetchRows(plan.groupClass, number)
    }
    return .group(key, number: number, window: window, date: date)
  }

  /// Notes the date of a record rule `index` placed in its group `number` (a rule that
  /// tracks order: see `RulePlan.tracksOrder`), and the group as out of date order when
  /// the record is dated before an earlier record of it. A record without a date is not
  /// noted.
  private mutating func noteOrder(_ index: Int, _ number: Int32, _ key: GroupKey, _ record: Record)
  {
    guard case .date(let date) = record[CanonicalSchema.dateField] else { return }
    // In place: the table is not copied out of the array, nor its dates out of it.
    let before = tables.withUnsafeMutableBufferPointer {
      $0[index].noteDate(date.bits, at: Int(number))
    }
    guard let before, let latestDate = CivilDate(bits: before) else { return }
    tables[index].disorders[number] = Disorder(
      key: key, file: record.provenance.file, line: record.provenance.line,
      transactionID: record.transactionID, date: date, latest: latestDate)
  }

  /// Asks the processor to load the row (flags, latest date) and accumulators of group
  /// `number` of every rule of the class, as soon as the record's group in the class is
  /// known. On a large filing each is a cache miss (the groups of a donor are far apart,
  /// in every rule's table); loaded one after another they kept the run waiting on
  /// memory once per rule, loaded together their waits overlap. A hint only: nothing
  /// changes if the processor ignores it, and rows not made yet (a new group) are
  /// skipped.
  private mutating func prefetchRows(_ groupClass: Int, _ number: Int32) {
    let number = Int(number)
    // In place, through mutable buffers: reading the arrays out of `self` would retain
    // and release each (two atomic operations). Only rows there are: an empty array (a
    // rule with no group yet) shares the one empty buffer, which a mutable buffer copied
    // on every call, never to keep.
    for position in classes[groupClass].rules.indices {
      let rule = classes[groupClass].rules[position]
      if number < tables[rule].rows.count {
        tables[rule].rows.withUnsafeMutableBufferPointer {
          probity_prefetch_for_write($0.baseAddress! + number)
        }
      }
      // A twin keeps no accumulators (`slots` 0): its leader's, in the same class, are
      // loaded for the leader.
      let slots = tables[rule].slots
      if slots > 0 { tables[rule].accumulators.prefetch(number * slots) }
    }
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
    groupKeys(plan, record, window: window).shown
  }

  /// The group of a record, evaluated once for both uses: `shown`, as a finding shows it
  /// (`groupDescription`), and `known`, the keys' values as computed (`knownKeys`). Each
  /// key is evaluated with a trace only where personal data is withheld (what is shown is
  /// then read from the redacted trace).
  mutating func groupKeys(_ plan: RulePlan, _ record: Record, window: Value) -> (
    shown: [(name: String, value: Value)], known: [Value]
  ) {
    guard let grouping = plan.rule.grouping else { return ([], []) }
    var shown: [(name: String, value: Value)] = []
    var known: [Value] = []
    shown.reserveCapacity(grouping.keys.count + 1)
    known.reserveCapacity(grouping.keys.count)
    var knownSoFar = true
    for key in grouping.keys {
      let result: Result<Value, EvaluationFailure>
      var redacted: Value? = nil
      if let policy = personalData {
        let (computed, trace) = evaluator.evaluate(key, on: record, context: baseContext)
        result = computed
        if case .success = computed {
          redacted = evaluator.redacted(trace, policy, record: record).values[key.root]
        }
      } else {
        result = evaluator.value(key, on: record, context: baseContext)
      }
      guard case .success(let value) = result else {
        knownSoFar = false
        continue
      }
      if knownSoFar && !value.isMissing { known.append(value) } else { knownSoFar = false }
      shown.append((key.nodes[key.root].oneLineText, redacted ?? value))
    }
    if grouping.window != nil { shown.append(("window", window)) }
    return (shown, known)
  }

  /// The name of the window a record dated `date` falls in.
  static func windowText(_ kind: WindowDecl.Kind, _ date: CivilDate, _ record: Record) -> String {
    switch kind {
    case .calendarYear: return String(date.year)
    case .quarter: return "\(date.year)-Q\((date.month - 1) / 3 + 1)"
    case .cycle: return CheckRun.cycleText(date)
    case .election:
      if case .string(let code) = record[CanonicalSchema.electionCodeField], !code.isEmpty {
        return code
      }
      return "undesignated, cycle \(CheckRun.cycleText(date))"
    case .rolling(let days):
      return "\(days) days to \(date)"
    }
  }

  static func cycleText(_ date: CivilDate) -> String {
    let end = date.year + date.year % 2
    return "\(end - 1)-\(end)"
  }

  /// The values a record gives a rule's aggregates, in `argumentBuffer` (`count()`
  /// takes 1); or the failure met computing one.
  mutating func aggregateArguments(_ plan: RulePlan, _ record: Record) -> EvaluationFailure? {
    frame.base()
    argumentBuffer.empty()
    // Through the kernels alone unless traces are observed (no context is made).
    guard evaluator.traceObserver != nil else {
      return plan.collectArguments(frame, &argumentBuffer)
    }
    for slot in plan.aggregateArguments.indices {
      guard let kernel = plan.aggregateArguments[slot]?.run else {
        argumentBuffer.append(.integer(1))
        continue
      }
      let context = baseContext
      let result = value(
        kernel, plan.rule.grouping!.aggregates[slot].argument!, record, { context })
      switch result {
      case .success(let value): argumentBuffer.append(value)
      case .failure(let failure): return failure
      }
    }
    return nil
  }

  /// Whether a record's arguments take from one of the rule's sums (a negative amount or
  /// number: a refund).
  static func takesFromSum(_ plan: RulePlan, _ arguments: [Value]) -> Bool {
    let functions = plan.aggregateFunctions
    for slot in functions.indices where functions[slot] == .sum && slot < arguments.count {
      switch arguments[slot] {
      case .money(let money) where money.minorUnits < 0: return true
      case .integer(let integer) where integer < 0: return true
      default: continue
      }
    }
    return false
  }

  /// Adds a record's arguments to a group's accumulators (`slots` of them from `base`);
  /// for a rolling window, keeps the record among the group's entries, lets go of those
  /// the window has left, and folds again those inside it (records in date order take
  /// the leavers out of the aggregates instead: see `RollingWindow`). `incremental`:
  /// false always folds again (the tests compare the two).
  static func accumulate(
    _ arguments: [Value], into accumulators: inout AccumulatorStore, at base: Int,
    rolling window: inout RollingWindow, date: CivilDate?, _ plan: RulePlan,
    incremental: Bool = true
  ) -> EvaluationFailure? {
    let functions = plan.aggregateFunctions
    guard case .rolling(let days)? = plan.windowKind, let day = date?.dayNumber else {
      // (A rolling window's record without a date is not placed in a group; were it
      // folded here, the aggregates would no longer be the fold of the window's entries.)
      if plan.isRolling { window.exact = false }
      return fold(arguments, into: &accumulators, at: base, functions)
    }
    var appended = false
    if incremental && window.exact && day >= window.latest
      && window.takeOut(through: day - days, from: &accumulators, at: base, functions)
    {
      if window.isEmpty {
        for slot in 0..<functions.count { accumulators[base + slot] = .empty }
      }
      window.append(day: day, arguments)
      if fold(arguments, into: &accumulators, at: base, functions) == nil {
        window.exact = RollingWindow.isSmall(arguments) && window.count < RollingWindow.mostExact
        return nil
      }
      // Folded again below: the same failure, and the same aggregates after it, as ever.
      appended = true
    }
    if !appended { window.append(day: day, arguments) }
    window.forget(through: window.latest - days)
    for slot in 0..<functions.count { accumulators[base + slot] = .empty }
    var inOrder = day == window.latest
    var previous = Int.min
    for entry in window.active {
      inOrder = inOrder && entry.day >= previous && RollingWindow.isSmall(entry.values)
      previous = entry.day
      guard entry.day <= day && entry.day > day - days else { continue }
      if let failure = fold(entry.values, into: &accumulators, at: base, functions) {
        window.exact = false
        return failure
      }
    }
    // In date order, the accumulators now hold the fold of every entry, in their order.
    window.exact = inOrder && window.count < RollingWindow.mostExact
    return nil
  }

  private static func fold(
    _ arguments: [Value], into accumulators: inout AccumulatorStore, at base: Int,
    _ functions: [AggregateFunction]
  ) -> EvaluationFailure? {
    for (slot, function) in functions.enumerated() {
      let value = arguments[slot]
      // The common case, a sum of amounts, in minor units.
      if function == .sum, case .money(let money) = value, accumulators.add(money, at: base + slot)
      {
        continue
      }
      let current = accumulators[base + slot]
      if case .missing = current { continue }
      if function != .count && value.isMissing {
        accumulators[base + slot] = .missing
        continue
      }
      guard case .value(let before) = current else {
        accumulators[base + slot] = .value(value)
        continue
      }
      switch function {
      case .sum, .count:
        switch Semantics.apply(.arithmetic(.add), before, value, count: 2) {
        case .success(let sum): accumulators[base + slot] = .value(sum)
        case .failure(let failure): return failure
        }
      case .min, .max:
        switch Semantics.apply(
          .compare(function == .min ? .less : .greater), value, before, count: 2)
        {
        case .success(.boolean(true)): accumulators[base + slot] = .value(value)
        case .success: break
        case .failure(let failure): return failure
        }
      }
    }
    return nil
  }

  mutating func evaluateGrouped(
    _ plan: RulePlan, _ index: Int, _ record: Record, ordinal: Int, admitted: Bool = false
  ) {
    // A twin whose leader placed this record and decided its condition, when the
    // condition's truth is what it was for the group (no crossing, no cure): all the rest
    // of this function would do is count the record evaluated and mark its group placed.
    // (Whatever else happens, a crossing, a cure, a rule that fires on each record, a
    // record watched, takes the whole path below.)
    if let leader = plan.twin, plan.fires == .crossing, !plan.findsEveryCrossing, !observing,
      evaluator.traceObserver == nil, twinVerdicts[leader].ordinal == ordinal,
      twinVerdicts[leader].holds < 2
    {
      let number = twinVerdicts[leader].number
      let held = Int(number) < tables[index].rows.count && tables[index].holds(Int(number))
      if held == (twinVerdicts[leader].holds == 1) {
        counted[index].evaluated += 1
        tables[index].ensure(number)
        tables[index].rows[Int(number)] |= GroupTable.placedFlag
        return
      }
    }
    let placement = place(plan, record, admitted: admitted)
    // The window is read where used, out of the placement: bound here with the rest, it
    // made the whole placement copied (the window retained) and destroyed after, for
    // every rule across records, on every record it places.
    guard case .group(let key, let number, _, let windowDate) = placement else {
      switch placement {
      case .group: break  // Placed: handled after the `guard`.
      case .notApplicable:
        counted[index].notApplicable += 1
        if observing {
          observe(
            index, .notApplicable, "not applicable: the rule's 'where' leaves this record out",
            filter: filterExplanation(plan.rule, record))
        }
      case .undetermined(let missing, let admitted):
        noteUndetermined(index, record, missing)
        if admitted { noteUnplacedNetting(plan, index, record, missing) }
        if observing {
          observe(
            index, .undetermined,
            "undetermined: the record cannot be placed in a group (a value is missing)",
            filter: filterExplanation(plan.rule, record), missing: missing)
        }
      case .failed(let failure):
        noteProblem(index, record, failure)
        if observing { observe(index, .failed, "could not be evaluated: \(failure.message)") }
      }
      return
    }
    counted[index].evaluated += 1
    var window: Value { placement.window }
    tables[index].ensure(number)
    if plan.tracksOrder { noteOrder(index, number, key, record) }
    tables[index].rows[Int(number)] |= GroupTable.placedFlag
    let slots = plan.aggregateFunctions.count
    let first = Int(number) * slots
    // A twin's accumulators are its leader's, which evaluated this record just before.
    let store = plan.twin ?? index
    let shared = plan.twin.flatMap { twinOutcomes[$0] }.flatMap { $0.ordinal == ordinal ? $0 : nil }
    var failure: EvaluationFailure?
    if plan.twin != nil {
      // The leader has the same kinds, `where` and groups, so it placed this record in
      // the same group just before (its accumulators hold the record).
      assert(shared != nil, "a twin rule evaluated without its leader")
      failure = shared?.failure
    } else {
      failure = aggregateArguments(plan, record)
      if failure == nil {
        var window =
          plan.isRolling
          ? tables[index].rolling.removeValue(forKey: number) ?? RollingWindow() : RollingWindow()
        failure = CheckRun.accumulate(
          argumentBuffer, into: &tables[index].accumulators, at: first, rolling: &window,
          date: windowDate, plan)
        if plan.isRolling { tables[index].rolling[number] = window }
        if plan.tracksOrder && CheckRun.takesFromSum(plan, argumentBuffer) {
          tables[index].rows[Int(number)] |= GroupTable.tookFlag
        }
      }
    }
    if let failure {
      if plan.hasFollowers {
        twinOutcomes[index] = TwinOutcome(ordinal: ordinal, failure: failure, condition: nil)
      }
      noteProblem(index, record, failure)
      return
    }
    let held = tables[index].holds(Int(number))
    // A group has a crossing only while its condition holds (most never do): the table
    // of crossings is not looked up for the others.
    let crossing = held ? tables[index].crossings[number] : nil
    let date: CivilDate? =
      if case .date(let d) = record[CanonicalSchema.dateField] { d } else { nil }
    // Computed where used: most records make no finding, and few conditions read it.
    var candidateDeadline: CivilDate? { CheckRun.deadline(plan.deadlineDays, record) }
    var deadline: Value {
      (crossing?.deadline ?? candidateDeadline).map { .date($0) } ?? .missing
    }
    let box = lentBaseBox
    let lentFrame = self.lentFrame
    var context: EvaluationContext {
      var context = box._withUnsafeGuaranteedRef { $0.context }
      // The condition's aggregates, as the frame holds them until the next rule.
      context.aggregates = lentFrame._withUnsafeGuaranteedRef { $0.contextAggregates }
      context.window = window
      context.deadline = deadline
      return context
    }
    frame.base()
    // Lent as minor units when they are amounts of one currency, else made values.
    let lent = lentFrame._withUnsafeGuaranteedRef {
      tables[store].accumulators.lend(from: first, count: slots, to: $0)
    }
    if !lent {
      for slot in first..<first + slots {
        frame.aggregates.append(tables[store].accumulators[slot].value)
      }
    }
    frame.window = window
    if plan.conditionReadsDeadline { frame.deadline = deadline }
    var condition: ExprProgram { plan.rule.condition }
    let result: Result<Value, EvaluationFailure>
    // A condition undetermined on the rule's last record is mostly so on this one, for the
    // same reason: its collecting kernel runs at once, computing the value and noting
    // what is missing in one pass (rather than the kernel, then the collecting kernel
    // again to name what was missing).
    var collected = false
    if let known = shared?.condition, evaluator.traceObserver == nil {
      result = known
    } else if conditionUndetermined[index], evaluator.traceObserver == nil,
      plan.conditionMissing.computes
    {
      result = frame.runCollecting(plan.conditionMissing)
      collected = true
      conditionsCollected &+= 1
    } else {
      result = value(plan.condition, condition, record, { context })
    }
    let undetermined: Bool =
      switch result {
      case .success(.boolean): false
      case .success: true
      case .failure: false
      }
    if conditionUndetermined[index] != undetermined { conditionUndetermined[index] = undetermined }
    if plan.hasFollowers {
      twinOutcomes[index] = TwinOutcome(ordinal: ordinal, failure: nil, condition: result)
      let holds: UInt8 =
        switch result {
        case .success(.boolean(true)): 1
        case .success(.boolean(false)): 0
        default: 2
        }
      twinVerdicts[index] = TwinVerdict(ordinal: ordinal, number: number, holds: holds)
    }
    // The trace, only where an outcome needs one (a finding, an undetermined outcome, the
    // record `probity explain` watches).
    func conditionTrace() -> Trace {
      evaluator.evaluate(condition, on: record, context: context).trace
    }
    // Its inputs made first: a non-mutating method called with arguments that mutate the
    // run (evaluating the group's keys) was called on a copy of the whole run.
    func finding() -> Finding {
      let trace = conditionTrace()
      let group = groupKeys(plan, record, window: window)
      var made = makeFinding(
        plan.rule, index, record, ordinal: ordinal, trace: trace, context: context,
        group: group.shown, groupKey: key, deadline: candidateDeadline, status: nil)
      made.keyValues = group.known
      if !plan.isRolling { made.windowValue = window }
      return made
    }
    let holds: Bool
    switch result {
    case .success(.boolean(let b)): holds = b
    case .success:
      let missing =
        collected
        ? frame.missingNames(plan.conditionMissing, condition)
        : missingFields(plan.conditionMissing, condition, record, { context })
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
      let crossedHere = holds && (!held || plan.fires == .each)
      // Over the condition since an earlier record: that record's crossing decides.
      let within: CrossingNote? =
        holds && held && plan.fires != .each
        ? crossing.map {
          CrossingNote(ordinal: $0.finding.ordinal, file: $0.finding.file, line: $0.finding.line)
        } : nil
      var reason =
        holds
        ? "the condition holds, as it did before this record"
        : "did not fire: the condition is false after this record"
      if !holds && held, let crossing {
        // This record brought the group back: the crossing it undid is named, and what
        // came of it (the verdict on that record).
        reason =
          "did not fire: this record brought the group back within the condition, which it went over on \(location(crossing.finding.file, crossing.finding.line))"
          + (crossing.finding.transactionID.map { " (\($0))" } ?? "")
        if plan.cureDays != nil, let deadline = crossing.deadline {
          switch crossing.cure(on: date, asOf: givenAsOf) {
          case .pending:
            reason +=
              ", after the as-of date \(givenAsOf.map(\.description) ?? ""): the window was still open then"
          case .late:
            reason += ", after its deadline of \(deadline): cured late, a finding on that record"
          case .inTime:
            reason += ", by its deadline of \(deadline): cured in time"
          }
        } else if plan.cureDays == nil {
          reason += ": netted"
        }
      }
      observe(
        index, crossedHere ? .fired : .notFired, reason,
        condition: explainedTrace(conditionTrace(), record),
        group: groupDescription(plan, record, window: window),
        groupKey: key, crossedHere: crossedHere, within: within)
    }
    if plan.fires == .each {
      if holds {
        counted[index].fired += 1
        let made = finding()
        unsortedFindings.append(made)
      }
      return
    }
    if holds && !held && plan.findsEveryCrossing {
      // A rolling window moves on: a later record does not undo an earlier excess, so
      // every crossing is a finding.
      counted[index].fired += 1
      let made = finding()
      unsortedFindings.append(made)
    } else if holds && !held {
      let made = finding()
      tables[index].crossings[number] = Crossing(finding: made, deadline: candidateDeadline)
    } else if !holds && held, let crossing {
      // Netted back within the condition: cured. With a cure window, in time or late.
      if plan.cureDays == nil, watches(crossing.finding.ordinal, index) {
        netted[index] = CureNote(
          file: record.provenance.file, line: record.provenance.line, date: date,
          transactionID: record.transactionID)
      }
      if plan.cureDays != nil {
        switch crossing.cure(on: date, asOf: givenAsOf) {
        case .pending:
          counted[index].pending += 1
        case .late:
          let late = crossing
          late.finding.remedyStatus = .curedLate
          tables[index].lateCures[number, default: []].append(late)
        case .inTime:
          counted[index].cured += 1
          tables[index].curedCounts[number, default: 0] += 1
          if watches(crossing.finding.ordinal, index) {
            cures[index] = CureNote(
              file: record.provenance.file, line: record.provenance.line, date: date,
              transactionID: record.transactionID)
          }
        }
      }
      tables[index].crossings[number] = nil
    }
    if holds {
      tables[index].rows[Int(number)] |= GroupTable.holdsFlag
    } else {
      tables[index].rows[Int(number)] &= ~GroupTable.holdsFlag
    }
  }

  /// Decides the findings of rules across records, after the last record: a group whose
  /// condition still holds fires on the record that made it true; with a cure window,
  /// only once the window has closed at the as-of date, within what the filer's reports
  /// in the input cover (`judgementDate`).
  public mutating func finish() {
    guard !finished else { return }
    finished = true
    for index in lastUndetermined.indices { flushUndetermined(index) }
    for (index, plan) in plans.enumerated() where plan.grouped {
      // Groups in the order of their numbers (the order their class first saw them).
      let table = tables[index]
      let anyLateCure = !table.lateCures.isEmpty
      // Groups whose records were not in date order, for a rule that judges them in their
      // order: not judged here (see `notJudged`). A twin's records are its leader's, which
      // notes their order; the leader (US-EXCESS-001 for US-REMEDY-001) is judged again
      // with it, so that the two agree on the record that went over and its deadline.
      let disorders = tables[plan.twin ?? index].disorders
      for number in table.rows.indices where table.placed(number) {
        let group = Int32(number)
        if !disorders.isEmpty, disorders[group] != nil { continue }
        // Most groups never held their condition and were never cured late (after the
        // deadline, by the as-of date: `Crossing.cure`): nothing to look up or to fire.
        let late = anyLateCure ? table.lateCures[group] : nil
        guard late != nil || table.holds(number) else { continue }
        var fired: [Finding] = (late ?? []).map(\.finding)
        if plan.fires == .crossing, table.holds(number), let crossing = table.crossings[group],
          !plan.findsEveryCrossing
        {
          if plan.cureDays != nil {
            if let deadline = crossing.deadline,
              let judged = judgementDate(filer: crossing.finding.filerID), judged > deadline
            {
              var finding = crossing.finding
              finding.remedyStatus = .uncured
              fired.append(finding)
            } else {
              counted[index].pending += 1
            }
          } else {
            fired.append(crossing.finding)
          }
        }
        counted[index].fired += fired.count
        unsortedFindings.append(contentsOf: fired)
      }
      // The groups out of date order first left aside: their evaluation errors stand
      // only until the replay judges them again, so they must not take the places of the
      // errors listed for refunds that could not be placed (at most `examplesPerRule`).
      let outOfOrder = Set(disorders.values.map(\.key))
      withdrawUnplacedNetting(index, skipping: outOfOrder)
      if !disorders.isEmpty { notJudged(index, disorders) }
      // Trails: every group with a finding, including findings fired on each record.
      var raised: [GroupKey: Set<Int>] = [:]
      // Read from the store's entries, without decoding a finding.
      for position in unsortedFindings.indices
      where unsortedFindings.ruleIndex(at: position) == index {
        guard let key = unsortedFindings.groupKey(at: position) else { continue }
        raised[key, default: []].insert(unsortedFindings.ordinal(at: position))
      }
      for (key, ordinals) in raised {
        trailRequests[index][key] = TrailBuilder(
          state: GroupState(slots: plan.aggregateFunctions.count), raisedOn: ordinals)
      }
    }
    tables = zip(tables, plans).map { GroupTable(slots: $0.slots, money: $1.moneyAggregates) }
  }

  /// The groups of a rule that judges its groups' records in their order whose records
  /// were not in date order in the input, and on which the rule concluded something in
  /// input order (a crossing, cured or not, or a finding on a record): each is one
  /// outcome that could not be evaluated, on the record that came out of order, and
  /// nothing else. Judged in input order, a cure window would open on the wrong record,
  /// and a deadline be missed that was kept (a false accusation); findings on each record
  /// would read totals the donor had not reached by that record's date. Its cures in time
  /// are not counted, and the findings it raised on each record are withdrawn. A group
  /// that never went over the condition in input order but took from a sum, or has a
  /// rolling window, is judged again too, quietly (`quietRejudge`: no evaluation error
  /// meanwhile); one that only added to its sums over a fixed window stands as judged.
  private mutating func notJudged(_ index: Int, _ disorders: [Int32: Disorder]) {
    let table = tables[index]
    // The group's sums are its leader's, for a twin (US-REMEDY-001's, US-EXCESS-001's).
    let leader = plans[index].twin ?? index
    var withdrawn: Set<GroupKey> = []
    for position in unsortedFindings.indices where unsortedFindings.ruleIndex(at: position) == index
    {
      if let key = unsortedFindings.groupKey(at: position) { withdrawn.insert(key) }
    }
    // In group order: the same output whatever the dictionary's order.
    for number in disorders.keys.sorted() {
      guard Int(number) < table.rows.count, table.placed(Int(number)),
        let disorder = disorders[number]
      else { continue }
      let crossed =
        table.crossings[number] != nil || table.curedCounts[number] != nil
        || table.lateCures[number] != nil
      guard crossed || withdrawn.contains(disorder.key) else {
        // Never over the condition in input order, but a record took from a sum (a refund
        // listed before the gifts it followed): in date order the group may have gone
        // over, and a cure come late. Judged again by the replay, standing as judged
        // until then (and without one). A group that only added cannot go over in one
        // order and not the other where its condition grows with its sums, as the packs'
        // do; a group of a rule whose condition falls as a sum grows is not judged again.
        // A rolling window is judged again whatever its records did: a record listed after
        // a later one no longer sees the gifts that fell out of the later one's window, so
        // gifts alone may go over by date and not in input order.
        if plans[index].isRolling
          || (Int(number) < tables[leader].rows.count && tables[leader].took(Int(number)))
        {
          rejudge[index, default: [:]][disorder.key] = disorder
          quietRejudge[index, default: []].insert(disorder.key)
        }
        continue
      }
      unjudged[index, default: [:]][disorder.key] = .outOfOrder(disorder)
      // Judged again, in date order, by the replay; if none comes, this stands.
      rejudge[index, default: [:]][disorder.key] = disorder
      counted[index].cured -= table.curedCounts[number] ?? 0
      counted[index].failed += 1
      guard counted[index].failed <= CheckRun.examplesPerRule else { continue }
      problems.append(
        EvaluationProblem(
          ruleID: ruleSet.rules[index].id, file: disorder.file, line: disorder.line,
          transactionID: disorder.transactionID, message: disorder.message))
    }
    let keys = Set(disorders.values.map(\.key))
    let before = unsortedFindings.count
    unsortedFindings.removeAll { ruleIndex, groupKey in
      ruleIndex == index && groupKey.map { keys.contains($0) } == true
    }
    counted[index].fired -= before - unsortedFindings.count
  }

  /// The values of a rule's `group by` keys on a record, as computed (never withheld), up
  /// to the first that is missing.
  mutating func knownKeys(_ plan: RulePlan, _ record: Record) -> [Value] {
    guard let grouping = plan.rule.grouping else { return [] }
    var known: [Value] = []
    for key in grouping.keys {
      guard case .success(let value) = evaluator.value(key, on: record, context: baseContext),
        !value.isMissing
      else { break }
      known.append(value)
    }
    return known
  }

  /// The window of a record that could not be placed, when its date is known and the
  /// window is part of the group's key (a period, a cycle, an election): it would only
  /// have been that window's. Missing otherwise (any window).
  mutating func knownWindow(_ plan: RulePlan, _ record: Record) -> Value {
    guard let kind = plan.windowKind, !plan.isRolling, let grouping = plan.rule.grouping,
      let window = grouping.window
    else { return .missing }
    let date: CivilDate
    if let on = window.on {
      guard
        case .success(.date(let d)) = evaluator.evaluate(on, on: record, context: baseContext)
          .result
      else { return .missing }
      date = d
    } else if case .date(let d) = record[CanonicalSchema.dateField] {
      date = d
    } else {
      return .missing
    }
    return .string(CheckRun.windowText(kind, date, record))
  }

  /// A record the rule's `where` admits that cannot be placed in a group (a key, or the
  /// date its window is taken on, is missing): when it would take from a sum (a refund,
  /// a redesignation away), the groups it may belong to, those with the keys known before
  /// the missing one, are noted, so that no finding stands on them (a refund without a
  /// zip code would leave the excess it cured standing: a false accusation).
  mutating func noteUnplacedNetting(
    _ plan: RulePlan, _ index: Int, _ record: Record, _ missing: [String]
  ) {
    let functions = plan.aggregateFunctions
    guard functions.contains(.sum), aggregateArguments(plan, record) == nil else { return }
    var taken: Value?
    for slot in functions.indices where functions[slot] == .sum && slot < argumentBuffer.count {
      // What it takes, as a positive amount.
      switch argumentBuffer[slot] {
      case .money(let money) where money.minorUnits < 0:
        taken = .money(Money(minorUnits: 0 &- money.minorUnits, currency: money.currency))
      case .integer(let integer) where integer < 0: taken = .integer(0 &- integer)
      default: continue
      }
      break
    }
    guard let taken else { return }
    let known = UnplacedKey(keys: knownKeys(plan, record), window: knownWindow(plan, record))
    guard unplacedNetting[index][known] == nil else { return }
    unplacedNetting[index][known] = UnplacedNetting(
      file: record.provenance.file, line: record.provenance.line, taken: taken,
      missing: missing)
  }

  /// Withdraws the findings of a rule on groups a record that could not be placed may have
  /// taken from (see `noteUnplacedNetting`): each becomes one outcome that could not be
  /// evaluated, on the record it was raised on.
  /// Findings of the groups in `skipping` (out of date order: `notJudged` leaves them
  /// aside) are kept here.
  private mutating func withdrawUnplacedNetting(_ index: Int, skipping: Set<GroupKey> = []) {
    let notes = unplacedNetting[index]
    guard !notes.isEmpty else { return }
    let lengths = Set(notes.keys.map(\.keys.count)).sorted()
    var withdrawn: Set<Int> = []
    for position in unsortedFindings.indices {
      guard unsortedFindings.ruleIndex(at: position) == index,
        skipping.isEmpty
          || unsortedFindings.groupKey(at: position).map({ !skipping.contains($0) }) ?? true
      else { continue }
      let finding = unsortedFindings[position]
      guard
        let note = lengths.lazy.compactMap({ length -> UnplacedNetting? in
          let keys = Array(finding.keyValues.prefix(length))
          // One of the finding's window, or one whose window is not known.
          return notes[UnplacedKey(keys: keys, window: finding.windowValue)]
            ?? notes[UnplacedKey(keys: keys, window: .missing)]
        }).first
      else { continue }
      withdrawn.insert(position)
      let message = note.message(sameFile: note.file == finding.file)
      if let key = finding.groupKey {
        unjudged[index, default: [:]][key] = .unplacedNetting(message)
      }
      counted[index].fired -= 1
      counted[index].failed += 1
      guard counted[index].failed <= CheckRun.examplesPerRule else { continue }
      problems.append(
        EvaluationProblem(
          ruleID: ruleSet.rules[index].id, file: finding.file, line: finding.line,
          transactionID: finding.transactionID, message: message))
    }
    unsortedFindings.remove(at: withdrawn)
  }

  /// Whether `replay` must see the records again to build trails.
  public var needsReplay: Bool { trailRequests.contains { !$0.isEmpty } || !rejudge.isEmpty }

  /// After `finish`, with `indexForReplay`: the lines, by file, of the records the
  /// replay needs (those placed in a group that fired, for some rule), with the byte
  /// offsets of those lines when the first pass knew them all (`Record.offset`); the
  /// reader may give `replay` these and no others (whole lines, in input order). nil:
  /// give it every record.
  public mutating func replaySelection() -> [String: LineSelection]? {
    guard let replayIndex else { return nil }
    var wanted = [Set<Int32>](repeating: [], count: frame.groupIDs.count)
    for (index, requests) in trailRequests.enumerated() where !requests.isEmpty {
      for key in requests.keys { wanted[plans[index].keySet].insert(key.values) }
    }
    for (index, groups) in rejudge {
      for key in groups.keys { wanted[plans[index].keySet].insert(key.values) }
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
    frame.start(
      record, prepared: prepared.cacheValues, remembered: prepared.rememberedValues)
    defer { frame.endBorrowing() }
    for index in ruleSet.ruleIndices(for: record.kind)
    where !trailRequests[index].isEmpty || rejudge[index] != nil {
      let plan = plans[index]
      guard let grouping = plan.rule.grouping,
        case .group(let key, _, _, let windowDate) = place(plan, record)
      else { continue }
      if rejudge[index]?[key] != nil {
        // A copy of its own: the reader fills the record's arrays again.
        if rejudgeRecords[ordinal] == nil {
          var kept = Record(
            kind: record.kind, provenance: record.provenance, values: record.values.map { $0 })
          kept.unavailable = record.unavailable
          kept.leftOut = record.leftOut
          rejudgeRecords[ordinal] = kept
        }
        rejudgeMembers[index, default: [:]][key, default: []].append(ordinal)
      }
      guard let position = trailRequests[index].index(forKey: key) else { continue }
      let slot = grouping.aggregates.firstIndex { $0.function == .sum } ?? 0
      var amount: Value = .missing
      if slot < grouping.aggregates.count, let argument = grouping.aggregates[slot].argument,
        case .success(let value) = evaluator.value(argument, on: record, context: baseContext)
      {
        amount = value
      }
      let arguments = aggregateArguments(plan, record) == nil ? argumentBuffer : nil
      let date: CivilDate? =
        if case .date(let d) = record[CanonicalSchema.dateField] { d } else { nil }
      // Changed where it is: taken out of the dictionary and put back, its entries and
      // sums had two owners, and were copied at every record of the group.
      trailRequests[index].values[position].note(
        record, person: TrailBuilder.PersonFields(grouping))
      trailRequests[index].values[position].add(
        arguments: arguments, date: windowDate, plan: plan, slot: slot
      ) { running, raisedOn in
        TrailEntry(
          file: record.provenance.file, line: record.provenance.line,
          transactionID: record.transactionID,
          date: date, amount: amount, running: running,
          raisedHere: raisedOn.contains(ordinal))
      }
    }
  }

  /// Attaches the trails the replay built to their findings.
  public mutating func finishReplay() {
    // By position, the rule and group read from the store's entries, the trail stored
    // apart from its finding (which is not decoded).
    for position in unsortedFindings.indices {
      guard let key = unsortedFindings.groupKey(at: position) else { continue }
      if let entries = trailRequests[unsortedFindings.ruleIndex(at: position)][key]?.entries {
        unsortedFindings.setTrail(at: position, entries)
      }
    }
    withdrawDoubted()
    trailRequests = Array(repeating: [:], count: ruleSet.rules.count)
    replayIndex = nil
    replaySelected = false
    rejudgeInDateOrder()
  }

  /// The findings of each group a doubt was found in as its trail was built
  /// (`TrailBuilder.doubt`: one transaction id twice in one file, or names of two people
  /// one key joins) do not stand: each such group is one outcome that could not be
  /// evaluated, said on the record that raised the doubt. Counting one gift twice, or two
  /// people's gifts as one donor's, makes a total no one gave, and an accusation that is
  /// not true; either is a question the regulator should see. Only groups that fired are
  /// looked at (the others accuse no one).
  mutating func withdrawDoubted() {
    for index in trailRequests.indices {
      let doubts = trailRequests[index].compactMapValues(\.doubt)
      guard !doubts.isEmpty else { continue }
      let before = unsortedFindings.count
      unsortedFindings.removeAll { ruleIndex, groupKey in
        ruleIndex == index && groupKey.map { doubts[$0] != nil } == true
      }
      counted[index].fired -= before - unsortedFindings.count
      // In the order of the groups' keys: the same output whatever the dictionary's order.
      for (key, doubt) in doubts.sorted(by: {
        ($0.key.values, $0.key.window) < ($1.key.values, $1.key.window)
      }) {
        unjudged[index, default: [:]][key] = .doubted(doubt.message)
        counted[index].failed += 1
        guard counted[index].failed <= CheckRun.examplesPerRule else { continue }
        problems.append(
          EvaluationProblem(
            ruleID: ruleSet.rules[index].id, file: doubt.file, line: doubt.line,
            transactionID: doubt.transactionID, message: doubt.message))
      }
    }
  }

  /// Judges again, in date order, each group a rule did not judge for its records being
  /// out of date order (see `notJudged`), from its records the replay gave: a run of the
  /// same rules, as of the same date and within what the same filers' reports cover, over
  /// the group's records sorted by date (records of one date, and a record without a
  /// date after the one before it, in input order). Its outcome for the rule and group
  /// (findings with their trails, cures in time, windows still open) replaces the
  /// evaluation error `finish` left, which stands for a group whose records the replay
  /// did not give.
  mutating func rejudgeInDateOrder() {
    guard !rejudge.isEmpty else { return }
    var template = CheckRun(ruleSet: ruleSet, asOf: givenAsOf)
    template.personalData = personalData
    template.latestDate = latestDate
    template.coverage = coverage
    template.uncovered = uncovered
    for index in rejudge.keys.sorted() {
      let groups = rejudge[index] ?? [:]
      // The group of the record `explain` watches, when it is judged again.
      var watchedKey: GroupKey?
      for (key, disorder) in groups.sorted(by: {
        ($0.key.values, $0.key.window) < ($1.key.values, $1.key.window)
      }) {
        let members = rejudgeMembers[index]?[key] ?? []
        guard !members.isEmpty else { continue }
        // Date order, input order within a date; an undated record keeps its place.
        var latest: UInt32 = 0
        var keyed: [(date: UInt32, ordinal: Int)] = []
        for ordinal in members.sorted() {
          if case .date(let date) = rejudgeRecords[ordinal]?[CanonicalSchema.dateField] {
            latest = max(latest, date.bits)
            keyed.append((date.bits, ordinal))
          } else {
            keyed.append((latest, ordinal))
          }
        }
        let sorted = keyed.sorted { ($0.date, $0.ordinal) < ($1.date, $1.ordinal) }.map(\.ordinal)
        var run = template
        if let targetOrdinal, let position = sorted.firstIndex(of: targetOrdinal) {
          // The watched record itself, not the first of the group its selector matches
          // (the same line of another file, the same transaction id); no other group's
          // run watches a record.
          run.target = target
          run.watchedPosition = position
        }
        for ordinal in sorted { run.evaluate(rejudgeRecords[ordinal]!) }
        run.finish()
        if run.needsReplay {
          for ordinal in sorted { run.replay(rejudgeRecords[ordinal]!) }
          run.finishReplay()
        }
        // The rule's outcome on this group (its only group in the run).
        counted[index].fired += run.counted[index].fired
        counted[index].cured += run.counted[index].cured
        counted[index].pending += run.counted[index].pending
        for position in run.unsortedFindings.indices
        where run.unsortedFindings.ruleIndex(at: position) == index {
          var finding = run.unsortedFindings[position]
          finding.ordinal = sorted[finding.ordinal]
          finding.groupKey = key
          unsortedFindings.append(finding)
        }
        if run.targetOrdinal != nil,
          var verdict = run.finalVerdicts().first(where: { $0.ruleIndex == index })
        {
          verdict.reason +=
            " (its group's records, not in date order in the input, judged in date order)"
          rejudgedVerdicts[index] = verdict
          watchedKey = key
        }
        // The evaluation error `finish` left is withdrawn (a group judged again quietly
        // had none); one the run raised on the group stands in its place.
        unjudged[index]?[key] = nil
        // (The run's other counts of failures are of records the first pass counted.)
        if case .doubted(let message)? = run.unjudged[index]?.values.first {
          unjudged[index, default: [:]][key] = .doubted(message)
          counted[index].failed += 1
          if counted[index].failed <= CheckRun.examplesPerRule,
            let problem = run.problems.first(where: {
              $0.message == message && $0.ruleID == ruleSet.rules[index].id
            })
          {
            problems.append(problem)
          }
        }
        guard quietRejudge[index]?.contains(key) != true else { continue }
        counted[index].failed -= 1
        if let position = problems.firstIndex(where: {
          $0.ruleID == ruleSet.rules[index].id && $0.file == disorder.file
            && $0.line == disorder.line && $0.message == disorder.message
        }) {
          problems.remove(at: position)
        }
      }
      // A refund that could not be placed is no record of the group in date order either:
      // it may still be the one that brought it back within the condition, so no finding
      // of the rule stands on a group it may belong to (see `withdrawUnplacedNetting`;
      // the findings kept before are kept again).
      withdrawUnplacedNetting(index)
      if let watchedKey, unjudged[index]?[watchedKey] != nil {
        rejudgedVerdicts[index] = nil
      }
    }
    rejudge = [:]
    quietRejudge = [:]
    rejudgeRecords = [:]
    rejudgeMembers = [:]
  }
}
