import ProbityCore
import ProbityLanguage
import Synchronization

/// The `where` clauses of a kind of record, remembered by the values they read.
///
/// A `where` reads few fields, and those take few distinct values in a filing
/// (`committee_type in candidate_committee_types and entity_type == "IND" and
/// present(election_code) and (contribution or refund)` reads the committee and entity
/// types, whether there is an election code, the schedule line, the report and the memo
/// flag). The values of every `where` of the rules of a kind, and of the `define`s they
/// evaluated, are a function of those field values alone: they are computed on the
/// first record with a given tuple of them, and handed as one shared array
/// (`Frame.remembered`) to every later record with the same tuple, instead of evaluating
/// ten or so `where` clauses again. The kernels read them there as they read values
/// computed ahead.
///
/// What is remembered is exactly what the kernels computed, keyed by the exact values
/// read (strings by their bytes, not by canonical equivalence; whether each field is
/// available in the format), so the values are the same either way. A field that takes
/// many values (an amount, a memo's text) and is only asked plain questions
/// (`amount > $0.00`) is keyed by their answers instead (`Atom`). A value whose
/// evaluation failed is not remembered: it is computed again where it is needed, and
/// fails there, in its place. A memo that meets more distinct tuples than `limit` (a
/// `where` reading names, or amounts otherwise than by plain questions) stops looking
/// itself up for good.
struct ProjectionMemo {
  /// What one `where` adds to the memo of its kind: its kernel, the cache slots it and
  /// the `define`s inside it fill, and the fields it reads, with how (`Read`: only
  /// whether the field is there, as `present(field)` and `missing(field)` read it,
  /// whether it is blank, or its value).
  struct Part {
    let kernel: Kernel
    let slots: [Int]
    let reads: [FieldID: Read]
    let atoms: [Atom]
    /// The `where`'s own slot; and where the memo keeps, for a tuple on which it is
    /// undetermined, the fields its collecting kernel found missing (a `.list` of their
    /// names): they are a function of the same values.
    let root: Int
    let missingSlot: Int
    let program: ExprProgram
    let collecting: CollectingKernel

    /// Nil when the program is not cached as a whole (it reads more than the record).
    init?(
      _ program: ExprProgram, kernel: @escaping Kernel, collecting: CollectingKernel,
      _ compiler: inout KernelCompiler
    ) {
      let nodes = program.nodes
      guard nodes[program.root].recordOnly,
        let root = compiler.cacheSlot(ofNode: program.root, nodes)
      else { return nil }
      self.root = root
      self.missingSlot = compiler.missingFieldsSlot(of: program)
      self.program = program
      self.collecting = collecting
      (slots, reads, atoms) = ProjectionMemo.reads(of: program, root: root, &compiler)
      self.kernel = kernel
    }
  }

  /// How a memo's key holds a field: whether it is there (`present`, `missing`), whether
  /// it is blank (`blank`, which answers on missing too), or its value. A field read in
  /// several ways is held by the most telling.
  enum Read: Int, Comparable {
    case presence, blank, value
    static func < (a: Read, b: Read) -> Bool { a.rawValue < b.rawValue }
  }

  /// The cache slots a program's value and its `define`s fill (`root` first), how it
  /// reads each field, and the outcomes it reads (`Atom`) in place of fields' values.
  static func reads(of program: ExprProgram, root: Int, _ compiler: inout KernelCompiler)
    -> (slots: [Int], reads: [FieldID: Read], atoms: [Atom])
  {
    let nodes = program.nodes
    var slots = [root]
    var reads: [FieldID: Read] = [:]
    var atoms: [Atom] = []
    var stack = [(index: program.root, parent: Operation?.none)]
    var seen = Set<Int>()
    while let (index, parent) = stack.popLast() {
      guard seen.insert(index).inserted else { continue }
      let node = nodes[index]
      if let atom = Atom(index, nodes, &compiler) {
        if case .defined = node.op, let slot = compiler.cacheSlot(ofNode: index, nodes) {
          slots.append(slot)
        }
        if !atoms.contains(where: { $0.key == atom.key }) { atoms.append(atom) }
        continue
      }
      switch node.op {
      case .field(let field):
        let read: Read =
          switch parent {
          case .call(.present)?, .call(.isMissing)?: .presence
          case .call(.blank)?: .blank
          default: .value
          }
        reads[field] = max(reads[field] ?? read, read)
      case .defined:
        if let slot = compiler.cacheSlot(ofNode: index, nodes) { slots.append(slot) }
      default: break
      }
      for child in node.children { stack.append((child, node.op)) }
    }
    return (slots, reads, atoms)
  }

