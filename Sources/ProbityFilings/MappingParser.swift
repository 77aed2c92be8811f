import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Mapping {
  /// Parses a mapping file. Never throws: every problem in the file is reported at once,
  /// each pointing at its span. The mapping is nil when any problem is an error.
  public static func parse(_ source: SourceFile) -> (mapping: Mapping?, diagnostics: [Diagnostic]) {
    var parser = MappingParser(source: source)
    return parser.run()
  }

  /// Reads and parses the mapping file at `path`.
  public static func load(path: String) -> (mapping: Mapping?, diagnostics: [Diagnostic]) {
    switch readSmallTextFile(path: path, limit: 1 << 20) {
    case .success(let text):
      return parse(SourceFile(path: path, text: text))
    case .failure(let problem):
      let diagnostic = Diagnostic(
        id: FilingsCatalogue.unreadableMapping.id,
        message: "cannot read the mapping file: \(problem.message)",
        file: path)
      return (nil, [diagnostic])
    }
  }
}

/// Why a small text file could not be read.
struct ReadProblem: Error {
  let message: String
}

/// Reads a small text file whole (mapping files, never filings). A FIFO, a socket or a
/// device is refused without opening it (`stat` cannot block): opening a FIFO waits for a
/// writer, and a run given one as its mapping hung for good.
func readSmallTextFile(path: String, limit: Int) -> Result<String, ReadProblem> {
  var status = stat()
  if stat(path, &status) == 0 {
    let type = status.st_mode & S_IFMT
    if type != S_IFREG && type != S_IFDIR {
      let what = type == S_IFIFO ? "a pipe" : type == S_IFSOCK ? "a socket" : "a device"
      return .failure(ReadProblem(message: "it is \(what), not a regular file"))
    }
  }
  guard let handle = fopen(path, "rb") else {
    return .failure(ReadProblem(message: String(cString: strerror(errno))))
  }
  defer { fclose(handle) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 16 * 1024)
  while true {
    let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
    if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
    if bytes.count > limit { return .failure(ReadProblem(message: "larger than \(limit) bytes")) }
    if count < buffer.count {
      if ferror(handle) != 0 {
        return .failure(ReadProblem(message: String(cString: strerror(errno))))
      }
      break
    }
  }
  if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
  guard let text = String(validating: bytes, as: UTF8.self) else {
    return .failure(ReadProblem(message: "not valid UTF-8"))
  }
  return .success(text)
}

/// One token of a mapping-file line.
struct MappingToken {
  enum Kind: Equatable {
    case word
    case quoted
    case equals
    case comma
    case open
    case close
  }

  let kind: Kind
  let text: String
  let range: SourceRange

  var isValue: Bool { kind == .word || kind == .quoted }
}

/// Parses mapping files; see docs/formats.md for the format.
struct MappingParser {
  enum Section: String, CaseIterable {
    case file
    case kind
    case fields
  }

  static let fileKeys = [
    "name", "format", "currency", "header", "delimiter", "quote", "encoding", "date-format",
    "fields",
  ]
  /// [file] keys that only a delimited-text mapping may give.
  static let csvOnlyFileKeys: Set<String> = ["header", "delimiter", "quote", "encoding", "fields"]
  static let kindKeys = ["column", "receipt", "disbursement", "skip", "constant"]

  struct ParsedParser {
    enum Form {
      case text(TextCase?)
      case money
      case accountingMoney
      /// nil: the file's date-format.
      case date(DateFormat?)
      case integer
      case boolean
      /// The values meaning true, and those meaning false (after `false`).
      case flag([String], false: [String])
    }

    let form: Form
    let nameRange: SourceRange
  }

  struct PendingField {
    enum Form {
      case column(ColumnReference, refRange: SourceRange, parser: ParsedParser?, optional: Bool)
      case element(ElementPath, refRange: SourceRange, parser: ParsedParser?, optional: Bool)
      case constant(String, range: SourceRange)
    }

    let field: FieldID
    let keyRange: SourceRange
    let form: Form
  }

  struct ListedValue {
    let text: String
    let range: SourceRange
  }

  let source: SourceFile
  var diagnostics: [Diagnostic] = []

  var section: Section?
  var inUnknownSection = false
  var sectionRanges: [Section: SourceRange] = [:]
  var keyRanges: [String: SourceRange] = [:]

  var name: String?
  var currency: Currency?
  var hasHeader: Bool?
  var delimiter: UInt8?
  var dateFormat: DateFormat?
  var format: MappingFormat?
  /// nil inside: `quote = none`.
  var quote: UInt8??
  var encoding: TextEncoding?
  /// `fields = N`: how many fields every row has (files without a header).
  var fieldCount: (count: Int, range: SourceRange)?

