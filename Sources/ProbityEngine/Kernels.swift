import CPrefetch
import ProbityCore
import ProbityLanguage

// The fast path of evaluation: every expression of a rule set compiled once into a tree
// of closures ("kernels") that compute its value on a record without recording a trace.
//
// The tracing `Evaluator` stays the reference: explanations, findings and coverage are
// built from its traces. A kernel must give exactly the value (or failure) the tracing
// evaluator gives on the same record and context; `KernelDifferentialTests` checks
// that over every expression of the bundled packs and the fixtures.
//
// What makes kernels fast: no `Result` per node and no array of operands (a failure is
// flagged on the frame, and every kernel checks the flag after each operand), parameters
// and constant lists looked up once at compile time, and `define`s, `where` clauses and
// group keys cached per record in numbered slots rather than by name.

/// What kernels read while they run: the record, the group's aggregates, the window,
/// the deadline and the as-of date, the values cached for the current record, and the
/// failure, if one happened. One per `CheckRun` (and one per `RecordPreparer`), reused
/// for every record and only ever used by one thread at a time: its hot fields skip the
/// run-time exclusivity checks.
final class Frame {
  /// The record's values, borrowed like `prepared` (the record outlives its evaluation,
  /// until `endBorrowing`): read through a pointer, a field is one load, and the record's
  /// array, made and filled again on the reader's thread, is not counted on the run's.
  @exclusivity(unchecked) var values = UnsafeBufferPointer<Value>(start: nil, count: 0)
  @exclusivity(unchecked) var unavailable = FieldSet()
  @exclusivity(unchecked) var kind: Value = .missing
  /// A rule's context: its aggregates, window and deadline (see `base()`).
  @exclusivity(unchecked) var aggregates: [Value] = [] { didSet { holdsContext = true } }
  /// The aggregates of a rule whose accumulators are compact (amounts of one currency:
  /// see `AccumulatorStore`), lent as their minor units in place of `aggregates`, which
  /// is then empty: a condition reads them without an array of values made and emptied
  /// for every rule and record. `lentCount` of them (0: none lent), each `Int64.min` or
  /// `Int64.min + 1` when the group has none or a missing one (both read as missing).
  /// (A buffer of the frame's own rather than an array: writing an element of an array
  /// checks that it is not shared.)
  private(set) var lentUnits = UnsafeMutablePointer<Int64>.allocate(capacity: 8)
  private var lentCapacity = 8
  @exclusivity(unchecked) private(set) var lentCount = 0 { didSet { holdsContext = true } }
  @exclusivity(unchecked) private(set) var lentCurrency: Currency?
  @exclusivity(unchecked) var window: Value = .missing { didSet { holdsContext = true } }
  @exclusivity(unchecked) var deadline: Value = .missing { didSet { holdsContext = true } }
  /// Whether `aggregates`, `window` or `deadline` may have been set since the last
  /// `base()` (set by any write to them, and only `base()` clears it).
  @exclusivity(unchecked) private(set) var holdsContext = false
  @exclusivity(unchecked) var asOf: Value = .missing
  /// Results of costly functions of one string (`person_key`, `org_key`, `postcode`,
  /// `matches`), by call site: donors repeat, so most calls are answered from here.
  @exclusivity(unchecked) var memos: [Memo] = []
  static let memoLimit = 1 << 16
  /// Filled by collecting kernels (`KernelCompiler.compileCollecting`): the nodes of
  /// `ExprProgram.readsOutsideDefines` (fields, `define`s, aggregates, lookups, calls)
  /// that gave missing.
  @exclusivity(unchecked) var missingNodes: [Int] = []
  /// Set by the first operation that fails; the kernels above it stop and return.
  @exclusivity(unchecked) var failed = false
  var failure = EvaluationFailure(message: "")
  /// Values of `define`s, `where` clauses and group keys on the current record.
  @exclusivity(unchecked) var cache: [Value?]
  /// The same, computed ahead by a `RecordPreparer` (empty when none).
  ///
  /// Borrowed, like `remembered`, from an array that outlives the record's evaluation
  /// (the `PreparedRecord` being evaluated, a memo's tuples), until `endBorrowing`: not
  /// held. A record prepared on the reader's thread is made and freed there; held
  /// here, its arrays' reference counts were also changed on the run's thread, and a
  /// memo's arrays, shared by every record of a tuple, had their counts' cache line
  /// moved between the cores at every record.
  @exclusivity(unchecked) var prepared = Frame.noValues
  /// The values of the `where` clauses (and the `define`s they read) remembered for
  /// records with the same values as this one (see `ProjectionMemo`; empty when none).
  @exclusivity(unchecked) var remembered = Frame.noValues
  static var noValues: UnsafeBufferPointer<Value?> { UnsafeBufferPointer(start: nil, count: 0) }

  /// Lets go of what the frame borrowed for the record (`values`, `prepared`,
  /// `remembered`): the arrays may be freed once the record is evaluated.
  func endBorrowing() {
    values = UnsafeBufferPointer(start: nil, count: 0)
    prepared = Frame.noValues
    remembered = Frame.noValues
  }

  /// The elements of `values`, borrowed (see `prepared`): the caller keeps the array,
  /// unchanged, for as long as the frame reads them.
  static func borrow(_ values: [Value?], count: Int) -> UnsafeBufferPointer<Value?> {
    values.count == count ? values.withUnsafeBufferPointer { $0 } : noValues
  }

  /// Where the elements of the list remembered in `slot` are (its identity), without
  /// copying it; nil when the slot holds no list or an empty one.
  func rememberedListIdentity(_ slot: Int) -> UnsafeRawPointer? {
    guard slot < remembered.count, case .list(let list)? = remembered[slot], !list.isEmpty else {
      return nil
    }
    return list.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
  }
  /// Caches handed over with records and given back, to be filled again (see
  /// `RecordPreparer.recycle`).
  @exclusivity(unchecked) var spareCaches: [[Value?]] = []
  /// The interned group of the current record, by set of `group by` keys (-1: not yet).
  @exclusivity(unchecked) var groupIDs: [Int32]
  /// The window of the current record (its value and interned id), by window kind.
  @exclusivity(unchecked) var windows: [(value: Value, id: Int32)?]

  /// The number of the current record's group, by group class (-1: not yet).
  @exclusivity(unchecked) var groupNumbers: [Int32]

  /// The sets of `group by` keys (the first 64, by `RulePlan.keySet`) a preparer has
  /// computed for the current record: the next rule with the same keys finds them
  /// cached, and need not ask.
  @exclusivity(unchecked) var keySetsComputed: UInt64 = 0

  /// A preparer's frame: the hash, as the run's interner of group values hashes it (its
  /// seed), of the first set of `group by` keys computed on the current record, and that
  /// set (-1: none). Handed over with the record, so that the run can ask for the
  /// interner's slot before it gets to the record (`CheckRun.lookAhead`). nil seed: the
  /// run's own frame, which does not hash ahead.
  var keySeed: UInt64?
  @exclusivity(unchecked) var keyHash: UInt32 = 0
  @exclusivity(unchecked) var keyHashSet: Int32 = -1
  @exclusivity(unchecked) private var hashValues: [Value] = []
  @exclusivity(unchecked) private var hashBytes = KeyBytes()

  /// Hashes the record's values of a set of keys (their kernels have just run, so their
  /// values are cached), as `ValueInterner.id` would: see `keyHash`.
  func hashKeys(_ collect: (Frame, inout [Value]) -> RulePlan.KeysOutcome, keySet: Int) {
    guard let keySeed, keyHashSet < 0 else { return }
    hashValues.removeAll(keepingCapacity: true)
    guard case .complete = collect(self, &hashValues) else { return }
    hashBytes.removeAll()
    for value in hashValues { ValueInterner.encode(value, into: &hashBytes) }
    keyHash = hashBytes.withUnsafeBytes { ValueInterner.hash($0, seed: keySeed) }
    keyHashSet = Int32(keySet)
  }

  init(
    slots: Int, keySets: Int, classes: Int, memos: Int,
    windows: Int = RulePlan.cachedWindowKinds
  ) {
    self.memos = Array(repeating: Memo(), count: memos)
    groupNumbers = Array(repeating: -1, count: classes)
    cache = Array(repeating: nil, count: slots)
    groupIDs = Array(repeating: -1, count: keySets)
    self.windows = Array(repeating: nil, count: windows)
  }

