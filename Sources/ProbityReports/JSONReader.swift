import ProbityCore

/// A JSON value read by `JSONReader`, with the line and column it starts at, so the
/// files Probity reads (waivers, baselines) can be faulted at `file:line:col`.
public struct JSONNode: Sendable {
  public enum Kind: Sendable {
    case object([(key: String, keyLine: Int, value: JSONNode)])
    case array([JSONNode])
    case string(String)
    /// The number as written.
    case number(String)
    case bool(Bool)
    case null
  }

  public let kind: Kind
  public let line: Int
  public let column: Int

  /// The member `key` of an object.
  public subscript(key: String) -> JSONNode? {
    guard case .object(let members) = kind else { return nil }
    return members.first { $0.key == key }?.value
  }

  public var string: String? {
    if case .string(let s) = kind { return s }
    return nil
  }

  public var integer: Int? {
    if case .number(let text) = kind { return Int(text) }
    return nil
  }

  /// What the value is, for messages: "a string", "an object", ...
  public var typeName: String {
    switch kind {
    case .object: return "an object"
    case .array: return "an array"
    case .string: return "a string"
    case .number: return "a number"
    case .bool: return "true or false"
    case .null: return "null"
    }
  }
}

/// A small JSON parser (RFC 8259) that keeps positions. Objects keep their keys in
/// order; a key given twice is an error (a waiver file must not say two things).
public struct JSONReader {
  private let bytes: [UInt8]
  private var position = 0
  private var line = 1
  private var lineStart = 0
  private let path: String
  /// The id its syntax errors carry.
  private let diagnosticID: String
  /// Nesting beyond this is refused rather than risking the stack.
  static let maximumDepth = 100

  /// Parses `text`; a syntax error is a diagnostic with the file, line and column.
  public static func parse(_ text: String, path: String, diagnosticID: String) -> Result<
    JSONNode, Diagnostic
  > {
    var reader = JSONReader(
      bytes: Array(text.utf8), path: path, diagnosticID: diagnosticID)
    do throws(Diagnostic) {
      reader.skipWhitespace()
      let value = try reader.parseValue(depth: 0)
      reader.skipWhitespace()
      if reader.position < reader.bytes.count {
        throw reader.error("unexpected text after the end of the JSON document")
      }
      return .success(value)
    } catch {
      return .failure(error)
    }
  }

