import Testing

@testable import ProbityLanguage

/// `blank` reads ASCII byte by byte; it must answer as `Character.isWhitespace` does.
@Test(
  "blank answers as Character.isWhitespace on every kind of text",
  arguments: [
    "", " ", "\t\n", "\r\n", "\u{0B}\u{0C}", " a", "a ", "Acme", "\u{85}", "\u{A0}", " \u{2003}",
    "é", "e\u{301}",
    " \u{301}", "\u{301}", "  \u{3000}", "\u{1F}", "\u{7F}", "\u{00}", "information requested",
  ])
func blankAgreesWithIsWhitespace(_ text: String) {
  #expect(Semantics.isBlank(text) == text.allSatisfy(\.isWhitespace))
}

/// `trim` returns ASCII text that needs no trimming at once; it must answer as trimming
/// whole characters that are `Character.isWhitespace` does.
@Test(
  "trim answers as trimming white-space characters does",
  arguments: [
    "", " ", "a", "Acme", " Acme", "Acme ", "\tAcme\r\n", "A\u{301}", "a \u{301}", " \u{301}a",
    "a\u{A0}", "\u{A0}a", "\u{600}a", "a\u{600}", "\u{2003}ANON\u{2003}", "é", "e\u{301}",
    "\r\na\r\n", "a\u{7F}", "\u{1F}a", "\u{0}a", "a b", "ANONYMOUS",
  ])
func trimAgreesWithCharacters(_ text: String) {
  var reference = Substring(text)
  while let first = reference.first, first.isWhitespace { reference = reference.dropFirst() }
  while let last = reference.last, last.isWhitespace { reference = reference.dropLast() }
  #expect(text.trimmingWhitespace() == String(reference))
}