  /// Starts a record: values cached for the previous one are dropped.
  ///
  /// `prepared`: the values a `RecordPreparer` computed for the record, borrowed from the
  /// `PreparedRecord` until the record is evaluated (`endBorrowing`), read where the
  /// frame's own cache has none. `handOver`: the cache is about to be handed over with
  /// the record (a preparer): a fresh one is made rather than the old one emptied, which
  /// would copy it. `remembered`: the values a `ProjectionMemo` gave the record ahead,
  /// borrowed and read like `prepared`.
  ///
  /// With `handOver`, a cache of `spareCaches` (handed over before and given back) is
  /// emptied and filled again rather than a new one made.
  func start(
    _ record: Record, prepared: UnsafeBufferPointer<Value?> = Frame.noValues,
    remembered: UnsafeBufferPointer<Value?> = Frame.noValues, handOver: Bool = false
  ) {
    // Read through the pointer unchecked (a release build does not check its bounds):
    // every field is within.
    precondition(record.values.count == CanonicalSchema.count, "a record of another schema")
    values = record.values.withUnsafeBufferPointer { $0 }
    unavailable = record.unavailable
    kind = .string(record.kind.rawValue)
    if handOver {
      // Popped straight into the variable: the array's only reference, emptied in
      // place. (Passed in as an argument, it had a second one, and every emptying
      // copied the whole cache.)
      let width = cache.count
      // The frame lets go of the cache it handed over last (it may be this one).
      cache = []
      if var spare = spareCaches.popLast(), spare.count == width {
        spare.withUnsafeMutableBufferPointer { slots in
          for slot in slots.indices where slots[slot] != nil { slots[slot] = nil }
        }
        cache = spare
      } else {
        cache = Array(repeating: nil, count: width)
      }
    } else {
      cache.withUnsafeMutableBufferPointer { slots in
        for slot in slots.indices where slots[slot] != nil { slots[slot] = nil }
      }
    }
    self.prepared = prepared.count == cache.count ? prepared : Frame.noValues
    self.remembered = remembered.count == cache.count ? remembered : Frame.noValues
    keySetsComputed = 0
    keyHashSet = -1
    // Through buffers: an element written through the array checked its uniqueness.
    groupIDs.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
    groupNumbers.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
    windows.withUnsafeMutableBufferPointer { slots in
      for slot in slots.indices where slots[slot] != nil { slots[slot] = nil }
    }
  }

  /// The context of a `where`, a group key, a window date or an aggregate's argument:
  /// no aggregates, window or deadline (the as-of date stays).
  func base() {
    // This runs some twenty times a record, mostly on a frame with no rule's context
    // (only rules across records and deadlines set one): then it returns at once. (Asked
    // of the values themselves, whether each was missing cost more than the rest of the
    // call.) Only what is set is reset: assigning a value copies and destroys one.
    guard holdsContext else { return }
    aggregates.empty()
    lentCount = 0
    if !window.isMissing { window = .missing }
    if !deadline.isMissing { deadline = .missing }
    holdsContext = false
  }

  deinit { lentUnits.deallocate() }

  /// Lends `count` aggregates as minor units (see `lentUnits`), copied from `units`.
  func lendAggregates(_ units: UnsafePointer<Int64>, count: Int, currency: Currency?) {
    if lentCapacity < count {
      lentUnits.deallocate()
      lentUnits = UnsafeMutablePointer<Int64>.allocate(capacity: count)
      lentCapacity = count
    }
    // `Int64` is trivial: initializing memory that holds values already is fine.
    lentUnits.initialize(from: units, count: count)
    lentCurrency = currency
    lentCount = count
  }

  /// Aggregate `slot` of the rule's context, lent or set.
  @inline(__always)
  func aggregate(_ slot: Int) -> Value {
    if lentCount > 0 {
      guard slot < lentCount else { return .missing }
      let units = lentUnits[slot]
      guard units > Int64.min + 1, let currency = lentCurrency else { return .missing }
      return .money(Money(minorUnits: units, currency: currency))
    }
    return slot < aggregates.count ? aggregates[slot] : .missing
  }

  /// The aggregates of the rule's context as values, lent or set (for a trace).
  var contextAggregates: [Value] {
    lentCount > 0 ? (0..<lentCount).map(aggregate) : aggregates
  }

  func fail(_ failure: EvaluationFailure) {
    if !failed {
      failed = true
      self.failure = failure
    }
  }

  /// What a collecting kernel found missing (fields, `define`s, aggregates, lookups,
  /// calls), named as a trace's `missingFields` names them: in node order, without
  /// repeats.
  ///
  /// A rule undetermined on one record is mostly so on the next for the same reason: when
  /// the same nodes are missing as the last time this kernel ran (on the same program),
  /// the same array of names is given again, made once (and `CheckRun.noteUndetermined`
  /// finds it equal at once, by identity).
  func missingFields(_ kernel: CollectingKernel, _ program: ExprProgram) -> [String] {
    _ = runCollecting(kernel)
    return missingNames(kernel, program)
  }

  /// Runs a collecting kernel: its value, or the failure it met, as `run` gives them (when
  /// `kernel.computes`), with the nodes it found missing in `missingNodes` (named by
  /// `missingNames`).
  func runCollecting(_ kernel: CollectingKernel) -> Result<Value, EvaluationFailure> {
    // Mostly one node is missing: the list is emptied from the end (`empty`).
    missingNodes.empty()
    return run(kernel.run)
  }

  /// The names of what the collecting kernel that just ran (`runCollecting`) found
  /// missing (see `missingFields`).
  func missingNames(_ kernel: CollectingKernel, _ program: ExprProgram) -> [String] {
    // Sorted only with two or more (`sort` costs some 40 instructions even on one).
    if missingNodes.count > 1 { missingNodes.sort() }
    let number = kernel.number
    if number >= lastMissing.count {
      lastMissing.append(
        contentsOf: repeatElement(MissingAnswer(), count: number + 1 - lastMissing.count))
    }
    // A kernel is numbered by the compiler that made it. The answer is also kept with
    // its program (the address of its array of nodes, whose storage the entry keeps, and
    // its root) and given again only for that program, should kernels of two compilers
    // ever share a frame.
    let base = program.nodes.withUnsafeBufferPointer { $0.baseAddress }
    if lastMissing[number].base == base, lastMissing[number].root == program.root,
      lastMissing[number].missing == missingNodes
    {
      return lastMissing[number].names
    }
    let names = program.names(ofMissing: missingNodes)
    lastMissing[number] = MissingAnswer(
      base: base, root: program.root, missing: missingNodes, names: names, program: program)
    return names
  }
  /// What `missingFields` answered last, by collecting kernel (`CollectingKernel.number`).
  /// (Keyed by program in a dictionary, hashing the key took a third of a call, made on
  /// every record of a rule undetermined throughout.)
  @exclusivity(unchecked) var lastMissing: [MissingAnswer] = []
  struct MissingAnswer {
    /// The program: the address of its array of nodes, and its root.
    var base: UnsafePointer<ExprNode>? = nil
    var root = -1
    /// The nodes found missing, and their names.
    var missing: [Int] = []
    var names: [String] = []
    /// Keeps the storage at `base` from being another program's.
    var program: ExprProgram? = nil
  }

  /// Runs a kernel: its value, or the failure it met.
  func run(_ kernel: Kernel) -> Result<Value, EvaluationFailure> {
    failed = false
    let value = kernel(self)
    return failed ? .failure(failure) : .success(value)
  }

}

typealias Kernel = (Frame) -> Value

extension Array {
  /// Empties the array and keeps its storage, element by element from the end: for the
  /// few elements of the buffers filled again per rule and record (values, missing
  /// nodes), this costs a fraction of `removeAll(keepingCapacity:)`, which replaces a
  /// range in general.
  mutating func empty() {
    while !isEmpty { removeLast() }
  }
}

/// A boolean expression's kernel without `Value`s: 1 true, 0 false, 2 missing.
typealias Predicate = (Frame) -> UInt8

/// A kernel kept in an array. An array of closures holds them in the most general
/// calling convention (arguments and results passed indirectly), and every closure taken
/// out of one is wrapped in a thunk that converts back, on every call; a closure stored in
/// a struct keeps its own.
struct KernelBox {
  let run: Kernel
  init(_ run: @escaping Kernel) { self.run = run }
}

/// A collecting kernel (`KernelCompiler.compileCollecting`) and its number among those
/// of its compiler, under which `Frame.missingFields` remembers its last answer.
struct CollectingKernel {
  let run: Kernel
  let number: Int
  /// Whether `run` computes the program's value (the kernel's value, with the missing
  /// nodes noted on the way); false for a program that reaches nothing it could name,
  /// whose collecting kernel answers missing without running it.
  var computes = true
}

/// The memo table of one call site (see `Frame.memos`), which stops looking itself up
/// while it does not pay: with many more distinct names than it holds (a national file),
/// hashing and storing every name costs more than it saves.
struct Memo {
  var table = MemoTable()
  /// Calls, and calls answered, since the table was last emptied.
  var lookups = 0
  var hits = 0
  /// Calls left that go straight to the function.
  var skipped = 0

  /// The table is full: it is emptied (memory stays bounded), and when it answered
  /// fewer than a quarter of the calls that filled it, the next calls skip it for four
  /// times as long, after which it is tried again. The values are the same either way.
  mutating func renew() {
    if hits * 4 < lookups { skipped = Frame.memoLimit * 4 }
    table.removeAll()
    lookups = 0
    hits = 0
  }
}

/// Compiles expressions to kernels. `define`s are numbered by name, and record-only
/// programs asked for with a cache key by that key, so the same value is computed once
/// per record however many rules read it.
struct KernelCompiler {
  let ruleSet: CompiledRuleSet
  private(set) var slotCount = 0
  private var slots: [String: Int] = [:]
  /// Collecting kernels made so far (each is numbered: `CollectingKernel`).
  private var collectingCount = 0
  /// The slots of `Frame.windows`: one per window kind taken on the record's date (the
  /// first `RulePlan.cachedWindowKinds`), then one per kind and expression of the windows
  /// taken `on` an expression (`windowSlot(for:)`).
  private(set) var windowSlotCount = RulePlan.cachedWindowKinds
  private var windowSlots: [String: Int] = [:]

