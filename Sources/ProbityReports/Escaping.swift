/// Text with some Unicode scalars replaced: the escaping of the CI formats (XML for
/// JUnit, workflow commands for GitHub).
enum Escaping {
  /// `text` with each scalar for which `replacement` gives a string replaced by it
  /// (an empty string drops the scalar).
  static func replacing(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      if let replaced = replacement(scalar) {
        out += replaced
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
