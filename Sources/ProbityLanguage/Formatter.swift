import ProbityCore

/// `probity fmt`: lays a rules file out in the canonical way, keeping every comment.
///
/// - Top-level declarations start at column 0, with one blank line between them
///   (consecutive imports may stay together); a comment block before a declaration stays
///   attached to it.
/// - Inside a rule or a table, 2 spaces; one property per line; continuation lines (of
///   `when`, `where`, `let`, ...) 4 spaces, 2 more per bracket still open.
/// - One space around operators and after commas and colons; none inside brackets,
///   before a call's or an index's bracket, around `..`, after a unary minus, or inside
///   dashed names (US-CASH-001).
/// - Line breaks inside expressions are the author's; blank lines are kept (at most one)
///   except right after `{` and before `}`.
///
/// Only white space changes: the formatter refuses a file with syntax errors, and checks
/// its own output has the same tokens and comments, in order, and formats to itself
/// (idempotence); otherwise it reports P0090 and the file is left as it is.
public enum RuleFormatter {
  /// The formatted text, or nil and the diagnostics that stop it.
  public static func format(_ source: SourceFile) -> (text: String?, diagnostics: [Diagnostic]) {
    let syntaxErrors = Parser.parse(source).diagnostics.filter { $0.severity == .error }
    guard syntaxErrors.isEmpty else { return (nil, syntaxErrors) }
    let once = layout(source)
    let again = layout(SourceFile(path: source.path, text: once))
    guard sameTokens(source, SourceFile(path: source.path, text: once)), again == once else {
      let message = LanguageMessage.formatWouldChangeMeaning
      return (
        nil,
        [
          Diagnostic(
            id: message.id, message: message.text, source: source,
            range: SourceRange(start: 0, end: 0),
            hint: "the file is left as it is; please report this with the file")
        ]
      )
    }
    return (once, [])
  }

  /// Whether two texts lex to the same tokens (kind and text) and the same comments.
  static func sameTokens(_ a: SourceFile, _ b: SourceFile) -> Bool {
    func tokens(_ source: SourceFile) -> [String] {
      var sink = DiagnosticSink(source: source)
      return Lexer.tokenize(source, keepingComments: true, sink: &sink).map { token in
        token.kind == .comment ? "#" + trimTrailing(token.text) : "\(token.kind) \(token.text)"
      }
    }
    return tokens(a) == tokens(b)
  }