  /// The slot of the window named by `key` (its kind and its `on` expression's
  /// structure): rules whose windows have the same key compute the same window.
  mutating func windowSlot(for key: String) -> Int {
    if let slot = windowSlots[key] { return slot }
    windowSlots[key] = windowSlotCount
    windowSlotCount += 1
    return windowSlotCount - 1
  }

  init(ruleSet: CompiledRuleSet) {
    self.ruleSet = ruleSet
  }

  /// While compiling a collecting kernel: the nodes it reports when they are missing.
  private var collecting: Set<Int>?

  /// The kernel of a whole program.
  mutating func compile(_ program: ExprProgram) -> Kernel {
    node(program.root, program.nodes)
  }

  /// The kernel of one node of a program (a question a `ProjectionMemo` asks: see
  /// `ProjectionMemo.Atom`).
  mutating func compile(node index: Int, _ nodes: [ExprNode]) -> Kernel {
    node(index, nodes)
  }

  /// A kernel that also notes, in `Frame.missingNodes`, every node of
  /// `program.readsOutsideDefines` it evaluates and finds missing: what a trace's
  /// `missingFields` would name, without a trace. (Its value is never cached as a whole:
  /// it must walk the program.)
  mutating func compileCollecting(_ program: ExprProgram) -> CollectingKernel {
    defer { collectingCount += 1 }
    collecting = Set(program.readsOutsideDefines)
    defer { collecting = nil }
    // A program that reaches no node it could name (a constant, the window) has nothing
    // to report, and its collecting kernel need not run it. (An aggregate reads the
    // group's value, `max(aggregate)`, and is itself named when missing: its argument is
    // not part of the program.)
    var reached = Set<Int>()
    var stack = [program.root]
    while let index = stack.popLast() {
      guard reached.insert(index).inserted else { continue }
      stack.append(contentsOf: program.nodes[index].children)
    }
    guard !collecting!.isDisjoint(with: reached) else {
      return CollectingKernel(run: { _ in .missing }, number: collectingCount, computes: false)
    }
    return CollectingKernel(run: node(program.root, program.nodes), number: collectingCount)
  }

  /// The kernel of a program whose value is kept for the rest of the record under
  /// `key` (when the value depends on the record alone, or `always`: the condition of a
  /// rule on single records, whose deadline and as-of date the record and the run fix).
  mutating func compile(_ program: ExprProgram, cachedAs key: String, always: Bool = false)
    -> Kernel
  {
    let inner = compile(program)
    guard always || program.nodes[program.root].recordOnly else { return inner }
    return cached(inner, slot: slot(for: key))
  }

  /// What a value is cached under: the structure of its expression (see
  /// `StructureNumbering`), never its text or name.
  private var structures = StructureNumbering()

  mutating func structureKey(_ index: Int, _ nodes: [ExprNode]) -> String {
    "structure \(structures.number(of: index, in: nodes))"
  }

  mutating func structureKey(_ program: ExprProgram) -> String {
    structureKey(program.root, program.nodes)
  }

  /// The cache slot of a node's value, when a kernel compiled so far keeps it (a
  /// `define`, or a whole program compiled `cachedAs` its structure).
  mutating func cacheSlot(ofNode index: Int, _ nodes: [ExprNode]) -> Int? {
    slots[structureKey(index, nodes)]
  }

  /// The slot a `ProjectionMemo` keeps the missing fields of an undetermined `where` in:
  /// by its structure and every name it can report, in node order (a structure does not
  /// name its `define`s, nor give the text of its calls, lookups and aggregates: two
  /// `where` clauses of one shape that name things otherwise, `zip5(zip)` and
  /// `zip5(zip )`, must not share the list).
  mutating func missingFieldsSlot(of program: ExprProgram) -> Int {
    let names = program.readsOutsideDefines.map { program.candidateName(of: $0) }
    return slot(
      for: "missing fields of \(structureKey(program)) naming \(names.joined(separator: "\u{0}"))")
  }

  /// The cache slot kept under `key` (a new one, the next, when there is none).
  mutating func slot(for key: String) -> Int {
    if let slot = slots[key] { return slot }
    slots[key] = slotCount
    slotCount += 1
    return slotCount - 1
  }

  /// Whether a node is a field, a constant, or `??` of such: read at once, with no
  /// work worth a slot of the record's cache.
  static func readsAtOnce(_ index: Int, _ nodes: [ExprNode]) -> Bool {
    let node = nodes[index]
    switch node.op {
    case .field, .constant: return true
    case .coalesce: return node.children.allSatisfy { readsAtOnce($0, nodes) }
    default: return false
    }
  }

  private func cached(_ inner: @escaping Kernel, slot: Int) -> Kernel {
    return { frame in
      if let value = frame.cache[slot] { return value }
      if !frame.prepared.isEmpty, let value = frame.prepared[slot] { return value }
      if !frame.remembered.isEmpty, let value = frame.remembered[slot] { return value }
      let value = inner(frame)
      if !frame.failed { frame.cache[slot] = value }
      return value
    }
  }

  private mutating func node(_ index: Int, _ nodes: [ExprNode]) -> Kernel {
    let kernel = plainNode(index, nodes)
    guard let collecting, collecting.contains(index) else { return kernel }
    return { frame in
      let value = kernel(frame)
      if !frame.failed && value.isMissing { frame.missingNodes.append(index) }
      return value
    }
  }

  private mutating func plainNode(_ index: Int, _ nodes: [ExprNode]) -> Kernel {
    let node = nodes[index]
    let children = node.children
    switch node.op {
    case .constant(let value):
      return { _ in value }
    case .field(let field):
      return { frame in frame.values[field] }
    case .parameter(let parameter):
      let value = ruleSet.parameters[parameter].lookup(.missing)
      return { _ in value }
    case .lookup(let index):
      let parameter = ruleSet.parameters[index]
      let key = self.node(children[0], nodes)
      return { frame in
        let k = key(frame)
        if frame.failed { return .missing }
        return parameter.lookup(k)
      }
    case .and where collecting == nil, .or where collecting == nil,
      .not where collecting == nil:
      // Through predicates (no `Value` per node), boxed once at the top. (A collecting
      // kernel must see every node it reports on: it takes the general path.)
      let predicate = self.predicate(index, nodes)
      return { frame in KernelCompiler.box(predicate(frame)) }
    case .and, .or:
      let decisive: Bool
      if case .and = node.op { decisive = false } else { decisive = true }
      let left = self.node(children[0], nodes)
      let right = self.node(children[1], nodes)
      return { frame in
        let l = left(frame)
        if frame.failed { return .missing }
        if case .boolean(let b) = l, b == decisive { return .boolean(decisive) }
        let r = right(frame)
        if frame.failed { return .missing }
        if case .boolean(let b) = r, b == decisive { return .boolean(decisive) }
        if l.isMissing || r.isMissing { return .missing }
        return .boolean(!decisive)
      }
    case .named:
      return self.node(children[0], nodes)
    case .defined:
      // What is inside a define is never reported missing: the define is.
      let outer = collecting
      collecting = nil
      defer { collecting = outer }
      // A field, a constant, or one standing in for a missing field (`filer_id ?? ...`,
      // a key of every group of the US pack) costs less to read again than to keep.
      if KernelCompiler.readsAtOnce(children[0], nodes) { return self.node(children[0], nodes) }
      return cached(self.node(children[0], nodes), slot: slot(for: structureKey(index, nodes)))
    case .aggregate(let slot):
      return { frame in frame.aggregate(slot) }
    case .recordKind:
      return { frame in frame.kind }
    case .asOf:
      return { frame in frame.asOf }
    case .windowKey:
      return { frame in frame.window }
    case .deadline:
      return { frame in frame.deadline }
    case .inReferenceList(let parameter, let negated):
      let operand = self.node(children[0], nodes)
      guard case .set(let entries) = ruleSet.parameters[parameter].definition else {
        return { frame in
          _ = operand(frame)
          return .missing
        }
      }
      return { frame in
        let value = operand(frame)
        if frame.failed { return .missing }
        guard case .string(let key) = value else { return .missing }
        let found = entries.contains(key)
        return .boolean(negated ? !found : found)
      }
    case .conditional:
      let test = self.node(children[0], nodes)
      let then = self.node(children[1], nodes)
      let otherwise = self.node(children[2], nodes)
      return { frame in
        let t = test(frame)
        if frame.failed { return .missing }
        switch t {
        case .boolean(true): return then(frame)
        case .boolean(false): return otherwise(frame)
        default: return .missing
        }
      }
    case .coalesce:
      let left = self.node(children[0], nodes)
      let right = self.node(children[1], nodes)
      return { frame in
        let l = left(frame)
        if frame.failed { return .missing }
        return l.isMissing ? right(frame) : l
      }
    case .member(let negated):
      if let items = constantList(children[1], nodes) {
        let operand = self.node(children[0], nodes)
        // A list of strings (committee types, form lines): a string is compared as one,
        // without the general equality of values; anything else takes the general path.
        let strings = items.compactMap(\.stringValue)
        if !strings.isEmpty && strings.count == items.count {
          return { frame in
            let value = operand(frame)
            if frame.failed || value.isMissing { return .missing }
            let found: Bool
            if case .string(let s) = value {
              found = strings.contains(s)
            } else {
              found = items.contains(value)
            }
            return .boolean(negated ? !found : found)
          }
        }
        return { frame in
          let value = operand(frame)
          if frame.failed || value.isMissing { return .missing }
          let found = items.contains(value)
          return .boolean(negated ? !found : found)
        }
      }
      return strict(node, nodes)
    default:
      return strict(node, nodes)
    }
  }

