/// Text with some characters replaced: the escaping of the CI formats (XML for JUnit,
/// workflow commands for GitHub) and of the audit's HTML and CSV.
enum Escaping {
  /// `text` with each ASCII byte for which `replacement` gives a text replaced by it.
  /// Every byte of a multi-byte UTF-8 sequence is 0x80 or over, so the bytes are looked
  /// at alone: a byte is replaced whatever follows it (a quote followed by a combining
  /// accent is a character of its own, but still a quote to an HTML or CSV reader). The
  /// text itself, not a copy, when nothing is replaced (most texts).
  static func replacingASCII(_ text: String, _ replacement: (UInt8) -> StaticString?) -> String {
    var text = text
    let replaced: [UInt8]? = text.withUTF8 { utf8 in
      guard let first = utf8.firstIndex(where: { $0 < 0x80 && replacement($0) != nil }) else {
        return nil
      }
      var out: [UInt8] = []
      out.reserveCapacity(utf8.count + 32)
      out.append(contentsOf: utf8[..<first])
      for byte in utf8[first...] {
        if byte < 0x80, let text = replacement(byte) {
          text.withUTF8Buffer { out.append(contentsOf: $0) }
        } else {
          out.append(byte)
        }
      }
      return out
    }
    return replaced.map { String(decoding: $0, as: UTF8.self) } ?? text
  }

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
