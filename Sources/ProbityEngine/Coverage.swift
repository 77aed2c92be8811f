import ProbityCore
import ProbityLanguage

/// Receives the trace of every expression an evaluator evaluates (set with
/// `CheckRun.observeTraces`). Used by `probity test` to measure condition coverage.
public protocol TraceObserver: AnyObject {
  func observe(_ trace: Trace)
}

extension CheckRun {
  /// Gives every trace of this run's evaluations (conditions, `where`, group keys,
  /// template holes) to `observer` as well.
  public mutating func observeTraces(_ observer: TraceObserver) {
    evaluator.traceObserver = observer
  }
}

/// The outcomes a boolean part of a condition took.
public struct Outcomes: OptionSet, Sendable, Hashable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static let isTrue = Outcomes(rawValue: 1)
  public static let isFalse = Outcomes(rawValue: 2)
  public static let isMissing = Outcomes(rawValue: 4)

  /// "true false missing", as far as taken; "never evaluated" when none.
  public var text: String {
    var parts: [String] = []
    if contains(.isTrue) { parts.append("true") }
    if contains(.isFalse) { parts.append("false") }
    if contains(.isMissing) { parts.append("missing") }
    return parts.isEmpty ? "never evaluated" : parts.joined(separator: " ")
  }
}

/// One boolean part of a rule's `where` or `when`, and the outcomes it took.
public struct ConditionPart: Sendable {
  /// "where" or "when".
  public let clause: String
  public let text: String
  public let file: String
  public let line: Int
  public let column: Int
  public let outcomes: Outcomes

  /// Whether it took both true and false (a branch taken each way).
  public var isCovered: Bool { outcomes.isSuperset(of: [.isTrue, .isFalse]) }
}

/// Condition coverage of one rule.
public struct RuleCoverage: Sendable {
  public let ruleID: String
  public let parts: [ConditionPart]

  /// Outcomes taken of the 2 × parts possible true and false outcomes.
  public var branchesTaken: Int {
    parts.reduce(0) {
      $0 + ($1.outcomes.contains(.isTrue) ? 1 : 0) + ($1.outcomes.contains(.isFalse) ? 1 : 0)
    }
  }
  public var branches: Int { parts.count * 2 }
}

/// Records which of true, false and missing every boolean part of every rule's `where`
/// and `when` took, over all the traces it observes. Parts are the condition itself,
/// `and`, `or`, `not`, comparisons, `in`, and calls that give a boolean; a `let` is
/// counted where it is written, once, whatever the number of its uses; a `define` (a
/// value shared by rules) is one part where it is used.
public final class ConditionCoverage: TraceObserver {
  private struct ProgramKey: Hashable {
    let file: String
    let start: Int
    let end: Int
  }

  /// Outcomes by program, by node.
  private var outcomes: [ProgramKey: [Outcomes]] = [:]

  public init() {}

  private static func key(_ program: ExprProgram) -> ProgramKey {
    let root = program.nodes[program.root].range
    return ProgramKey(file: program.file, start: root.start, end: root.end)
  }

  public func observe(_ trace: Trace) {
    let key = ConditionCoverage.key(trace.program)
    var seen =
      outcomes[key] ?? Array(repeating: Outcomes(), count: trace.program.nodes.count)
    guard seen.count == trace.values.count else { return }
    for (index, value) in trace.values.enumerated() {
      switch value {
      case .some(.boolean(true)): seen[index].insert(.isTrue)
      case .some(.boolean(false)): seen[index].insert(.isFalse)
      case .some(.missing): seen[index].insert(.isMissing)
      default: break
      }
    }
    outcomes[key] = seen
  }

  /// Whether a node is a boolean part worth reporting (`shared`: a `define` used here).
  static func isPart(_ node: ExprNode, root: Bool, shared: Bool) -> Bool {
    guard node.type == .boolean else { return false }
    if root || shared { return true }
    switch node.op {
    case .and, .or, .not, .compare, .member, .inReferenceList, .call: return true
    default: return false
    }
  }

  /// The `define`s a program uses, and the nodes inside them. A `define` is a value
  /// shared by rules: it is one part where it is used, its own parts are not the rule's
  /// (a run evaluates them once a record, for the first rule that needs them, wherever
  /// the `define` is written: in the rule's own file or another).
  static func shared(_ program: ExprProgram) -> (uses: Set<Int>, inside: Set<Int>) {
    var uses: Set<Int> = []
    var inside: Set<Int> = []
    // Parents follow their children in the array: walk down from the root.
    for index in program.nodes.indices.reversed() {
      let node = program.nodes[index]
      if inside.contains(index) {
        inside.formUnion(node.children)
      } else if case .defined = node.op {
        uses.insert(index)
        inside.formUnion(node.children)
      }
    }
    return (uses, inside)
  }

  /// The coverage of every rule of the set, in pack order.
  public func report(for ruleSet: CompiledRuleSet) -> [RuleCoverage] {
    let files = Dictionary(
      ruleSet.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    return ruleSet.rules.map { rule in
      var parts: [ConditionPart] = []
      for (clause, program) in [("where", rule.filter), ("when", rule.condition)] {
        guard let program else { continue }
        let seen = outcomes[ConditionCoverage.key(program)]
        let defines = ConditionCoverage.shared(program)
        // Nodes of one source range (a `let` used twice) are one part.
        var merged: [SourceRange: (root: Bool, text: String, outcomes: Outcomes)] = [:]
        for (index, node) in program.nodes.enumerated()
        where !defines.inside.contains(index)
          && ConditionCoverage.isPart(
            node, root: index == program.root, shared: defines.uses.contains(index))
        {
          let taken = seen.map { $0[index] } ?? []
          let isRoot = index == program.root
          if let existing = merged[node.range] {
            merged[node.range] = (
              existing.root || isRoot, existing.text, existing.outcomes.union(taken)
            )
          } else {
            merged[node.range] = (isRoot, node.oneLineText, taken)
          }
        }
        // The whole condition first, then its parts in source order.
        let ordered = merged.sorted { a, b in
          if a.value.root != b.value.root { return a.value.root }
          if a.key.start != b.key.start { return a.key.start < b.key.start }
          return a.key.end > b.key.end
        }
        for (range, part) in ordered {
          let position = files[program.file]?.lineAndColumn(of: range.start) ?? (line: 0, column: 0)
          parts.append(
            ConditionPart(
              clause: clause, text: part.text, file: program.file, line: position.line,
              column: position.column, outcomes: part.outcomes))
        }
      }
      return RuleCoverage(ruleID: rule.id, parts: parts)
    }
  }
}
