import ProbityCore

/// How a delimited file's columns, or an XML file's elements, feed the canonical record
/// fields (`CanonicalSchema.fields`). Written as a mapping file (docs/formats.md,
/// "Mapping files") and read with `Mapping.parse(_:)`; `Mapping.canonical` is the bundled
/// mapping of Probity's own CSV layout, `BundledMappings` has the others.
public struct Mapping: Sendable {
  /// The mapping's name (`[file] name`), or the mapping file's base name.
  public let name: String
  /// The path of the mapping file it was parsed from.
  public let path: String
  /// The currency of every money cell.
  public let currency: Currency
  /// Whether line 1 names the columns.
  public let hasHeader: Bool
  /// The field delimiter, one byte.
  public let delimiter: UInt8
  /// The layout of date cells whose parser names none.
  public let dateFormat: DateFormat
  /// What each row is.
  public let kind: KindSource
  /// The mapped fields, in the order the mapping file lists them.
  public let fields: [FieldMapping]
  /// What the mapping reads: delimited text (columns) or XML (element paths).
  public var format: MappingFormat = .csv
  /// The character encoding of a delimited file's cells (XML files declare their own).
  public var encoding: TextEncoding = .utf8
  /// The quote character of a delimited file; nil when fields are never quoted
  /// (`quote = none`: a quote is then an ordinary character).
  public var quote: UInt8? = UInt8(ascii: "\"")
  /// How many fields every row of a file without a header has (`[file] fields`); nil
  /// when not given: a row then needs only the fields up to the highest required column.
  public var fieldCount: Int? = nil

  /// How `field` is filled, or nil when the mapping leaves it missing.
  public func mapping(for field: FieldID) -> FieldMapping? {
    fields.first { $0.field == field }
  }
}

/// What a mapping reads.
public enum MappingFormat: String, Sendable, CaseIterable {
  /// Delimited text, columns by header name or position.
  case csv
  /// XML, fields by element path (docs/formats.md, "XML filings").
  case xml
}

/// A column of the file: by its header name or by its 1-based position.
public enum ColumnReference: Hashable, Sendable, CustomStringConvertible {
  case name(String)
  case position(Int)

  /// `"Contribution Date"` or `#7`.
  public var description: String {
    switch self {
    case .name(let name): return "\"\(name)\""
    case .position(let position): return "#\(position)"
    }
  }
}

/// How a row's kind is decided.
public enum KindSource: Sendable {
  /// Every row is of this kind.
  case constant(RecordKind)
  /// A column says; its values are listed in the mapping.
  case column(KindColumn)
  /// XML: the element paths that are records, each with its kind.
  case elements(ElementKinds)
}

/// What a kind cell says about its row.
public enum KindDecision: Hashable, Sendable {
  case record(RecordKind)
  /// Not a money record: counted in `ReadStatistics.rowsSkipped`.
  case skip
}

/// The `[kind] column` and its value lists.
public struct KindColumn: Sendable {
  public let column: ColumnReference
  public let receiptValues: [String]
  public let disbursementValues: [String]
  public let skipValues: [String]
  private let table: [String: KindDecision]

  init(
    column: ColumnReference, receiptValues: [String], disbursementValues: [String],
    skipValues: [String]
  ) {
    self.column = column
    self.receiptValues = receiptValues
    self.disbursementValues = disbursementValues
    self.skipValues = skipValues
    // A value listed twice is a mapping error (M0019); were one to get here, the first
    // list naming it wins.
    var table: [String: KindDecision] = [:]
    let lists: [([String], KindDecision)] = [
      (receiptValues, .record(.receipt)), (disbursementValues, .record(.disbursement)),
      (skipValues, .skip),
    ]
    for (values, decision) in lists {
      for value in values where table[KindColumn.normalized(value)] == nil {
        table[KindColumn.normalized(value)] = decision
      }
    }
    self.table = table
  }

  static func normalized(_ value: String) -> String { trimBlanks(value).lowercased() }

  /// The decision for a cell (blanks trimmed, case ignored), or nil for a value not listed.
  public func decision(for cell: String) -> KindDecision? {
    table[KindColumn.normalized(cell)]
  }

  /// The decision for a cell of plain ASCII (`PlainASCII`): the same as for its text.
  func decision(forPlain cell: UnsafeBufferPointer<UInt8>) -> KindDecision? {
    table[PlainASCII.lowercased(PlainASCII.trimmed(cell))]
  }

  /// The listed values, for messages: `receipt: receipt, SA11AI; disbursement: SB; skipped: TEXT`.
  public var expectedValuesText: String {
    var parts: [String] = []
    if !receiptValues.isEmpty { parts.append("receipt: " + receiptValues.joined(separator: ", ")) }
    if !disbursementValues.isEmpty {
      parts.append("disbursement: " + disbursementValues.joined(separator: ", "))
    }
    if !skipValues.isEmpty { parts.append("skipped: " + skipValues.joined(separator: ", ")) }
    return parts.joined(separator: "; ")
  }
}

