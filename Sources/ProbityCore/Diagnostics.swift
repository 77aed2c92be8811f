/// A text file read for diagnostics: rules, mappings. Knows where its lines start.
public final class SourceFile: Sendable {
  public let path: String
  public let text: String
  /// UTF-8 bytes of `text`.
  public let bytes: [UInt8]
  /// Byte offset at which each line starts.
  public let lineStarts: [Int]

  public init(path: String, text: String) {
    self.path = path
    self.text = text
    let bytes = Array(text.utf8)
    self.bytes = bytes
    // A line ends at LF, CRLF or a CR alone (a file saved with old Mac line ends was one
    // line: every diagnostic on line 1, its caret under the wrong text).
    var starts = [0]
    for (index, byte) in bytes.enumerated() {
      if byte == UInt8(ascii: "\n")
        || (byte == UInt8(ascii: "\r")
          && (index + 1 == bytes.count || bytes[index + 1] != UInt8(ascii: "\n")))
      {
        starts.append(index + 1)
      }
    }
    self.lineStarts = starts
  }

  /// 1-based line and column (in characters) of a byte offset.
  /// The 1-based line of a byte offset, without its column (which decodes the line).
  public func line(of offset: Int) -> Int {
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return low + 1
  }

  public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
    let low = line(of: offset) - 1
    let start = lineStarts[low]
    let end = min(max(offset, start), bytes.count)
    // ASCII (most lines) is one character a byte: no need to decode a long line.
    let ascii = bytes.withUnsafeBufferPointer { buffer in
      var index = start
      while index < end && buffer[index] < 0x80 { index += 1 }
      return index == end
    }
    if ascii { return (low + 1, end - start + 1) }
    let column = String(decoding: bytes[start..<end], as: UTF8.self).count + 1
    return (low + 1, column)
  }

  /// The text of a 1-based line, without its line terminator.
  public func lineText(_ line: Int) -> String {
    guard line >= 1 && line <= lineStarts.count else { return "" }
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] : bytes.count
    while end > start
      && (bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r"))
    {
      end -= 1
    }
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }
}

/// A span of a source file, as byte offsets (end exclusive).
public struct SourceRange: Hashable, Sendable {
  public let start: Int
  public let end: Int

  public init(start: Int, end: Int) {
    self.start = start
    self.end = max(start, end)
  }

  public func union(_ other: SourceRange) -> SourceRange {
    SourceRange(start: min(start, other.start), end: max(end, other.end))
  }
}

public enum DiagnosticSeverity: String, Sendable, Comparable {
  case error
  case warning
  case note

  private var rank: Int {
    switch self {
    case .error: return 2
    case .warning: return 1
    case .note: return 0
    }
  }

  public static func < (a: DiagnosticSeverity, b: DiagnosticSeverity) -> Bool { a.rank < b.rank }
}

/// A problem found in a rule pack, a mapping or a filing.
///
/// `id` is stable (P0001, C0102, ...): each stage keeps its messages in one catalogue.
public struct Diagnostic: Sendable, Hashable {
  public let id: String
  public let severity: DiagnosticSeverity
  public let message: String
  /// The file the problem is in, with its text when it is a source file (rules,
  /// mappings) so the line can be shown with a caret.
  public let file: String
  public let source: SourceFile?
  public let range: SourceRange?
  /// A 1-based line when there is no source text to point into (filings).
  public let line: Int?
  public let column: Int?
  public let hint: String?

  public init(
    id: String, severity: DiagnosticSeverity = .error, message: String, source: SourceFile,
    range: SourceRange, hint: String? = nil
  ) {
    self.id = id
    self.severity = severity
    self.message = message
    self.file = source.path
    self.source = source
    self.range = range
    self.line = nil
    self.column = nil
    self.hint = hint
  }

  public init(
    id: String, severity: DiagnosticSeverity = .error, message: String, file: String,
    line: Int? = nil, column: Int? = nil, hint: String? = nil
  ) {
    self.id = id
    self.severity = severity
    self.message = message
    self.file = file
    self.source = nil
    self.range = nil
    self.line = line
    self.column = column
    self.hint = hint
  }

  public static func == (a: Diagnostic, b: Diagnostic) -> Bool {
    a.id == b.id && a.message == b.message && a.file == b.file && a.range == b.range
      && a.line == b.line
      && a.column == b.column && a.hint == b.hint && a.severity == b.severity
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(id)
    hasher.combine(file)
    hasher.combine(range)
    hasher.combine(line)
    hasher.combine(message)
  }

  /// 1-based line and column of the start of the problem, when known.
  public var position: (line: Int, column: Int)? {
    if let source, let range { return source.lineAndColumn(of: range.start) }
    if let line { return (line, column ?? 1) }
    return nil
  }

  /// `file:line:col`, as far as known.
  public var locationText: String {
    guard let position else { return file }
    if source == nil && column == nil { return "\(file):\(position.line)" }
    return "\(file):\(position.line):\(position.column)"
  }

