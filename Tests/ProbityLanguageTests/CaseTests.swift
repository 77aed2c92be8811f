import ProbityCore
import Testing

@testable import ProbityLanguage

/// `upper` and `lower` give a text back unchanged when no byte of it can change case;
/// they must answer as `String.uppercased()` and `lowercased()` do on every kind of text.
@Test(
  "upper and lower answer as String.uppercased and lowercased",
  arguments: [
    "", "SMITH, JOHN", "Smith, John", "smith", "O'NEIL", "45402-1234", "ÉCOLE", "école",
    "STRASSE", "straße", "ǅ", "İSTANBUL", "ΣΟΦΙΑ", "σοφια", "A\u{301}", "anonymous",
    "ANONYMOUS", "\u{7F}", " \t",
  ])
func caseChanges(_ text: String) throws {
  for (builtin, expected) in [(Builtin.upper, text.uppercased()), (.lower, text.lowercased())] {
    let result = try Semantics.apply(.call(builtin), [.string(text)]).get()
    #expect(result == .string(expected), "\(builtin) of \(text.debugDescription)")
  }
}
