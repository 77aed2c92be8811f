/// The limits every reader holds a filing to, so that no input can make Probity hold an
/// unbounded amount of memory (docs/formats.md, "Limits"). A field or a record over its
/// limit rejects its record with a diagnostic at its line, and the file goes on; XML
/// nested deeper than its limit stops the read of that file.
///
/// `probity check`, `audit` and `explain` set them with `--max-field-bytes`,
/// `--max-record-bytes` and `--max-xml-depth`.
public struct ReaderLimits: Sendable, Equatable {
  /// The longest field, in bytes: a CSV cell, a .fec field, an XML element's text or an
  /// attribute's value (as read from the file, before decoding).
  public var maxFieldBytes: Int
  /// The longest record, in bytes: a CSV record (all its physical lines, the header
  /// too), a .fec line, or the content of an XML record element.
  public var maxRecordBytes: Int
  /// The deepest nesting of XML elements (the root element is at depth 1).
  public var maxXMLDepth: Int

  public static let defaultMaxFieldBytes = 1024 * 1024
  public static let defaultMaxRecordBytes = 4 * 1024 * 1024
  public static let defaultMaxXMLDepth = 256
  /// The highest field and record limits: a value (a group key built of fields) is kept
  /// with a 32-bit length, and no filing has a field of a gigabyte.
  public static let sizeCeiling = 1024 * 1024 * 1024
  /// libxml2 refuses documents nested deeper than this itself: Probity never gives it
  /// `XML_PARSE_HUGE`, the option that would lift it.
  public static let xmlDepthCeiling = 256
  /// The most attributes one XML element may have: libxml2 (2.9, Debian 12's) compares
  /// each attribute of an element with every one before it, so that an element of
  /// 200,000 attributes (2.3 MB) took 8 seconds, and one of ten times as many would take
  /// minutes. Filings have a few an element. Checked before libxml2 sees the bytes
  /// (`XMLAttributeGuard`).
  public static let xmlAttributesCeiling = 10_000

  public static let `default` = ReaderLimits()

  public init(
    maxFieldBytes: Int = ReaderLimits.defaultMaxFieldBytes,
    maxRecordBytes: Int = ReaderLimits.defaultMaxRecordBytes,
    maxXMLDepth: Int = ReaderLimits.defaultMaxXMLDepth
  ) {
    self.maxFieldBytes = maxFieldBytes
    self.maxRecordBytes = maxRecordBytes
    self.maxXMLDepth = maxXMLDepth
  }

  /// What is wrong with these limits, or nil when they can be used.
  public var problem: String? {
    let most = ReaderLimits.describe(bytes: ReaderLimits.sizeCeiling)
    if !(1...ReaderLimits.sizeCeiling).contains(maxFieldBytes) {
      return "the field limit must be between 1 byte and \(most)"
    }
    if !(1...ReaderLimits.sizeCeiling).contains(maxRecordBytes) {
      return "the record limit must be between 1 byte and \(most)"
    }
    if !(1...ReaderLimits.xmlDepthCeiling).contains(maxXMLDepth) {
      return
        "the XML depth limit must be between 1 and \(ReaderLimits.xmlDepthCeiling) (libxml2's own limit)"
    }
    return nil
  }

  /// A size for messages: `1 GiB`, `4 MiB`, `64 KiB`, `1000 bytes`.
  public static func describe(bytes: Int) -> String {
    let gib = 1024 * 1024 * 1024
    if bytes >= gib && bytes % gib == 0 { return "\(bytes / gib) GiB" }
    if bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024)) MiB" }
    if bytes >= 1024 && bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
    return bytes == 1 ? "1 byte" : "\(bytes) bytes"
  }

  /// Reads a size as the options take it: a number of bytes, or a number followed by
  /// `K`, `M` or `G` (binary: KiB, MiB, GiB; `KiB`, `MB`, ... and any case allowed).
  public static func parseSize(_ text: String) -> Int? {
    let trimmed = trimBlanks(text).lowercased()
    let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let number = Int(digits) else { return nil }
    let multiplier: Int
    switch trimmed.dropFirst(digits.count) {
    case "", "b": multiplier = 1
    case "k", "kb", "kib": multiplier = 1024
    case "m", "mb", "mib": multiplier = 1024 * 1024
    case "g", "gb", "gib": multiplier = 1024 * 1024 * 1024
    default: return nil
    }
    let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : bytes
  }

  /// The message of a field over its limit, with its length when it is known.
  func fieldMessage(_ label: String, bytes: Int?) -> String {
    let size = bytes.map { " of \($0) bytes" } ?? ""
    return
      "\(label): a field\(size) over the limit of \(ReaderLimits.describe(bytes: maxFieldBytes)) (--max-field-bytes)"
  }

  /// `a record longer than 4 MiB, the limit (--max-record-bytes)`.
  func recordMessage(_ subject: String) -> String {
    "\(subject) longer than \(ReaderLimits.describe(bytes: maxRecordBytes)), the limit (--max-record-bytes)"
  }

  static let fieldHint = "raise the limit with --max-field-bytes if the field is real"
  static let recordHint = "raise the limit with --max-record-bytes if the record is real"
}