/// How one canonical field is filled.
public struct FieldMapping: Sendable {
  public enum Source: Sendable {
    /// From a column, through a parser. An `optional` column may be absent from the
    /// header; the field is then missing on every row.
    case column(ColumnReference, parser: CellParser, optional: Bool)
    /// XML: from an element's text or an attribute, through a parser. A record without
    /// the element is rejected unless it is `optional` (then the field is missing).
    case element(ElementPath, parser: CellParser, optional: Bool)
    /// The same value on every row.
    case constant(Value)
  }

  public let field: FieldID
  public let source: Source
}

/// Letter case applied by the `text` parser.
public enum TextCase: String, Sendable, Hashable {
  case upper
  case lower
}

/// The values a `flag` cell may hold to mean true, and optionally other values that
/// mean false besides the empty cell; matched case-insensitively.
public struct FlagValues: Hashable, Sendable {
  /// As written in the mapping.
  public let written: [String]
  /// The values listed after `false` in the mapping (`flag A false N T`).
  public let falseWritten: [String]
  let normalized: Set<String>
  let falseNormalized: Set<String>

  public init(_ values: [String], false falseValues: [String] = []) {
    self.written = values
    self.falseWritten = falseValues
    self.normalized = Set(values.map { trimBlanks($0).lowercased() })
    self.falseNormalized = Set(falseValues.map { trimBlanks($0).lowercased() })
  }
}

/// Why a cell could not be read: the message says what was expected and what was found.
public struct CellProblem: Error, Sendable, Equatable {
  public let message: String
}

/// Reads one cell into a `Value`.
public enum CellParser: Hashable, Sendable, CustomStringConvertible {
  /// Blanks trimmed; empty is missing; optionally upper- or lower-cased.
  case text(TextCase?)
  /// `MoneyParser` in the file's currency; empty is missing.
  case money
  /// Like `money`, and a dash alone (`£-`, `-`, ` £-   `) is zero: how a spreadsheet's
  /// accounting format writes 0.00 (the Electoral Commission's exports do).
  case accountingMoney
  /// A date in the layout; empty is missing.
  case date(DateFormat)
  /// A whole number (optional sign); empty is missing.
  case integer
  /// true/false, yes/no, y/n, t/f, 1/0 in any case; empty is missing.
  case boolean
  /// True for a listed value, false for an empty cell or a value listed after `false`;
  /// anything else is a bad value.
  case flag(FlagValues)

  /// The parser names a mapping file may use.
  public static let names = ["text", "money", "date", "integer", "boolean", "flag"]

  /// The type of the values this parser produces.
  public var outputType: ValueType {
    switch self {
    case .text: return .string
    case .money, .accountingMoney: return .money
    case .date: return .date
    case .integer: return .integer
    case .boolean, .flag: return .boolean
    }
  }

  /// The parser used for a field of `type` when the mapping names none.
  public static func defaultParser(for type: ValueType, dateFormat: DateFormat) -> CellParser? {
    switch type {
    case .string: return .text(nil)
    case .money: return .money
    case .date: return .date(dateFormat)
    case .integer: return .integer
    case .boolean: return .boolean
    case .list, .nothing: return nil
    }
  }

  /// As written in a mapping file: `date dd/mm/yyyy`, `flag X Y`.
  public var description: String {
    switch self {
    case .text(nil): return "text"
    case .text(let letterCase?): return "text \(letterCase.rawValue)"
    case .money: return "money"
    case .accountingMoney: return "money accounting"
    case .date(let format): return "date \(format.rawValue)"
    case .integer: return "integer"
    case .boolean: return "boolean"
    case .flag(let values):
      let falseText =
        values.falseWritten.isEmpty ? "" : " false " + values.falseWritten.joined(separator: " ")
      return "flag " + values.written.joined(separator: " ") + falseText
    }
  }

  /// The currency symbol a money cell holds garbled, as UTF-8 bytes read one by one in
  /// Windows-1252 (`Â£` for `£`, `â‚¬` for `€`), or nil.
  static func garbledSymbol(_ cell: Substring) -> (written: String, symbol: String)? {
    for (written, symbol) in [("Â£", "£"), ("â‚¬", "€"), ("Â¥", "¥")] where cell.contains(written) {
      return (written, symbol)
    }
    return nil
  }

  /// The years a record's date may be in. A year outside them is a typing slip (`0025`
  /// for 2025, `2205`): taken as a date, it made a donation accepted 2,000 years before it
  /// was received (an error), a window of its own, and a default as-of date centuries on,
  /// past every waiver's expiry. The row is rejected, with the year named.
  public static let filingYears = 1900...2099

