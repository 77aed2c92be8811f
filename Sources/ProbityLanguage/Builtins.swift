import ProbityCore

/// The functions of the rule language. docs/language.md documents each.
public enum Builtin: Sendable {
  case upper, lower, trim, length
  case startsWith, endsWith, contains
  case matches(CompiledRegex)
  case year, month, daysBetween, addDays
  case present, isMissing, blank
  case abs
  case electionYear
  case cycle, quarter
  case personKey, orgKey, zip5, postcode
  case text

  /// Name, parameter types (nil: any type) and result type, for the checker and docs.
  public struct Signature: Sendable {
    public let name: String
    public let parameters: [ValueType?]
    public let result: ValueType
    public let summary: String
    /// Whether the function answers for missing arguments instead of passing missing on.
    public let totalOnMissing: Bool
  }

  public static let signatures: [Signature] = [
    Signature(
      name: "upper", parameters: [.string], result: .string, summary: "the string in upper case",
      totalOnMissing: false),
    Signature(
      name: "lower", parameters: [.string], result: .string, summary: "the string in lower case",
      totalOnMissing: false),
    Signature(
      name: "trim", parameters: [.string], result: .string,
      summary: "the string without leading and trailing white space", totalOnMissing: false),
    Signature(
      name: "length", parameters: [.string], result: .integer, summary: "the number of characters",
      totalOnMissing: false),
    Signature(
      name: "starts_with", parameters: [.string, .string], result: .boolean,
      summary: "whether the first string starts with the second", totalOnMissing: false),
    Signature(
      name: "ends_with", parameters: [.string, .string], result: .boolean,
      summary: "whether the first string ends with the second", totalOnMissing: false),
    Signature(
      name: "contains", parameters: [.string, .string], result: .boolean,
      summary: "whether the first string contains the second", totalOnMissing: false),
    Signature(
      name: "matches", parameters: [.string, .string], result: .boolean,
      summary:
        "whether the regular expression (a string literal) matches anywhere in the string; anchor it with ^ and $",
      totalOnMissing: false),
    Signature(
      name: "year", parameters: [.date], result: .integer, summary: "the year of a date",
      totalOnMissing: false),
    Signature(
      name: "month", parameters: [.date], result: .integer, summary: "the month of a date, 1 to 12",
      totalOnMissing: false),
    Signature(
      name: "days_between", parameters: [.date, .date], result: .integer,
      summary: "days from the first date to the second (negative when the second is earlier)",
      totalOnMissing: false),
    Signature(
      name: "add_days", parameters: [.date, .integer], result: .date,
      summary: "the date a number of days later (earlier when negative)", totalOnMissing: false),
    Signature(
      name: "present", parameters: [nil], result: .boolean,
      summary: "true when the value is not missing; never missing itself", totalOnMissing: true),
    Signature(
      name: "missing", parameters: [nil], result: .boolean,
      summary: "true when the value is missing; never missing itself", totalOnMissing: true),
    Signature(
      name: "blank", parameters: [.string], result: .boolean,
      summary: "true when the string is missing or only white space; never missing itself",
      totalOnMissing: true),
    Signature(
      name: "abs", parameters: [.money], result: .money, summary: "the amount without its sign",
      totalOnMissing: false),
    Signature(
      name: "election_year", parameters: [.string], result: .integer,
      summary:
        "the year of an FEC election designation (P2024 gives 2024); missing when the designation is malformed",
      totalOnMissing: false),
    Signature(
      name: "cycle", parameters: [.date], result: .integer,
      summary:
        "the two-year federal election cycle of a date, named by its even year (2023-05-01 gives 2024)",
      totalOnMissing: false),
    Signature(
      name: "quarter", parameters: [.date], result: .integer,
      summary: "the calendar quarter of a date, 1 to 4",
      totalOnMissing: false),
    Signature(
      name: "person_key", parameters: [.string], result: .string,
      summary:
        "a person's name normalized for grouping: \"SMITH, JOHN A.\", \"John A Smith\" and \"JOHN SMITH\" all give \"SMITH JOHN\"; a generational suffix is kept (\"SMITH JOHN JR\")",
      totalOnMissing: false),
    Signature(
      name: "org_key", parameters: [.string], result: .string,
      summary:
        "an organisation's name normalized for grouping: upper case, no punctuation, no leading THE, legal forms in one spelling (INCORPORATED gives INC)",
      totalOnMissing: false),
    Signature(
      name: "zip5", parameters: [.string], result: .string,
      summary: "the first five digits of a US ZIP code; missing when there are fewer than five",
      totalOnMissing: false),
    Signature(
      name: "postcode", parameters: [.string], result: .string,
      summary:
        "a UK postcode in upper case with one space before the inward code (sw1a1aa gives SW1A 1AA)",
      totalOnMissing: false),
    Signature(
      name: "text", parameters: [nil], result: .string,
      summary: "the value written as text, as in a message",
      totalOnMissing: false),
  ]

