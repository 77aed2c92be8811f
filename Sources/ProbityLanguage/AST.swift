import ProbityCore

/// The syntax tree of one rules file. Every node carries its source range.
public struct FileSyntax: Sendable {
  public let source: SourceFile
  public var imports: [ImportDecl] = []
  public var params: [ParamDecl] = []
  public var rules: [RuleDecl] = []
  public var lists: [ListDecl] = []
  public var defines: [DefineDecl] = []
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
  /// Records a rule considers; others are "not applicable" to it.
  public var filter: Expr?
  /// Group keys of a rule across records.
  public var groupBy: [Expr] = []
  public var groupRange: SourceRange?
  public var window: WindowDecl?
  public var cureDays: Located<Int>?
  /// `due within N days`: the remedy's deadline, counted from the record's date.
  public var dueDays: Located<Int>?
  /// `let NAME = EXPR`: names for parts of the rule, in order.
  public var lets: [LetDecl] = []
  public var fires: Located<FireMode>?
  public var range: SourceRange
}

/// `define contribution = ...` at the top of a file: an expression over a record, named
/// once and used by the file's rules and by the files that import it.
public struct DefineDecl: Sendable {
  public let name: String
  public let nameRange: SourceRange
  public let value: Expr
}

/// `let total = sum(amount)` inside a rule.
public struct LetDecl: Sendable {
  public let name: String
  public let nameRange: SourceRange
  public let value: Expr
}

/// When a grouped rule reports: on the record whose arrival makes its condition true
/// (judged after netting, at the end of the input), or on every record on which it holds.
public enum FireMode: String, Sendable {
  case crossing
  case each
}

/// The time window of a grouped rule: one more part of its group key.
public struct WindowDecl: Sendable {
  public enum Kind: Sendable, Equatable {
    case calendarYear
    case quarter
    /// The two-year federal election cycle, named by its even year.
    case cycle
    /// The election designation (P2024, G2024, ...); undesignated records form a group
    /// of their own per cycle.
    case election
    case rolling(days: Int)
  }

  public let kind: Kind
  /// The date the window is taken on (default: the `date` field).
  public let on: Expr?
  public let range: SourceRange
}

/// `list NAME from "file.csv" column "col" key FUNCTION`: a reference list loaded once
/// when the pack is compiled.
public struct ListDecl: Sendable {
  public let name: String
  public let nameRange: SourceRange
  public let path: Located<String>
  public let column: Located<String>
  public let key: Located<String>?
  public let range: SourceRange
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
  case conditional(Expr, then: Expr, else: Expr)
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
