import ProbityCore

/// Parses one rules file into a `FileSyntax` plus diagnostics. Never stops at the first
/// error: it reports, skips to a point it can resume from, and goes on. Every loop
/// checks that it consumed input, so no input can make it spin.
public struct Parser {
  private var tokens: [Token]
  private var index = 0
  private var sink: DiagnosticSink
  private var depth = 0
  private let source: SourceFile

  /// Expressions deeper than this are refused with a diagnostic rather than risking
  /// the stack.
  static let maximumDepth = 200

  public static func parse(_ source: SourceFile) -> (syntax: FileSyntax, diagnostics: [Diagnostic])
  {
    var sink = DiagnosticSink(source: source)
    let tokens = Lexer.tokenize(source, sink: &sink)
    var parser = Parser(tokens: tokens, sink: sink, source: source)
    let syntax = parser.parseFile()
    return (syntax, parser.sink.diagnostics)
  }

  /// Parses a standalone expression (tests, `probity explain`).
  public static func parseExpression(_ source: SourceFile) -> (
    expr: Expr, diagnostics: [Diagnostic]
  ) {
    var sink = DiagnosticSink(source: source)
    let tokens = Lexer.tokenize(source, sink: &sink)
    var parser = Parser(tokens: tokens, sink: sink, source: source)
    let expr = parser.parseExpression()
    if parser.current.kind != .endOfFile {
      parser.error(
        .expected("end of expression", found: parser.describe(parser.current)), parser.current.range
      )
    }
    return (expr, parser.sink.diagnostics)
  }

  private init(tokens: [Token], sink: DiagnosticSink, source: SourceFile) {
    self.tokens = tokens
    self.sink = sink
    self.source = source
  }

  // MARK: Token helpers

  private var current: Token { tokens[index] }
  private func peekToken(_ offset: Int = 1) -> Token {
    tokens[min(index + offset, tokens.count - 1)]
  }

  @discardableResult
  private mutating func advance() -> Token {
    let token = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return token
  }

  private func isKeyword(_ word: String, _ token: Token? = nil) -> Bool {
    let t = token ?? current
    return t.kind == .identifier && t.text == word
  }

  private mutating func error(_ message: LanguageMessage, _ range: SourceRange, hint: String? = nil)
  {
    sink.error(message, range, hint: hint)
  }

  private func describe(_ token: Token) -> String {
    switch token.kind {
    case .endOfFile: return "end of file"
    case .identifier: return "'\(token.text)'"
    case .string: return "a string"
    case .integer: return "the number \(token.text)"
    case .money: return "the amount \(token.text)"
    case .date: return "the date \(token.text)"
    default: return "'\(token.text)'"
    }
  }

  private mutating func expect(_ kind: TokenKind, _ what: String) -> Token? {
    if current.kind == kind { return advance() }
    error(.expected(what, found: describe(current)), current.range)
    return nil
  }

  /// A name being declared (`what`: "a name after 'define'"), of a `kind` ("define"):
  /// one of the language's words is said (P0023) and kept, so that its uses are not
  /// also unknown names.
  private mutating func expectName(_ what: String, of kind: String) -> Token? {
    guard let name = expect(.identifier, what) else { return nil }
    if Parser.reservedWords.contains(name.text) {
      error(
        .reservedWord(name.text, kind: kind), name.range,
        hint:
          "name it another way: the words of expressions (and, or, not, in, if, then, else, true, false, missing), of declarations and of rule properties name nothing"
      )
    }
    return name
  }

  /// The words no `define`, `param`, `list` or `let` may be named: an expression's
  /// (`true` would be the value, `and` the operator: the name could never be used) and
  /// the declarations' and rule properties' (a line starting with one begins it). Not
  /// `window`, a name the engine gives.
  static let reservedWords: Set<String> = Set(
    ["and", "or", "not", "in", "if", "then", "else", "true", "false", "missing"]
  ).union(itemKeywords).union(ruleProperties.filter { $0 != "window" })

  // MARK: File

  static let itemKeywords: Set<String> = ["rule", "param", "import", "list", "define"]

  private mutating func parseFile() -> FileSyntax {
    var file = FileSyntax(source: source)
    while current.kind != .endOfFile {
      let before = index
      if isKeyword("import") {
        if let decl = parseImport() { file.imports.append(decl) }
      } else if isKeyword("param") {
        if let decl = parseParam() { file.params.append(decl) }
      } else if isKeyword("rule") {
        if let decl = parseRule() { file.rules.append(decl) }
      } else if isKeyword("list") {
        if let decl = parseList() { file.lists.append(decl) }
      } else if isKeyword("define") {
        advance()
        if let name = expectName("a name after 'define'", of: "define"),
          expect(.assign, "'=' after the name") != nil
        {
          file.defines.append(
            DefineDecl(name: name.text, nameRange: name.range, value: parseExpression()))
        } else {
          skipToItem()
        }
      } else {
        let hint =
          current.kind == .identifier
          ? NearNames.hint(for: current.text, among: Parser.itemKeywords) : nil
        error(
          .expected("'rule', 'param', 'define', 'list' or 'import'", found: describe(current)),
          current.range,
          hint: hint)
        skipToItem()
      }
      if index == before { advance() }
    }
    return file
  }

  /// Skips to the next token that can start a top-level item.
  private mutating func skipToItem() {
    advance()
    while current.kind != .endOfFile {
      if current.kind == .identifier && Parser.itemKeywords.contains(current.text) { return }
      advance()
    }
  }