  public static func signature(named name: String) -> Signature? {
    signatures.first { $0.name == name }
  }

  public var name: String {
    switch self {
    case .upper: return "upper"
    case .lower: return "lower"
    case .trim: return "trim"
    case .length: return "length"
    case .startsWith: return "starts_with"
    case .endsWith: return "ends_with"
    case .contains: return "contains"
    case .matches: return "matches"
    case .year: return "year"
    case .month: return "month"
    case .daysBetween: return "days_between"
    case .addDays: return "add_days"
    case .present: return "present"
    case .isMissing: return "missing"
    case .blank: return "blank"
    case .abs: return "abs"
    case .electionYear: return "election_year"
    case .cycle: return "cycle"
    case .quarter: return "quarter"
    case .personKey: return "person_key"
    case .orgKey: return "org_key"
    case .zip5: return "zip5"
    case .postcode: return "postcode"
    case .text: return "text"
    }
  }

  /// `present`, `missing` and `blank`: the functions that answer even for a missing value.
  public var answersMissing: Bool {
    switch self {
    case .present, .isMissing, .blank: return true
    default: return false
    }
  }

  /// The builtin for a name; `matches` is made by the checker with its regex.
  static func simple(named name: String) -> Builtin? {
    switch name {
    case "upper": return .upper
    case "lower": return .lower
    case "trim": return .trim
    case "length": return .length
    case "starts_with": return .startsWith
    case "ends_with": return .endsWith
    case "contains": return .contains
    case "year": return .year
    case "month": return .month
    case "days_between": return .daysBetween
    case "add_days": return .addDays
    case "present": return .present
    case "missing": return .isMissing
    case "blank": return .blank
    case "abs": return .abs
    case "election_year": return .electionYear
    case "cycle": return .cycle
    case "quarter": return .quarter
    case "person_key": return .personKey
    case "org_key": return .orgKey
    case "zip5": return .zip5
    case "postcode": return .postcode
    case "text": return .text
    default: return nil
    }
  }
}

/// Why an expression could not be evaluated on a record. Not the same as missing: an
/// evaluation failure is reported, never taken as true or false.
public struct EvaluationFailure: Error, Sendable, Equatable {
  public let message: String

  public init(message: String) { self.message = message }
}

/// The meaning of each operation on values: shared by the engine and by the checker's
/// constant folding, so that a parameter's value and a record's value are computed by
/// the same code.
public enum Semantics {
  /// Applies a strict operation (one that is missing when any operand is missing).
  public static func apply(_ op: Operation, _ args: [Value]) -> Result<Value, EvaluationFailure> {
    if case .list = op { return .success(.list(args)) }
    return apply(op, args.first ?? .missing, args.count > 1 ? args[1] : .missing, count: args.count)
  }