  /// Parses a cell. Blanks around the cell are ignored.
  public func parse(_ cell: String, currency: Currency) -> Result<Value, CellProblem> {
    let trimmed = trimBlanks(cell)
    if trimmed.isEmpty {
      if case .flag = self { return .success(.boolean(false)) }
      return .success(.missing)
    }
    switch self {
    case .text(let letterCase):
      switch letterCase {
      case nil: return .success(.string(String(trimmed)))
      case .upper: return .success(.string(trimmed.uppercased()))
      case .lower: return .success(.string(trimmed.lowercased()))
      }
    case .accountingMoney where CellParser.isAccountingZero(trimmed, currency: currency):
      return .success(.money(Money(minorUnits: 0, currency: currency)))
    case .money, .accountingMoney:
      switch MoneyParser.parse(trimmed, currency: currency) {
      case .success(let money): return .success(.money(money))
      case .failure(let error):
        var message =
          "expected money like 1234.50, $1,234.50 or £50,000.00, found \(quoted(trimmed))"
        if let garbled = CellParser.garbledSymbol(trimmed) {
          // A symbol in UTF-8 read as Windows-1252 (`Â£` for `£`): the file's encoding, not
          // its grouping, is what is wrong (it was said to be).
          message +=
            ": \(quoted(Substring(garbled.written))) is how \(garbled.symbol) in UTF-8 reads in Windows-1252: the file is not in the encoding it was read in (a Windows-1252 export saved again as UTF-8, or UTF-8 converted twice)"
        } else if error != .notANumber {
          message += ": \(error)"
        }
        return .failure(CellProblem(message: message))
      }
    case .date(let format):
      switch format.parse(trimmed) {
      case .success(let date) where CellParser.filingYears.contains(date.year):
        return .success(.date(date))
      case .success:
        return .failure(
          CellProblem(
            message:
              "expected a date like \(CellParser.example(format)) (\(format.rawValue)), found \(quoted(trimmed)): its year is outside \(CellParser.filingYears.lowerBound) to \(CellParser.filingYears.upperBound), the years a filing's record is dated in"
          ))
      case .failure(let error):
        var message =
          "expected a date like \(CellParser.example(format)) (\(format.rawValue)), found \(quoted(trimmed))"
        if case .noSuchDay = error { message += ": \(error)" }
        return .failure(CellProblem(message: message))
      }
    case .integer:
      guard let number = Int64(trimmed) else {
        return .failure(
          CellProblem(message: "expected a whole number like 42, found \(quoted(trimmed))"))
      }
      return .success(.integer(number))
    case .boolean:
      switch trimmed.lowercased() {
      case "true", "yes", "y", "t", "1": return .success(.boolean(true))
      case "false", "no", "n", "f", "0": return .success(.boolean(false))
      default:
        return .failure(
          CellProblem(
            message: "expected true/false, yes/no, y/n, t/f or 1/0, found \(quoted(trimmed))"))
      }
    case .flag(let values):
      let key = trimmed.lowercased()
      if values.normalized.contains(key) { return .success(.boolean(true)) }
      if values.falseNormalized.contains(key) { return .success(.boolean(false)) }
      let listed = (values.written + values.falseWritten).map { quoted(Substring($0)) }
        .joined(separator: ", ")
      return .failure(
        CellProblem(message: "expected \(listed) or an empty cell, found \(quoted(trimmed))"))
    }
  }

  /// A dash alone, with the currency's symbol or none, blanks anywhere: `£-`, `-`,
  /// `£ -`. A spreadsheet's accounting format writes zero this way.
  static func isAccountingZero(_ cell: Substring, currency: Currency) -> Bool {
    var rest = cell.filter { $0 != " " && $0 != "\t" }[...]
    if let symbol = currency.symbol, rest.hasPrefix(symbol) { rest = rest.dropFirst(symbol.count) }
    return rest == "-"
  }

  /// 14 July 2024 in `format`, for messages.
  static func example(_ format: DateFormat) -> String {
    switch format {
    case .isoDate: return "2024-07-14"
    case .compact: return "20240714"
    case .usSlashes: return "07/14/2024"
    case .ukSlashes: return "14/07/2024"
    case .usCompact: return "07142024"
    }
  }
}

/// `text` without leading and trailing spaces, tabs, CRs and LFs (by bytes: they are
/// ASCII and never part of another character's encoding).
func trimBlanks(_ text: Substring) -> Substring {
  func isBlank(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
      || byte == UInt8(ascii: "\n")
  }
  let bytes = text.utf8
  var start = bytes.startIndex
  var end = bytes.endIndex
  while start < end && isBlank(bytes[start]) { start = bytes.index(after: start) }
  while start < end {
    let last = bytes.index(before: end)
    guard isBlank(bytes[last]) else { break }
    end = last
  }
  return text[start..<end]
}

func trimBlanks(_ text: String) -> Substring { trimBlanks(text[...]) }

/// A cell as quoted in messages, on one line: a line break in it is written `\n` (`\r`),
/// so that a message never starts a line with the filing's text (a cell holding
/// "1\n::stop-commands::x" started a line of standard error with a workflow command a
/// CI runner obeys); long cells are shortened.
func quoted(_ text: Substring) -> String {
  let limit = 60
  let shown = text.count <= limit ? String(text) : String(text.prefix(limit)) + "…"
  guard shown.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
    return "\"\(shown)\""
  }
  var oneLine = ""
  for scalar in shown.unicodeScalars {
    switch scalar {
    case "\n": oneLine += "\\n"
    case "\r": oneLine += "\\r"
    default: oneLine.unicodeScalars.append(scalar)
    }
  }
  return "\"\(oneLine)\""
}