  var kindColumn: (ColumnReference, SourceRange)?
  var kindConstant: RecordKind?
  var kindLists: [RecordKindList: [ListedValue]] = [:]
  var kindListRanges: [RecordKindList: SourceRange] = [:]

  var fields: [PendingField] = []
  var fieldKeyRanges: [FieldID: SourceRange] = [:]

  enum RecordKindList: String {
    case receipt
    case disbursement
    case skip
  }

  init(source: SourceFile) {
    self.source = source
  }

  // MARK: Reporting

  mutating func report(
    _ entry: FilingsCatalogue, _ message: String, _ range: SourceRange, hint: String? = nil
  ) {
    diagnostics.append(
      Diagnostic(id: entry.id, message: message, source: source, range: range, hint: hint))
  }

  func lineNumber(_ range: SourceRange) -> Int { source.lineAndColumn(of: range.start).line }

  // MARK: Driver

  mutating func run() -> (mapping: Mapping?, diagnostics: [Diagnostic]) {
    let bytes = source.bytes
    for (index, lineStart) in source.lineStarts.enumerated() {
      // A byte order mark is not part of the first line.
      let start = index == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : lineStart
      var end = index + 1 < source.lineStarts.count ? source.lineStarts[index + 1] : bytes.count
      while end > start
        && (bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r"))
      {
        end -= 1
      }
      guard let tokens = tokenize(start: start, end: end), !tokens.isEmpty else { continue }
      parseLine(tokens)
    }
    let mapping = finish()
    return (diagnostics.hasErrors ? nil : mapping, diagnostics)
  }

  // MARK: Tokens

  static func isWordByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "="),
      UInt8(ascii: ","),
      UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "#"):
      return false
    default:
      return true
    }
  }

  static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  /// The tokens of bytes `start..<end`, or nil when the line has an unterminated quote
  /// (reported).
  mutating func tokenize(start: Int, end: Int) -> [MappingToken]? {
    let bytes = source.bytes
    var tokens: [MappingToken] = []
    var i = start
    while i < end {
      let before = i
      let byte = bytes[i]
      switch byte {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
        i += 1
      case UInt8(ascii: "#") where !(i + 1 < end && MappingParser.isDigit(bytes[i + 1])):
        // A comment runs to the end of the line. `#7` (a digit right after) is a column position.
        i = end
      case UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"):
        let kind: MappingToken.Kind =
          switch byte {
          case UInt8(ascii: "="): .equals
          case UInt8(ascii: ","): .comma
          case UInt8(ascii: "["): .open
          default: .close
          }
        tokens.append(
          MappingToken(
            kind: kind, text: String(UnicodeScalar(byte)), range: SourceRange(start: i, end: i + 1))
        )
        i += 1
      case UInt8(ascii: "\""):
        var value: [UInt8] = []
        var j = i + 1
        var closed = false
        while j < end {
          let c = bytes[j]
          if c == UInt8(ascii: "\"") {
            closed = true
            j += 1
            break
          }
          if c == UInt8(ascii: "\\") && j + 1 < end {
            let next = bytes[j + 1]
            switch next {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): value.append(next)
            case UInt8(ascii: "t"): value.append(UInt8(ascii: "\t"))
            default: value.append(contentsOf: [c, next])
            }
            j += 2
          } else {
            value.append(c)
            j += 1
          }
        }
        guard closed else {
          report(
            .unterminatedQuote, "unterminated quoted value", SourceRange(start: i, end: end),
            hint: "close it with '\"'; write a quote inside a value as \\\"")
          return nil
        }
        tokens.append(
          MappingToken(
            kind: .quoted, text: String(decoding: value, as: UTF8.self),
            range: SourceRange(start: i, end: j)))
        i = j
      default:
        // A word; a leading `#` (followed by a digit) belongs to it.
        var j = i + 1
        while j < end && MappingParser.isWordByte(bytes[j]) { j += 1 }
        tokens.append(
          MappingToken(
            kind: .word, text: String(decoding: bytes[i..<j], as: UTF8.self),
            range: SourceRange(start: i, end: j)))
        i = j
      }
      if i <= before { i = before + 1 }  // progress guard
    }
    return tokens
  }

  // MARK: Lines

  mutating func parseLine(_ tokens: [MappingToken]) {
    let first = tokens[0]
    if first.kind == .open {
      parseSectionHeader(tokens)
      return
    }
    guard first.isValue else {
      report(.syntax, "expected a key or a section header like [fields]", first.range)
      return
    }
    guard tokens.count >= 2, tokens[1].kind == .equals else {
      let range = tokens.count >= 2 ? tokens[1].range : first.range
      report(.syntax, "expected '=' after '\(first.text)'", range, hint: "write key = value")
      return
    }
    let values = Array(tokens.dropFirst(2))
    if inUnknownSection { return }
    guard let section else {
      report(
        .syntax, "'\(first.text)' is outside any section", first.range,
        hint: "start a section first: [file], [kind] or [fields]")
      return
    }
    guard !values.isEmpty else {
      report(.missingValue, "missing value for '\(first.text)'", first.range.union(tokens[1].range))
      return
    }
    switch section {
    case .file: parseFileKey(first, values)
    case .kind: parseKindKey(first, values)
    case .fields: parseField(first, values)
    }
  }

  mutating func parseSectionHeader(_ tokens: [MappingToken]) {
    guard tokens.count >= 3, tokens[1].isValue, tokens[2].kind == .close else {
      let range = tokens[0].range.union(tokens[tokens.count - 1].range)
      report(
        .syntax, "malformed section header", range, hint: "sections are [file], [kind] and [fields]"
      )
      section = nil
      inUnknownSection = true
      return
    }
    if tokens.count > 3 {
      report(
        .unexpectedText, "unexpected '\(tokens[3].text)' after the section header", tokens[3].range)
    }
    let nameToken = tokens[1]
    guard let found = Section(rawValue: nameToken.text) else {
      let hint =
        NearNames.hint(for: nameToken.text, among: Section.allCases.map(\.rawValue))
        ?? "sections are [file], [kind] and [fields]"
      report(.unknownSection, "unknown section '\(nameToken.text)'", nameToken.range, hint: hint)
      section = nil
      inUnknownSection = true
      return
    }
    let range = tokens[0].range.union(tokens[2].range)
    if let previous = sectionRanges[found] {
      report(
        .sectionGivenTwice, "section [\(found.rawValue)] appears twice", range,
        hint: "it first appears on line \(lineNumber(previous)); keep one")
    } else {
      sectionRanges[found] = range
    }
    section = found
    inUnknownSection = false
  }

  /// Notes a key of [file] or [kind]; false (reported) when it was given before.
  mutating func firstTime(_ key: MappingToken, in section: Section) -> Bool {
    let qualified = "\(section.rawValue).\(key.text)"
    if let previous = keyRanges[qualified] {
      report(
        .keyGivenTwice, "'\(key.text)' is given twice in [\(section.rawValue)]", key.range,
        hint: "it was first given on line \(lineNumber(previous))")
      return false
    }
    keyRanges[qualified] = key.range
    return true
  }

  /// The one value of a key, reporting anything after it.
  mutating func single(_ key: MappingToken, _ values: [MappingToken]) -> MappingToken? {
    guard let value = values.first, value.isValue else {
      report(.syntax, "expected a value for '\(key.text)'", values.first?.range ?? key.range)
      return nil
    }
    if values.count > 1 {
      report(
        .unexpectedText, "unexpected '\(values[1].text)' after the value of '\(key.text)'",
        values[1].range.union(values[values.count - 1].range),
        hint:
          "quote a value that has spaces, commas or #: \"\(values.map(\.text).joined(separator: " "))\""
      )
    }
    return value
  }

  // MARK: [file]

  mutating func parseFileKey(_ key: MappingToken, _ values: [MappingToken]) {
    guard MappingParser.fileKeys.contains(key.text) else {
      let hint =
        NearNames.hint(for: key.text, among: MappingParser.fileKeys)
        ?? "keys of [file] are " + MappingParser.fileKeys.joined(separator: ", ")
      report(.unknownKey, "unknown key '\(key.text)' in [file]", key.range, hint: hint)
      return
    }
    guard firstTime(key, in: .file) else { return }
    if key.text == "delimiter", values.count == 1, values[0].kind == .comma {
      delimiter = UInt8(ascii: ",")
      return
    }
    guard let value = single(key, values) else { return }
    switch key.text {
    case "name":
      name = value.text
    case "format":
      if let found = MappingFormat(rawValue: value.text.lowercased()) {
        format = found
      } else {
        report(
          .badFileValue, "unknown format '\(value.text)'", value.range,
          hint: "format is csv (delimited text, the default) or xml")
      }
    case "encoding":
      if let found = TextEncoding(name: value.text) {
        encoding = found
      } else {
        report(
          .badFileValue, "unknown encoding '\(value.text)'", value.range,
          hint: "encodings are " + TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))
      }
    case "quote":
      let bytes = Array(value.text.utf8)
      if value.text.lowercased() == "none" && value.kind == .word {
        quote = .some(nil)
      } else if bytes.count == 1, bytes[0] < 0x80, bytes[0] > 0x20 {
        quote = .some(bytes[0])
      } else {
        report(
          .badFileValue, "the quote must be one character or none, found '\(value.text)'",
          value.range, hint: "for example quote = \"'\" or quote = none (fields are never quoted)")
      }
    case "currency":
      if let code = Currency(code: value.text) {
        currency = code
      } else {
        report(
          .invalidCurrency, "invalid currency code '\(value.text)'", value.range,
          hint: "use a three-letter ISO 4217 code such as USD, GBP, EUR or CAD")
      }
    case "fields":
      if let count = Int(value.text), count > 0, count <= 10_000, value.kind == .word {
        fieldCount = (count, value.range)
      } else {
        report(
          .badFileValue,
          "fields must be a whole number of fields from 1 to 10000, found '\(value.text)'",
          value.range, hint: "for example fields = 21: every row has exactly 21 fields")
      }
    case "header":
      switch value.text.lowercased() {
      case "yes", "true": hasHeader = true
      case "no", "false": hasHeader = false
      default:
        report(
          .badHeaderValue, "header must be yes or no, found '\(value.text)'", value.range,
          hint: "yes: line 1 names the columns; no: columns are given by position (#N)")
      }
    case "delimiter":
      var bytes = Array(value.text.utf8)
      if value.text == "\\t" || value.text.lowercased() == "tab" { bytes = [UInt8(ascii: "\t")] }
      let forbidden: Set<UInt8> = [
        0, UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "),
      ]
      if bytes.count == 1, bytes[0] < 0x80, !forbidden.contains(bytes[0]) {
        delimiter = bytes[0]
      } else {
        report(
          .badDelimiter,
          "the delimiter must be one character (not a quote, space or line break), found '\(value.text)'",
          value.range, hint: "for example delimiter = \",\", \"|\", \";\" or \"\\t\"")
      }
    default:  // date-format
      if let format = DateFormat(rawValue: value.text) {
        dateFormat = format
      } else {
        report(
          .badDateLayout, "unknown date layout '\(value.text)'", value.range,
          hint: MappingParser.layoutsHint)
      }
    }
  }

  static var layoutsHint: String {
    "date layouts are " + DateFormat.allCases.map(\.rawValue).joined(separator: ", ")
  }

  // MARK: [kind]

  mutating func parseKindKey(_ key: MappingToken, _ values: [MappingToken]) {
    guard MappingParser.kindKeys.contains(key.text) else {
      let hint =
        NearNames.hint(for: key.text, among: MappingParser.kindKeys)
        ?? "keys of [kind] are " + MappingParser.kindKeys.joined(separator: ", ")
      report(.unknownKey, "unknown key '\(key.text)' in [kind]", key.range, hint: hint)
      return
    }
    guard firstTime(key, in: .kind) else { return }
    switch key.text {
    case "column":
      guard let value = single(key, values), let reference = columnReference(value) else { return }
      kindColumn = (reference, value.range)
    case "constant":
      guard let value = single(key, values) else { return }
      guard let kind = RecordKind(rawValue: value.text.lowercased()) else {
        report(
          .incompleteKind, "constant kind must be receipt or disbursement, found '\(value.text)'",
          value.range,
          hint: NearNames.hint(for: value.text, among: RecordKind.allCases.map(\.rawValue)))
        return
      }
      kindConstant = kind
    default:
      guard let list = RecordKindList(rawValue: key.text) else { return }
      kindListRanges[list] = key.range
      kindLists[list] = commaList(values)
    }
  }

  /// `a, "b c", d`: values separated by commas.
  mutating func commaList(_ values: [MappingToken]) -> [ListedValue] {
    var result: [ListedValue] = []
    var expectValue = true
    for token in values {
      if expectValue {
        if token.isValue {
          if trimBlanks(token.text).isEmpty {
            report(.syntax, "empty value in the list", token.range)
          } else {
            result.append(ListedValue(text: token.text, range: token.range))
          }
          expectValue = false
        } else {
          report(.syntax, "expected a value before '\(token.text)'", token.range)
        }
      } else if token.kind == .comma {
        expectValue = true
      } else {
        report(
          .syntax, "expected ',' before '\(token.text)'", token.range,
          hint: "separate values with commas; quote a value that has spaces: \"\(token.text)\"")
        if token.isValue { result.append(ListedValue(text: token.text, range: token.range)) }
      }
    }
    if expectValue, let last = values.last {
      report(.syntax, "expected a value after ','", last.range)
    }
    return result
  }

  /// `"name"`, `name` or `#N`.
  mutating func columnReference(_ token: MappingToken) -> ColumnReference? {
    if token.kind == .word && token.text.hasPrefix("#") {
      let digits = token.text.dropFirst()
      guard let position = Int(digits), position >= 1,
        digits.allSatisfy({ $0.isASCII && $0.isNumber })
      else {
        report(
          .badColumnReference, "'\(token.text)' is not a column position", token.range,
          hint:
            "positions count from 1: #1 is the first column; quote a header name that starts with #"
        )
        return nil
      }
      return .position(position)
    }
    return .name(token.text)
  }

  // MARK: [fields]

  mutating func parseField(_ key: MappingToken, _ values: [MappingToken]) {
    guard let field = CanonicalSchema.id(named: key.text) else {
      let hint =
        NearNames.hint(for: key.text, among: CanonicalSchema.fields.map(\.name))
        ?? "docs/formats.md lists the canonical fields"
      report(.unknownField, "unknown field '\(key.text)'", key.range, hint: hint)
      return
    }
    if let previous = fieldKeyRanges[field] {
      report(
        .fieldMappedTwice, "field '\(key.text)' is mapped twice", key.range,
        hint: "it is first mapped on line \(lineNumber(previous))")
      return
    }
    fieldKeyRanges[field] = key.range
    let form = values[0]
    switch (form.kind, form.text) {
    case (.word, "constant"):
      guard values.count >= 2 else {
        report(.missingValue, "missing value after 'constant'", form.range)
        return
      }
      guard let value = single(form, Array(values.dropFirst())) else { return }
      fields.append(
        PendingField(
          field: field, keyRange: key.range, form: .constant(value.text, range: value.range)))
    case (.word, "column"), (.word, "element"):
      parseColumnField(field, key: key, values: Array(values.dropFirst()), columnToken: form)
    default:
      let hint =
        NearNames.hint(for: form.text, among: ["column", "element", "constant"])
        ?? "write '\(key.text) = column <name or #N>', '\(key.text) = element <path>' or '\(key.text) = constant <value>'"
      report(
        .syntax, "expected 'column' or 'constant', found '\(form.text)'", form.range, hint: hint)
    }
  }

  mutating func parseColumnField(
    _ field: FieldID, key: MappingToken, values: [MappingToken], columnToken: MappingToken
  ) {
    let isElement = columnToken.text == "element"
    guard let refToken = values.first, refToken.isValue else {
      report(
        .missingValue, "missing \(columnToken.text) after '\(columnToken.text)'",
        values.first?.range ?? columnToken.range,
        hint: isElement
          ? "give an element path, like amount, contributor/name, @id or /filing/filer/@id"
          : "name a header column (quoted when it has spaces) or a position like #3")
      return
    }
    var reference: ColumnReference?
    var path: ElementPath?
    if isElement {
      switch ElementPath.parse(refToken.text) {
      case .success(let parsed): path = parsed
      case .failure(let problem):
        report(
          .badElementPath, "invalid element path '\(refToken.text)': \(problem.message)",
          refToken.range)
      }
    } else {
      reference = columnReference(refToken)
    }
    var rest = Array(values.dropFirst())
    var optional = false
    if let last = rest.last, last.kind == .word, last.text == "optional" {
      optional = true
      rest.removeLast()
    }
    var parser: ParsedParser?
    var parserOK = true
    if let first = rest.first {
      if first.kind == .word && first.text == "as" {
        if rest.count >= 2, rest[1].kind == .word {
          parser = parseParser(name: rest[1], arguments: Array(rest.dropFirst(2)))
          parserOK = parser != nil
        } else {
          report(
            .syntax, "expected a parser name after 'as'",
            rest.count >= 2 ? rest[1].range : first.range,
            hint: "parsers are " + CellParser.names.joined(separator: ", "))
          parserOK = false
        }
      } else {
        report(
          .unexpectedText, "unexpected '\(first.text)' after the column", first.range,
          hint:
            "write 'column <name> as <parser>', add 'optional' last, or quote a name with spaces")
        parserOK = false
      }
    }
    guard parserOK else { return }
    if let path {
      fields.append(
        PendingField(
          field: field, keyRange: key.range,
          form: .element(path, refRange: refToken.range, parser: parser, optional: optional)))
    } else if let reference {
      fields.append(
        PendingField(
          field: field, keyRange: key.range,
          form: .column(reference, refRange: refToken.range, parser: parser, optional: optional)))
    }
  }

  mutating func parseParser(name: MappingToken, arguments: [MappingToken]) -> ParsedParser? {
    func noArguments(_ parser: String) -> Bool {
      guard let first = arguments.first else { return true }
      report(
        .badParserArgument, "the \(parser) parser takes no arguments, found '\(first.text)'",
        first.range.union(arguments[arguments.count - 1].range),
        hint: "add 'optional' last to allow a missing column")
      return false
    }
    switch name.text {
    case "text":
      guard let argument = arguments.first else {
        return ParsedParser(form: .text(nil), nameRange: name.range)
      }
      guard arguments.count == 1, let letterCase = TextCase(rawValue: argument.text) else {
        report(
          .badParserArgument, "the text parser takes 'upper' or 'lower', found '\(argument.text)'",
          argument.range.union(arguments[arguments.count - 1].range))
        return nil
      }
      return ParsedParser(form: .text(letterCase), nameRange: name.range)
    case "money":
      guard let argument = arguments.first else {
        return ParsedParser(form: .money, nameRange: name.range)
      }
      guard arguments.count == 1, argument.kind == .word, argument.text == "accounting" else {
        report(
          .badParserArgument,
          "the money parser takes 'accounting' or nothing, found '\(argument.text)'",
          argument.range.union(arguments[arguments.count - 1].range),
          hint: "'money accounting' also reads a dash alone (£-) as zero")
        return nil
      }
      return ParsedParser(form: .accountingMoney, nameRange: name.range)
    case "integer":
      return noArguments("integer") ? ParsedParser(form: .integer, nameRange: name.range) : nil
    case "boolean":
      return noArguments("boolean") ? ParsedParser(form: .boolean, nameRange: name.range) : nil
    case "date":
      guard let argument = arguments.first else {
        return ParsedParser(form: .date(nil), nameRange: name.range)
      }
      guard let format = DateFormat(rawValue: argument.text) else {
        report(
          .badDateLayout, "unknown date layout '\(argument.text)'", argument.range,
          hint: MappingParser.layoutsHint)
        return nil
      }
      if arguments.count > 1 {
        report(
          .badParserArgument, "the date parser takes one layout, found '\(arguments[1].text)'",
          arguments[1].range)
        return nil
      }
      return ParsedParser(form: .date(format), nameRange: name.range)
    case "flag":
      if let stray = arguments.first(where: { !$0.isValue && $0.kind != .comma }) {
        report(.badParserArgument, "unexpected '\(stray.text)' among the flag values", stray.range)
        return nil
      }
      // `flag A false N T`: the bare word `false` separates the values meaning true from
      // those meaning false (a value "false" is written quoted).
      let listed = arguments.filter(\.isValue)
      let split = listed.firstIndex { $0.kind == .word && $0.text == "false" }
      let trueValues = listed[..<(split ?? listed.endIndex)].map(\.text)
      let falseValues = split.map { listed[(listed.index(after: $0))...].map(\.text) } ?? []
      guard !trueValues.isEmpty else {
        report(
          .badParserArgument, "the flag parser needs the values that mean true", name.range,
          hint: "for example: as flag X, or as flag A false N T")
        return nil
      }
      if split != nil && falseValues.isEmpty {
        report(
          .badParserArgument, "'false' must be followed by the values that mean false", name.range,
          hint: "for example: as flag A false N T")
        return nil
      }
      return ParsedParser(form: .flag(trueValues, false: falseValues), nameRange: name.range)
    default:
      let hint =
        NearNames.hint(for: name.text, among: CellParser.names)
        ?? "parsers are " + CellParser.names.joined(separator: ", ")
      report(.unknownParser, "unknown parser '\(name.text)'", name.range, hint: hint)
      return nil
    }
  }

  // MARK: Finishing

  mutating func finish() -> Mapping? {
    let start = SourceRange(start: 0, end: 0)
    let header = hasHeader ?? true
    let dates = dateFormat ?? .isoDate
    // An invalid currency code is reported already.
    if currency == nil && keyRanges["file.currency"] == nil {
      report(
        .missingCurrency, "the mapping gives no currency", sectionRanges[.file] ?? start,
        hint: "add 'currency = USD' (or GBP, EUR, ...) to [file]")
    }
    let money = currency ?? .usd
    let mappingFormat = format ?? .csv
    if mappingFormat == .xml {
      for key in MappingParser.csvOnlyFileKeys.sorted() {
        guard let range = keyRanges["file.\(key)"] else { continue }
        report(
          .formatMismatch, "'\(key)' is for delimited-text mappings, not XML", range,
          hint: "an XML file declares its own encoding; remove the line")
      }
    }
    if let quote, let quoteByte = quote, quoteByte == (delimiter ?? UInt8(ascii: ",")),
      let range = keyRanges["file.quote"]
    {
      report(.badFileValue, "the quote and the delimiter must differ", range)
    }

    // Kind.
    var kindSource: KindSource?
    if mappingFormat == .xml {
      kindSource = finishElementKinds()
    } else if let kindRange = sectionRanges[.kind] {
      let listed = [RecordKindList.receipt, .disbursement, .skip].contains { kindLists[$0] != nil }
      if let (reference, range) = kindColumn {
        if kindConstant != nil, let constantRange = keyRanges["kind.constant"] {
          report(
            .incompleteKind, "[kind] gives both a column and a constant", constantRange,
            hint: "keep 'column' (with its value lists) or 'constant', not both")
        }
        if kindLists[.receipt] == nil && kindLists[.disbursement] == nil {
          report(
            .incompleteKind, "[kind] column needs the values that mean receipt or disbursement",
            range,
            hint: "add for example: receipt = receipt, SA11AI and disbursement = disbursement, SB")
        }
        checkPositionOnly(reference, range, header: header)
        kindSource = .column(
          KindColumn(
            column: reference, receiptValues: (kindLists[.receipt] ?? []).map(\.text),
            disbursementValues: (kindLists[.disbursement] ?? []).map(\.text),
            skipValues: (kindLists[.skip] ?? []).map(\.text)))
        checkKindValuesDistinct()
      } else if let constant = kindConstant {
        if listed,
          let range = [RecordKindList.receipt, .disbursement, .skip].compactMap({
            kindListRanges[$0]
          }).first
        {
          report(
            .incompleteKind, "value lists need a kind column; this [kind] has a constant", range,
            hint: "remove the lists, or replace 'constant' by 'column = <name>'")
        }
        kindSource = .constant(constant)
      } else {
        report(
          .incompleteKind, "[kind] says neither which column gives the kind nor a constant kind",
          kindRange,
          hint: "add 'column = <name>' with value lists, or 'constant = receipt'")
      }
    } else {
      report(
        .missingKindSection, "the mapping has no [kind] section", sectionRanges[.fields] ?? start,
        hint: "add [kind] with 'constant = receipt' or 'column = <name>' and value lists")
    }

    // Fields.
    var mapped: [FieldMapping] = []
    for pending in fields {
      let spec = CanonicalSchema.spec(pending.field)
      guard let fallback = CellParser.defaultParser(for: spec.type, dateFormat: dates) else {
        report(
          .unknownField, "field '\(spec.name)' (\(spec.type)) cannot be filled from a file",
          pending.keyRange)
        continue
      }
      switch pending.form {
      case .constant(let text, let range):
        switch fallback.parse(text, currency: money) {
        case .success(let value):
          mapped.append(FieldMapping(field: pending.field, source: .constant(value)))
        case .failure(let problem):
          report(
            .badConstant, "constant for '\(spec.name)' (\(spec.type)): \(problem.message)", range)
        }
      case .element(let path, let refRange, let parsed, let optional):
        guard mappingFormat == .xml else {
          report(
            .formatMismatch, "'element' is for XML mappings; this mapping reads delimited text",
            refRange, hint: "name a column, or add 'format = xml' to [file]")
          continue
        }
        if path.absolute, case .elements(let kinds)? = kindSource,
          let record = kinds.entries.first(where: { $0.path.contains(path) })
        {
          report(
            .badElementPath,
            "'\(path)' lies inside the record element \(record.path): write it relative to the record",
            refRange,
            hint: "an absolute path names a value outside the records, like /filing/filer/@id")
          continue
        }
        guard let parser = fieldParser(parsed, fallback: fallback, spec: spec, dates: dates) else {
          continue
        }
        mapped.append(
          FieldMapping(
            field: pending.field, source: .element(path, parser: parser, optional: optional)))
      case .column(let reference, let refRange, let parsed, let optional):
        guard mappingFormat == .csv else {
          report(
            .formatMismatch, "'column' is for delimited-text mappings; this mapping reads XML",
            refRange, hint: "give an element path: 'element amount', 'element @id'")
          continue
        }
        checkPositionOnly(reference, refRange, header: header)
        guard let parser = fieldParser(parsed, fallback: fallback, spec: spec, dates: dates) else {
          continue
        }
        mapped.append(
          FieldMapping(
            field: pending.field, source: .column(reference, parser: parser, optional: optional)))
      }
    }
    // `fields`: for a file without a header (in an XML mapping, M0026 already).
    if let fieldCount, header, mappingFormat == .csv {
      report(
        .badFileValue, "fields is for files without a header", fieldCount.range,
        hint:
          "with a header, every row must have as many fields as the header; add 'header = no' or remove 'fields'"
      )
    } else if let fieldCount, mappingFormat == .csv {
      // Every row has `fields` fields: a column beyond them is never there.
      var positions: [(Int, String)] = mapped.compactMap {
        if case .column(.position(let p), _, _) = $0.source {
          (p, CanonicalSchema.spec($0.field).name)
        } else {
          nil
        }
      }
      if case .position(let p)? = kindColumn?.0 { positions.append((p, "the kind")) }
      if let (position, what) = positions.max(by: { $0.0 < $1.0 }), position > fieldCount.count {
        report(
          .badFileValue,
          "fields = \(fieldCount.count), but \(what) is read from column #\(position): a row of \(fieldCount.count) fields has no such column",
          fieldCount.range, hint: "give the number of fields every row has, at least \(position)")
      }
    }
    guard let kindSource, let currency else { return nil }
    return Mapping(
      name: name ?? MappingParser.baseName(source.path), path: source.path, currency: currency,
      hasHeader: header,
      delimiter: delimiter ?? UInt8(ascii: ","), dateFormat: dates, kind: kindSource,
      fields: mapped,
      format: mappingFormat, encoding: encoding ?? .utf8,
      quote: quote ?? UInt8(ascii: "\""), fieldCount: header ? nil : fieldCount?.count)
  }

  /// The [kind] of an XML mapping: value lists of absolute element paths.
  mutating func finishElementKinds() -> KindSource? {
    guard let kindRange = sectionRanges[.kind] else {
      report(
        .missingKindSection, "the mapping has no [kind] section",
        sectionRanges[.fields] ?? SourceRange(start: 0, end: 0),
        hint: "add [kind] with the record elements, like: receipt = /filing/receipt")
      return nil
    }
    for key in ["column", "constant"] {
      guard let range = keyRanges["kind.\(key)"] else { continue }
      report(
        .formatMismatch,
        "'\(key)' is for delimited-text mappings; an XML [kind] lists element paths",
        range, hint: "write receipt = /filing/receipt, disbursement = /filing/disbursement")
    }
    if kindLists[.receipt] == nil && kindLists[.disbursement] == nil {
      report(
        .incompleteKind, "[kind] needs the element paths of receipts or disbursements", kindRange,
        hint: "for example: receipt = /filing/receipt")
    }
    checkKindValuesDistinct()
    var entries: [(path: ElementPath, decision: KindDecision)] = []
    let lists: [(RecordKindList, KindDecision)] = [
      (.receipt, .record(.receipt)), (.disbursement, .record(.disbursement)), (.skip, .skip),
    ]
    for (list, decision) in lists {
      for value in kindLists[list] ?? [] {
        switch ElementPath.parse(value.text) {
        case .success(let path) where path.absolute && path.attribute == nil:
          entries.append((path, decision))
        case .success:
          report(
            .badElementPath,
            "a record element is an absolute path to an element, like /filing/receipt",
            value.range)
        case .failure(let problem):
          report(
            .badElementPath, "invalid element path '\(value.text)': \(problem.message)", value.range
          )
        }
      }
    }
    for (index, entry) in entries.enumerated() {
      if let outer = entries[..<index].first(where: {
        $0.path.contains(entry.path) || entry.path.contains($0.path)
      }) {
        report(
          .badElementPath, "record elements cannot nest: \(entry.path) and \(outer.path)",
          kindRange)
      }
    }
    return .elements(ElementKinds(entries: entries))
  }

  /// The parser a field names, or its type's default; nil (reported) when the parser's
  /// output is not the field's type.
  mutating func fieldParser(
    _ parsed: ParsedParser?, fallback: CellParser, spec: FieldSpec, dates: DateFormat
  ) -> CellParser? {
    let parser = parsed.map { MappingParser.resolve($0.form, dateFormat: dates) } ?? fallback
    if let parsed, parser.outputType != spec.type {
      report(
        .parserTypeMismatch,
        "the \(MappingParser.parserName(parser)) parser gives \(parser.outputType) values, but '\(spec.name)' is a \(spec.type) field",
        parsed.nameRange,
        hint: "use '\(MappingParser.parserName(fallback))' or leave the parser out")
      return nil
    }
    return parser
  }

  mutating func checkPositionOnly(_ reference: ColumnReference, _ range: SourceRange, header: Bool)
  {
    guard !header, case .name(let name) = reference else { return }
    report(
      .badColumnReference, "column \"\(name)\" is named, but the file has no header (header = no)",
      range,
      hint: "give the column by position, like #3")
  }

  mutating func checkKindValuesDistinct() {
    var seen: [String: RecordKindList] = [:]
    for list in [RecordKindList.receipt, .disbursement, .skip] {
      for value in kindLists[list] ?? [] {
        let key = KindColumn.normalized(value.text)
        if let previous = seen[key] {
          let placement =
            previous == list
            ? "twice in '\(list.rawValue)'"
            : "in both '\(previous.rawValue)' and '\(list.rawValue)'"
          report(
            .kindValueListedTwice, "kind value '\(value.text)' is listed \(placement)", value.range)
        } else {
          seen[key] = list
        }
      }
    }
  }

  static func resolve(_ form: ParsedParser.Form, dateFormat: DateFormat) -> CellParser {
    switch form {
    case .text(let letterCase): return .text(letterCase)
    case .money: return .money
    case .accountingMoney: return .accountingMoney
    case .date(let format): return .date(format ?? dateFormat)
    case .integer: return .integer
    case .boolean: return .boolean
    case .flag(let values, let falseValues): return .flag(FlagValues(values, false: falseValues))
    }
  }

  static func parserName(_ parser: CellParser) -> String {
    switch parser {
    case .text: return "text"
    case .money, .accountingMoney: return "money"
    case .date: return "date"
    case .integer: return "integer"
    case .boolean: return "boolean"
    case .flag: return "flag"
    }
  }

  static func baseName(_ path: String) -> String {
    let last = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return last }
    return String(last[..<dot])
  }
}
