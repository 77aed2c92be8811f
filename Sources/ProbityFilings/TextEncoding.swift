/// The character encodings filings come in (docs/formats.md, "Encodings").
///
/// Cells are decoded one at a time, and only the cells a reader uses: a byte that is not
/// a character of the encoding rejects its row with a diagnostic that names the byte,
/// never a crash and never a silent replacement.
public enum TextEncoding: String, CaseIterable, Sendable {
  case utf8 = "utf-8"
  /// ISO-8859-1: every byte is the character with the same number.
  case latin1 = "latin-1"
  /// Windows code page 1252: Latin-1 with printable characters (€, ‘ ’ “ ”, –, —, ...)
  /// in 0x80–0x9F; 0x81, 0x8D, 0x8F, 0x90 and 0x9D are not characters.
  case windows1252 = "windows-1252"
  /// UTF-8 when the cell's bytes are valid UTF-8, else Windows-1252, decided cell by
  /// cell (an ASCII cell is the same in both). For files whose encoding is not declared,
  /// like .fec filings, which are ASCII by the rules but Windows-1252 in practice.
  case detect

  /// The names a mapping file may give (any case): the raw values and common aliases.
  public init?(name: String) {
    switch name.lowercased() {
    case "utf-8", "utf8": self = .utf8
    case "latin-1", "latin1", "iso-8859-1", "iso8859-1": self = .latin1
    case "windows-1252", "cp1252", "win-1252": self = .windows1252
    case "detect": self = .detect
    default: return nil
    }
  }

  /// A byte sequence that is not text in an encoding.
  public struct InvalidBytes: Error, Sendable, Equatable {
    /// 0-based offset of the first offending byte in the cell.
    public let offset: Int
    public let byte: UInt8
    public let encoding: TextEncoding

    /// `byte 0x81 at position 4 is not a character in windows-1252`
    public var message: String {
      if byte == 0 { return "a NUL byte at position \(offset + 1): a text filing cannot hold one" }
      let hex = String(byte, radix: 16, uppercase: true)
      let shown = "0x" + (hex.count < 2 ? "0" : "") + hex
      return "byte \(shown) at position \(offset + 1) is not a character in \(encoding.displayName)"
    }
  }

  /// The encoding's name in messages.
  public var displayName: String {
    switch self {
    case .utf8: return "UTF-8"
    case .latin1: return "Latin-1"
    case .windows1252, .detect: return "Windows-1252"
    }
  }

  /// Decodes `bytes`, or says which byte is not a character.
  public func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<String, InvalidBytes> {
    // NUL is valid UTF-8, but no text filing holds one: it is never read as text.
    if let nul = bytes.firstIndex(of: 0) {
      return .failure(InvalidBytes(offset: nul, byte: 0, encoding: self))
    }
    // ASCII is the same in every encoding here, and most cells are ASCII.
    guard let firstHigh = bytes.firstIndex(where: { $0 >= 0x80 }) else {
      return .success(String(decoding: bytes, as: UTF8.self))
    }
    switch self {
    case .utf8:
      if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
      let offset = TextEncoding.firstInvalidUTF8(bytes, from: firstHigh)
      return .failure(InvalidBytes(offset: offset, byte: bytes[offset], encoding: .utf8))
    case .latin1:
      var scalars = String.UnicodeScalarView()
      for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
      return .success(String(scalars))
    case .windows1252:
      return TextEncoding.decodeWindows1252(bytes)
    case .detect:
      if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
      return TextEncoding.decodeWindows1252(bytes).mapError {
        InvalidBytes(offset: $0.offset, byte: $0.byte, encoding: .detect)
      }
    }
  }

  public func decode(_ bytes: [UInt8]) -> Result<String, InvalidBytes> {
    bytes.withUnsafeBufferPointer { decode($0) }
  }

  /// The characters of Windows-1252 at 0x80–0x9F; 0 where the byte is not a character.
  static let windows1252High: [UInt32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
  ]

  static func decodeWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<
    String, InvalidBytes
  > {
    var scalars = String.UnicodeScalarView()
    for (offset, byte) in bytes.enumerated() {
      if byte >= 0x80 && byte <= 0x9F {
        let code = windows1252High[Int(byte - 0x80)]
        guard code != 0, let scalar = Unicode.Scalar(code) else {
          return .failure(InvalidBytes(offset: offset, byte: byte, encoding: .windows1252))
        }
        scalars.append(scalar)
      } else {
        scalars.append(Unicode.Scalar(byte))
      }
    }
    return .success(String(scalars))
  }

  /// The offset of the first byte that does not start a valid UTF-8 sequence.
  static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes[start...].makeIterator()
    var offset = start
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let scalar): offset += scalar.count
      case .error: return offset
      case .emptyInput: return min(offset, bytes.count - 1)
      }
    }
  }
}