  /// A yes-or-no question about one field that takes many values, asked of the record
  /// when its memo key is made: `amount > $0.00`, `contains(upper(memo_text), "EARMARK")`,
  /// `filer_id in national_party_committees`. The key holds its answer (with whether the
  /// field is missing, and whether the format has it) instead of the field's value: a
  /// `where` that reads amounts only to ask whether they are positive then meets as few
  /// tuples as one that does not read them (with the amounts themselves in the key, a
  /// filing of varied amounts met a new tuple on most records, and past `limit` every
  /// `where` was computed on every record).
  ///
  /// Why the answer is enough: the question is made of the field, constants and
  /// parameters (none missing, and no reference list not loaded as one), and operations
  /// that never give missing on operands that are not (comparisons, `in`, `and`, `or`,
  /// `not`, arithmetic, `??`, `if`, and the text functions `upper`, `lower`, `trim`,
  /// `length`, `starts_with`, `ends_with`, `contains`, `abs`, `present`, `missing`,
  /// `blank`: not `zip5`, `person_key`, a table by year, which give missing on some
  /// values), and holds no `define` but itself. So no value inside it is kept
  /// (the memo keeps only `define`s and the `where`s), and what a collecting kernel
  /// names missing inside it is a function of whether the field is missing (with the
  /// field there, nothing inside is missing; without, every value inside is the same on
  /// every record, so the same nodes are missing, in the same order). Everything the
  /// memo keeps of the `where` is then a function of the key. A question whose kernel
  /// fails is keyed as failed: the `where` fails there too, and a failed value is never
  /// remembered.
  ///
  /// Coded fields (`FieldSpec.coded`: committee types, entity types, form lines) take
  /// few values and stay in the key by value: a question costs a kernel's run per record.
  struct Atom {
    /// The question's text, with the parameters it names: the same question asked by two
    /// `where` clauses is asked once. (A question holds no `let` and no `define` but
    /// itself, so its text names nothing else that files of a pack may give two meanings:
    /// `limit` may be a parameter of two files that do not import each other, and `big`
    /// a `define` of both, `amount > $100.00` in one and `amount > $1,000.00` in the
    /// other. A `define` is told by its expression's text, in its own file, and the
    /// parameters it names, not by its name. Numbering the structures of all the
    /// questions' nodes cost some 9 million instructions a run.)
    let key: String
    let field: FieldID
    let kernel: Kernel

    init?(_ index: Int, _ nodes: [ExprNode], _ compiler: inout KernelCompiler) {
      let node = nodes[index]
      guard node.type == .boolean, node.recordOnly else { return nil }
      // A `define` is asked through its expression (its kernel would cache its value).
      var question = index
      if case .defined = node.op { question = node.children[0] }
      var field: FieldID?
      var readsValue = false
      var parameters: [Int] = []
      guard
        Atom.asks(
          question, nodes, parent: nil, field: &field, readsValue: &readsValue,
          parameters: &parameters, compiler.ruleSet.parameters),
        let field, readsValue, !CanonicalSchema.fields[field].coded
      else { return nil }
      self.field = field
      key = nodes[question].text + "\u{0}" + parameters.map(String.init).joined(separator: ",")
      kernel = compiler.compile(node: question, nodes)
    }

