import ProbityCore
import ProbityLanguage

/// The value each node of an expression took on one record: `nil` for a node that was
/// not evaluated (the other side of a short-circuited `and`, `or` or `??`).
public struct Trace: Sendable {
  public let program: ExprProgram
  public let values: [Value?]

  /// The fields, parameters, aggregates and engine values (`as_of`, `window`,
  /// `deadline`, `kind`) the expression read, with their values, in source order and
  /// without repeats. A table parameter shows the entry it used: `limit[2024]`.
  public var inputs: [(name: String, value: Value)] {
    // A condition reads a few inputs: repeats are found by looking through those kept
    // (a set of names, and a sorted copy, cost some 6,000 instructions a finding), and
    // the inputs are sorted only when they are not already in source order.
    var result: [(name: String, value: Value)] = []
    var starts: [Int] = []
    result.reserveCapacity(program.inputNames.count)
    starts.reserveCapacity(program.inputNames.count)
    var inOrder = true
    // The nodes and their names, made with the program (`ExprProgram.inputNames`).
    for input in program.inputNames {
      guard let value = values[input.node] else { continue }
      let name: String
      if input.lookup {
        guard let keyIndex = program.nodes[input.node].children.first, let key = values[keyIndex]
        else { continue }
        name = "\(input.name)[\(key.plainText)]"
      } else {
        name = input.name
      }
      guard !result.contains(where: { $0.name == name }) else { continue }
      if let last = starts.last, input.start < last { inOrder = false }
      result.append((name, value))
      starts.append(input.start)
    }
    if inOrder { return result }
    // Stable, as the sort of the inputs with their starts was.
    return starts.indices.sorted { (starts[$0], $0) < (starts[$1], $1) }.map { result[$0] }
  }

  /// The trace with every text value computed from personal fields (names, addresses)
  /// replaced: names by the donor's pseudonym, addresses by "[withheld]". Booleans and
  /// amounts are kept: they say what the rule found without saying who.
  public func redacted(_ policy: PersonalDataPolicy, record: Record) -> Trace {
    var pseudonym: Value?
    return redacted(policy, record: record, pseudonym: &pseudonym)
  }

  /// The same, with the record's pseudonym made already, or made here (a digest) and
  /// given back for the record's other traces.
  func redacted(_ policy: PersonalDataPolicy, record: Record, pseudonym: inout Value?) -> Trace {
    var readsNames = [Bool](repeating: false, count: program.nodes.count)
    var readsAddress = [Bool](repeating: false, count: program.nodes.count)
    var redacted = values
    // The pseudonym (in `pseudonym`) and the withheld address, each made once for all
    // the nodes that read them (a pseudonym is a digest).
    var withheld: Value?
    // Children come before their parents in the node array.
    for (index, node) in program.nodes.enumerated() {
      if case .field(let field) = node.op {
        readsNames[index] = PersonalDataPolicy.nameFieldIDs.contains(field)
        readsAddress[index] = PersonalDataPolicy.addressFieldIDs.contains(field)
      }
      for child in node.children where child < index {
        readsNames[index] = readsNames[index] || readsNames[child]
        readsAddress[index] = readsAddress[index] || readsAddress[child]
      }
      if case .string = values[index], readsNames[index] || readsAddress[index] {
        if readsNames[index] {
          if pseudonym == nil { pseudonym = policy.replacement(readingNames: true, record: record) }
          redacted[index] = pseudonym
        } else {
          if withheld == nil { withheld = policy.replacement(readingNames: false, record: record) }
          redacted[index] = withheld
        }
      }
    }
    return Trace(program: program, values: redacted)
  }

