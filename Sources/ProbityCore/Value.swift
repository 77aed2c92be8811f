/// The static types of the rule language and of record fields.
public indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
  case boolean
  case integer
  case money
  case date
  case string
  case list(ValueType)
  /// The element type of an empty list literal: fits any list.
  case nothing

  public var description: String {
    switch self {
    case .boolean: return "boolean"
    case .integer: return "integer"
    case .money: return "money"
    case .date: return "date"
    case .string: return "string"
    case .list(let element): return "list of \(element)"
    case .nothing: return "nothing"
    }
  }

  /// Whether a value of type `self` can stand where `other` is expected.
  public func fits(_ other: ValueType) -> Bool {
    if self == other || self == .nothing { return true }
    if case .list(let a) = self, case .list(let b) = other { return a.fits(b) }
    return false
  }
}

/// A value of a record field, a parameter or an expression.
///
/// `.missing` is a value of every type: an empty cell, an unmapped column, a parameter
/// table with no entry for the date asked. How the rule language treats it is defined in
/// docs/language.md ("Missing values").
public enum Value: Hashable, Sendable, CustomStringConvertible {
  case missing
  case boolean(Bool)
  case integer(Int64)
  case money(Money)
  case date(CivilDate)
  case string(String)
  case list([Value])

  public var isMissing: Bool {
    if case .missing = self { return true }
    return false
  }

  /// The value as a person reads it in a finding: amounts with their symbol, strings
  /// quoted, dates in ISO form, `missing` for a missing value.
  public var description: String {
    switch self {
    case .missing: return "missing"
    case .boolean(let b): return b ? "true" : "false"
    case .integer(let i): return String(i)
    case .money(let m): return m.description
    case .date(let d): return d.description
    case .string(let s): return "\"" + s + "\""
    case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
    }
  }

  /// The text of a string value; nil for any other value.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The value inside a sentence (message templates): like `description`, but strings
  /// are not quoted.
  public var plainText: String {
    if case .string(let s) = self { return s }
    return description
  }
}