    /// Whether the subtree at `index` is made of what a question may hold (see `Atom`),
    /// reading no field but `field` (set by the first found); `readsValue`: whether it
    /// reads that field's value, not only whether it is there or blank; `parameters`: the
    /// parameters and reference lists it names, by index, in node order.
    private static func asks(
      _ index: Int, _ nodes: [ExprNode], parent: Operation?, field: inout FieldID?,
      readsValue: inout Bool, parameters: inout [Int], _ values: [CompiledParameter]
    ) -> Bool {
      let node = nodes[index]
      switch node.op {
      // Nothing inside may be missing while the field is there (`missing`, a parameter of
      // no value, a reference list not loaded as one): a call given it is missing, and
      // which calls the collecting kernel names would follow the field's value, not the
      // answer (`contains(memo_text, missing)` on one side of an `or`, `contains(lower(
      // memo_text), missing)` on the other).
      case .constant(let value):
        guard !Atom.holdsMissing(value) else { return false }
      case .list: break
      case .parameter(let parameter):
        guard !Atom.holdsMissing(values[parameter].lookup(.missing)) else { return false }
        parameters.append(parameter)
      case .inReferenceList(let parameter, _):
        guard case .set = values[parameter].definition else { return false }
        parameters.append(parameter)
      case .field(let read):
        guard field == nil || field == read else { return false }
        field = read
        switch parent {
        case .call(.present)?, .call(.isMissing)?, .call(.blank)?: break
        default: readsValue = true
        }
      case .not, .negate, .and, .or, .compare, .member, .arithmetic, .coalesce, .conditional:
        break
      case .call(let builtin):
        switch builtin {
        case .upper, .lower, .trim, .length, .startsWith, .endsWith, .contains, .abs, .present,
          .isMissing, .blank:
          break
        default: return false
        }
      default: return false
      }
      for child in node.children {
        guard
          asks(
            child, nodes, parent: node.op, field: &field, readsValue: &readsValue,
            parameters: &parameters, values)
        else { return false }
      }
      return true
    }

    /// Whether a constant is missing or a list holding missing.
    private static func holdsMissing(_ value: Value) -> Bool {
      switch value {
      case .missing: return true
      case .list(let items): return items.contains(where: holdsMissing)
      default: return false
      }
    }
  }

  /// The condition of a rule on single records, remembered with the `where` clauses of
  /// its kind when it depends on the record alone and reads no field's value but coded
  /// ones (`FieldSpec.coded`: a committee type, a form line, an election designation),
  /// of which a filing holds few: its value (and those of the `define`s inside it) is
  /// then handed to every later record with the same tuple, as the `where` clauses'
  /// are, and the kernel that would compute it again reads it there. A condition reading
  /// an amount or a name would make the memo meet a tuple on most records: it is left
  /// out. Other fields it reads only for whether they are there or blank, which adds a
  /// few values each.
  struct ConditionPart {
    let kernel: Kernel
    let slots: [Int]
    let reads: [FieldID: Read]
    let atoms: [Atom]

    /// Nil when the condition does not qualify. `root`: the slot of the condition's value.
    init?(
      _ program: ExprProgram, kernel: @escaping Kernel, root: Int, _ compiler: inout KernelCompiler
    ) {
      guard program.nodes[program.root].recordOnly else { return nil }
      let (slots, reads, atoms) = ProjectionMemo.reads(of: program, root: root, &compiler)
      // A question about an amount or a name (`Atom`) would be asked of every record of
      // the kind when its key is made, where the condition is computed only on the records
      // its `where` admits: such a condition is left out too.
      guard atoms.isEmpty,
        reads.allSatisfy({ $0.value < .value || CanonicalSchema.fields[$0.key].coded })
      else { return nil }
      self.kernel = kernel
      self.slots = slots
      self.reads = reads
      self.atoms = atoms
    }
  }

  /// A memo for each kind of record (by `index(of:)`), of the `where` clauses of the
  /// rules about it.
  static func byKind(
    _ ruleSet: CompiledRuleSet, _ plans: [RulePlan], limit: Int = ProjectionMemo.limit
  ) -> [ProjectionMemo] {
    var memos = Array(repeating: ProjectionMemo([]), count: RecordKind.allCases.count)
    for kind in RecordKind.allCases {
      let rules = ruleSet.ruleIndices(for: kind).filter { plans[$0].filterPart != nil }
      memos[index(of: kind)] = ProjectionMemo(
        rules.map { plans[$0].filterPart! }, rules: rules,
        conditions: ruleSet.ruleIndices(for: kind).compactMap { plans[$0].conditionPart },
        limit: limit)
    }
    return memos
  }

  static func index(of kind: RecordKind) -> Int {
    switch kind {
    case .receipt: 0
    case .disbursement: 1
    }
  }

  /// Distinct tuples remembered at most; past this the memo is off for the run.
  static let limit = 1 << 14

  /// The `where` clauses remembered, with their kernels, slots and collecting kernels.
  private let parts: [Part]
  /// The conditions remembered (see `ConditionPart`).
  private let conditions: [ConditionPart]
  private let slots: [Int]
  /// The fields read, in field order, and how the key holds each.
  private let fields: [FieldID]
  private let reads: [Read]
  /// The questions whose answers the key holds, after the fields (see `Atom`), by the
  /// field they ask about, with the answers to the last value asked about.
  private var asked: [Asked]