  private mutating func parseImport() -> ImportDecl? {
    let start = advance().range
    guard let token = expect(.string, "a quoted file name after 'import'") else { return nil }
    return ImportDecl(path: decodeString(token), range: start.union(token.range))
  }

  // MARK: Reference lists

  /// `list NAME from "file.csv" column "name" key org_key`
  private mutating func parseList() -> ListDecl? {
    let start = advance().range
    guard let name = expectName("a list name", of: "list") else {
      skipToItem()
      return nil
    }
    guard isKeyword("from") else {
      error(.expected("'from' and a quoted CSV file name", found: describe(current)), current.range)
      skipToItem()
      return nil
    }
    advance()
    guard let path = expect(.string, "a quoted CSV file name") else {
      skipToItem()
      return nil
    }
    guard isKeyword("column") else {
      error(
        .expected("'column' and the quoted name of the column to read", found: describe(current)),
        current.range)
      skipToItem()
      return nil
    }
    advance()
    guard let column = expect(.string, "the quoted name of the column") else {
      skipToItem()
      return nil
    }
    var key: Located<String>?
    var end = column.range
    if isKeyword("key") {
      advance()
      if let function = expect(.identifier, "a function that normalizes each entry, like org_key") {
        key = Located(value: function.text, range: function.range)
        end = function.range
      }
    }
    return ListDecl(
      name: name.text, nameRange: name.range,
      path: Located(value: decodeString(path), range: path.range),
      column: Located(value: decodeString(column), range: column.range), key: key,
      range: start.union(end))
  }

  // MARK: Parameters

  private mutating func parseType() -> (ValueType?, SourceRange) {
    let token = current
    guard token.kind == .identifier else {
      error(
        .expected(
          "a type (money, integer, date, string, boolean, list of ...)", found: describe(token)),
        token.range)
      return (nil, token.range)
    }
    advance()
    switch token.text {
    case "money": return (.money, token.range)
    case "integer": return (.integer, token.range)
    case "date": return (.date, token.range)
    case "string": return (.string, token.range)
    case "boolean": return (.boolean, token.range)
    case "list":
      guard isKeyword("of") else {
        error(
          .expected("'of' after 'list'", found: describe(current)), current.range,
          hint: "write 'list of string'")
        return (nil, token.range)
      }
      advance()
      let (element, range) = parseType()
      return (element.map { .list($0) }, token.range.union(range))
    default:
      let names = ["money", "integer", "date", "string", "boolean", "list"]
      error(
        .unknownType(token.text), token.range, hint: NearNames.hint(for: token.text, among: names))
      return (nil, token.range)
    }
  }

  private mutating func parseParam() -> ParamDecl? {
    let start = advance().range
    guard let name = expectName("a parameter name", of: "param") else {
      skipToItem()
      return nil
    }
    let type: ValueType?
    let typeRange: SourceRange
    if current.kind == .assign {
      // `param limit = $100.00`: the type left out. Said, and the value read on, so that
      // the parameter's uses are checked against its value's type, not reported unknown.
      error(
        .expected("':' and a type after the parameter name", found: describe(current)),
        current.range,
        hint:
          "write 'param \(name.text): TYPE = ...', the TYPE one of money, integer, date, string, boolean"
      )
      (type, typeRange) = (nil, current.range)
    } else {
      guard expect(.colon, "':' and a type after the parameter name") != nil else {
        skipToItem()
        return nil
      }
      (type, typeRange) = parseType()
    }
    if current.kind == .assign {
      advance()
      let value = parseExpression()
      return ParamDecl(
        name: name.text, nameRange: name.range, type: type, typeRange: typeRange,
        body: .scalar(value),
        range: start.union(value.range))
    }
    guard isKeyword("by") else {
      error(
        .expected(
          "'=' and a value, or 'by year { ... }' / 'by date { ... }'", found: describe(current)),
        current.range)
      skipToItem()
      return nil
    }
    advance()
    let keyToken = current
    let key: TableKey
    if isKeyword("year") {
      key = .year
    } else if isKeyword("date") {
      key = .date
    } else {
      error(.expected("'year' or 'date' after 'by'", found: describe(keyToken)), keyToken.range)
      skipToItem()
      return nil
    }
    advance()
    guard expect(.leftBrace, "'{' to open the table") != nil else {
      skipToItem()
      return nil
    }
    var entries: [TableEntry] = []
    while current.kind != .rightBrace && current.kind != .endOfFile {
      let before = index
      if let entry = parseTableEntry(key) {
        entries.append(entry)
      } else {
        // Resume at the next line that looks like an entry.
        while current.kind != .rightBrace && current.kind != .endOfFile && current.kind != .integer
          && current.kind != .date && !isKeyword("from")
          && !(current.kind == .identifier && Parser.itemKeywords.contains(current.text))
        {
          advance()
        }
        if current.kind == .identifier && Parser.itemKeywords.contains(current.text) { break }
      }
      if current.kind == .comma { advance() }
      if index == before { advance() }
    }
    let endRange = current.range
    _ = expect(.rightBrace, "'}' to close the table")
    return ParamDecl(
      name: name.text, nameRange: name.range, type: type, typeRange: typeRange,
      body: .table(by: key, entries: entries), range: start.union(endRange))
  }