  /// The operands of a chain of `and`s (or of `or`s) rooted at `index`, in the order the
  /// predicate evaluates them: left to right, except that the operands before the first
  /// one that can fail (see `infallible`) go cheapest first (a field against a constant,
  /// then whatever calls no function, then the rest), keeping their order otherwise.
  ///
  /// The value is the same in any order: `and` is false if an operand is false, else
  /// missing if one is missing, else true (`or` alike), and the operands moved can
  /// neither fail nor be skipped past a failure: every operand before them in the text
  /// cannot fail either. `payment_method == "cash"` is then asked before whether the
  /// donor's upper-cased name is on the list of anonymous names. (A collecting kernel,
  /// which names the missing fields as the trace does, keeps the text's order.)
  static func orderedOperands(of index: Int, _ nodes: [ExprNode]) -> [Int] {
    let isAnd: Bool
    if case .and = nodes[index].op { isAnd = true } else { isAnd = false }
    var operands: [Int] = []
    func gather(_ node: Int) {
      switch nodes[node].op {
      case .and where isAnd, .or where !isAnd:
        for child in nodes[node].children { gather(child) }
      default:
        operands.append(node)
      }
    }
    gather(index)
    let safe = operands.prefix { infallible($0, nodes) }.count
    let reordered = operands[..<safe].enumerated().sorted {
      (cost($0.element, nodes), $0.offset) < (cost($1.element, nodes), $1.offset)
    }.map(\.element)
    return reordered + operands[safe...]
  }

  /// 0: a field compared with a constant, in a list, or asked whether it is there; 1: an
  /// expression that calls no function (but those); 2: the rest.
  private static func cost(_ index: Int, _ nodes: [ExprNode]) -> Int {
    let node = nodes[index]
    let onField = node.children.first.map {
      if case .field = nodes[$0].op { true } else { false }
    }
    switch node.op {
    case .compare(.equal), .compare(.notEqual), .member, .call(.present), .call(.isMissing),
      .call(.blank):
      if onField == true && node.children.dropFirst().allSatisfy({ callsNothing($0, nodes) }) {
        return 0
      }
    default: break
    }
    return callsNothing(index, nodes) ? 1 : 2
  }

  private static func callsNothing(_ index: Int, _ nodes: [ExprNode]) -> Bool {
    switch nodes[index].op {
    case .call(.present), .call(.isMissing), .call(.blank): break
    case .call: return false
    default: break
    }
    return nodes[index].children.allSatisfy { callsNothing($0, nodes) }
  }

  /// Whether the expression can never fail (`EvaluationFailure`) on any record: no
  /// arithmetic, no negation, no comparison of amounts (another currency fails), and only
  /// functions that cannot fail on arguments of their type.
  static func infallible(_ index: Int, _ nodes: [ExprNode]) -> Bool {
    let node = nodes[index]
    let children = node.children
    func all(_ type: ValueType?) -> Bool {
      children.allSatisfy { child in
        infallible(child, nodes) && type.map { nodes[child].type == $0 } != false
      }
    }
    switch node.op {
    case .constant, .field, .parameter, .recordKind, .asOf, .windowKey, .deadline, .aggregate:
      return children.isEmpty
    case .and, .or, .not, .named, .defined, .coalesce, .conditional, .list, .member, .lookup,
      .inReferenceList:
      return all(nil)
    case .compare:
      return all(nil) && children.allSatisfy { nodes[$0].type != .money }
    case .call(let builtin):
      switch builtin {
      case .present, .isMissing, .blank: return all(nil)
      case .upper, .lower, .trim, .length, .startsWith, .endsWith, .contains, .matches,
        .electionYear, .personKey, .orgKey, .zip5, .postcode:
        return all(.string)
      case .year, .month, .cycle, .quarter, .daysBetween: return all(.date)
      case .text: return all(nil)
      case .addDays, .abs: return false
      }
    case .negate, .arithmetic: return false
    }
  }

  /// A boolean expression as a predicate: 1 true, 0 false, 2 missing (also after a
  /// failure, flagged on the frame as for kernels). `and`, `or` and `not` combine their
  /// operands' predicates without making a `Value` per node; the commonest leaves (a
  /// field compared with a constant string, a field in a list of strings, whether a
  /// field is there or blank) are decided on the field's value directly; any other operand goes
  /// through its kernel. The same three-valued logic as the kernels' (`and`: false if
  /// either side is false, else missing if either is missing; `or` the dual), which
  /// `KernelDifferentialTests` holds to the tracing evaluator.
  private mutating func predicate(_ index: Int, _ nodes: [ExprNode]) -> Predicate {
    if let datePart = datePartComparison(index, nodes) { return datePart }
    let node = nodes[index]
    let children = node.children
    switch node.op {
    case .and, .or:
      let decisive: UInt8
      if case .and = node.op { decisive = 0 } else { decisive = 1 }
      let operands = KernelCompiler.orderedOperands(of: index, nodes)
      var chain = predicate(operands[0], nodes)
      for operand in operands.dropFirst() {
        let left = chain
        let right = predicate(operand, nodes)
        chain = { frame in
          let l = left(frame)
          if frame.failed { return 2 }
          if l == decisive { return decisive }
          let r = right(frame)
          if frame.failed { return 2 }
          if r == decisive { return decisive }
          if l == 2 || r == 2 { return 2 }
          return 1 - decisive
        }
      }
      return chain
    case .not:
      let operand = predicate(children[0], nodes)
      return { frame in
        let x = operand(frame)
        if frame.failed || x == 2 { return 2 }
        return 1 - x
      }
    case .named:
      return predicate(children[0], nodes)
    case .compare(let comparison) where comparison == .equal || comparison == .notEqual:
      // A field compared with a constant string, either way round.
      let sides = [(children[0], children[1]), (children[1], children[0])]
      for (fieldNode, constantNode) in sides {
        guard case .field(let field) = nodes[fieldNode].op,
          case .string(let text)? = constantValue(constantNode, nodes)
        else { continue }
        let equal: UInt8 = comparison == .equal ? 1 : 0
        let general = unboxed(self.node(index, nodes))
        return { frame in
          if case .string(let s) = frame.values[field] { return s == text ? equal : 1 - equal }
          return general(frame)
        }
      }
    case .compare(let comparison) where comparison != .equal && comparison != .notEqual:
      // A field's amount against a constant one (`amount > itemization_threshold`),
      // either way round, decided on their minor units when the currencies agree; a
      // missing value, another currency (a failure) or another type through the kernel.
      let sides = [(children[0], children[1], false), (children[1], children[0], true)]
      for (fieldNode, constantNode, constantFirst) in sides {
        guard case .field(let field) = nodes[fieldNode].op,
          case .money(let amount)? = constantValue(constantNode, nodes)
        else { continue }
        let general = unboxed(self.node(index, nodes))
        let units = amount.minorUnits
        let currency = amount.currency
        return { frame in
          if case .money(let m) = frame.values[field], m.currency == currency {
            let order = m.minorUnits < units ? -1 : (m.minorUnits == units ? 0 : 1)
            return comparison.holds(order: constantFirst ? -order : order) ? 1 : 0
          }
          return general(frame)
        }
      }
    case .member(let negated):
      if case .field(let field) = nodes[children[0]].op,
        let items = constantList(children[1], nodes)
      {
        let strings = items.compactMap(\.stringValue)
        if !strings.isEmpty && strings.count == items.count {
          let found: UInt8 = negated ? 0 : 1
          let general = unboxed(self.node(index, nodes))
          return { frame in
            if case .string(let s) = frame.values[field] {
              return strings.contains(s) ? found : 1 - found
            }
            return general(frame)
          }
        }
      }
      // A field's text trimmed or its case changed, in a list of ASCII strings
      // (`upper(trim(name)) in anonymous_names`), decided on the bytes when the text is
      // ASCII; any other text, a missing value or another type through the kernel.
      if let folded = FoldedText(children[0], nodes),
        let items = constantList(children[1], nodes),
        let patterns = FoldedText.asciiPatterns(items)
      {
        let found: UInt8 = negated ? 0 : 1
        let general = unboxed(self.node(index, nodes))
        let field = folded.field
        return { frame in
          if case .string(let text) = frame.values[field],
            let answer = folded.isIn(text, patterns)
          {
            return answer ? found : 1 - found
          }
          return general(frame)
        }
      }
    case .call(.present), .call(.isMissing):
      if case .field(let field) = nodes[children[0]].op {
        var present: UInt8 = 0
        if case .call(.present) = node.op { present = 1 }
        return { frame in
          if frame.unavailable.contains(field) { return 2 }
          return frame.values[field].isMissing ? 1 - present : present
        }
      }
    case .call(.startsWith):
      // A field's text against a constant prefix of ASCII (`starts_with(election_code,
      // "O")`), decided on the bytes where the text is ASCII; anything else through the
      // kernel.
      if case .field(let field) = nodes[children[0]].op,
        case .string(let prefix)? = constantValue(children[1], nodes),
        let bytes = KernelCompiler.plainPrefix(prefix)
      {
        let general = unboxed(self.node(index, nodes))
        return { frame in
          if case .string(let text) = frame.values[field],
            let answer = KernelCompiler.hasPlainPrefix(text, bytes)
          {
            return answer ? 1 : 0
          }
          return general(frame)
        }
      }
    case .call(.blank):
      // As `Semantics.apply` answers: a string by its characters, anything else (a
      // missing value, or a value that is no string) blank; missing on a field the format
      // does not have (`strict`).
      if case .field(let field) = nodes[children[0]].op {
        return { frame in
          if frame.unavailable.contains(field) { return 2 }
          if case .string(let text) = frame.values[field] {
            if let blank = Semantics.isBlankASCII(text) { return blank ? 1 : 0 }
            return Semantics.isBlank(text) ? 1 : 0
          }
          return 1
        }
      }
    default:
      break
    }
    return unboxed(self.node(index, nodes))
  }

