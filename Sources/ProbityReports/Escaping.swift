/// Text with some characters replaced: the escaping of the CI formats (XML for JUnit,
/// workflow commands for GitHub) and of the audit's HTML and CSV.
enum Escaping {
  /// `text` with each ASCII byte for which `replacement` gives a text replaced by it.
  /// Every byte of a multi-byte UTF-8 sequence is 0x80 or over, so the bytes are looked
  /// at alone: a byte is replaced whatever follows it (a quote followed by a combining
  /// accent is a character of its own, but still a quote to an HTML or CSV reader). The
  /// text itself, not a copy, when nothing is replaced (most texts).
  static func replacingASCII(_ text: String, _ replacement: (UInt8) -> StaticString?) -> String {
    replacingBytes(text) { utf8, index in
      utf8[index] < 0x80 ? replacement(utf8[index]).map { ($0, 1) } : nil
    }
  }

  /// `text` with the bytes `match` finds at an index replaced: it gives the replacement
  /// and how many bytes it takes the place of (an empty replacement drops them), or nil.
  /// Read from the UTF-8 bytes, the runs between replacements copied whole; the text
  /// itself, not a copy, when nothing is replaced.
  static func replacingBytes(
    _ text: String, _ match: (UnsafeBufferPointer<UInt8>, Int) -> (StaticString, Int)?
  ) -> String {
    var text = text
    let replaced: [UInt8]? = text.withUTF8 { utf8 in
      var out: [UInt8]?
      var start = 0
      var index = 0
      while index < utf8.count {
        guard let (replacement, width) = match(utf8, index) else {
          index += 1
          continue
        }
        if out == nil {
          out = []
          out!.reserveCapacity(utf8.count + 32)
        }
        out!.append(contentsOf: utf8[start..<index])
        replacement.withUTF8Buffer { out!.append(contentsOf: $0) }
        index += width
        start = index
      }
      out?.append(contentsOf: utf8[start...])
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
