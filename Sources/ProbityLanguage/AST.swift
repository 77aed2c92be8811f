import ProbityCore

/// The syntax tree of one rules file. Every node carries its source range.
public struct FileSyntax: Sendable {
  public let source: SourceFile
  public var imports: [ImportDecl] = []
  public var params: [ParamDecl] = []
  public var rules: [RuleDecl] = []
}

public struct ImportDecl: Sendable {
  public let path: String
  public let range: SourceRange
}

public enum TableKey: String, Sendable {
  case year
  case date
}

public struct ParamDecl: Sendable {
  public enum Body: Sendable {
    case scalar(Expr)
    case table(by: TableKey, entries: [TableEntry])
  }

  public let name: String
  public let nameRange: SourceRange
  public let type: ValueType?
  public let typeRange: SourceRange
  public let body: Body
  public let range: SourceRange
}

public struct TableEntry: Sendable {
  public enum Key: Sendable, Equatable {
    /// Election or calendar years, both ends included.
    case years(Int64, Int64)
    /// From a date (included) to a date (included), or open-ended.
    case dates(from: CivilDate, through: CivilDate?)
  }

  public let key: Key
  public let keyRange: SourceRange
  public let value: Expr
}

public struct Located<T: Sendable>: Sendable {
  public let value: T
  public let range: SourceRange
}

public struct RuleDecl: Sendable {
  public let id: String
  public let idRange: SourceRange
  public var title: Located<String>?
  public var severity: Located<FindingSeverity>?
  public var category: Located<FindingCategory>?
  public var citation: Located<String>?
  public var kinds: Located<[RecordKind]>?
  public var condition: Expr?
  public var message: Template?
  public var remedy: Template?
  public var range: SourceRange
}

/// A message with `{expression}` holes.
public struct Template: Sendable {
  public enum Part: Sendable {
    case text(String)
    case hole(Expr)
  }

  public let parts: [Part]
  public let range: SourceRange
}

public enum UnaryOperator: String, Sendable {
  case negate = "-"
  case not = "not"
}

public enum BinaryOperator: String, Sendable {
  case or, and
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  case `in`
  case notIn = "not in"
  case coalesce = "??"
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
}

public indirect enum ExprKind: Sendable {
  case literal(Value)
  case name(String)
  case call(function: String, nameRange: SourceRange, arguments: [Expr])
  case index(base: Expr, key: Expr)
  case unary(UnaryOperator, Expr)
  case binary(BinaryOperator, Expr, Expr)
  case list([Expr])
  case parenthesized(Expr)
  /// Where the parser could not make sense of the input; a diagnostic was given.
  case error
}

public struct Expr: Sendable {
  public let kind: ExprKind
  public let range: SourceRange

  public init(_ kind: ExprKind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}