  /// The year or month of a date field against a constant integer (`month(date) >= 11`),
  /// either way round, decided on the date's packed fields; a missing value or another
  /// type through the kernel. Nil for any other node.
  private mutating func datePartComparison(_ index: Int, _ nodes: [ExprNode]) -> Predicate? {
    guard case .compare(let comparison) = nodes[index].op else { return nil }
    let children = nodes[index].children
    let sides = [(children[0], children[1], false), (children[1], children[0], true)]
    for (callNode, constantNode, constantFirst) in sides {
      let month: Bool
      switch nodes[callNode].op {
      case .call(.year): month = false
      case .call(.month): month = true
      default: continue
      }
      guard case .field(let field) = nodes[nodes[callNode].children[0]].op,
        case .integer(let number)? = constantValue(constantNode, nodes)
      else { continue }
      let general = unboxed(self.node(index, nodes))
      return { frame in
        if case .date(let d) = frame.values[field] {
          let value = Int64(month ? d.month : d.year)
          let order = value < number ? -1 : (value == number ? 0 : 1)
          return comparison.holds(order: constantFirst ? -order : order) ? 1 : 0
        }
        return general(frame)
      }
    }
    return nil
  }

  /// The bytes of a prefix `hasPlainPrefix` can look for: ASCII without a carriage
  /// return (which with a line feed after it is one character); nil for any other.
  static func plainPrefix(_ prefix: String) -> [UInt8]? {
    let bytes = Array(prefix.utf8)
    return bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) ? bytes : nil
  }

  /// Whether a text starts with a prefix of `plainPrefix`, as `String.hasPrefix` answers
  /// (by characters, equal in Unicode), decided on the bytes when the text's first ones
  /// are ASCII: the prefix's length and one more, which shows that its last character
  /// is not followed by a mark that would join it. nil for any other text (a character
  /// beyond ASCII may be equal in Unicode to an ASCII one, as the Kelvin sign is to K).
  @inline(__always)
  static func hasPlainPrefix(_ text: String, _ prefix: [UInt8]) -> Bool? {
    let answer = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
      let looked = min(bytes.count, prefix.count + 1)
      for index in 0..<looked where bytes[index] >= 0x80 { return nil }
      guard bytes.count >= prefix.count else { return false }
      for index in prefix.indices where bytes[index] != prefix[index] { return false }
      return true
    }
    return answer ?? nil
  }

  /// A kernel of a boolean expression as a predicate.
  private func unboxed(_ kernel: @escaping Kernel) -> Predicate {
    { frame in
      let value = kernel(frame)
      if frame.failed { return 2 }
      if case .boolean(let b) = value { return b ? 1 : 0 }
      return 2
    }
  }

  static func box(_ truth: UInt8) -> Value {
    switch truth {
    case 0: .boolean(false)
    case 1: .boolean(true)
    default: .missing
    }
  }

  private static func isMemoized(_ builtin: Builtin) -> Bool {
    switch builtin {
    case .personKey, .orgKey, .postcode, .matches: return true
    default: return false
    }
  }

  /// How many memo tables (`Frame.memos`) the kernels use: one per memoized call site.
  private(set) var memoCount = 0

  /// A call of a pure function of one string (its other operand, if any, a constant),
  /// remembered per string value. A full table is emptied: memory stays bounded.
  private func memoized(_ op: Operation, _ operands: [KernelBox], slot: Int) -> Kernel {
    let a = operands[0].run
    let b = operands.count > 1 ? operands[1].run : nil
    let count = operands.count
    return { frame in
      let x = a(frame)
      if frame.failed { return .missing }
      let y = b?(frame) ?? .missing
      if frame.failed { return .missing }
      guard case .string(let key) = x else {
        return KernelCompiler.unwrap(frame, Semantics.apply(op, x, y, count: count))
      }
      if frame.memos[slot].skipped > 0 {
        frame.memos[slot].skipped -= 1
        return KernelCompiler.unwrap(frame, Semantics.apply(op, x, y, count: count))
      }
      frame.memos[slot].lookups += 1
      if let known = frame.memos[slot].table.value(for: key) {
        frame.memos[slot].hits += 1
        return known
      }
      let result = Semantics.apply(op, x, y, count: count)
      guard case .success(let value) = result else { return KernelCompiler.unwrap(frame, result) }
      if frame.memos[slot].table.count >= Frame.memoLimit { frame.memos[slot].renew() }
      frame.memos[slot].table.insert(value, for: key)
      return value
    }
  }

  static func unwrap(_ frame: Frame, _ result: Result<Value, EvaluationFailure>) -> Value {
    switch result {
    case .success(let value): return value
    case .failure(let failure):
      frame.fail(failure)
      return .missing
    }
  }

  /// The value of a node known at compile time: a constant or a scalar parameter.
  private func constantValue(_ index: Int, _ nodes: [ExprNode]) -> Value? {
    switch nodes[index].op {
    case .constant(let value): return value
    case .parameter(let parameter):
      if case .scalar(let value) = ruleSet.parameters[parameter].definition { return value }
      return nil
    default: return nil
    }
  }

  /// A comparison of a value with a constant string or amount (`entity_type == "IND"`,
  /// `amount > cash_limit`), decided without the general `Semantics.apply`; a missing
  /// value answers missing at once, as `Semantics.compare` does, and any other pair of
  /// values (another type, another currency) takes the general path, so the answer is
  /// always the same as its.
  private func comparisonWithConstant(
    _ comparison: ComparisonOperator, _ children: [Int], _ nodes: [ExprNode],
    _ operands: [KernelBox]
  ) -> Kernel? {
    let op = Operation.compare(comparison)
    let general: (Frame, Value, Value) -> Value = { frame, x, y in
      KernelCompiler.unwrap(frame, Semantics.apply(op, x, y, count: 2))
    }
    // Keep the operands in their order: `x < c` and `c < x` differ.
    let constantFirst: Bool
    let constant: Value
    let operand: Kernel
    if let value = constantValue(children[1], nodes) {
      (constantFirst, constant, operand) = (false, value, operands[0].run)
    } else if let value = constantValue(children[0], nodes) {
      (constantFirst, constant, operand) = (true, value, operands[1].run)
    } else {
      return nil
    }
    func decide(_ order: Int) -> Value {
      .boolean(comparison.holds(order: constantFirst ? -order : order))
    }
    switch constant {
    case .string(let text) where comparison == .equal || comparison == .notEqual:
      return { frame in
        let value = operand(frame)
        if frame.failed { return .missing }
        if case .string(let s) = value { return .boolean((s == text) == (comparison == .equal)) }
        // A comparison with a missing value is missing (`Semantics.compare`).
        if value.isMissing { return .missing }
        return constantFirst ? general(frame, constant, value) : general(frame, value, constant)
      }
    case .money(let amount):
      return { frame in
        let value = operand(frame)
        if frame.failed { return .missing }
        if case .money(let m) = value, m.currency == amount.currency {
          return decide(
            m.minorUnits < amount.minorUnits ? -1 : (m.minorUnits == amount.minorUnits ? 0 : 1))
        }
        if value.isMissing { return .missing }
        return constantFirst ? general(frame, constant, value) : general(frame, value, constant)
      }
    default:
      return nil
    }
  }

  /// The items of a list whose value is known at compile time: a list literal of
  /// constants, or a parameter holding a list.
  private func constantList(_ index: Int, _ nodes: [ExprNode]) -> [Value]? {
    switch nodes[index].op {
    case .constant(.list(let items)): return items
    case .parameter(let parameter):
      if case .list(let items) = ruleSet.parameters[parameter].lookup(.missing) { return items }
      return nil
    case .list:
      var items: [Value] = []
      for child in nodes[index].children {
        guard case .constant(let value) = nodes[child].op else { return nil }
        items.append(value)
      }
      return items
    default: return nil
    }
  }

  /// An operation that needs all its operands (`Semantics.apply`). `blank`, `present`
  /// and `missing` on a field the format does not have answer missing.
  private mutating func strict(_ node: ExprNode, _ nodes: [ExprNode]) -> Kernel {
    let op = node.op
    var unavailableField: FieldID?
    if case .call(let builtin) = op, builtin.answersMissing, let first = node.children.first,
      case .field(let field) = nodes[first].op
    {
      unavailableField = field
    }
    let operands = node.children.map { KernelBox(self.node($0, nodes)) }
    if case .compare(let comparison) = op, operands.count == 2,
      let kernel = comparisonWithConstant(comparison, node.children, nodes, operands)
    {
      return kernel
    }
    if case .call(let builtin) = op, Self.isMemoized(builtin), operands.count <= 2,
      node.children.dropFirst().allSatisfy({
        if case .constant = nodes[$0].op { true } else { false }
      })
    {
      memoCount += 1
      return memoized(op, operands, slot: memoCount - 1)
    }
    func apply(_ frame: Frame, _ result: Result<Value, EvaluationFailure>) -> Value {
      switch result {
      case .success(let value): return value
      case .failure(let failure):
        frame.fail(failure)
        return .missing
      }
    }
    switch operands.count {
    case 1:
      let a = operands[0].run
      if case .call(let builtin) = op, unavailableField == nil, Semantics.hasUnary(builtin) {
        // A function of one argument that cannot fail (`zip5`, `election_year`, `year`:
        // `Semantics.unary`) called directly on a value of its type; any other value as
        // `apply` answers.
        return { frame in
          let x = a(frame)
          if frame.failed { return .missing }
          if let value = Semantics.unary(builtin, x) { return value }
          return apply(frame, Semantics.apply(op, x, .missing, count: 1))
        }
      }
      return { frame in
        let x = a(frame)
        if frame.failed { return .missing }
        if let field = unavailableField, frame.unavailable.contains(field) { return .missing }
        return apply(frame, Semantics.apply(op, x, .missing, count: 1))
      }
    case 2:
      let a = operands[0].run
      let b = operands[1].run
      // Two amounts in one currency (`total > limit`) compared at once, and a comparison
      // or arithmetic with a missing operand answered at once (missing, as
      // `Semantics.apply` answers: a currency is checked only between two amounts); any
      // other pair of values takes the general path, so the answer is always the same as
      // its. (A comparison or arithmetic calls no function: `unavailableField` below is
      // never set for it.)
      let comparison: ComparisonOperator? = if case .compare(let c) = op { c } else { nil }
      let missingGivesMissing: Bool =
        switch op {
        case .compare, .arithmetic: true
        default: false
        }
      return { frame in
        let x = a(frame)
        if frame.failed { return .missing }
        let y = b(frame)
        if frame.failed { return .missing }
        if let comparison, case .money(let m) = x, case .money(let n) = y,
          m.currency == n.currency
        {
          return .boolean(
            comparison.holds(
              order: m.minorUnits < n.minorUnits ? -1 : (m.minorUnits == n.minorUnits ? 0 : 1)))
        }
        if missingGivesMissing, x.isMissing || y.isMissing { return .missing }
        if let field = unavailableField, frame.unavailable.contains(field) { return .missing }
        return apply(frame, Semantics.apply(op, x, y, count: 2))
      }
    default:
      return { frame in
        var arguments: [Value] = []
        arguments.reserveCapacity(operands.count)
        for operand in operands {
          arguments.append(operand.run(frame))
          if frame.failed { return .missing }
        }
        if let field = unavailableField, frame.unavailable.contains(field) { return .missing }
        return apply(frame, Semantics.apply(op, arguments))
      }
    }
  }
}

