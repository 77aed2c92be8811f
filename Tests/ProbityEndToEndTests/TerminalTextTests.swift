import Testing

@testable import probity

/// `terminalSafe` looks for controls in the UTF-8 bytes, eight at a time; it must find
/// exactly the scalars it replaces.
@Suite struct TerminalTextTests {
  /// The scalars `terminalSafe` replaces, as it tested them one by one before.
  static func referenceHasControl(_ text: String) -> Bool {
    text.unicodeScalars.contains {
      ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value)
    }
  }

  /// Every scalar below U+0300 and some beyond, at each place of a word of eight bytes
  /// and of the bytes after the last whole word, alone and among line breaks and tabs.
  @Test func findsTheControlsTheScalarsHold() {
    let scalars =
      (0..<0x300).compactMap(Unicode.Scalar.init)
      + ["\u{2028}", "\u{FEFF}", "\u{1F389}", "\u{10FFFF}"]
    for scalar in scalars {
      for before in 0..<17 {
        for filler in ["a", "\n", "\t", "é"] {
          let text = String(repeating: filler, count: before) + String(scalar) + "bc"
          #expect(hasControl(text) == Self.referenceHasControl(text), "U+\(scalar.value)")
        }
        let last = String(repeating: "a", count: before) + String(scalar)
        #expect(hasControl(last) == Self.referenceHasControl(last), "U+\(scalar.value)")
      }
    }
  }

  /// `terminalSafe` as it was, scalar by scalar: the reference.
  static func referenceTerminalSafe(_ text: String) -> String {
    guard referenceHasControl(text) else { return text }
    var safe = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if (scalar.value < 0x20 && scalar != "\n" && scalar != "\t")
        || (0x7F...0x9F).contains(scalar.value)
      {
        safe.append(
          contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
      } else {
        safe.append(scalar)
      }
    }
    return String(safe)
  }

  /// Every scalar below U+0300 and some beyond, among text, line breaks and other
  /// controls, at every place: replaced as the reference did.
  @Test func replacesAsTheReferenceDid() {
    let scalars =
      (0..<0x300).compactMap(Unicode.Scalar.init)
      + ["\u{2028}", "\u{FEFF}", "\u{1F389}", "\u{10FFFF}"]
    for scalar in scalars {
      for text in [
        String(scalar), "a" + String(scalar), String(scalar) + "é\u{1B}", "\u{85}\(scalar)\r\n",
        "£" + String(scalar) + "\u{C2}",
      ] {
        #expect(terminalSafe(text) == Self.referenceTerminalSafe(text), "U+\(scalar.value)")
      }
    }
  }

  @Test func replacesControlsAndKeepsTheRest() {
    #expect(terminalSafe("") == "")
    #expect(terminalSafe("line\n\ttab, Zoë 東京 \u{A0}") == "line\n\ttab, Zoë 東京 \u{A0}")
    #expect(
      terminalSafe("RICHARD\u{1B}[2K\r\u{7F}\u{85}\u{9B}x")
        == #"RICHARD\u{1B}[2K\u{D}\u{7F}\u{85}\u{9B}x"#)
  }
}

/// The workflow-command guard on a report written in pieces: a line that would start a
/// command is prefixed wherever the pieces are cut (inside the blanks before it, between
/// its two colons), and nothing else changes.
@Test(
  "a workflow command cannot start a line, however the report is cut in pieces",
  arguments: Array(0...77))
func workflowCommandsAcrossPieces(_ cut: Int) {
  let text = "finding: A\n   ::stop-commands::x\nname: ok :: fine\n::error::y\nz ##[add-mask]w\n"
  let utf8 = Array(text.utf8)
  var guardian = WorkflowCommandGuard()
  let out =
    guardian.apply(String(decoding: utf8[..<cut], as: UTF8.self))
    + guardian.apply(String(decoding: utf8[cut...], as: UTF8.self))
  let lines = out.split(separator: "\n")
  #expect(!lines.contains { $0.drop(while: { $0.isWhitespace }).hasPrefix("::") }, "\(cut): \(out)")
  #expect(!out.contains("##["), "\(cut): \(out)")
  #expect(
    out.replacingOccurrences(of: "| ", with: "").replacingOccurrences(of: "\u{200B}", with: "")
      == text, "\(cut): \(out)")
  #expect(noWorkflowCommands("plain text: no commands\n") == "plain text: no commands\n")
}