  /// The questions about one field, and the last value they were asked of with its
  /// answers: a committee's id is the same on every row of a filing, a memo mostly
  /// missing, and the answers are then not asked again. (Told the same by their bytes:
  /// two strings equal by canonical equivalence may answer otherwise.)
  struct Asked {
    let field: FieldID
    /// At most 8 (a field asked more is asked in several).
    let atoms: [Atom]
    let count: Int
    var last: Value = .missing
    var lastUnavailable = false
    /// The answers to the last value, a byte each from the lowest; none yet while
    /// `asked` is false.
    var answers: UInt64 = 0
    var asked = false
  }
  /// By part: the bit of its rule (0 past the 64th), as `PreparedRecord.notApplicable`
  /// and `Known` give it.
  private let ruleBits: [UInt64]
  private var tuples = ValueInterner()
  /// By tuple: the rules whose `where` is false on it, and those whose `where` is true
  /// on it (as `ruleBits`).
  private var leftOut: [UInt64] = []
  private var admitting: [UInt64] = []
  /// By tuple: the rules whose `where` is undetermined (missing) on it.
  private var undetermining: [UInt64] = []
  /// By tuple: a cache of the frame's width holding the values remembered (nil: not
  /// computed, as the `where` stopped before it, or failed). It becomes the frame's
  /// `remembered` values, so a hit copies nothing but a reference.
  private var values: [[Value?]] = []
  private var key = KeyBytes()
  private(set) var active: Bool

  /// Distinct tuples remembered at most by this memo.
  private let limit: Int

  /// How many tuples the memo remembers.
  var count: Int { tuples.count }

  /// The fields whose values (not only whether they are there or blank) the memo's key
  /// holds: if one takes a new value on most records (a name, an amount), the memo meets
  /// a new tuple on most records, and gives up.
  var fieldsReadByValue: [FieldID] {
    zip(fields, reads).filter { $0.1 == .value }.map(\.0)
  }

  /// The fields whose values the key holds only through questions asked of them (see
  /// `Atom`), with each question's key.
  var questions: [(field: FieldID, key: String)] {
    asked.flatMap { field in field.atoms.map { (field.field, $0.key) } }
  }

  /// `rules`: the index of each part's rule (without, no rule is told left out).
  init(
    _ parts: [Part], rules: [Int]? = nil, conditions: [ConditionPart] = [],
    limit: Int = ProjectionMemo.limit
  ) {
    self.limit = limit
    ruleBits = (rules ?? parts.map { _ in PreparedRecord.settledRules }).map {
      $0 < PreparedRecord.settledRules ? 1 << $0 : 0
    }
    self.parts = parts
    self.conditions = conditions
    var slots: [Int] = []
    var reads: [FieldID: Read] = [:]
    var atoms: [Atom] = []
    for (partSlots, partReads, partAtoms) in parts.map({ ($0.slots, $0.reads, $0.atoms) })
      + conditions.map({ ($0.slots, $0.reads, $0.atoms) })
    {
      for slot in partSlots where !slots.contains(slot) { slots.append(slot) }
      reads.merge(partReads) { max($0, $1) }
      for atom in partAtoms where !atoms.contains(where: { $0.key == atom.key }) {
        atoms.append(atom)
      }
    }
    self.slots = slots
    asked = Set(atoms.map(\.field)).sorted().flatMap { field in
      let questions = atoms.filter { $0.field == field }
      return stride(from: 0, to: questions.count, by: 8).map {
        let atoms = Array(questions[$0..<min($0 + 8, questions.count)])
        return Asked(field: field, atoms: atoms, count: atoms.count)
      }
    }
    fields = reads.keys.sorted()
    self.reads = fields.map { reads[$0]! }
    active = !parts.isEmpty || !conditions.isEmpty
  }

  /// What the memo knows of a record's rules, as bits by rule index (see `ruleBits`):
  /// those whose `where` is false on it (as `PreparedRecord.notApplicable` tells them),
  /// and those whose `where` is true on it (which need not evaluate it again). 0: not
  /// known.
  struct Known {
    var leftOut: UInt64 = 0
    var admitted: UInt64 = 0
    /// Those whose `where` is missing on it: undetermined, with the fields the memo keeps
    /// in the `where`'s `missingSlot` (see `CheckRun.filterMissingFields`).
    var undetermined: UInt64 = 0
    /// The record's tuple, when the frame was given its values (`values(_:)`); -1 when not.
    var tuple = -1
  }