  private init(bytes: [UInt8], path: String, diagnosticID: String) {
    self.bytes = bytes
    self.path = path
    self.diagnosticID = diagnosticID
    // A byte-order mark is not JSON, but editors write one.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      position = 3
      lineStart = 3
    }
  }

  private var column: Int {
    String(decoding: bytes[lineStart..<min(position, bytes.count)], as: UTF8.self).count + 1
  }

  private func error(_ message: String, hint: String? = nil) -> Diagnostic {
    Diagnostic(
      id: diagnosticID, message: message, file: path, line: line, column: column, hint: hint)
  }

  private func describeCurrent() -> String {
    guard position < bytes.count else { return "the end of the file" }
    let scalarEnd = bytes[(position + 1)...].firstIndex { $0 & 0xC0 != 0x80 } ?? bytes.count
    return "'\(String(decoding: bytes[position..<scalarEnd], as: UTF8.self))'"
  }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0D:
        position += 1
      case 0x0A:
        position += 1
        line += 1
        lineStart = position
      default:
        return
      }
    }
  }

  private mutating func parseValue(depth: Int) throws(Diagnostic) -> JSONNode {
    guard depth < JSONReader.maximumDepth else { throw error("JSON nested too deeply") }
    let (startLine, startColumn) = (line, column)
    func node(_ kind: JSONNode.Kind) -> JSONNode {
      JSONNode(kind: kind, line: startLine, column: startColumn)
    }
    guard position < bytes.count else { throw error("expected a value, found the end of the file") }
    switch bytes[position] {
    case UInt8(ascii: "{"):
      position += 1
      var members: [(key: String, keyLine: Int, value: JSONNode)] = []
      skipWhitespace()
      if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
        position += 1
        return node(.object(members))
      }
      while true {
        skipWhitespace()
        guard position < bytes.count && bytes[position] == UInt8(ascii: "\"") else {
          throw error(
            "expected a key in double quotes, found \(describeCurrent())",
            hint: "JSON keys are strings: \"reviewer\": \"...\"; no comma after the last member")
        }
        let keyLine = line
        let keyColumn = column
        let key = try parseString()
        if members.contains(where: { $0.key == key }) {
          throw Diagnostic(
            id: diagnosticID, message: "key \"\(key)\" is given twice", file: path, line: keyLine,
            column: keyColumn)
        }
        skipWhitespace()
        guard position < bytes.count && bytes[position] == UInt8(ascii: ":") else {
          throw error("expected ':' after the key, found \(describeCurrent())")
        }
        position += 1
        skipWhitespace()
        let value = try parseValue(depth: depth + 1)
        members.append((key, keyLine, value))
        skipWhitespace()
        guard position < bytes.count else {
          throw error("expected ',' or '}', found the end of the file")
        }
        if bytes[position] == UInt8(ascii: ",") {
          position += 1
          continue
        }
        if bytes[position] == UInt8(ascii: "}") {
          position += 1
          return node(.object(members))
        }
        throw error(
          "expected ',' or '}', found \(describeCurrent())",
          hint: "members of an object are separated by commas")
      }
    case UInt8(ascii: "["):
      position += 1
      var items: [JSONNode] = []
      skipWhitespace()
      if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
        position += 1
        return node(.array(items))
      }
      while true {
        skipWhitespace()
        items.append(try parseValue(depth: depth + 1))
        skipWhitespace()
        guard position < bytes.count else {
          throw error("expected ',' or ']', found the end of the file")
        }
        if bytes[position] == UInt8(ascii: ",") {
          position += 1
          continue
        }
        if bytes[position] == UInt8(ascii: "]") {
          position += 1
          return node(.array(items))
        }
        throw error(
          "expected ',' or ']', found \(describeCurrent())",
          hint: "items of an array are separated by commas")
      }
    case UInt8(ascii: "\""):
      return node(.string(try parseString()))
    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
      for (word, kind) in [
        ("true", JSONNode.Kind.bool(true)), ("false", .bool(false)), ("null", .null),
      ]
      where bytes[position...].starts(with: Array(word.utf8)) {
        position += word.utf8.count
        return node(kind)
      }
      throw error("expected a value, found \(describeCurrent())")
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      let start = position
      if bytes[position] == UInt8(ascii: "-") { position += 1 }
      var digits = 0
      while position < bytes.count,
        let b = Optional(bytes[position]),
        (b >= 48 && b <= 57) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e")
          || b == UInt8(ascii: "E") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
      {
        if b >= 48 && b <= 57 { digits += 1 }
        position += 1
      }
      guard digits > 0 else { throw error("invalid number") }
      return node(.number(String(decoding: bytes[start..<position], as: UTF8.self)))
    default:
      throw error(
        "expected a value, found \(describeCurrent())",
        hint: bytes[position] == UInt8(ascii: "'")
          ? "JSON strings are written between double quotes" : nil)
    }
  }

  /// A string at `position` (which is its opening quote), escapes decoded.
  private mutating func parseString() throws(Diagnostic) -> String {
    position += 1
    var out: [UInt8] = []
    while position < bytes.count {
      let b = bytes[position]
      switch b {
      case UInt8(ascii: "\""):
        position += 1
        return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard position + 1 < bytes.count else { throw error("unterminated string") }
        let e = bytes[position + 1]
        position += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try parseHex4()
          if (0xD800...0xDBFF).contains(scalar), bytes[position...].starts(with: [0x5C, 0x75]) {
            position += 2
            let low = try parseHex4()
            if (0xDC00...0xDFFF).contains(low) {
              scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
          }
          out.append(
            contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
          )
        default:
          position -= 2
          throw error(
            "invalid escape in a string",
            hint: "escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
      case 0x0A:
        throw error(
          "a string runs past the end of the line", hint: "close it with \" on the same line")
      default:
        out.append(b)
        position += 1
      }
    }
    throw error("unterminated string")
  }

  private mutating func parseHex4() throws(Diagnostic) -> UInt32 {
    guard position + 4 <= bytes.count,
      let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
    else { throw error("expected four hex digits after \\u") }
    position += 4
    return value
  }
}
