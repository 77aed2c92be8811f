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
