import ProbityCore
import ProbityLanguage

/// One line of an explanation: a part of a condition with the values it took, read off
/// the evaluation trace (never assembled while evaluating).
///
///     total = $3,600.00 > individual_limit[2024] = $3,300.00      → true
public struct ExplanationLine: Sendable, Equatable {
  /// Nesting under `and` / `or`.
  public let depth: Int
  /// The part with its values.
  public let text: String
  /// What the part came to: true, false, missing; nil when it was not evaluated (the
  /// other side of a short-circuited `and` / `or`).
  public let outcome: Value?
}

/// Builds explanations from traces.
public enum Explainer {
  /// The condition as a list of lines: a chain of `and` (or of `or`) becomes one line per
  /// operand, each annotated with the values of the fields, parameters and aggregates it
  /// read.
  public static func explain(_ trace: Trace) -> [ExplanationLine] {
    var lines: [ExplanationLine] = []
    describe(trace.program.root, trace, depth: 0, into: &lines)
    return lines
  }

  static func describe(
    _ index: Int, _ trace: Trace, depth: Int, into lines: inout [ExplanationLine]
  ) {
    let node = trace.program.nodes[index]
    switch node.op {
    case .and, .or:
      let isAnd: Bool = if case .and = node.op { true } else { false }
      var operands: [Int] = []
      flatten(index, trace.program, isAnd: isAnd, into: &operands)
      lines.append(
        ExplanationLine(
          depth: depth, text: isAnd ? "all of:" : "any of:", outcome: trace.values[index]))
      for operand in operands { describe(operand, trace, depth: depth + 1, into: &lines) }
    default:
      // A part that was never evaluated is shown as written.
      let text = trace.values[index] == nil ? node.oneLineText : annotate(index, trace, top: true)
      lines.append(ExplanationLine(depth: depth, text: text, outcome: trace.values[index]))
    }
  }

  /// The operands of a chain of the same operator: `a and b and c` gives a, b, c.
  static func flatten(_ index: Int, _ program: ExprProgram, isAnd: Bool, into operands: inout [Int])
  {
    let node = program.nodes[index]
    let same: Bool =
      switch node.op {
      case .and: isAnd
      case .or: !isAnd
      default: false
      }
    guard same else {
      operands.append(index)
      return
    }
    for child in node.children { flatten(child, program, isAnd: isAnd, into: &operands) }
  }

  /// A node's text with the values of what it read: comparisons show both sides, names
  /// show `name = value`, literals show themselves.
  static func annotate(_ index: Int, _ trace: Trace, top: Bool = false) -> String {
    let node = trace.program.nodes[index]
    let value = trace.values[index]
    func valued(_ name: String) -> String {
      guard let value else { return "\(name) (not evaluated)" }
      return "\(name) = \(value)"
    }
    switch node.op {
    case .constant, .list:
      return node.oneLineText
    case .compare(let op):
      return
        "\(annotate(node.children[0], trace)) \(op.rawValue) \(annotate(node.children[1], trace))"
    case .member(let negated):
      return
        "\(annotate(node.children[0], trace)) \(negated ? "not in" : "in") \(annotate(node.children[1], trace))"
    case .inReferenceList(let parameter, let negated):
      let list =
        trace.program.nodes[index].oneLineText.split(separator: " ").last.map(String.init)
        ?? "list \(parameter)"
      return "\(annotate(node.children[0], trace)) \(negated ? "not in" : "in") \(list)"
    case .not:
      return top ? "not (\(annotate(node.children[0], trace)))" : valued(node.oneLineText)
    case .lookup:
      let base = String(node.oneLineText.prefix { $0 != "[" }).trimmingWhitespace()
      if let key = trace.values[node.children[0]] { return valued("\(base)[\(key.plainText)]") }
      return valued(node.oneLineText)
    case .named(let name), .defined(let name):
      // A let that names a table entry, a parameter or an aggregate shows what it names.
      let child = node.children[0]
      switch trace.program.nodes[child].op {
      case .lookup, .parameter, .aggregate: return "\(name) = \(annotate(child, trace))"
      default: return valued(name)
      }
    case .and, .or:
      return valued("(\(node.oneLineText))")
    default:
      return valued(node.oneLineText)
    }
  }

  /// The explanation as text, one line per part, indented, with the outcome after an
  /// arrow: `→ true`, `→ false`, `→ missing`, `→ not evaluated`.
  public static func text(_ lines: [ExplanationLine], indent: String = "") -> [String] {
    lines.map { line in
      let outcome = line.outcome.map { $0.description } ?? "not evaluated"
      return indent + String(repeating: "  ", count: line.depth) + line.text + "  → " + outcome
    }
  }
}