  /// The record fields the expression read that were missing.
  ///
  /// A `define` is one value computed once per record: when it is missing it is named
  /// itself, not the fields inside it (so the answer does not depend on whether the
  /// define was computed before, for another rule). So is an aggregate of the group, by
  /// its source text (`max(aggregate)`): it is missing when a record of the group, maybe
  /// not this one, had its argument missing. And a table lookup or a function call that
  /// gave missing on values that are there, by its text
  /// (`individual_limit[election_year(election_code)]` for a year with no entry,
  /// `zip5(zip)` for a zip code of three digits), unless something below it is named:
  /// the deepest cause is named, not every expression it made missing.
  public var missingFields: [String] {
    program.names(ofMissing: program.readsOutsideDefines.filter { values[$0]?.isMissing == true })
  }
}

extension ExprProgram {
  /// The names of the missing nodes `nodes` (of `readsOutsideDefines`, in node order),
  /// as `Trace.missingFields` gives them, without repeats.
  func names(ofMissing nodes: [Int]) -> [String] {
    var names: [String] = []
    for index in nodes {
      // Under a `present`, `missing` or `blank` that answered: not a cause.
      if let call = answeringCall[index], !nodes.contains(call) { continue }
      switch self.nodes[index].op {
      case .field, .defined, .aggregate: break
      case .lookup, .call: guard !reads(any: nodes, under: index) else { continue }
      default: continue
      }
      let name = candidateName(of: index)
      if !names.contains(name) { names.append(name) }
    }
    return names
  }

  /// The name a node of `readsOutsideDefines` is given when it is named (whether or not
  /// something below it is).
  func candidateName(of index: Int) -> String {
    switch nodes[index].op {
    case .field(let field): CanonicalSchema.spec(field).name
    case .defined(let defined): defined
    default: text(of: index)
    }
  }

  /// A node's source text on one line (`ExprNode.oneLineText`).
  func text(of index: Int) -> String { nodes[index].oneLineText }

  /// Whether a node below `index` (its key, for a lookup) is one of `nodes`.
  private func reads(any nodes: [Int], under index: Int) -> Bool {
    var stack = self.nodes[index].children
    while let child = stack.popLast() {
      if nodes.contains(child) { return true }
      stack.append(contentsOf: self.nodes[child].children)
    }
    return false
  }
}

/// What an expression can see besides the record: the aggregates of its group, the
/// window, the cure deadline and the as-of date. Missing where not known.
public struct EvaluationContext: Sendable {
  public var aggregates: [Value] = []
  public var window: Value = .missing
  public var deadline: Value = .missing
  public var asOf: Value = .missing

  public init(
    aggregates: [Value] = [], window: Value = .missing, deadline: Value = .missing,
    asOf: Value = .missing
  ) {
    self.aggregates = aggregates
    self.window = window
    self.deadline = deadline
    self.asOf = asOf
  }
}

/// Evaluates compiled expressions on records, recording a trace. One evaluator per
/// thread; the rule set it reads is immutable and shared.
public struct Evaluator {
  public let ruleSet: CompiledRuleSet
  private var scratch: [Value?] = []
  private var context = EvaluationContext()
  /// Whether node values are being recorded (a trace was asked for).
  private var tracing = false
  /// Values of `define`s on the record they were computed for (they depend on the record
  /// alone); any other record clears them.
  private var defineCache: [Int: Value] = [:]
  /// A `define` is cached by what it computes (its structure), not by its name: two files
  /// may each have a `define` of one name.
  private var structures = StructureNumbering()
  private var cachedFor: Provenance?
  /// The bytes of the message being rendered (`render`).
  private var rendered: [UInt8] = []
  /// The pseudonym of the record being evaluated, when personal data is withheld: made
  /// once for its traces (`redacted`), forgotten at the next record.
  private var pseudonym: (of: Provenance, value: Value)?
  /// Sees every trace, when set (`probity test` measures condition coverage with it).
  var traceObserver: TraceObserver?

  public init(ruleSet: CompiledRuleSet) {
    self.ruleSet = ruleSet
  }

  /// Starts a new record: values kept for the previous one are dropped (two records may
  /// share a provenance in tests and tools that make records by hand).
  public mutating func startRecord() {
    if !defineCache.isEmpty { defineCache.removeAll(keepingCapacity: true) }
    cachedFor = nil
    pseudonym = nil
  }

