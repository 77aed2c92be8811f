import Testing

@testable import ProbityReports

/// The audit folder's HTML and CSV hold text from filings, written by others: each of
/// their special characters is escaped wherever it stands, by byte (a character may be a
/// special one followed by a combining accent, or "\r\n", which is one character).
@Suite struct AuditEscapingTests {
  @Test(arguments: [
    ("plain text", "plain text"),
    ("", ""),
    ("O'Neil <&> \"Co\"", "O&#39;Neil &lt;&amp;&gt; &quot;Co&quot;"),
    // A quote followed by a combining accent is one character: escaped all the same (left
    // as it was, it ended an attribute).
    ("x\"\u{301} onmouseover=alert(1)", "x&quot;\u{301} onmouseover=alert(1)"),
    ("<\u{338}script>", "&lt;\u{338}script&gt;"),
    // Joined to a character before it (U+0600 is a Prepend) or to a joiner after it.
    ("\u{600}<b>", "\u{600}&lt;b&gt;"),
    ("'\u{200D}x", "&#39;\u{200D}x"),
    ("Zoë Łukasz, 東京 🎉 £5,000", "Zoë Łukasz, 東京 🎉 £5,000"),
  ])
  func htmlEscapesEverySpecialByte(_ text: String, _ expected: String) {
    #expect(ReportRenderer.escape(text) == expected)
  }

  @Test(arguments: [
    ("plain", "plain"),
    ("", ""),
    ("a,b", "\"a,b\""),
    ("say \"hi\"", "\"say \"\"hi\"\"\""),
    ("two\nlines", "\"two\nlines\""),
    // "\r\n" is one character, neither "\r" nor "\n": a text whose only line break was one
    // was left unquoted, and broke the row in two.
    ("two\r\nlines", "\"two\r\nlines\""),
    ("=SUM(A1)", "\"'=SUM(A1)\""),
    ("-5", "\"'-5\""),
    // "=" followed by a combining accent is one character, still read as a formula.
    ("=\u{301}1+1", "\"'=\u{301}1+1\""),
    ("Zoë, \"東京\"", "\"Zoë, \"\"東京\"\"\""),
    // A quote joined to a variation selector, in a cell quoted for its comma: doubled.
    ("a,\"\u{FE0F}b", "\"a,\"\"\u{FE0F}b\""),
    ("+\u{301}1", "\"'+\u{301}1\""),
    ("\u{301}", "\u{301}"),
  ])
  func csvQuotesEveryFieldThatNeedsIt(_ text: String, _ expected: String) {
    #expect(ReportRenderer.csvField(text) == expected)
  }

  /// JUnit's escape, read from the bytes, against its reference scalar by scalar: every
  /// scalar below U+0300 and those about U+FFFE, among specials and other text.
  @Test func junitEscapesAsTheScalarReferenceDid() {
    func reference(_ text: String) -> String {
      Escaping.replacing(text) { scalar in
        switch scalar {
        case "&": return "&amp;"
        case "<": return "&lt;"
        case ">": return "&gt;"
        case "\"": return "&quot;"
        case "'": return "&apos;"
        case "\r": return "&#13;"
        case "\n", "\t": return nil
        default:
          let v = scalar.value
          return v < 0x20 || v == 0xFFFE || v == 0xFFFF ? "" : nil
        }
      }
    }
    let scalars =
      (0..<0x300).compactMap(Unicode.Scalar.init)
      + ["\u{FFFD}", "\u{FFFE}", "\u{FFFF}", "\u{EFBF}", "\u{FEFF}", "\u{1F389}", "\u{10FFFF}"]
    for scalar in scalars {
      for text in [
        String(scalar), "a\(scalar)b", "\(scalar)\u{FFFF}&", "<\(scalar)\r\n'",
        "é\u{301}\(scalar)\u{FFFE}",
      ] {
        #expect(JUnitRenderer.escape(text) == reference(text), "U+\(scalar.value)")
      }
    }
  }
}
