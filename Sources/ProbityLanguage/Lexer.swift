import ProbityCore

public enum TokenKind: Equatable, Sendable {
  case identifier
  case integer
  case money
  case date
  case string
  case leftBrace, rightBrace, leftParen, rightParen, leftBracket, rightBracket
  case comma, colon, assign, dotDot
  case equal, notEqual, less, lessEqual, greater, greaterEqual
  case plus, minus, star, slash, coalesce
  case endOfFile
  case invalid
  /// `# ...` to the end of the line: only from `Lexer.tokenize(_:keepingComments: true)`.
  case comment
}

public struct Token: Sendable {
  public let kind: TokenKind
  public let range: SourceRange
  /// The token's source text.
  public let text: String
}

/// Turns rule source into tokens. Never fails: a bad character becomes an `.invalid`
/// token and a diagnostic, and lexing goes on.
///
/// Comments run from `#` to the end of the line.
struct Lexer {
  private let bytes: [UInt8]
  private var position: Int
  private let end: Int
  /// Whether comments become `.comment` tokens (the formatter) instead of being skipped.
  private var keepComments = false

  init(source: SourceFile, start: Int = 0, end: Int? = nil) {
    self.bytes = source.bytes
    self.position = start
    self.end = end ?? source.bytes.count
  }

  /// `keepingComments`: every comment becomes a `.comment` token (its text without the
  /// line terminator), for tools that must keep them (`probity fmt`).
  static func tokenize(
    _ source: SourceFile, start: Int = 0, end: Int? = nil, keepingComments: Bool = false,
    sink: inout DiagnosticSink
  ) -> [Token] {
    var lexer = Lexer(source: source, start: start, end: end)
    lexer.keepComments = keepingComments
    var tokens: [Token] = []
    while true {
      let token = lexer.next(sink: &sink)
      tokens.append(token)
      if token.kind == .endOfFile { break }
    }
    return tokens
  }