/// A rule's expressions, compiled, and what the hot loop of `CheckRun` needs to know of
/// the rule without copying it.
final class RulePlan {
  let rule: CompiledRule
  let grouped: Bool
  let deadlineDays: Int?
  let filter: Kernel?
  /// The `where`, for the memo of its kind of record (see `ProjectionMemo`).
  let filterPart: ProjectionMemo.Part?
  let condition: Kernel
  /// The condition, for the memo of its kind of record, when it qualifies (see
  /// `ProjectionMemo.ConditionPart`; never for a rule across records).
  let conditionPart: ProjectionMemo.ConditionPart?
  /// For a rule across records.
  let keys: [KernelBox]
  /// The keys on the current record, appended in order until one is missing or fails:
  /// chained in one closure, as `collectArguments` is.
  let collectKeys: (Frame, inout [Value]) -> KeysOutcome
  enum KeysOutcome {
    case complete
    /// The key at this position is missing (the keys before it were appended).
    case missing(Int)
    case failed(EvaluationFailure)
  }
  let windowDate: Kernel?
  let aggregateArguments: [KernelBox?]
  /// The aggregates' arguments on the current record, appended in order (1 for an
  /// aggregate without one, `count`), or the first failure: the kernels chained in one
  /// closure, called as captured (one taken out of `aggregateArguments` was retained and
  /// released, a few times a rule and record).
  let collectArguments: (Frame, inout [Value]) -> EvaluationFailure?
  /// Collecting kernels (see `KernelCompiler.compileCollecting`), for undetermined
  /// outcomes.
  let filterMissing: CollectingKernel?
  /// Where the memo of the record's kind keeps the fields the `where` found missing on a
  /// tuple of values it is undetermined on (see `ProjectionMemo.Part`).
  let filterMissingSlot: Int?
  let conditionMissing: CollectingKernel
  let keysMissing: [CollectingKernel]
  let windowDateMissing: CollectingKernel?
  /// The `group by` keys together, by structure: rules with the same keys share their
  /// interned group ids.
  let keysText: String
  /// Set by `CheckRun`: the index of `keysText` among the rule set's sets of keys, and
  /// the rule's group class (see `GroupClass`).
  var keySet = 0
  var groupClass = 0
  /// Set by `CheckRun`: the earlier rule this one is a twin of (the same `where`,
  /// groups, aggregates and condition, by structure: see `CheckRun.twinSignature`),
  /// whose accumulators and condition values it takes; and whether some later rule is a
  /// twin of this one.
  var twin: Int?
  var hasFollowers = false
  /// The window's slot in `Frame.windows` (`KernelCompiler.windowSlot(for:)` for one
  /// taken on an expression): nil for a rolling window (not cached), or no window.
  let windowSlot: Int?
  let windowKind: WindowDecl.Kind?
  let isRolling: Bool
  /// A rolling window without a cure window: the window moves on, a later record does
  /// not undo an earlier excess, so every crossing is a finding at once.
  var findsEveryCrossing: Bool { isRolling && cureDays == nil }
  let fires: FireMode
  let cureDays: Int?
  /// Whether the run notes the order of the dates of the rule's groups' records: every
  /// rule across records but a twin, whose records its leader places for it. A group out
  /// of date order that went over its condition is judged again in date order (see
  /// `CheckRun.rejudgeInDateOrder`): its finding is then raised on the record that went
  /// over by date, with the deadline from that record's date, and a rule that judges its
  /// records in their order (a cure window, `fires on each`, a rolling window) reaches
  /// the verdict the dates give.
  var tracksOrder: Bool { grouped && twin == nil }
  /// Whether the condition reads `deadline` (else the run need not compute it for a
  /// record that makes no finding).
  let conditionReadsDeadline: Bool
  let aggregateFunctions: [AggregateFunction]
  /// Whether every aggregate is an amount (their accumulators are then compact).
  let moneyAggregates: Bool

  static let cachedWindowKinds = 4

  /// `collectArguments` of these kernels: each appends its value, or stops the chain at
  /// its failure.
  private static func collecting(_ kernels: [KernelBox?]) -> (Frame, inout [Value]) ->
    EvaluationFailure?
  {
    var chain: (Frame, inout [Value]) -> EvaluationFailure? = { _, _ in nil }
    for box in kernels.reversed() {
      let rest = chain
      if let kernel = box?.run {
        chain = { frame, values in
          switch frame.run(kernel) {
          case .success(let value): values.append(value)
          case .failure(let failure): return failure
          }
          return rest(frame, &values)
        }
      } else {
        chain = { frame, values in
          values.append(.integer(1))
          return rest(frame, &values)
        }
      }
    }
    return chain
  }

  /// `collectKeys` of these kernels.
  private static func collectingKeys(_ kernels: [KernelBox]) -> (Frame, inout [Value]) ->
    KeysOutcome
  {
    var chain: (Frame, inout [Value]) -> KeysOutcome = { _, _ in .complete }
    for (position, box) in kernels.enumerated().reversed() {
      let rest = chain
      let kernel = box.run
      chain = { frame, values in
        switch frame.run(kernel) {
        case .success(let value):
          if value.isMissing { return .missing(position) }
          values.append(value)
        case .failure(let failure): return .failed(failure)
        }
        return rest(frame, &values)
      }
    }
    return chain
  }

  /// The plans of a rule set compiled again: the same slots and memo tables, other
  /// closures.
  static func recompiled(_ plans: [RulePlan], _ ruleSet: CompiledRuleSet) -> [RulePlan] {
    var compiler = KernelCompiler(ruleSet: ruleSet)
    let fresh = ruleSet.rules.map { RulePlan($0, &compiler) }
    for (copy, original) in zip(fresh, plans) {
      copy.keySet = original.keySet
      copy.groupClass = original.groupClass
    }
    return fresh
  }