  static func trimTrailing(_ text: String) -> String {
    String(text.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }

  // MARK: Layout

  static let declarationKeywords = Parser.itemKeywords
  static let ruleProperties = Set(Parser.ruleProperties)
  /// Declarations that may follow one another without a blank line, when each is one line.
  static let groupable: Set<String> = ["import", "define"]
  /// Words after which a value is expected (so a following word is not a new property).
  static let operandWords: Set<String> = [
    "and", "or", "not", "in", "if", "then", "else", "by", "of", "on", "from", "within", "column",
    "key",
  ]

  enum Context {
    case topLevel
    case rule
    case table
  }

  /// Whether a token ends a value: what follows it may start a new property or
  /// declaration.
  static func endsValue(_ token: Token) -> Bool {
    switch token.kind {
    case .integer, .money, .date, .string, .rightParen, .rightBracket, .rightBrace:
      return true
    case .identifier:
      return !operandWords.contains(token.text) && !ruleProperties.contains(token.text)
        && !declarationKeywords.contains(token.text)
    default:
      return false
    }
  }

  /// Whether a value is expected after the token (so a `-` after it is unary).
  static func expectsOperand(_ token: Token?) -> Bool {
    guard let token else { return true }
    switch token.kind {
    case .identifier: return !endsValue(token)
    case .integer, .money, .date, .string, .rightParen, .rightBracket, .rightBrace: return false
    default: return true
    }
  }

  static func isCloser(_ kind: TokenKind) -> Bool { kind == .rightParen || kind == .rightBracket }

  static func layout(_ source: SourceFile) -> String {
    var sink = DiagnosticSink(source: source)
    let tokens = Lexer.tokenize(source, keepingComments: true, sink: &sink).filter {
      $0.kind != .endOfFile
    }
    // Line ends between the token before and this one, as the source counts them (LF,
    // CRLF or a CR alone: a file with old Mac line ends was one line, refused as P0090).
    func newlines(before index: Int) -> Int {
      let start = index == 0 ? 0 : tokens[index - 1].range.end
      return source.line(of: tokens[index].range.start) - source.line(of: start)
    }
    // A dashed name (US-CASH-001): a `-` touching a word or number on both sides.
    func isDashed(_ index: Int) -> Bool {
      guard index > 0, index + 1 < tokens.count, tokens[index].kind == .minus else { return false }
      let (before, after) = (tokens[index - 1], tokens[index + 1])
      let words: [TokenKind] = [.identifier, .integer]
      return words.contains(before.kind) && words.contains(after.kind)
        && before.range.end == tokens[index].range.start
        && tokens[index].range.end == after.range.start
    }

    func spacing(_ left: Token, _ right: Token, previousIndex: Int, index: Int, unary: Bool)
      -> String
    {
      if isDashed(previousIndex) || isDashed(index) { return "" }
      if unary { return "" }
      switch right.kind {
      case .comma, .rightParen, .rightBracket, .colon, .dotDot: return ""
      case .leftParen:
        return left.kind == .identifier && endsValue(left) ? "" : " "
      case .leftBracket:
        let indexes =
          (left.kind == .identifier && endsValue(left)) || left.kind == .rightParen
          || left.kind == .rightBracket
        return indexes ? "" : " "
      default: break
      }
      switch left.kind {
      case .leftParen, .leftBracket, .dotDot: return ""
      default: return " "
      }
    }

    var lines: [String] = []
    var line = ""
    var context = Context.topLevel
    var depth = 0
    var statementKeyword: String?
    var previous: Token?  // previous code token
    var previousIndex = -1
    var unaryMinus = false  // the previous token is a unary minus
    var declarations = 0
    // The previous declaration: its keyword, and the index of its first line.
    var lastDeclaration: (keyword: String, firstLine: Int)?
    var lastLineIsOwnComment = false

    func flush() {
      if !line.isEmpty || !lines.isEmpty { lines.append(trimTrailing(line)) }
      line = ""
    }
    func blankLine() {
      if let last = lines.last, !last.isEmpty { lines.append("") }
    }
    /// The indentation of a line starting with code token `token`, and whether it starts
    /// a statement (a declaration, a property, a table entry).
    func place(_ index: Int) -> (indent: Int, starts: Bool) {
      let token = tokens[index]
      let closer = isCloser(token.kind)
      let d = max(0, depth - (closer ? 1 : 0))
      switch context {
      case .topLevel:
        if depth == 0 && token.kind == .identifier && declarationKeywords.contains(token.text)
          && (previous.map(endsValue) ?? true)
        {
          return (0, true)
        }
        return (d > 0 ? 2 * d : (closer ? 0 : 2), false)
      case .rule:
        if token.kind == .rightBrace && depth == 0 { return (0, true) }
        if depth == 0 && token.kind == .identifier && ruleProperties.contains(token.text)
          && (previous.map { $0.kind == .leftBrace || endsValue($0) } ?? true)
        {
          return (2, true)
        }
        return (4 + 2 * d, false)
      case .table:
        if token.kind == .rightBrace && depth == 0 { return (0, true) }
        return (2 + 2 * d, false)
      }
    }

    for (index, token) in tokens.enumerated() {
      let breaks = newlines(before: index)
      if token.kind == .comment {
        let text = trimTrailing(token.text)
        if breaks == 0 && index > 0 {
          line += "  " + text
          flush()
          lastLineIsOwnComment = false
          continue
        }
        if !line.isEmpty { flush() }
        // Indented like the code after it; before a closing brace, like the body.
        var indent = 0
        if let next = tokens[(index + 1)...].firstIndex(where: { $0.kind != .comment }) {
          indent = place(next).indent
          if tokens[next].kind == .rightBrace && depth == 0 && context != .topLevel { indent = 2 }
        } else if context != .topLevel {
          indent = 2
        }
        let afterOpen = previous?.kind == .leftBrace && !lastLineIsOwnComment
        if context == .topLevel && depth == 0 && !lastLineIsOwnComment && previous != nil {
          blankLine()  // a comment after a declaration: one blank line between them
        } else if breaks >= 2 && !afterOpen && !lines.isEmpty {
          blankLine()
        }
        lines.append(String(repeating: " ", count: indent) + text)
        lastLineIsOwnComment = true
        continue
      }

      let (indent, starts) = place(index)
      var newLine = breaks > 0 || index == 0
      if starts { newLine = true }
      if let previous, previous.kind == .leftBrace && context != .topLevel { newLine = true }
      if newLine {
        if !line.isEmpty { flush() }
        let isTopDeclaration = context == .topLevel && starts
        if isTopDeclaration {
          statementKeyword = token.text
          if declarations > 0 {
            // One-line imports or defines in a row may stay together.
            let sameGroup =
              lastDeclaration.map {
                $0.keyword == token.text && groupable.contains(token.text)
                  && $0.firstLine == lines.count - 1
              } ?? false
            if lastLineIsOwnComment {
              if breaks >= 2 { blankLine() }
            } else if !(sameGroup && breaks < 2) {
              blankLine()
            }
          } else if breaks >= 2 && !lines.isEmpty {
            blankLine()
          }
          declarations += 1
          lastDeclaration = (token.text, lines.count)
        } else if starts && breaks >= 2 && token.kind != .rightBrace
          && previous?.kind != .leftBrace
        {
          blankLine()
        }
        line = String(repeating: " ", count: indent)
      } else if let previous {
        line += spacing(
          previous, token, previousIndex: previousIndex, index: index, unary: unaryMinus)
      }
      line += token.text
      lastLineIsOwnComment = false

      // State after the token.
      unaryMinus = token.kind == .minus && !isDashed(index) && expectsOperand(previous)
      switch token.kind {
      case .leftParen, .leftBracket: depth += 1
      case .rightParen, .rightBracket: depth = max(0, depth - 1)
      case .leftBrace where depth == 0 && context == .topLevel:
        context = statementKeyword == "rule" ? .rule : .table
      case .rightBrace where depth == 0 && context != .topLevel:
        context = .topLevel
      default: break
      }
      previous = token
      previousIndex = index
    }
    if !line.isEmpty { flush() }
    while lines.last == "" { lines.removeLast() }
    while lines.first == "" { lines.removeFirst() }
    return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
  }
}