  /// The same for operations of one or two operands, without an array (the evaluator's
  /// hot path).
  public static func apply(_ op: Operation, _ a: Value, _ b: Value, count: Int) -> Result<
    Value, EvaluationFailure
  > {
    switch op {
    case .not:
      if case .boolean(let x) = a { return .success(.boolean(!x)) }
      return .success(.missing)
    case .negate:
      switch a {
      case .integer(let i):
        return i == .min
          ? .failure(EvaluationFailure(message: "integer overflow")) : .success(.integer(-i))
      case .money(let m): return money(m.negated())
      default: return .success(.missing)
      }
    case .compare(let comparison):
      if let mismatch = currencyCheck(a, b) { return .failure(mismatch) }
      return .success(compare(comparison, a, b))
    case .member(let negated):
      // As `==` with each item, joined by `or`: found among the present items, true; else
      // missing if an item is missing (`x in [employer, "check"]` without an employer
      // cannot be told); an amount against another currency's is an evaluation error (it
      // was a silent "not in").
      guard !a.isMissing, case .list(let items) = b else { return .success(.missing) }
      var unknown = false
      for item in items {
        if item.isMissing {
          unknown = true
          continue
        }
        if let mismatch = currencyCheck(a, item) { return .failure(mismatch) }
        if item == a { return .success(.boolean(!negated)) }
      }
      return .success(unknown ? .missing : .boolean(negated))
    case .arithmetic(let arithmetic):
      return arithmeticResult(arithmetic, a, b)
    case .list:
      return .success(.list(Array([a, b].prefix(count))))
    case .call(let builtin):
      return call(builtin, a, b, count: count)
    case .constant(let v):
      return .success(v)
    case .field, .parameter, .lookup, .and, .or, .coalesce, .conditional, .aggregate, .recordKind,
      .asOf, .windowKey,
      .deadline, .inReferenceList, .named, .defined:
      return .failure(EvaluationFailure(message: "internal: \(op) is not a strict operation"))
    }
  }

  private static func money(_ result: Result<Money, MoneyError>) -> Result<Value, EvaluationFailure>
  {
    switch result {
    case .success(let m): return .success(.money(m))
    case .failure(let e): return .failure(EvaluationFailure(message: e.description))
    }
  }