  /// The values remembered for a tuple (`Known.tuple`), which a `PreparedRecord` holds.
  func values(_ tuple: Int) -> [Value?] { values[tuple] }

  /// Gives the frame (the record just started, with no values computed ahead) the
  /// values remembered for the record's tuple, computing and remembering them on its
  /// first record. Returns what it knows of the rules' `where` clauses on the record.
  @discardableResult
  mutating func fill(_ frame: Frame) -> Known {
    guard active else { return Known() }
    guard ProjectionMemo.encode(frame, fields, reads, &asked, into: &key) else { return Known() }
    let known = tuples.count
    let id = Int(tuples.id(bytes: &key))
    if id < known {
      frame.remembered = Frame.borrow(values[id], count: frame.cache.count)
      return Known(
        leftOut: leftOut[id], admitted: admitting[id], undetermined: undetermining[id], tuple: id)
    }
    if tuples.count > limit {
      active = false
      values = []
      leftOut = []
      admitting = []
      undetermining = []
      tuples = ValueInterner()
      return Known()
    }
    frame.base()
    for part in parts { _ = frame.run(part.kernel) }
    for condition in conditions { _ = frame.run(condition.kernel) }
    var remembered = [Value?](repeating: nil, count: frame.cache.count)
    for slot in slots { remembered[slot] = frame.cache[slot] }
    var bits: UInt64 = 0
    var admittedBits: UInt64 = 0
    var undeterminedBits: UInt64 = 0
    for (position, part) in parts.enumerated() {
      guard let value = frame.cache[part.root] else { continue }
      if case .boolean(let admits) = value {
        if admits { admittedBits |= ruleBits[position] } else { bits |= ruleBits[position] }
        continue
      }
      undeterminedBits |= ruleBits[position]
      let names = frame.missingFields(part.collecting, part.program)
      remembered[part.missingSlot] = ProjectionMemo.missingList(names)
    }
    values.append(remembered)
    leftOut.append(bits)
    admitting.append(admittedBits)
    undetermining.append(undeterminedBits)
    return Known(leftOut: bits, admitted: admittedBits, undetermined: undeterminedBits)
  }

  /// The names of the fields a `where` found missing, as one list for the same names in
  /// every memo of every thread: the run tells a rule's outcome undetermined for the same
  /// reason as on its last record by the list's identity (`CheckRun.continuedFromMemo`).
  /// Made only on a tuple's first record; a pack has few such lists.
  static func missingList(_ names: [String]) -> Value {
    missingLists.withLock { lists in
      if let list = lists[names] { return list }
      // The names come from the pack (a `define` is named by its own name): a process
      // that checks pack after pack (a fuzzer's target, the tests) lets go of those it
      // held once there are this many. A list given before stays whole where it is; the
      // same names are then given another list, which only tells a rule's outcomes
      // apart where they could have been counted at once (`continuedFromMemo`).
      if lists.count >= missingListsLimit { lists.removeAll() }
      let list = Value.list(names.map(Value.string))
      lists[names] = list
      return list
    }
  }
  private static let missingLists = Mutex<[[String]: Value]>([:])
  /// How many lists `missingList` holds (tests), and at most.
  static var missingListsHeld: Int { missingLists.withLock { $0.count } }
  static let missingListsLimit = 1024

  /// The tuple of the record's values read, and of the answers to the questions asked
  /// of it (`atoms`), as bytes; false for a value that is never a field's (a list), which
  /// is then not remembered.
  private static func encode(
    _ frame: Frame, _ fields: [FieldID], _ reads: [Read], _ asked: inout [Asked],
    into key: inout KeyBytes
  ) -> Bool {
    key.removeAll()
    // The values read where they are, through the buffer: read out of the frame's array,
    // each was copied (a string retained) and destroyed after. (A string written whole is
    // still copied: `withUTF8` needs it in a `var`.) The buffer does not check its bounds
    // in a release build: the fields, and the fields asked about, are sorted, so the last
    // of each is checked here.
    precondition(
      max(fields.last ?? -1, asked.last?.field ?? -1) < frame.values.count,
      "a field beyond the record's values")
    let values = frame.values
    let encoded = encode(values, frame.unavailable, fields, reads, into: &key)
    guard encoded, !asked.isEmpty else { return encoded }
    // Through buffers: an element of an array written in place checked its uniqueness,
    // and one read was copied (its value retained).
    return asked.withUnsafeMutableBufferPointer { asked in
      for position in asked.indices {
        let field = asked[position].field
        let unavailable = frame.unavailable.contains(field)
        // A field the format lacks holds no value: the answers and the names of what is
        // missing are those of a missing one. A record made otherwise (no reader makes
        // it) is not remembered: `present` and `blank` would give missing there while
        // other parts read the value.
        if unavailable && !values[field].isMissing { return false }
        if !asked[position].asked || asked[position].lastUnavailable != unavailable
          || !sameBytes(asked[position].last, values[field])
        {
          ask(&asked[position], frame, unavailable)
        }
        var answers = asked[position].answers
        for _ in 0..<asked[position].count {
          key.append(UInt8(truncatingIfNeeded: answers))
          answers >>= 8
        }
      }
      return true
    }
  }