  /// `trace.redacted(policy, record:)`, the record's pseudonym made once for all its
  /// traces (a finding's condition, message, remedy and group keys each have one).
  mutating func redacted(_ trace: Trace, _ policy: PersonalDataPolicy, record: Record) -> Trace {
    var made = pseudonym.flatMap { $0.of == record.provenance ? $0.value : nil }
    let shown = trace.redacted(policy, record: record, pseudonym: &made)
    if let made { pseudonym = (record.provenance, made) }
    return shown
  }

  /// The value of `program` on `record`, without a trace: the fast path. Evaluation is
  /// pure, so asking `evaluate` for the trace afterwards gives the same value.
  public mutating func value(
    _ program: ExprProgram, on record: Record, context: EvaluationContext = EvaluationContext()
  ) -> Result<Value, EvaluationFailure> {
    if traceObserver != nil { return evaluate(program, on: record, context: context).result }
    self.context = context
    tracing = false
    return evaluate(program.root, program.nodes, record)
  }

  /// Evaluates `program` on `record`. The trace holds every node's value.
  public mutating func evaluate(
    _ program: ExprProgram, on record: Record, context: EvaluationContext = EvaluationContext()
  ) -> (result: Result<Value, EvaluationFailure>, trace: Trace) {
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: repeatElement(nil, count: program.nodes.count))
    self.context = context
    tracing = true
    let result = evaluate(program.root, program.nodes, record)
    let trace = Trace(program: program, values: scratch)
    traceObserver?.observe(trace)
    return (result, trace)
  }

  private mutating func evaluate(_ index: Int, _ nodes: [ExprNode], _ record: Record) -> Result<
    Value, EvaluationFailure
  > {
    let node = nodes[index]
    let result: Result<Value, EvaluationFailure>
    switch node.op {
    case .constant(let value):
      result = .success(value)
    case .field(let field):
      result = .success(record[field])
    case .parameter(let parameter):
      result = .success(ruleSet.parameters[parameter].lookup(.missing))
    case .lookup(let parameter):
      switch evaluate(node.children[0], nodes, record) {
      case .success(let key): result = .success(ruleSet.parameters[parameter].lookup(key))
      case .failure(let failure): result = .failure(failure)
      }
    case .and, .or:
      // Kleene logic: false and x = false; true or x = true; otherwise missing wins.
      let decisive = node.op.isAnd ? false : true
      switch evaluate(node.children[0], nodes, record) {
      case .failure(let failure):
        result = .failure(failure)
      case .success(let left):
        if case .boolean(let b) = left, b == decisive {
          result = .success(.boolean(decisive))
        } else {
          switch evaluate(node.children[1], nodes, record) {
          case .failure(let failure): result = .failure(failure)
          case .success(let right):
            if case .boolean(let b) = right, b == decisive {
              result = .success(.boolean(decisive))
            } else if left.isMissing || right.isMissing {
              result = .success(.missing)
            } else {
              result = .success(.boolean(!decisive))
            }
          }
        }
      }
    case .named:
      result = evaluate(node.children[0], nodes, record)
    case .defined:
      if cachedFor != record.provenance {
        defineCache.removeAll(keepingCapacity: true)
        cachedFor = record.provenance
      }
      let number = structures.number(of: index, in: nodes)
      if let cached = defineCache[number] {
        result = .success(cached)
      } else {
        result = evaluate(node.children[0], nodes, record)
        if case .success(let value) = result { defineCache[number] = value }
      }
    case .aggregate(let slot):
      result = .success(slot < context.aggregates.count ? context.aggregates[slot] : .missing)
    case .recordKind:
      result = .success(.string(record.kind.rawValue))
    case .asOf:
      result = .success(context.asOf)
    case .windowKey:
      result = .success(context.window)
    case .deadline:
      result = .success(context.deadline)
    case .inReferenceList(let parameter, let negated):
      switch evaluate(node.children[0], nodes, record) {
      case .failure(let failure): result = .failure(failure)
      case .success(.string(let key)):
        if case .set(let entries) = ruleSet.parameters[parameter].definition {
          let found = entries.contains(key)
          result = .success(.boolean(negated ? !found : found))
        } else {
          result = .success(.missing)
        }
      case .success:
        result = .success(.missing)
      }
    case .conditional:
      switch evaluate(node.children[0], nodes, record) {
      case .failure(let failure): result = .failure(failure)
      case .success(.boolean(true)): result = evaluate(node.children[1], nodes, record)
      case .success(.boolean(false)): result = evaluate(node.children[2], nodes, record)
      case .success: result = .success(.missing)
      }
    case .coalesce:
      switch evaluate(node.children[0], nodes, record) {
      case .failure(let failure): result = .failure(failure)
      case .success(let left):
        result = left.isMissing ? evaluate(node.children[1], nodes, record) : .success(left)
      }
    default:
      var arguments: [Value] = []
      arguments.reserveCapacity(node.children.count)
      var failure: EvaluationFailure?
      for child in node.children {
        switch evaluate(child, nodes, record) {
        case .success(let value): arguments.append(value)
        case .failure(let f): failure = f
        }
        if failure != nil { break }
      }
      if let failure {
        result = .failure(failure)
      } else if case .call(let builtin) = node.op, builtin.answersMissing,
        readsUnavailableField(node, nodes, record)
      {
        // blank, present, missing: on a field the format does not have, "blank" cannot be
        // told from "not reported", so they do not answer.
        result = .success(.missing)
      } else {
        result = Semantics.apply(node.op, arguments)
      }
    }
    if tracing, case .success(let value) = result { scratch[index] = value }
    return result
  }

  /// Whether a node's first operand is a field the record's format does not have.
  private func readsUnavailableField(_ node: ExprNode, _ nodes: [ExprNode], _ record: Record)
    -> Bool
  {
    guard let child = node.children.first, case .field(let field) = nodes[child].op else {
      return false
    }
    return record.unavailable.contains(field)
  }

  /// The text of a template with each hole's value; a missing value reads "missing".
  ///
  /// With a personal-data policy, a hole computed from a name shows the donor's
  /// pseudonym, and one computed from an address "[withheld]".
  public mutating func render(
    _ template: CompiledTemplate, on record: Record,
    context: EvaluationContext = EvaluationContext(),
    withholding policy: PersonalDataPolicy? = nil
  ) -> String {
    // The text is gathered as bytes in a buffer kept from one message to the next, and
    // made a String once: appended to a String, each part cost some 350 instructions.
    rendered.removeAll(keepingCapacity: true)
    func append(_ text: String) {
      var text = text
      text.withUTF8 { rendered.append(contentsOf: $0) }
    }
    // Without a trace (nothing withheld, no observer), each hole is evaluated in the
    // context set once for the whole message (`value` set it for each hole).
    let plain = policy == nil && traceObserver == nil
    if plain {
      self.context = context
      tracing = false
    }
    for part in template.parts {
      switch part {
      case .text(let text): append(text)
      case .hole(let program):
        // A trace only where personal data is withheld (what the hole shows is then read
        // from the redacted trace): a trace for every hole of every finding's message and
        // remedy was most of their cost. (`value` still gives an observer its trace.)
        guard let policy else {
          let result =
            plain
            ? evaluate(program.root, program.nodes, record)
            : value(program, on: record, context: context)
          switch result {
          case .success(let value): append(value.plainText)
          case .failure(let failure): append("(\(failure.message))")
          }
          continue
        }
        let (result, trace) = evaluate(program, on: record, context: context)
        switch result {
        case .success(let value):
          let shown = redacted(trace, policy, record: record).values[program.root] ?? value
          append(shown.plainText)
        case .failure(let failure): append("(\(failure.message))")
        }
      }
    }
    return String(decoding: rendered, as: UTF8.self)
  }
}

extension Operation {
  fileprivate var isAnd: Bool {
    if case .and = self { return true }
    return false
  }
}