  init(_ rule: CompiledRule, _ compiler: inout KernelCompiler) {
    self.rule = rule
    grouped = rule.grouping != nil
    deadlineDays = rule.deadlineDays
    let filter = rule.filter.map { compiler.compile($0, cachedAs: compiler.structureKey($0)) }
    self.filter = filter
    let filterMissing = rule.filter.map { compiler.compileCollecting($0) }
    self.filterMissing = filterMissing
    filterPart = rule.filter.flatMap { program in
      filter.flatMap { kernel in
        filterMissing.flatMap {
          ProjectionMemo.Part(program, kernel: kernel, collecting: $0, &compiler)
        }
      }
    }
    filterMissingSlot = filterPart?.missingSlot
    let conditionKey = "condition of \(rule.id) at \(rule.site.key)"
    let condition =
      rule.grouping == nil
      ? compiler.compile(rule.condition, cachedAs: conditionKey, always: true)
      : compiler.compile(rule.condition)
    self.condition = condition
    conditionPart =
      rule.grouping == nil
      ? ProjectionMemo.ConditionPart(
        rule.condition, kernel: condition, root: compiler.slot(for: conditionKey), &compiler)
      : nil
    let grouping = rule.grouping
    keys = (grouping?.keys ?? []).map {
      KernelBox(compiler.compile($0, cachedAs: compiler.structureKey($0)))
    }
    keysText = (grouping?.keys ?? []).map { compiler.structureKey($0) }.joined(separator: " ")
    windowDate = grouping?.window?.on.map { compiler.compile($0) }
    conditionMissing = compiler.compileCollecting(rule.condition)
    keysMissing = (grouping?.keys ?? []).map { compiler.compileCollecting($0) }
    windowDateMissing = grouping?.window?.on.map { compiler.compileCollecting($0) }
    aggregateArguments = (grouping?.aggregates ?? []).map {
      $0.argument.map { KernelBox(compiler.compile($0)) }
    }
    collectArguments = RulePlan.collecting(aggregateArguments)
    collectKeys = RulePlan.collectingKeys(keys)
    aggregateFunctions = (grouping?.aggregates ?? []).map(\.function)
    moneyAggregates = (grouping?.aggregates ?? []).allSatisfy { $0.type == .money }
    windowKind = grouping?.window?.kind
    fires = grouping?.fires ?? .crossing
    conditionReadsDeadline = rule.condition.nodes.contains {
      if case .deadline = $0.op { true } else { false }
    }
    cureDays = grouping?.cureDays
    if case .rolling? = windowKind { isRolling = true } else { isRolling = false }
    switch (windowKind, grouping?.window?.on) {
    case (.calendarYear?, nil): windowSlot = 0
    case (.quarter?, nil): windowSlot = 1
    case (.cycle?, nil): windowSlot = 2
    case (.election?, nil): windowSlot = 3
    case (let kind?, let on?) where !isRolling:
      // Taken on an expression: shared by the rules whose window has the same kind and
      // is taken on the same expression (the same date, so the same window).
      windowSlot = compiler.windowSlot(for: "\(kind) on \(compiler.structureKey(on))")
    default: windowSlot = nil
    }
  }
}

/// A record, with the values that depend on it alone computed ahead (see
/// `RecordPreparer`).
///
/// Sendable though it holds pointers: `cacheValues` and `rememberedValues` are the
/// elements of arrays it holds itself and that no one changes while it lives.
public struct PreparedRecord: @unchecked Sendable {
  public let record: Record
  let cache: [Value?]?
  /// The values a `ProjectionMemo` gave the record (see `Frame.remembered`).
  let remembered: [Value?]?
  /// The elements of `cache` and `remembered` (empty for none), which the run borrows
  /// (`Frame.prepared`) through these pointers alone: reading the arrays, even to lend
  /// them, counted a reference to them on the run's thread.
  let cacheValues: UnsafeBufferPointer<Value?>
  let rememberedValues: UnsafeBufferPointer<Value?>
  /// The rules (of the first 64) whose outcome on the record the preparer settled, as
  /// bits by rule index: left out by their `where`, or on single records, evaluated and
  /// not fired. The run only counts these (see `CheckRun.evaluate`).
  let notApplicable: UInt64
  let notFired: UInt64
  /// The rules across records whose `where` admitted the record (the run then places it
  /// without evaluating its `where` again).
  let admitted: UInt64
  /// The rules whose `where` the memo of the record's kind knows is missing on it (the
  /// run notes them undetermined without evaluating it; see `ProjectionMemo.Known`).
  let undetermined: UInt64
  /// The hash of the record's values of one set of `group by` keys, and that set (-1:
  /// none): see `Frame.keyHash`.
  let keyHash: UInt32
  let keyHashSet: Int32

  public init(_ record: Record) {
    self.record = record
    self.cache = nil
    self.remembered = nil
    cacheValues = Frame.noValues
    rememberedValues = Frame.noValues
    notApplicable = 0
    notFired = 0
    admitted = 0
    undetermined = 0
    keyHash = 0
    keyHashSet = -1
  }

  init(
    _ record: Record, cache: [Value?], remembered: [Value?]?, notApplicable: UInt64,
    notFired: UInt64, admitted: UInt64, undetermined: UInt64, keyHash: UInt32 = 0,
    keyHashSet: Int32 = -1
  ) {
    self.record = record
    self.cache = cache
    self.remembered = remembered
    cacheValues = cache.withUnsafeBufferPointer { $0 }
    rememberedValues = remembered?.withUnsafeBufferPointer { $0 } ?? Frame.noValues
    self.notApplicable = notApplicable
    self.notFired = notFired
    self.admitted = admitted
    self.undetermined = undetermined
    self.keyHash = keyHash
    self.keyHashSet = keyHashSet
  }

  /// Rules past this index have no bit: the run always evaluates them.
  static let settledRules = 64

  /// Asks the processor to load a prepared record's first line and the line of its
  /// `keyHashSet`, the first the run's look ahead reads (`CheckRun.lookAhead`): written
  /// in a batch on the reader's core, each was a wait for a line to come across (half
  /// the look ahead's samples). A hint only.
  public static func prefetch(_ prepared: inout PreparedRecord) {
    withUnsafeMutablePointer(to: &prepared) {
      probity_prefetch($0)
      if let offset = MemoryLayout<PreparedRecord>.offset(of: \.keyHashSet) {
        probity_prefetch(UnsafeRawPointer($0) + offset)
      }
    }
  }
}

/// Computes what depends on one record alone, ahead of the run, on another thread: the
/// `define`s, `where` clauses and group keys of the rules that apply to it, and the
/// conditions of the rules on single records. The run then finds them in the record's
/// cache and is left with the groups. It also settles the outcomes that need only a
/// count (see `PreparedRecord.notApplicable`). Values are pure, so computing them here or there
/// gives the same; a failure is not kept (the run meets it again, in its place).
///
/// One preparer per thread (it has a frame of its own); the run's kernels are immutable
/// and shared.
public final class RecordPreparer: @unchecked Sendable {
  let ruleSet: CompiledRuleSet
  let plans: [RulePlan]
  let frame: Frame

  /// What the preparer settles of a record: bits by rule index (see `PreparedRecord`).
  struct Settled {
    var notApplicable: UInt64 = 0
    var notFired: UInt64 = 0
    var admitted: UInt64 = 0
    /// The rules whose `where` the memo knows is true on the record: their steps do not
    /// evaluate it again (see `ProjectionMemo.Known`).
    var whereHolds: UInt64 = 0
    /// The rules whose `where` the memo knows is missing on the record: their steps stop
    /// at once (the run names what is missing).
    var undetermined: UInt64 = 0
  }

  /// The work of one rule on a record. A closure calls the kernels it captured without
  /// touching their reference counts, where a kernel read from a plan at every record is
  /// retained and released around each call.
  struct Step {
    let run: (Frame, Record, inout Settled) -> Void
  }

  /// The steps of the rules of each kind of record, in pack order, chained (see
  /// `chained`) in arrays of this preparer's own (an array shared with the run would have
  /// its reference count bounced between the cores). By `ProjectionMemo.index(of:)`: a
  /// dictionary by kind hashed the kind for every record.
  let stepsByKind: [[Step]]

  /// The `where` clauses of each kind of record, remembered by the values they read
  /// (none: every `where` is computed on every record).
  @exclusivity(unchecked) var memos: [ProjectionMemo]

  /// Steps chained together: each calls the next it captured, so that only the first of
  /// a chain is read from an array (and retained) per record. Chains are of at most
  /// `chainLength` steps, which bounds the depth of the calls whatever the pack's size.
  static func chained(_ steps: [Step]) -> [Step] {
    stride(from: 0, to: steps.count, by: chainLength).map { start in
      var chain: Step?
      for step in steps[start..<min(start + chainLength, steps.count)].reversed() {
        let first = step.run
        if let rest = chain?.run {
          chain = Step { frame, record, settled in
            first(frame, record, &settled)
            rest(frame, record, &settled)
          }
        } else {
          chain = step
        }
      }
      return chain!
    }
  }
  static let chainLength = 16

  init(ruleSet: CompiledRuleSet, plans: [RulePlan], frame: Frame) {
    self.ruleSet = ruleSet
    self.plans = plans
    self.frame = frame
    memos = ProjectionMemo.byKind(ruleSet, plans)
    var steps = [[Step]](repeating: [], count: RecordKind.allCases.count)
    for kind in RecordKind.allCases {
      steps[ProjectionMemo.index(of: kind)] = RecordPreparer.chained(
        ruleSet.ruleIndices(for: kind).map { RecordPreparer.step(plans[$0], index: $0) })
    }
    stepsByKind = steps
  }