  private mutating func parseTableEntry(_ key: TableKey) -> TableEntry? {
    let start = current.range
    let entryKey: TableEntry.Key
    switch key {
    case .year:
      guard let first = expect(.integer, "a year like 2024 or a range like 2023..2024") else {
        return nil
      }
      let from = parseYear(first)
      var through = from
      if current.kind == .dotDot {
        advance()
        guard let second = expect(.integer, "the last year of the range") else { return nil }
        through = parseYear(second)
      }
      entryKey = .years(from, through)
    case .date:
      if isKeyword("from") {
        advance()
        guard let first = expect(.date, "a date like 2024-01-01 after 'from'") else { return nil }
        guard let date = parseDate(first) else { return nil }
        entryKey = .dates(from: date, through: nil)
      } else {
        guard let first = expect(.date, "'from 2024-01-01' or a range like 2023-01-01..2024-12-31")
        else { return nil }
        guard expect(.dotDot, "'..' and the last date of the range") != nil else { return nil }
        guard let second = expect(.date, "the last date of the range") else { return nil }
        guard let from = parseDate(first), let through = parseDate(second) else { return nil }
        entryKey = .dates(from: from, through: through)
      }
    }
    let keyRange = start.union(tokens[max(0, index - 1)].range)
    guard expect(.colon, "':' between the entry's key and its value") != nil else { return nil }
    let value = parseExpression()
    return TableEntry(key: entryKey, keyRange: keyRange, value: value)
  }

  private mutating func parseYear(_ token: Token) -> Int64 {
    // Four digits: `24` is surely 2024 mistyped, and a table entry for the year 24 would
    // leave 2024 without one (its lookups missing, its rules undetermined).
    guard token.text.count == 4, let year = Int64(token.text), (1000...9999).contains(year) else {
      error(.invalidInteger(token.text), token.range, hint: "a year is written with four digits")
      return 0
    }
    return year
  }

  private mutating func parseDate(_ token: Token) -> CivilDate? {
    switch DateFormat.isoDate.parse(Substring(token.text)) {
    case .success(let date): return date
    case .failure(let reason):
      error(.invalidDate(token.text), token.range, hint: reason.description)
      return nil
    }
  }

  // MARK: Rules

  static let ruleProperties = [
    "title", "severity", "category", "citation", "applies", "where", "group", "window", "let",
    "when", "fires", "cure", "due", "message", "remedy",
  ]

  /// A name made of adjacent words, numbers and dashes: `US-CASH-001`, `cash-over-limit`.
  private mutating func parseDashedName(_ what: String) -> Located<String>? {
    guard current.kind == .identifier || current.kind == .integer else {
      error(.expected(what, found: describe(current)), current.range)
      return nil
    }
    var text = advance().text
    var range = tokens[index - 1].range
    while current.kind == .minus && current.range.start == range.end
      && (peekToken().kind == .identifier || peekToken().kind == .integer)
      && peekToken().range.start == current.range.end
    {
      advance()
      let part = advance()
      text += "-" + part.text
      range = range.union(part.range)
    }
    return Located(value: text, range: range)
  }

