import ProbityCore

/// Text as Probity prints it for people: a filing's control characters are shown as
/// `\u{1B}`, never sent to the terminal. Filings are written by others, and an escape
/// sequence or a carriage return in a donor's name could recolour, move or erase what
/// Probity prints, hiding a finding. Line breaks and tabs stay; JSON, SARIF and JUnit
/// escape their own and are unchanged.
func terminalSafe(_ text: String) -> String {
  guard hasControl(text) else { return text }
  // Rebuilt from the bytes: the runs between controls copied whole (scalar by scalar, the
  // text report of the whole UK register, 57 MB with a carriage return in it, took two
  // seconds). A control is one byte (C0, DEL) or 0xC2 and its value (C1).
  var text = text
  return text.withUTF8 { utf8 in
    var safe: [UInt8] = []
    safe.reserveCapacity(utf8.count + 64)
    var start = 0
    var i = 0
    while i < utf8.count {
      let byte = utf8[i]
      let scalar: UInt8
      let width: Int
      if byte < 0x20 && byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\t") || byte == 0x7F {
        (scalar, width) = (byte, 1)
      } else if byte == 0xC2, i + 1 < utf8.count, utf8[i + 1] <= 0x9F {
        (scalar, width) = (utf8[i + 1], 2)
      } else {
        i += 1
        continue
      }
      safe.append(contentsOf: utf8[start..<i])
      safe.append(contentsOf: "\\u{\(String(scalar, radix: 16, uppercase: true))}".utf8)
      i += width
      start = i
    }
    safe.append(contentsOf: utf8[start...])
    return String(decoding: safe, as: UTF8.self)
  }
}

/// Whether `text` holds a control (C0 controls but line feed and tab, DEL, and C1
/// controls: U+009B starts an escape sequence on some terminals), read from its UTF-8 bytes: the
/// whole report of a check passes through here (10 MB of JSON for 1 GB of filings), and
/// decoding every scalar to look at it cost several times more. C0 controls and DEL are
/// single bytes; U+0080...U+009F are 0xC2 then 0x80...0x9F. Eight bytes are looked at a
/// time, one by one only when one of them may be a control (or is 0xC2, which starts a
/// C1 control, and "£").
func hasControl(_ text: String) -> Bool {
  var text = text
  return text.withUTF8 { hasControl($0) }
}

/// The same, of UTF-8 bytes.
func hasControl(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
  func isControl(at i: Int) -> Bool {
    let byte = utf8[i]
    if byte < 0x20 { return byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\t") }
    if byte == 0x7F { return true }
    return byte == 0xC2 && i + 1 < utf8.count && utf8[i + 1] <= 0x9F
  }
  var i = 0
  if let base = UnsafeRawPointer(utf8.baseAddress) {
    while i + 8 <= utf8.count {
      let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      // Exact masks: a line break or a tab (a pretty-printed report has one every few
      // words) does not send the word byte by byte.
      let controls =
        ByteWord.lessMask(word, than: 0x20) & ~ByteWord.equalMask(word, UInt8(ascii: "\n"))
        & ~ByteWord.equalMask(word, UInt8(ascii: "\t"))
      if controls | ByteWord.equalMask(word, 0x7F) | ByteWord.equalMask(word, 0xC2) != 0 {
        for j in i..<i + 8 where isControl(at: j) { return true }
      }
      i += 8
    }
  }
  while i < utf8.count {
    if isControl(at: i) { return true }
    i += 1
  }
  return false
}

/// Keeps a filing's text from being read as a CI runner's workflow command. GitHub
/// Actions obeys a line of a step's output, standard output or error, that starts with
/// `::` after any blanks (`::stop-commands::`, `::add-mask::`, a forged `::error::`). A
/// filing's text reaches the reports (a donor's name holding a line break and
/// `::error::...`, a cell in a rejection, a file's name); Probity's own annotations are
/// written only by `--format github`, on standard output. So every other line that would
/// start so is prefixed with `| `, visible, and no blank the runner would trim. A report
/// written in pieces may end a piece inside a line: the guard keeps how that line began.
struct WorkflowCommandGuard {
  /// How the line being written began: blanks only so far, blanks and one colon, or
  /// anything else (it can no longer start a command).
  enum LineStart { case blank, colon, closed }
  var state = LineStart.blank
  /// The runner's older syntax, `##[error]`, `##[add-mask]`, is a command wherever it
  /// stands in a line: its bracket is written as `bracket` (a zero-width space before it
  /// in text, `&#91;` in XML), the text read the same. `hashes`: how many `#` the text
  /// given last ended with (a piece may end inside `##[`).
  let bracket: String
  var hashes = 0

  init(bracket: String = "\u{200B}[") { self.bracket = bracket }

  mutating func apply(_ text: String) -> String {
    let text = breakingOldCommands(text)
    let colon = UInt8(ascii: ":")
    // Most text holds no `::` at all, nor continues a line that may become one: as it is.
    let risky = containsTwoColons(text) || (state == .colon && text.utf8.first == colon)
    var lines: [Substring] = []
    if risky {
      lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      for index in lines.indices {
        let start = index == 0 ? state : .blank
        let line = lines[index]
        let command: Bool
        switch start {
        case .blank: command = line.drop(while: { $0.isWhitespace }).hasPrefix("::")
        case .colon: command = line.hasPrefix(":")
        case .closed: command = false
        }
        if command { lines[index] = "| " + line }
      }
    }
    // How the last line, unfinished, began (found without splitting what is not risky).
    let newline = text.utf8.lastIndex(of: UInt8(ascii: "\n"))
    let last =
      risky
      ? lines[lines.count - 1]
      : text[(newline.map { text.utf8.index(after: $0) } ?? text.startIndex)...]
    var next = newline == nil ? state : .blank
    for character in last {
      switch next {
      case .blank where character.isWhitespace: continue
      case .blank where character == ":": next = .colon
      default: next = .closed
      }
      if next == .closed { break }
    }
    state = next
    return risky ? lines.joined(separator: "\n") : text
  }

  /// `text` with no `##[` (nor one begun by the text given before).
  private mutating func breakingOldCommands(_ text: String) -> String {
    let before = hashes
    var trailing = 0
    for byte in text.utf8.reversed() {
      guard byte == UInt8(ascii: "#"), trailing < 2 else { break }
      trailing += 1
    }
    hashes = trailing == text.utf8.count ? min(2, before + trailing) : trailing
    var out = text
    if out.contains("##[") { out = out.replacingOccurrences(of: "##[", with: "##" + bracket) }
    if before == 2, out.hasPrefix("[") {
      out = bracket + out.dropFirst()
    } else if before >= 1, out.hasPrefix("#[") {
      out = "#" + bracket + out.dropFirst(2)
    }
    return out
  }

  private func containsTwoColons(_ text: String) -> Bool {
    var previous: UInt8 = 0
    for byte in text.utf8 {
      if byte == UInt8(ascii: ":") && previous == byte { return true }
      previous = byte
    }
    return false
  }
}

/// `text`, a whole piece of output beginning a line, with no line a CI runner would take
/// for a workflow command (`WorkflowCommandGuard`).
func noWorkflowCommands(_ text: String) -> String {
  var guardian = WorkflowCommandGuard()
  return guardian.apply(text)
}