  /// `line` without its comment, if it has one: from a `#` outside a string literal to
  /// the end, as `skipTrivia` and the string rule of `next` read a line.
  static func withoutComment(_ line: Substring) -> Substring {
    var inString = false
    var escaped = false
    for index in line.utf8.indices {
      let byte = line.utf8[index]
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
      } else if byte == UInt8(ascii: "\"") {
        inString = true
      } else if byte == UInt8(ascii: "#") {
        return line[..<index]
      }
    }
    return line
  }

  private func peek(_ offset: Int = 0) -> UInt8? {
    let index = position + offset
    return index < end ? bytes[index] : nil
  }

  /// What may follow a backslash in a string: \" \\ \n \t.
  static let escapes: Set<UInt8> = [
    UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "t"),
  ]

  private static func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 48 && $0 <= 57 } ?? false }
  private static func isIdentifierStart(_ b: UInt8) -> Bool {
    (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
  }
  private static func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }

  private func make(_ kind: TokenKind, from start: Int) -> Token {
    Token(
      kind: kind, range: SourceRange(start: start, end: position),
      text: String(decoding: bytes[start..<position], as: UTF8.self))
  }

  mutating func next(sink: inout DiagnosticSink) -> Token {
    skipTrivia()
    let start = position
    guard let byte = peek() else { return make(.endOfFile, from: start) }
    if keepComments && byte == UInt8(ascii: "#") {
      while let c = peek(), c != UInt8(ascii: "\n") && c != UInt8(ascii: "\r") { position += 1 }
      return make(.comment, from: start)
    }
    if Lexer.isIdentifierStart(byte) {
      while let b = peek(), Lexer.isIdentifierPart(b) { position += 1 }
      return make(.identifier, from: start)
    }
    if Lexer.isDigit(byte) {
      // A date is exactly dddd-dd-dd.
      if (0..<4).allSatisfy({ Lexer.isDigit(peek($0)) }) && peek(4) == UInt8(ascii: "-")
        && Lexer.isDigit(peek(5)) && Lexer.isDigit(peek(6)) && peek(7) == UInt8(ascii: "-")
        && Lexer.isDigit(peek(8)) && Lexer.isDigit(peek(9)) && !Lexer.isDigit(peek(10))
      {
        position += 10
        return make(.date, from: start)
      }
      while Lexer.isDigit(peek()) { position += 1 }
      return make(.integer, from: start)
    }
    // Currency symbols: $ (1 byte), £ (C2 A3), € (E2 82 AC).
    let symbolLength: Int? =
      byte == UInt8(ascii: "$")
      ? 1
      : (byte == 0xC2 && peek(1) == 0xA3)
        ? 2
        : (byte == 0xE2 && peek(1) == 0x82 && peek(2) == 0xAC) ? 3 : nil
    if let symbolLength {
      position += symbolLength
      lexMoneyDigits()
      return make(.money, from: start)
    }
    if byte == UInt8(ascii: "\"") {
      position += 1
      // A string ends at its line's end, whatever ends the line (LF, CRLF, a CR alone).
      while let b = peek(), b != UInt8(ascii: "\"") {
        if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") { break }
        guard b == UInt8(ascii: "\\"), let escaped = peek(1), escaped != UInt8(ascii: "\n"),
          escaped != UInt8(ascii: "\r")
        else {
          position += 1
          continue
        }
        // Only \" \\ \n \t mean something: any other was read as the character alone,
        // so a pattern's "\d" silently matched the letter d.
        if !Lexer.escapes.contains(escaped) {
          let shown =
            escaped < 0x80 ? String(UnicodeScalar(escaped)) : "(a byte over 0x7F)"
          sink.error(
            .unknownEscape(shown), SourceRange(start: position, end: position + 2),
            hint:
              "a string knows \\\", \\\\, \\n and \\t; for a backslash write \\\\ (a pattern's \\d is \"\\\\d\")"
          )
        }
        position += 2
      }
      if peek() == UInt8(ascii: "\"") {
        position += 1
        return make(.string, from: start)
      }
      sink.error(
        .unterminatedString, SourceRange(start: start, end: position),
        hint: "close it with \" on the same line")
      return make(.string, from: start)
    }
    position += 1
    switch byte {
    case UInt8(ascii: "{"): return make(.leftBrace, from: start)
    case UInt8(ascii: "}"): return make(.rightBrace, from: start)
    case UInt8(ascii: "("): return make(.leftParen, from: start)
    case UInt8(ascii: ")"): return make(.rightParen, from: start)
    case UInt8(ascii: "["): return make(.leftBracket, from: start)
    case UInt8(ascii: "]"): return make(.rightBracket, from: start)
    case UInt8(ascii: ","): return make(.comma, from: start)
    case UInt8(ascii: ":"): return make(.colon, from: start)
    case UInt8(ascii: "+"): return make(.plus, from: start)
    case UInt8(ascii: "-"): return make(.minus, from: start)
    case UInt8(ascii: "*"): return make(.star, from: start)
    case UInt8(ascii: "/"): return make(.slash, from: start)
    case UInt8(ascii: "."):
      if peek() == UInt8(ascii: ".") {
        position += 1
        return make(.dotDot, from: start)
      }
    case UInt8(ascii: "="):
      if peek() == UInt8(ascii: "=") {
        position += 1
        return make(.equal, from: start)
      }
      return make(.assign, from: start)
    case UInt8(ascii: "!"):
      if peek() == UInt8(ascii: "=") {
        position += 1
        return make(.notEqual, from: start)
      }
    case UInt8(ascii: "<"):
      if peek() == UInt8(ascii: "=") {
        position += 1
        return make(.lessEqual, from: start)
      }
      return make(.less, from: start)
    case UInt8(ascii: ">"):
      if peek() == UInt8(ascii: "=") {
        position += 1
        return make(.greaterEqual, from: start)
      }
      return make(.greater, from: start)
    case UInt8(ascii: "?"):
      if peek() == UInt8(ascii: "?") {
        position += 1
        return make(.coalesce, from: start)
      }
    default:
      break
    }
    // Consume the rest of a multi-byte character so the diagnostic shows all of it;
    // `&&` and `||` are one token, so the parser can read them as `and` and `or`.
    while let b = peek(), b & 0xC0 == 0x80 { position += 1 }
    if (byte == UInt8(ascii: "&") || byte == UInt8(ascii: "|")) && peek() == byte { position += 1 }
    let token = make(.invalid, from: start)
    let hint: String? =
      switch token.text {
      case "&", "&&": "write 'and'"
      case "|", "||": "write 'or'"
      case "!": "write 'not', or '!=' for inequality"
      case "'": "strings are written between double quotes"
      case ".": "amounts are written with a currency symbol, like $1.50"
      case "?": "write '??' to give a default for a missing value"
      default: nil
      }
    sink.error(.unexpectedCharacter(token.text.first ?? "?"), token.range, hint: hint)
    return token
  }

  /// Digits of an amount: `3,300.00`, `100`, `0.50`. A comma belongs to the amount only
  /// when exactly three digits follow it, so `[$1, $2]` lexes as a list.
  private mutating func lexMoneyDigits() {
    while true {
      if Lexer.isDigit(peek()) {
        position += 1
      } else if peek() == UInt8(ascii: ","), Lexer.isDigit(peek(1)), Lexer.isDigit(peek(2)),
        Lexer.isDigit(peek(3)),
        !Lexer.isDigit(peek(4))
      {
        position += 4
      } else {
        break
      }
    }
    // A comma with digits right after it, not a group of three (`$1,00.00`, `$1,000,00`,
    // `$1,0000`): the amount written wrong. Taken whole, it is refused as one amount, with
    // the grouping hint (P0003), rather than as a stray `.` or an expression that ends at
    // the comma. But not the key of a table's next entry, written on the same line: four
    // digits and then `:`, `..` (a year, `$3,300,2025: $3,500`) or `-MM-` (a date).
    while peek() == UInt8(ascii: ","), Lexer.isDigit(peek(1)) {
      var end = position + 1
      while Lexer.isDigit(peek(end - position)) { end += 1 }
      let digits = end - position - 1
      let next = end - position
      let after = peek(next)
      let date =
        after == UInt8(ascii: "-") && Lexer.isDigit(peek(next + 1)) && Lexer.isDigit(peek(next + 2))
        && peek(next + 3) == UInt8(ascii: "-")
      // A year's `:` or `..` may come after blanks (`2025 : $3,500`).
      var gap = next
      while peek(gap) == UInt8(ascii: " ") || peek(gap) == UInt8(ascii: "\t") { gap += 1 }
      let year =
        peek(gap) == UInt8(ascii: ":")
        || (peek(gap) == UInt8(ascii: ".") && peek(gap + 1) == UInt8(ascii: "."))
      let key = digits == 4 && (date || year)
      guard !key else { break }
      position = end
    }
    if peek() == UInt8(ascii: "."), Lexer.isDigit(peek(1)) {
      position += 1
      while Lexer.isDigit(peek()) { position += 1 }
    }
  }

  private mutating func skipTrivia() {
    while let b = peek() {
      if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n")
        || b == UInt8(ascii: "\r")
      {
        position += 1
      } else if b == UInt8(ascii: "#") && !keepComments {
        // A comment ends at a line end, CR alone too (as `fmt` reads it): a file with old
        // Mac line ends was one comment, its rules unseen.
        while let c = peek(), c != UInt8(ascii: "\n") && c != UInt8(ascii: "\r") { position += 1 }
      } else {
        break
      }
    }
  }
}