  private mutating func parseRule() -> RuleDecl? {
    let start = advance().range
    guard let id = parseDashedName("a rule id like US-CASH-001") else {
      skipToItem()
      return nil
    }
    if current.kind != .leftBrace {
      // A rule id written wrong (`US-X- {`, `US-X 1 {`): said, and the rule's body read
      // all the same when its '{' is on the line, so that its own errors are said too.
      error(.expected("'{' to open the rule", found: describe(current)), current.range)
      let line = source.line(of: start.start)
      var brace = index
      while tokens[brace].kind != .leftBrace && tokens[brace].kind != .endOfFile
        && source.line(of: tokens[brace].range.start) == line
      {
        brace += 1
      }
      guard tokens[brace].kind == .leftBrace, source.line(of: tokens[brace].range.start) == line
      else {
        skipToItem()
        return nil
      }
      index = brace
    }
    advance()  // '{'
    var rule = RuleDecl(id: id.value, idRange: id.range, range: start.union(id.range))
    var seen: Set<String> = []
    /// Properties written misspelt (an error already said for each).
    var misspelt: Set<String> = []
    // The property read last: a word left on its line after it is not a property.
    var last: Token?
    while current.kind != .rightBrace && current.kind != .endOfFile {
      let before = index
      let property = current
      if property.kind == .identifier && Parser.itemKeywords.contains(property.text) {
        break  // A missing '}': the diagnostic below says so.
      }
      if property.kind == .invalid {
        advance()  // The lexer has reported it.
        continue
      }
      guard property.kind == .identifier, Parser.ruleProperties.contains(property.text) else {
        let hint =
          property.kind == .identifier
          ? NearNames.hint(for: property.text, among: Parser.ruleProperties) : nil
        if let last, index > 0, sameLine(tokens[index - 1], property) {
          // `when amount > $5.00 foo`: the property's value ended before the word, on its
          // line. Not an unknown property: something left over, or a missing operator.
          // Said unless an error on this line was (`applies to receipts`: 'to' is no kind,
          // and 'receipts' is what is left of that).
          let expression = ["where", "when", "let"].contains(last.text)
          let saidHere =
            sink.diagnostics.last.map {
              $0.file == source.path
                && $0.position?.line == source.lineAndColumn(of: property.range.start).line
            } ?? false
          if !saidHere {
            error(
              .expected("the end of the '\(last.text)' line", found: describe(property)),
              property.range,
              hint: expression
                ? "the '\(last.text)' expression ends before it: join them with 'and', 'or' or an operator"
                : "each rule property stands on its own line")
          }
          // Resume on the next line, which may hold a property of its own (and its error).
          let stray = property
          while current.kind != .endOfFile && current.kind != .rightBrace
            && sameLine(stray, current)
          {
            advance()
          }
          if index == before { advance() }
          continue
        } else if property.kind == .identifier {
          error(
            .unknownRuleProperty(property.text), property.range,
            hint: hint ?? "a rule has: \(Parser.ruleProperties.joined(separator: ", "))")
          // `severty error`: the property it stands for is not also said to be missing.
          if let meant = NearNames.suggestion(for: property.text, among: Parser.ruleProperties) {
            misspelt.insert(meant)
          }
        } else {
          error(
            .expected(
              "a rule property (\(Parser.ruleProperties.joined(separator: ", ")))",
              found: describe(property)), property.range)
        }
        skipToProperty()
        if index == before { advance() }
        continue
      }
      advance()
      last = property
      if property.text != "let" && !seen.insert(property.text).inserted {
        error(.duplicateRuleProperty(property.text), property.range)
      }
      switch property.text {
      case "title":
        if let t = expect(.string, "a quoted title") {
          rule.title = Located(value: decodeString(t), range: t.range)
          blankText(
            t, "title", id: id.value, hint: "a title says in a few words what the rule finds")
        }
      case "citation":
        if let t = expect(.string, "a quoted citation") {
          rule.citation = Located(value: decodeString(t), range: t.range)
          blankText(
            t, "citation", id: id.value,
            hint: "a citation names the law the rule applies, like \"52 U.S.C. 30116(a)\"")
        }
      case "severity":
        if let t = expect(.identifier, "a severity (error, warning, info)") {
          if let severity = FindingSeverity(rawValue: t.text) {
            rule.severity = Located(value: severity, range: t.range)
          } else {
            error(
              .unknownSeverity(t.text), t.range,
              hint: NearNames.hint(for: t.text, among: FindingSeverity.allCases.map(\.rawValue))
                ?? "one of: error, warning, info")
          }
        }
      case "category":
        if let name = parseDashedName("a category like cash-over-limit") {
          if let category = FindingCategory(rawValue: name.value) {
            rule.category = Located(value: category, range: name.range)
          } else {
            let all = FindingCategory.allCases.map(\.rawValue)
            error(
              .unknownCategory(name.value), name.range,
              hint: NearNames.hint(for: name.value, among: all)
                ?? "one of: \(all.joined(separator: ", "))")
          }
        }
      case "applies":
        rule.kinds = parseKinds()
      case "when":
        rule.condition = parseExpression()
      case "message":
        if let t = expect(.string, "a quoted message") {
          rule.message = parseTemplate(t)
          blankText(t, "message", id: id.value, hint: "a message says what the record shows")
        }
      case "remedy":
        if let t = expect(.string, "a quoted remedy") { rule.remedy = parseTemplate(t) }
      case "where":
        rule.filter = parseExpression()
      case "let":
        guard let name = expectName("a name after 'let'", of: "let") else { break }
        guard expect(.assign, "'=' after the name") != nil else { break }
        rule.lets.append(LetDecl(name: name.text, nameRange: name.range, value: parseExpression()))
      case "group":
        guard isKeyword("by") else {
          error(
            .expected("'by' after 'group'", found: describe(current)), current.range,
            hint: "write 'group by person_key(name), zip5(zip)'")
          break
        }
        advance()
        var keys: [Expr] = []
        repeat {
          if current.kind == .comma { advance() }
          let before = index
          keys.append(parseExpression())
          if index == before { break }
        } while current.kind == .comma
        rule.groupBy = keys
        rule.groupRange = keys.first.map { first in
          keys.dropFirst().reduce(first.range) { $0.union($1.range) }
        }
      case "window":
        rule.window = parseWindow()
      case "cure":
        rule.cureDays = parseWithinDays("cure", example: "cure within 60 days")
      case "due":
        rule.dueDays = parseWithinDays("due", example: "due within 30 days")
      case "fires":
        guard isKeyword("on") else {
          error(
            .expected("'on' after 'fires'", found: describe(current)), current.range,
            hint: "write 'fires on crossing' or 'fires on each'")
          break
        }
        advance()
        if let mode = expect(.identifier, "'crossing' or 'each'") {
          if let fire = FireMode(rawValue: mode.text) {
            rule.fires = Located(value: fire, range: mode.range)
          } else {
            error(.expected("'crossing' or 'each'", found: describe(mode)), mode.range)
          }
        }
      default:
        break
      }
      if index == before { advance() }
    }
    rule.range = rule.range.union(current.range)
    if current.kind == .rightBrace {
      advance()
    } else {
      error(.expected("'}' to close rule \(id.value)", found: describe(current)), current.range)
    }
    for required in ["title", "severity", "category", "citation", "applies", "when", "message"]
    where !seen.contains(required) && !misspelt.contains(required) {
      error(.missingRuleProperty(required, rule: id.value), id.range)
    }
    return rule
  }

  /// A title, citation or message that is empty or blank is none: a finding would print
  /// an empty citation, traceable to no law (P0012, as when the property is left out).
  private mutating func blankText(_ token: Token, _ property: String, id: String, hint: String) {
    guard decodeString(token).allSatisfy(\.isWhitespace) else { return }
    error(.missingRuleProperty(property, rule: id), token.range, hint: hint)
  }

  /// `within N days` after `cure` or `due`.
  private mutating func parseWithinDays(_ property: String, example: String) -> Located<Int>? {
    guard isKeyword("within") else {
      error(
        .expected("'within' after '\(property)'", found: describe(current)), current.range,
        hint: "write '\(example)'")
      return nil
    }
    advance()
    guard let n = parseDays(in: 0...36_500, "a number of days") else { return nil }
    return Located(value: n.value, range: n.range)
  }

