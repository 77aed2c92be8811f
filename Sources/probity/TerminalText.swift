/// Text as Probity prints it for people: a filing's control characters are shown as
/// `\u{1B}`, never sent to the terminal. Filings are written by others, and an escape
/// sequence or a carriage return in a donor's name could recolour, move or erase what
/// Probity prints, hiding a finding. Line breaks and tabs stay; JSON, SARIF and JUnit
/// escape their own and are unchanged.
func terminalSafe(_ text: String) -> String {
  guard text.unicodeScalars.contains(where: isControl) else { return text }
  var safe = String.UnicodeScalarView()
  for scalar in text.unicodeScalars {
    if isControl(scalar) {
      safe.append(
        contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
    } else {
      safe.append(scalar)
    }
  }
  return String(safe)
}

/// C0 controls but line feed and tab, DEL, and C1 controls (U+009B starts an escape
/// sequence on some terminals).
private func isControl(_ scalar: Unicode.Scalar) -> Bool {
  (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
}
