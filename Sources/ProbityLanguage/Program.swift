import ProbityCore

/// The compiled form of a rule pack: immutable, shareable across threads, reusable for
/// any number of filings. Produced by `RulePackCompiler`; evaluated by ProbityEngine.
public struct CompiledRuleSet: Sendable {
  public let rules: [CompiledRule]
  public let parameters: [CompiledParameter]
  /// The rule files, for showing source lines in explanations.
  public let files: [SourceFile]
  private let rulesByKind: [RecordKind: [Int]]

  init(rules: [CompiledRule], parameters: [CompiledParameter], files: [SourceFile]) {
    self.rules = rules
    self.parameters = parameters
    self.files = files
    var byKind: [RecordKind: [Int]] = [:]
    for kind in RecordKind.allCases {
      byKind[kind] = rules.indices.filter { rules[$0].kinds.contains(kind) }
    }
    self.rulesByKind = byKind
  }

  /// Indices into `rules` of the rules that apply to a kind of record, in pack order.
  public func ruleIndices(for kind: RecordKind) -> [Int] { rulesByKind[kind] ?? [] }
}

/// Where a declaration stands in the pack.
public struct DeclarationSite: Sendable, Hashable {
  public let file: String
  public let line: Int
  public let column: Int
}

public struct CompiledRule: Sendable {
  public let id: String
  public let title: String
  public let severity: FindingSeverity
  public let category: FindingCategory
  public let citation: String
  public let kinds: [RecordKind]
  public let condition: ExprProgram
  public let message: CompiledTemplate
  public let remedy: CompiledTemplate?
  public let site: DeclarationSite
}

public struct CompiledTemplate: Sendable {
  public enum Part: Sendable {
    case text(String)
    case hole(ExprProgram)
  }

  public let parts: [Part]
}

public struct CompiledParameter: Sendable {
  public enum Definition: Sendable {
    case scalar(Value)
    /// Entries sorted by first year; no overlaps.
    case byYear([(from: Int64, through: Int64, value: Value)])
    /// Entries sorted by first date; `through` nil means until the next entry or forever.
    case byDate([(from: CivilDate, through: CivilDate?, value: Value)])
  }

  public let name: String
  public let type: ValueType
  public let definition: Definition
  public let site: DeclarationSite

  /// The entry in force for `key` (a year or a date); missing when no entry covers it.
  public func lookup(_ key: Value) -> Value {
    switch (definition, key) {
    case (.scalar(let value), _):
      return value
    case (.byYear(let entries), .integer(let year)):
      return entries.first { $0.from <= year && year <= $0.through }?.value ?? .missing
    case (.byDate(let entries), .date(let date)):
      var found: Value = .missing
      for (index, entry) in entries.enumerated() where entry.from <= date {
        let end =
          entry.through
          ?? (index + 1 < entries.count ? entries[index + 1].from.adding(days: -1) : nil)
        if end == nil || date <= end! { found = entry.value }
      }
      return found
    default:
      return .missing
    }
  }
}

/// One expression, flattened: `nodes[root]` is the whole expression, children are
/// indices into `nodes`. Each node keeps its source text and range, so an evaluation
/// trace (one value per node) can be shown against the source.
public struct ExprProgram: Sendable {
  public let nodes: [ExprNode]
  public let root: Int
  public let file: String
}

public struct ExprNode: Sendable {
  public let op: Operation
  public let children: [Int]
  public let type: ValueType
  public let range: SourceRange
  /// The node's source text, e.g. `amount > cash_limit`.
  public let text: String
}

public enum ComparisonOperator: String, Sendable {
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
}

public enum ArithmeticOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
}

public enum Operation: Sendable {
  case constant(Value)
  case field(FieldID)
  /// A scalar parameter, by index into `CompiledRuleSet.parameters`.
  case parameter(Int)
  /// A table parameter looked up by the value of child 0.
  case lookup(Int)
  case not
  case negate
  case and
  case or
  case coalesce
  case compare(ComparisonOperator)
  /// Child 0 in the list child 1; `negated` for `not in`.
  case member(negated: Bool)
  case arithmetic(ArithmeticOperator)
  case list
  case call(Builtin)
}

/// A compiled regular expression. Regex values are immutable once built.
public final class CompiledRegex: @unchecked Sendable {
  public let pattern: String
  let regex: Regex<AnyRegexOutput>

  init(pattern: String) throws {
    self.pattern = pattern
    self.regex = try Regex(pattern)
  }

  /// True when the pattern matches anywhere in `text` (anchor with ^ and $ for all of it).
  public func matches(_ text: String) -> Bool {
    (try? regex.firstMatch(in: text)) != nil
  }
}