  /// The compiler-style rendering: location, severity and id, message; then the source
  /// line with a caret under the span; then the hint.
  ///
  ///     Rules/us-federal/cash.probity:12:8: error[C0101]: unknown field 'amout'
  ///        12 |   when amout > cash_limit
  ///           |        ^~~~~
  ///           = help: did you mean 'amount'?
  public func rendered() -> String {
    var out = "\(locationText): \(severity.rawValue)[\(id)]: \(message)"
    if let source, let range {
      let (line, fullColumn) = source.lineAndColumn(of: range.start)
      var text = source.lineText(line)
      var column = fullColumn
      let gutter = String(line)
      let pad = String(repeating: " ", count: gutter.count)
      // The caret spans the range, clipped to the first line.
      let (endLine, fullEndColumn) = source.lineAndColumn(of: range.end)
      var endColumn = fullEndColumn
      // A very long line is shown as a window around the caret.
      let window = 100
      if text.count > window + 20 {
        let first = max(0, column - 1 - window / 2)
        let shown = String(text.dropFirst(first).prefix(window))
        let cutEnd = first + window < text.count
        text = (first > 0 ? "…" : "") + shown + (cutEnd ? "…" : "")
        let shift = first - (first > 0 ? 1 : 0)
        column -= shift
        endColumn = min(endColumn - shift, text.count + 1)
      }
      let lineLength = text.count
      let spanEnd = endLine == line ? max(endColumn, column + 1) : lineLength + 1
      let width = max(1, min(spanEnd, lineLength + 1) - column)
      let marker = "^" + String(repeating: "~", count: max(0, width - 1))
      let indent = String(text.prefix(column - 1).map { $0 == "\t" ? "\t" : " " })
      out += "\n \(gutter) | \(text)"
      out += "\n \(pad) | \(indent)\(marker)"
      if let hint { out += "\n \(pad) = help: \(hint)" }
    } else if let hint {
      out += "\n  = help: \(hint)"
    }
    return out
  }
}

extension Array where Element == Diagnostic {
  public var hasErrors: Bool { contains { $0.severity == .error } }

  /// Diagnostics in a stable order: by file, then position, then id.
  public func sortedForDisplay() -> [Diagnostic] {
    // Each position once, not once per comparison (a position reads its source line).
    map { ($0, $0.position ?? (0, 0)) }.sorted { a, b in
      if a.0.file != b.0.file { return a.0.file < b.0.file }
      if a.1.line != b.1.line { return a.1.line < b.1.line }
      if a.1.column != b.1.column { return a.1.column < b.1.column }
      return a.0.id < b.0.id
    }.map(\.0)
  }
}

/// "Did you mean" suggestions.
public enum NearNames {
  /// The closest candidate to `name`, when it is close enough to be a plausible typo.
  public static func suggestion(for name: String, among candidates: some Sequence<String>)
    -> String?
  {
    let target = Array(name.lowercased())
    var best: (String, Int)?
    let limit = max(1, min(3, target.count / 3))
    for candidate in candidates {
      let other = Array(candidate.lowercased())
      // The distance is at least the difference in length (a long name costs nothing).
      guard abs(other.count - target.count) <= limit else { continue }
      let distance = editDistance(target, other)
      guard distance <= limit else { continue }
      if best == nil || distance < best!.1 || (distance == best!.1 && candidate < best!.0) {
        best = (candidate, distance)
      }
    }
    return best?.0
  }

  /// The hint text for an unknown name, or nil.
  public static func hint(for name: String, among candidates: some Sequence<String>) -> String? {
    suggestion(for: name, among: candidates).map { "did you mean '\($0)'?" }
  }

  /// Levenshtein distance with adjacent transpositions counting as one edit.
  static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          current[j] = Swift.min(current[j], previous2[j - 2] + 1)
        }
      }
      previous2 = previous
      previous = current
    }
    return previous[b.count]
  }
}

/// A diagnostic can be thrown where one problem stops a step (an unreadable file).
extension Diagnostic: Error {}

/// Bytes shown as text in a message: UTF-8 where they are, each other byte as `\xNN`
/// (a header cell or a file name in Latin-1: `M\xFCller`), never a replacement character,
/// which hides which byte it was.
public func shownBytes(_ bytes: some Collection<UInt8>) -> String {
  let bytes = Array(bytes)
  if let text = String(validating: bytes, as: UTF8.self) { return text }
  var out = ""
  var index = 0
  while index < bytes.count {
    // The longest character of UTF-8 is four bytes.
    if let length = (1...4).first(where: {
      index + $0 <= bytes.count
        && String(validating: bytes[index..<(index + $0)], as: UTF8.self) != nil
    }) {
      out += String(decoding: bytes[index..<(index + length)], as: UTF8.self)
      index += length
    } else {
      let hex = String(bytes[index], radix: 16, uppercase: true)
      out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
      index += 1
    }
  }
  return out
}