  /// `N days` (or `day`), N in `range`: a number out of it is said (it was dropped
  /// silently: `due within 40000` left the rule without a deadline, and no error), and
  /// its `days` read, so that nothing follows from it. nil only when no number is given.
  private mutating func parseDays(in range: ClosedRange<Int>, _ what: String) -> Located<Int>? {
    // A minus before the number (`-5`): a count out of range, said as one.
    let minus = current.kind == .minus && peekToken().kind == .integer ? advance().range : nil
    guard let days = expect(.integer, what) else { return nil }
    let written = (minus == nil ? "" : "-") + days.text
    let n = minus == nil ? Int(days.text).flatMap { range.contains($0) ? $0 : nil } : nil
    if n == nil {
      error(
        .invalidInteger(written), minus.map { $0.union(days.range) } ?? days.range,
        hint: "a number of days from \(range.lowerBound) to \(range.upperBound) (a hundred years)")
    }
    if isKeyword("days") || isKeyword("day") {
      advance()
    } else {
      error(.expected("'days'", found: describe(current)), current.range)
    }
    // Out of range, said, the property still stands (at the nearest bound): the pack
    // does not compile, and `{deadline}` or `{window}` are not also "known only in a rule
    // with a deadline".
    let value = n ?? (minus != nil ? range.lowerBound : range.upperBound)
    return Located(value: value, range: days.range)
  }

  /// `window calendar-year`, `window quarter`, `window cycle`, `window election`,
  /// `window rolling 30 days`, each optionally followed by `on EXPR`.
  private mutating func parseWindow() -> WindowDecl? {
    let start = current.range
    guard
      let name = parseDashedName(
        "a window: calendar-year, quarter, cycle, election or rolling N days")
    else {
      return nil
    }
    let kind: WindowDecl.Kind
    switch name.value {
    case "calendar-year": kind = .calendarYear
    case "quarter": kind = .quarter
    case "cycle": kind = .cycle
    case "election": kind = .election
    case "rolling":
      guard let n = parseDays(in: 1...36_500, "a number of days after 'rolling'") else {
        return nil
      }
      kind = .rolling(days: n.value)
    default:
      let names = ["calendar-year", "quarter", "cycle", "election", "rolling"]
      error(
        .expected(
          "a window: calendar-year, quarter, cycle, election or rolling N days",
          found: "'\(name.value)'"),
        name.range, hint: NearNames.hint(for: name.value, among: names))
      // A placeholder keeps the rule a rule across records, so its aggregates are not
      // reported again as being outside one.
      return WindowDecl(kind: .calendarYear, on: nil, range: name.range)
    }
    var on: Expr?
    if isKeyword("on") {
      advance()
      on = parseExpression()
    }
    return WindowDecl(
      kind: kind, on: on, range: start.union(on?.range ?? tokens[max(0, index - 1)].range))
  }

  /// Whether two tokens start on one line of the source.
  private func sameLine(_ a: Token, _ b: Token) -> Bool {
    source.line(of: a.range.start) == source.line(of: b.range.start)
  }

  private mutating func skipToProperty() {
    advance()
    while current.kind != .endOfFile && current.kind != .rightBrace {
      if current.kind == .identifier
        && (Parser.ruleProperties.contains(current.text)
          || Parser.itemKeywords.contains(current.text))
      {
        return
      }
      advance()
    }
  }

  private mutating func parseKinds() -> Located<[RecordKind]>? {
    var kinds: [RecordKind] = []
    var range = current.range
    repeat {
      if current.kind == .comma { advance() }
      guard let t = expect(.identifier, "a record kind (receipt, disbursement)") else { return nil }
      range = range.union(t.range)
      if let kind = RecordKind(rawValue: t.text) {
        if kinds.contains(kind) {
          error(.duplicateRuleProperty(t.text), t.range, hint: "name each kind once")
        } else {
          kinds.append(kind)
        }
      } else {
        let names = RecordKind.allCases.map(\.rawValue)
        error(
          .unknownRecordKind(t.text), t.range,
          hint: NearNames.hint(for: t.text, among: names) ?? "one of: receipt, disbursement")
      }
    } while current.kind == .comma
    return kinds.isEmpty ? nil : Located(value: kinds, range: range)
  }

  // MARK: Strings and templates