  static func compare(_ op: ComparisonOperator, _ a: Value, _ b: Value) -> Value {
    let order: Int?
    switch (a, b) {
    case (.missing, _), (_, .missing): return .missing
    case (.integer(let x), .integer(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
    case (.money(let x), .money(let y)):
      guard let o = x.compare(y) else { return .missing }
      order = o
    case (.date(let x), .date(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
    case (.string(let x), .string(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
    case (.boolean(let x), .boolean(let y)): order = x == y ? 0 : (x ? 1 : -1)
    default: order = a == b ? 0 : nil
    }
    guard let order else { return .missing }
    return .boolean(op.holds(order: order))
  }

  /// Currency mismatch between two amounts is a failure, not missing: a rule must not
  /// quietly pass because a filing is in another currency than its limits.
  static func currencyCheck(_ a: Value, _ b: Value) -> EvaluationFailure? {
    if case .money(let x) = a, case .money(let y) = b, x.currency != y.currency {
      return EvaluationFailure(
        message: "cannot compare or combine \(x.currency) and \(y.currency) amounts (\(x) and \(y))"
      )
    }
    return nil
  }

  private static func arithmeticResult(_ op: ArithmeticOperator, _ a: Value, _ b: Value) -> Result<
    Value, EvaluationFailure
  > {
    switch (op, a, b) {
    case (_, .missing, _), (_, _, .missing): return .success(.missing)
    case (.add, .money(let x), .money(let y)): return money(x.adding(y))
    case (.subtract, .money(let x), .money(let y)): return money(x.subtracting(y))
    case (.multiply, .money(let x), .integer(let n)), (.multiply, .integer(let n), .money(let x)):
      return money(x.multiplied(by: n))
    case (.add, .integer(let x), .integer(let y)): return integer(x.addingReportingOverflow(y))
    case (.add, .string(let x), .string(let y)): return .success(.string(x + y))
    case (.subtract, .integer(let x), .integer(let y)):
      return integer(x.subtractingReportingOverflow(y))
    case (.multiply, .integer(let x), .integer(let y)):
      return integer(x.multipliedReportingOverflow(by: y))
    default:
      return .failure(EvaluationFailure(message: "cannot apply \(op.rawValue) to \(a) and \(b)"))
    }
  }

  private static func integer(_ r: (partialValue: Int64, overflow: Bool)) -> Result<
    Value, EvaluationFailure
  > {
    r.overflow
      ? .failure(EvaluationFailure(message: "integer overflow"))
      : .success(.integer(r.partialValue))
  }

  private static func call(_ builtin: Builtin, _ a: Value, _ b: Value, count: Int) -> Result<
    Value, EvaluationFailure
  > {
    switch builtin {
    case .present: return .success(.boolean(!a.isMissing))
    case .isMissing: return .success(.boolean(a.isMissing))
    case .blank:
      if case .string(let s) = a { return .success(.boolean(isBlank(s))) }
      return .success(.boolean(true))
    default:
      break
    }
    if a.isMissing || (count > 1 && b.isMissing) { return .success(.missing) }
    if let value = unary(builtin, a) { return .success(value) }
    switch (builtin, a) {
    case (.upper, .string(let s)):
      return .success(.string(s.mayChangeCase(lettersIn: 0x61...0x7A) ? s.uppercased() : s))
    case (.lower, .string(let s)):
      return .success(.string(s.mayChangeCase(lettersIn: 0x41...0x5A) ? s.lowercased() : s))
    case (.trim, .string(let s)): return .success(.string(s.trimmingWhitespace()))
    case (.length, .string(let s)): return .success(.integer(Int64(s.count)))
    case (.startsWith, .string(let s)):
      if case .string(let p) = b { return .success(.boolean(s.hasPrefix(p))) }
    case (.endsWith, .string(let s)):
      if case .string(let p) = b { return .success(.boolean(s.hasSuffix(p))) }
    case (.contains, .string(let s)):
      if case .string(let p) = b { return .success(.boolean(p.isEmpty || s.contains(p))) }
    case (.matches(let regex), .string(let s)): return .success(.boolean(regex.matches(s)))
    case (.daysBetween, .date(let d1)):
      if case .date(let d2) = b {
        return .success(.integer(Int64(d2.dayNumber - d1.dayNumber)))
      }
    case (.addDays, .date(let d)):
      if case .integer(let n) = b, n.magnitude < 3_650_000,
        let result = d.adding(days: Int(n))
      {
        return .success(.date(result))
      }
      return .failure(EvaluationFailure(message: "date out of range"))
    case (.abs, .money(let m)): return m.isNegative ? money(m.negated()) : .success(.money(m))
    case (.personKey, .string(let s)):
      return .success(DonorIdentity.personKey(s).map { .string($0) } ?? .missing)
    case (.orgKey, .string(let s)):
      return .success(DonorIdentity.organizationKey(s).map { .string($0) } ?? .missing)
    case (.postcode, .string(let s)):
      return .success(DonorIdentity.postcode(s).map { .string($0) } ?? .missing)
    case (.text, let value): return .success(.string(value.plainText))
    default:
      break
    }
    return .failure(EvaluationFailure(message: "internal: \(builtin.name) applied to \(a), \(b)"))
  }

  /// The value of a function of one argument that cannot fail (the parts of a date, a
  /// ZIP code's first five digits, an election's year) on a value of its argument's type;
  /// nil for any other function or value, which `apply` answers. Kernels call it
  /// directly, without `apply`'s `Result`; `apply` answers these through it.
  public static func unary(_ builtin: Builtin, _ a: Value) -> Value? {
    // (`hasUnary` names the same functions.)
    switch (builtin, a) {
    case (.year, .date(let d)): return .integer(Int64(d.year))
    case (.month, .date(let d)): return .integer(Int64(d.month))
    case (.cycle, .date(let d)): return .integer(Int64(d.year + d.year % 2))
    case (.quarter, .date(let d)): return .integer(Int64((d.month - 1) / 3 + 1))
    case (.electionYear, .string(let s)): return electionYear(s).map { .integer($0) } ?? .missing
    case (.zip5, .string(let s)): return DonorIdentity.zip5(s).map { .string($0) } ?? .missing
    default: return nil
    }
  }

  /// Whether `unary` answers for this function (on a value of its argument's type).
  public static func hasUnary(_ builtin: Builtin) -> Bool {
    switch builtin {
    case .year, .month, .cycle, .quarter, .electionYear, .zip5: return true
    default: return false
    }
  }

  /// Whether every character of `s` is white space (`Character.isWhitespace`), read
  /// byte by byte while the text is ASCII: U+0009 to U+000D and the space are its white
  /// space, and a character that starts with another ASCII byte is not white space.
  public static func isBlank(_ s: String) -> Bool {
    isBlankASCII(s) ?? s.allSatisfy(\.isWhitespace)
  }

  /// `isBlank` decided on the bytes while they are ASCII; nil for a text with another
  /// byte (or no contiguous bytes), which only `isBlank` answers. On the contiguous
  /// bytes: the UTF-8 view's iterator cost more than the test, which most texts answer
  /// at their first byte. Inlinable, so that a kernel that reads the text where a record
  /// holds it calls it without retaining the text (a call into this module retained and
  /// released it around the call, and again inside it).
  @inlinable @inline(__always)
  public static func isBlankASCII(_ s: String) -> Bool? {
    let answer = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
      for byte in bytes {
        if byte >= 0x80 { return nil }
        if byte != 0x20 && !(0x09...0x0D).contains(byte) { return false }
      }
      return true
    }
    return answer ?? nil
  }

  /// The year of a well-formed FEC election designation: one of G P R S C E O, then
  /// four digits.
  static func electionYear(_ code: String) -> Int64? {
    // A letter and four digits, all ASCII: five scalars are then five bytes, and a code
    // with any other scalar is not one. Read on the contiguous bytes (`withUTF8`), with
    // no array made per call (it runs on every designated contribution).
    var code = code
    return code.withUTF8 { bytes -> Int64? in
      guard bytes.count == 5 else { return nil }
      switch bytes[0] {
      case UInt8(ascii: "G"), UInt8(ascii: "P"), UInt8(ascii: "R"), UInt8(ascii: "S"),
        UInt8(ascii: "C"), UInt8(ascii: "E"), UInt8(ascii: "O"):
        break
      default: return nil
      }
      var year: Int64 = 0
      for byte in bytes[1...] {
        guard byte >= 48 && byte <= 57 else { return nil }
        year = year * 10 + Int64(byte - 48)
      }
      return year
    }
  }
}

extension String {
  /// Whether the text may change under a change of case: it has a byte in `bytes` (the
  /// ASCII letters of the other case) or a byte that is not ASCII. A text with neither is
  /// its own `uppercased()` (or `lowercased()`), which then need not make a new one: donor
  /// names are mostly in upper case already.
  func mayChangeCase(lettersIn bytes: ClosedRange<UInt8>) -> Bool {
    var text = self
    return text.withUTF8 { utf8 in
      utf8.contains { bytes.contains($0) || $0 >= 0x80 }
    }
  }

  /// The text without the white-space characters at either end (`trim`).
  public func trimmingWhitespace() -> String {
    // Nothing to trim when the text starts and ends with ASCII that is not white space:
    // a character that starts with such a byte is not white space, and one that ends
    // with it starts with it or with a prepended mark, which is not white space either.
    // The common case, and no grapheme breaking.
    func solid(_ byte: UInt8) -> Bool {
      byte < 0x80 && byte != 0x20 && !(0x09...0x0D).contains(byte)
    }
    if let first = utf8.first, let last = utf8.last, solid(first), solid(last) { return self }
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s = s.dropFirst() }
    while let l = s.last, l.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