  /// Asks the questions of the field's value on the frame's record, and keeps the value
  /// and the answers.
  @inline(never)
  private static func ask(_ asked: inout Asked, _ frame: Frame, _ unavailable: Bool) {
    asked.last = frame.values[asked.field]
    asked.lastUnavailable = unavailable
    asked.answers = answers(asked.atoms, frame, asked.field)
    asked.asked = true
  }

  /// Each question's answer, a byte each from the lowest: 0 no, 1 yes, 2 missing, 3
  /// failed; 4 added if the field is missing, 8 if the format lacks it. The frame's
  /// failure is left as it was.
  private static func answers(_ atoms: [Atom], _ frame: Frame, _ field: FieldID) -> UInt64 {
    // Only a failure flagged before is kept (copying the failure retained its texts).
    let failed = frame.failed
    let failure = failed ? frame.failure : nil
    defer {
      frame.failed = failed
      if let failure { frame.failure = failure }
    }
    var base: UInt8 = frame.unavailable.contains(field) ? 8 : 0
    if frame.values[field].isMissing { base |= 4 }
    var answers: UInt64 = 0
    for (position, atom) in atoms.enumerated() {
      frame.failed = false
      let value = atom.kernel(frame)
      let answer: UInt8
      if frame.failed {
        answer = base | 3
      } else if case .boolean(let yes) = value {
        answer = base | (yes ? 1 : 0)
      } else {
        answer = base | 2
      }
      answers |= UInt64(answer) << (8 * position)
    }
    return answers
  }

  /// Whether two values are the same, strings byte for byte.
  @inline(__always)
  private static func sameBytes(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.missing, .missing): return true
    case (.boolean(let x), .boolean(let y)): return x == y
    case (.integer(let x), .integer(let y)): return x == y
    case (.money(let x), .money(let y)):
      return x.minorUnits == y.minorUnits && x.currency == y.currency
    case (.date(let x), .date(let y)): return x == y
    case (.string(let x), .string(let y)):
      // A committee's id on every row is answered by its words alike.
      return TextBytes.same(x, y)
    default: return false
    }
  }

  private static func encode(
    _ values: UnsafeBufferPointer<Value>, _ unavailableFields: FieldSet, _ fields: [FieldID],
    _ reads: [Read], into key: inout KeyBytes
  ) -> Bool {
    for position in fields.indices {
      let field = fields[position]
      let unavailable: UInt8 = unavailableFields.contains(field) ? 8 : 0
      switch reads[position] {
      case .presence:
        key.append(unavailable | (values[field].isMissing ? 0 : 1))
        continue
      case .blank:
        // Missing, a blank text, another text, another value (`blank` answers true on
        // missing and on any value not a text).
        let blank: UInt8 =
          switch values[field] {
          case .missing: 0
          case .string(let s): Semantics.isBlank(s) ? 1 : 2
          default: 3
          }
        key.append(unavailable | blank)
        continue
      case .value: break
      }
      switch values[field] {
      case .missing: key.append(unavailable)
      case .boolean(let b): key.append(unavailable | (b ? 2 : 3))
      case .integer(let n):
        key.append(unavailable | 4)
        key.append(bytesOf: n)
      case .money(let m):
        key.append(unavailable | 5)
        key.append(bytesOf: m.minorUnits)
        key.append(bytesOf: m.currency)
      case .date(let d):
        key.append(unavailable | 6)
        key.append(bytesOf: d)
      case .string(var s):
        key.append(unavailable | 7)
        s.withUTF8 { bytes in
          key.appendLength(bytes.count)
          key.append(bytes)
        }
      case .list: return false
      }
    }
    return true
  }
}