  /// The value of a string token: quotes removed, escapes (\" \\ \n \t) decoded.
  private func decodeString(_ token: Token) -> String {
    var bytes = Array(token.text.utf8.dropFirst())
    if bytes.last == UInt8(ascii: "\"") { bytes.removeLast() }
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count {
        let e = bytes[i + 1]
        out.append(e == UInt8(ascii: "n") ? 10 : e == UInt8(ascii: "t") ? 9 : e)
        i += 2
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Where the hole opened before `start` ends: its '}', or `end` when there is none. A
  /// '}' inside a string written in the hole (`{name ?? \"}\"}`) does not end it, so that
  /// the string is one error, not a second hole's. `\\` and `\"` are passed over whole.
  static func holeEnd(_ bytes: [UInt8], from start: Int, end: Int) -> Int {
    var close = start
    var quoted = false
    while close < end {
      let b = bytes[close]
      if b == UInt8(ascii: "\\"), close + 1 < end,
        bytes[close + 1] == UInt8(ascii: "\"") || bytes[close + 1] == UInt8(ascii: "\\")
      {
        if bytes[close + 1] == UInt8(ascii: "\"") { quoted.toggle() }
        close += 2
        continue
      }
      if b == UInt8(ascii: "}") && !quoted { return close }
      close += 1
    }
    // A string never closed: the first '}' ends the hole, as if there were none.
    guard quoted else { return end }
    return bytes[start..<end].firstIndex(of: UInt8(ascii: "}")) ?? end
  }

  /// Whether every escape in `bytes` is one a string knows (the lexer's P0022 says the rest).
  static func knowsEscapes(_ bytes: ArraySlice<UInt8>) -> Bool {
    var i = bytes.startIndex
    while i < bytes.endIndex {
      if bytes[i] == UInt8(ascii: "\\") {
        // A '\' last in a hole escapes the '}' after it.
        guard i + 1 < bytes.endIndex, Lexer.escapes.contains(bytes[i + 1]) else { return false }
        i += 2
      } else {
        i += 1
      }
    }
    return true
  }

  /// A message template: text with `{expression}` holes; `{{` and `}}` are literal braces.
  private mutating func parseTemplate(_ token: Token) -> Template {
    let bytes = source.bytes
    var parts: [Template.Part] = []
    var text: [UInt8] = []
    var i = token.range.start + 1
    let end =
      bytes[token.range.end - 1] == UInt8(ascii: "\"") && token.range.end - 1 > token.range.start
      ? token.range.end - 1 : token.range.end
    while i < end {
      let b = bytes[i]
      if b == UInt8(ascii: "\\") && i + 1 < end {
        let e = bytes[i + 1]
        text.append(e == UInt8(ascii: "n") ? 10 : e == UInt8(ascii: "t") ? 9 : e)
        i += 2
      } else if b == UInt8(ascii: "{") && i + 1 < end && bytes[i + 1] == UInt8(ascii: "{") {
        text.append(b)
        i += 2
      } else if b == UInt8(ascii: "}") && i + 1 < end && bytes[i + 1] == UInt8(ascii: "}") {
        text.append(b)
        i += 2
      } else if b == UInt8(ascii: "{") {
        let close = Parser.holeEnd(bytes, from: i + 1, end: end)
        guard close < end else {
          error(
            .invalidTemplate("'{' is never closed"), SourceRange(start: i, end: end),
            hint: "write '{{' for a literal brace")
          break
        }
        if !text.isEmpty {
          parts.append(.text(String(decoding: text, as: UTF8.self)))
          text.removeAll()
        }
        // A string inside a hole: its quotes, written `\"` in the message, are not the
        // hole's to lex (a cascade of an unexpected '\', an unterminated string and
        // more). Nor is any other escape. Said once, with the way to write it.
        let hole = bytes[(i + 1)..<close]
        if hole.contains(UInt8(ascii: "\\")) {
          let quoted = zip(hole, hole.dropFirst()).contains(where: {
            $0 == UInt8(ascii: "\\") && $1 == UInt8(ascii: "\"")
          })
          // An escape the string does not know (`\}`) has had its error from the lexer.
          if !Parser.knowsEscapes(hole) {
            parts.append(.hole(Expr(.error, SourceRange(start: i, end: close + 1))))
            i = close + 1
            continue
          }
          error(
            .invalidTemplate(
              quoted
                ? "a quoted string cannot be written inside '{...}'"
                : "a '\\' cannot be written inside '{...}'"),
            SourceRange(start: i, end: close + 1),
            hint: quoted
              ? "name the value with a let or a define (let shown = name ?? \"unknown\") and write {shown}"
              : "a '{...}' holds a value's name or an expression, like {amount}; write '\\\\' outside it for a backslash"
          )
          parts.append(.hole(Expr(.error, SourceRange(start: i, end: close + 1))))
          i = close + 1
          continue
        }
        var holeSink = DiagnosticSink(source: source)
        let holeTokens = Lexer.tokenize(source, start: i + 1, end: close, sink: &holeSink)
        var sub = Parser(tokens: holeTokens, sink: holeSink, source: source)
        sub.depth = depth
        if sub.current.kind == .endOfFile {
          sub.error(
            .invalidTemplate("empty '{}'"), SourceRange(start: i, end: close + 1),
            hint: "put a field or parameter name inside, like {amount}")
          parts.append(.hole(Expr(.error, SourceRange(start: i, end: close + 1))))
        } else {
          let expr = sub.parseExpression()
          if sub.current.kind != .endOfFile {
            sub.error(
              .expected("'}' to end the value", found: sub.describe(sub.current)), sub.current.range
            )
          }
          parts.append(.hole(expr))
        }
        for diagnostic in sub.sink.diagnostics { sink.add(diagnostic) }
        i = close + 1
      } else if b == UInt8(ascii: "}") {
        error(
          .invalidTemplate("'}' without '{'"), SourceRange(start: i, end: i + 1),
          hint: "write '}}' for a literal brace")
        i += 1
      } else {
        text.append(b)
        i += 1
      }
    }
    if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
    return Template(parts: parts, range: token.range)
  }

  // MARK: Expressions

  mutating func parseExpression() -> Expr {
    depth += 1
    defer { depth -= 1 }
    if depth > Parser.maximumDepth {
      error(
        .tooDeeplyNested, current.range,
        hint: "split the condition into parameters or simpler parts")
      // Skip the rest of this expression: everything up to the closing brackets.
      let start = current.range
      var level = 0
      while current.kind != .endOfFile {
        if current.kind == .leftParen || current.kind == .leftBracket { level += 1 }
        if current.kind == .rightParen || current.kind == .rightBracket {
          if level == 0 { break }
          level -= 1
        }
        advance()
      }
      return Expr(.error, start)
    }
    return parseOr()
  }

  /// One more link of an operator chain (`a and b and c`, `a ?? b ?? c`, `x[1][2]`):
  /// a chain nests the tree as deep as parentheses do, and the checker and the
  /// evaluator walk the tree recursively. False past the limit, reported once per chain;
  /// the rest of the chain is then read without nesting deeper.
  private mutating func link(_ token: Token, base: Int, reported: inout Bool) -> Bool {
    if !reported {
      depth += 1
      if depth <= Parser.maximumDepth { return true }
      error(
        .tooDeeplyNested, token.range, hint: "split the condition into parameters or simpler parts"
      )
      reported = true
    }
    depth = base
    return false
  }

  private mutating func parseOr() -> Expr {
    let saved = depth
    defer { depth = saved }
    var reported = false
    var left = parseAnd()
    // `||` was reported by the lexer; reading it as `or` avoids a cascade of errors.
    while isKeyword("or") || (current.kind == .invalid && current.text == "||") {
      let nested = link(advance(), base: saved, reported: &reported)
      let right = parseAnd()
      left = Expr(nested ? .binary(.or, left, right) : .error, left.range.union(right.range))
    }
    return left
  }

  private mutating func parseAnd() -> Expr {
    let saved = depth
    defer { depth = saved }
    var reported = false
    var left = parseNot()
    while isKeyword("and") || (current.kind == .invalid && current.text == "&&") {
      let nested = link(advance(), base: saved, reported: &reported)
      let right = parseNot()
      left = Expr(nested ? .binary(.and, left, right) : .error, left.range.union(right.range))
    }
    return left
  }

  private mutating func parseNot() -> Expr {
    guard isKeyword("not") else { return parseComparison() }
    let token = advance()
    let saved = depth
    defer { depth = saved }
    var reported = false
    guard link(token, base: saved, reported: &reported) else {
      while isKeyword("not") { advance() }  // the rest of the chain, without recursing
      let operand = parseComparison()
      return Expr(.error, token.range.union(operand.range))
    }
    let operand = parseNot()
    return Expr(.unary(.not, operand), token.range.union(operand.range))
  }

  private mutating func parseComparison() -> Expr {
    let left = parseCoalesce()
    let op: BinaryOperator?
    switch current.kind {
    case .equal: op = .equal
    case .notEqual: op = .notEqual
    case .less: op = .less
    case .lessEqual: op = .lessEqual
    case .greater: op = .greater
    case .greaterEqual: op = .greaterEqual
    case .assign:
      error(.expected("a comparison", found: "'='"), current.range, hint: "write '==' to compare")
      op = .equal
    default:
      if isKeyword("in") {
        op = .in
      } else if isKeyword("not") && isKeyword("in", peekToken()) {
        advance()
        op = .notIn
      } else {
        op = nil
      }
    }
    guard let op else { return left }
    advance()
    let right = parseCoalesce()
    return Expr(.binary(op, left, right), left.range.union(right.range))
  }

  private mutating func parseCoalesce() -> Expr {
    let saved = depth
    defer { depth = saved }
    var reported = false
    var nested = true
    var operands = [parseAdditive()]
    while current.kind == .coalesce {
      nested = link(advance(), base: saved, reported: &reported) && nested
      operands.append(parseAdditive())
    }
    // Right-associative: a ?? (b ?? c), built without recursing.
    var result = operands.removeLast()
    while let left = operands.popLast() {
      let range = left.range.union(result.range)
      result = Expr(nested ? .binary(.coalesce, left, result) : .error, range)
    }
    return result
  }

  private mutating func parseAdditive() -> Expr {
    let saved = depth
    defer { depth = saved }
    var reported = false
    var left = parseMultiplicative()
    while current.kind == .plus || current.kind == .minus {
      let token = advance()
      let op: BinaryOperator = token.kind == .plus ? .add : .subtract
      let nested = link(token, base: saved, reported: &reported)
      let right = parseMultiplicative()
      left = Expr(nested ? .binary(op, left, right) : .error, left.range.union(right.range))
    }
    return left
  }

  private mutating func parseMultiplicative() -> Expr {
    let saved = depth
    defer { depth = saved }
    var reported = false
    var left = parseUnary()
    while current.kind == .star || current.kind == .slash {
      let token = advance()
      let op: BinaryOperator = token.kind == .star ? .multiply : .divide
      let nested = link(token, base: saved, reported: &reported)
      let right = parseUnary()
      left = Expr(nested ? .binary(op, left, right) : .error, left.range.union(right.range))
    }
    return left
  }

  private mutating func parseUnary() -> Expr {
    if current.kind == .minus {
      let start = advance().range
      depth += 1
      defer { depth -= 1 }
      if depth > Parser.maximumDepth {
        error(.tooDeeplyNested, start)
        while current.kind == .minus { advance() }  // the rest of the chain, without recursing
        let operand = parsePostfix()
        return Expr(.error, start.union(operand.range))
      }
      let operand = parseUnary()
      return Expr(.unary(.negate, operand), start.union(operand.range))
    }
    return parsePostfix()
  }

  private mutating func parsePostfix() -> Expr {
    let saved = depth
    defer { depth = saved }
    var reported = false
    var expr = parsePrimary()
    while current.kind == .leftBracket {
      let nested = link(advance(), base: saved, reported: &reported)
      let key = parseExpression()
      let end = current.range
      _ = expect(.rightBracket, "']' to close the index")
      expr = Expr(nested ? .index(base: expr, key: key) : .error, expr.range.union(end))
    }
    return expr
  }

  /// `if CONDITION then A else B`
  private mutating func parseConditional(_ start: Token) -> Expr {
    let condition = parseExpression()
    guard isKeyword("then") else {
      error(
        .expected("'then'", found: describe(current)), current.range,
        hint: "write 'if c then a else b'")
      return Expr(.error, start.range.union(condition.range))
    }
    advance()
    let then = parseExpression()
    guard isKeyword("else") else {
      error(
        .expected("'else'", found: describe(current)), current.range,
        hint: "every 'if' has an 'else'")
      return Expr(.error, start.range.union(then.range))
    }
    advance()
    let otherwise = parseExpression()
    return Expr(
      .conditional(condition, then: then, else: otherwise), start.range.union(otherwise.range))
  }

  private mutating func parsePrimary() -> Expr {
    let token = current
    switch token.kind {
    case .integer:
      advance()
      guard let value = Int64(token.text) else {
        error(.invalidInteger(token.text), token.range)
        return Expr(.error, token.range)
      }
      return Expr(.literal(.integer(value)), token.range)
    case .money:
      advance()
      let symbol = token.text.first ?? "$"
      let currency = Currency.forSymbol(symbol) ?? .usd
      switch MoneyParser.parse(Substring(token.text), currency: currency) {
      case .success(let money): return Expr(.literal(.money(money)), token.range)
      case .failure(let reason):
        error(.invalidMoney(token.text), token.range, hint: reason.description)
        return Expr(.error, token.range)
      }
    case .date:
      advance()
      guard let date = parseDate(token) else { return Expr(.error, token.range) }
      return Expr(.literal(.date(date)), token.range)
    case .string:
      advance()
      return Expr(.literal(.string(decodeString(token))), token.range)
    case .identifier:
      // A property or a declaration starting the next line is no value: the expression
      // stopped unfinished at the end of the line before (`when amount >`). Read as a
      // name, it took the next line with it: "unknown field 'param'", then errors about
      // the rest of that line and a rule without its 'message'.
      // (The word first: where a token's line is takes a search of the source.)
      // (`window` is a property and a name the rules read, `window != "2001"`: it goes on.)
      if index > 0, token.text != "window",
        Parser.ruleProperties.contains(token.text) || Parser.itemKeywords.contains(token.text),
        !sameLine(tokens[index - 1], token)
      {
        let last = tokens[index - 1]
        error(
          .expected(
            "a value after '\(last.text)' at the end of its line",
            found: "'\(token.text)' on the next line"), last.range,
          hint: "finish the expression on its line, or go on with it on the next")
        return Expr(.error, last.range)
      }
      advance()
      if token.text == "if" { return parseConditional(token) }
      if token.text == "true" { return Expr(.literal(.boolean(true)), token.range) }
      if token.text == "false" { return Expr(.literal(.boolean(false)), token.range) }
      if token.text == "missing" && current.kind != .leftParen {
        return Expr(.literal(.missing), token.range)
      }
      if current.kind == .leftParen {
        advance()
        var arguments: [Expr] = []
        while current.kind != .rightParen && current.kind != .endOfFile {
          let before = index
          arguments.append(parseExpression())
          if current.kind == .comma {
            advance()
          } else if current.kind != .rightParen {
            error(
              .expected("',' or ')' in the call to \(token.text)", found: describe(current)),
              current.range)
            break
          }
          if index == before { advance() }
        }
        let end = current.range
        _ = expect(.rightParen, "')' to close the call")
        return Expr(
          .call(function: token.text, nameRange: token.range, arguments: arguments),
          token.range.union(end))
      }
      return Expr(.name(token.text), token.range)
    case .leftParen:
      advance()
      let inner = parseExpression()
      let end = current.range
      _ = expect(.rightParen, "')'")
      return Expr(.parenthesized(inner), token.range.union(end))
    case .leftBracket:
      advance()
      var items: [Expr] = []
      var unclosed = false
      while current.kind != .rightBracket && current.kind != .endOfFile {
        let before = index
        let reported = sink.diagnostics.count
        items.append(parseExpression())
        if current.kind == .comma {
          advance()
        } else if current.kind != .rightBracket {
          // An item that could not be read has said so (`[$1.00,` at the line's end).
          if sink.diagnostics.count == reported {
            error(.expected("',' or ']' in the list", found: describe(current)), current.range)
          }
          unclosed = true
          break
        }
        if index == before { advance() }
      }
      let end = current.range
      // Said once: a list left open is not also "expected ']'" at the same token.
      if unclosed {
        if current.kind == .rightBracket { advance() }
      } else {
        _ = expect(.rightBracket, "']' to close the list")
      }
      return Expr(.list(items), token.range.union(end))
    case .invalid:
      advance()  // the lexer has reported it
      return Expr(.error, token.range)
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .plus, .star, .slash,
      .coalesce, .assign,
      .colon, .dotDot:
      // A stray operator: report it, step over it and read the value that follows.
      error(
        .expected("a value (a field, parameter, literal or call)", found: describe(token)),
        token.range)
      advance()
      depth += 1
      defer { depth -= 1 }
      if depth > Parser.maximumDepth { return Expr(.error, token.range) }
      return parsePrimary()
    default:
      error(
        .expected("a value (a field, parameter, literal or call)", found: describe(token)),
        token.range)
      return Expr(.error, token.range)
    }
  }
}