  /// What makes preparers of one run, each with a frame of its own (one per thread):
  /// nothing is compiled until `make` is called, on the thread that will prepare, and
  /// only once it does (a small filing never is: the reader's thread prepares only
  /// while the consumer is the slower, see `ParallelReader`).
  public struct Source: @unchecked Sendable {
    let ruleSet: CompiledRuleSet
    /// The run's plans: read here, never run (their kernels belong to the run's frame).
    let plans: [RulePlan]
    let slots: Int
    let keySets: Int
    let classes: Int
    let memos: Int
    let windows: Int
    let asOf: Value
    /// The seed of the run's interner of group values (see `Frame.keyHash`).
    let keySeed: UInt64

    init(ruleSet: CompiledRuleSet, plans: [RulePlan], frame: Frame, keySeed: UInt64) {
      self.keySeed = keySeed
      self.ruleSet = ruleSet
      self.plans = plans
      slots = frame.cache.count
      keySets = frame.groupIDs.count
      classes = frame.groupNumbers.count
      memos = frame.memos.count
      windows = frame.windows.count
      asOf = frame.asOf
    }

    /// A preparer with a frame of its own. Its kernels are compiled again (the same
    /// slots, in the same order): closures shared by two threads would have their
    /// reference counts bounced between the cores.
    public func make() -> RecordPreparer {
      let frame = Frame(
        slots: slots, keySets: keySets, classes: classes, memos: memos, windows: windows)
      frame.asOf = asOf
      frame.keySeed = keySeed
      return RecordPreparer(
        ruleSet: ruleSet, plans: RulePlan.recompiled(plans, ruleSet), frame: frame)
    }
  }

  /// Runs each kernel, for the values it caches. The kernels come boxed: a closure taken
  /// out of an array of closures is wrapped in a thunk that converts its calling
  /// convention on every call (see `KernelBox`), one taken out of a box is not.
  private static func runAll(_ kernels: [KernelBox]) -> (Frame) -> Void {
    var chain: (Frame) -> Void = { _ in }
    for box in kernels.reversed() {
      let kernel = box.run
      let rest = chain
      chain = { frame in
        _ = frame.run(kernel)
        rest(frame)
      }
    }
    return chain
  }

  /// Whether the rule's `where` admits the record: true; false when it fails (the run
  /// meets the failure again, in its place); nil when the preparer has no more to do
  /// (left out, counted here; or undetermined: the run names what is missing).
  private static func admission(
    _ filter: Kernel?, _ frame: Frame, _ bit: UInt64, _ settled: inout Settled
  ) -> Bool? {
    guard let filter else { return true }
    switch frame.run(filter) {
    case .success(.boolean(true)): return true
    case .success(.boolean(false)):
      settled.notApplicable |= bit
      return nil
    case .success: return nil
    case .failure: return false
    }
  }

  /// The step of one rule: its `where`; then the group keys and the aggregates'
  /// arguments (a rule across records), or the condition (a rule on single records).
  private static func step(_ plan: RulePlan, index: Int) -> Step {
    let bit: UInt64 = index < PreparedRecord.settledRules ? 1 << index : 0
    let filter = plan.filter
    if plan.grouped {
      let keys = runAll(plan.keys)
      let arguments = runAll(plan.aggregateArguments.compactMap { $0 })
      // The keys are computed once per record for every rule with the same ones (a rule
      // past the 64th set computes its own every time).
      let keySet: UInt64 = plan.keySet < 64 ? 1 << plan.keySet : 0
      let keySetIndex = plan.keySet
      let collectKeys = plan.collectKeys
      return Step { frame, _, settled in
        // Left out already, or undetermined, by the memo.
        if (settled.notApplicable | settled.undetermined) & bit != 0 { return }
        frame.base()
        if settled.whereHolds & bit != 0 {
          settled.admitted |= bit
        } else {
          guard let admitted = admission(filter, frame, bit, &settled) else { return }
          if admitted { settled.admitted |= bit }
        }
        if keySet == 0 || frame.keySetsComputed & keySet == 0 {
          keys(frame)
          frame.keySetsComputed |= keySet
          frame.hashKeys(collectKeys, keySet: keySetIndex)
        }
        arguments(frame)
      }
    }
    let condition = plan.condition
    let days = plan.deadlineDays
    let readsDeadline = plan.conditionReadsDeadline
    return Step { frame, record, settled in
      if (settled.notApplicable | settled.undetermined) & bit != 0 { return }
      frame.base()
      let admitted: Bool
      if settled.whereHolds & bit != 0 {
        admitted = true
      } else {
        guard let known = admission(filter, frame, bit, &settled) else { return }
        admitted = known
      }
      if readsDeadline {
        frame.deadline = CheckRun.deadline(days, record).map { .date($0) } ?? .missing
      }
      if case .success(.boolean(false)) = frame.run(condition), admitted {
        settled.notFired |= bit
      }
    }
  }

  /// Keeps the cache of a record the run is done with, to be emptied and filled again
  /// for another record (making and freeing one per record cost more than emptying the
  /// few slots a record fills). On the thread that prepares.
  public func recycle(_ prepared: PreparedRecord) {
    guard let cache = prepared.cache, frame.spareCaches.count < RecordValuesPool.capacity else {
      return
    }
    frame.spareCaches.append(cache)
  }

  /// The record is given over: kept in the `PreparedRecord`, moved, not copied.
  public func prepare(_ record: consuming Record) -> PreparedRecord {
    frame.start(record, handOver: true)
    // The record is handed over with the cache: the frame keeps nothing of it.
    defer { frame.endBorrowing() }
    var settled = Settled()
    var known = ProjectionMemo.Known()
    if !memos.isEmpty {
      known = memos[ProjectionMemo.index(of: record.kind)].fill(frame)
      settled.notApplicable = known.leftOut
      settled.whereHolds = known.admitted
      settled.undetermined = known.undetermined
    }
    for step in stepsByKind[ProjectionMemo.index(of: record.kind)] {
      step.run(frame, record, &settled)
    }
    return PreparedRecord(
      record, cache: frame.cache,
      remembered: known.tuple >= 0
        ? memos[ProjectionMemo.index(of: record.kind)].values(known.tuple) : nil,
      notApplicable: settled.notApplicable,
      notFired: settled.notFired, admitted: settled.admitted,
      undetermined: settled.undetermined, keyHash: frame.keyHash,
      keyHashSet: frame.keyHashSet)
  }
}

/// A field's text through `trim`, `upper` and `lower` (`upper(trim(name))`), as bytes:
/// for ASCII text, `trim` drops the white space at either end (space, tab to carriage
/// return: `Character.isWhitespace` on ASCII, a CR LF pair included) and `upper` and
/// `lower` change the case of ASCII letters alone, as `uppercased()` and `lowercased()`
/// do; the two commute, and the outermost change of case is the one that shows.
struct FoldedText {
  let field: FieldID
  let trims: Bool
  /// The letters the outermost change of case changes, and by how much: a-z by -32
  /// (`upper`), A-Z by +32 (`lower`); nil when the case is kept.
  let letters: ClosedRange<UInt8>?
  let shift: Int16

  /// The text of `index`, a chain of one or more of `trim`, `upper`, `lower` over a field;
  /// nil for any other expression.
  init?(_ index: Int, _ nodes: [ExprNode]) {
    var node = index
    var trims = false
    var letters: ClosedRange<UInt8>?
    var shift: Int16 = 0
    var calls = 0
    while true {
      switch nodes[node].op {
      case .call(.trim): trims = true
      case .call(.upper) where shift == 0:
        letters = 0x61...0x7A
        shift = -32
      case .call(.lower) where shift == 0:
        letters = 0x41...0x5A
        shift = 32
      case .call(.upper), .call(.lower): break  // Inside the outermost change of case.
      case .field(let field):
        guard calls > 0 else { return nil }
        self.field = field
        self.trims = trims
        self.letters = letters
        self.shift = shift
        return
      default: return nil
      }
      guard nodes[node].children.count == 1 else { return nil }
      node = nodes[node].children[0]
      calls += 1
    }
  }

  /// The items' bytes, when every item is a string of ASCII (an ASCII text equals such a
  /// string exactly when their bytes are equal; a string beyond ASCII may equal an ASCII
  /// one in Unicode, as the Kelvin sign does K); nil otherwise.
  static func asciiPatterns(_ items: [Value]) -> [[UInt8]]? {
    var patterns: [[UInt8]] = []
    for item in items {
      guard case .string(let text) = item else { return nil }
      let bytes = Array(text.utf8)
      guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
      patterns.append(bytes)
    }
    return patterns
  }

  /// Whether the folded text is one of `patterns`; nil when the text is not all ASCII (or
  /// has no contiguous bytes).
  @inline(__always)
  func isIn(_ text: String, _ patterns: [[UInt8]]) -> Bool? {
    let answer = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
      var start = 0
      var end = bytes.count
      for byte in bytes where byte >= 0x80 { return nil }
      if trims {
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        while start < end && blank(bytes[start]) { start += 1 }
        while end > start && blank(bytes[end - 1]) { end -= 1 }
      }
      let count = end - start
      search: for pattern in patterns where pattern.count == count {
        for offset in 0..<count {
          var byte = bytes[start + offset]
          if let letters, letters.contains(byte) { byte = UInt8(Int16(byte) + shift) }
          if byte != pattern[offset] { continue search }
        }
        return true
      }
      return false
    }
    return answer ?? nil
  }
}
