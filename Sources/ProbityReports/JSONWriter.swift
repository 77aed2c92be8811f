import ProbityCore

/// A small JSON writer that keeps keys in the order they are written, so the same
/// report always gives the same bytes.
///
/// It writes UTF-8 bytes into a small buffer, added to the document 64 KiB at a time: a
/// large report (10 MB for 1 GB of filings) made of millions of small String
/// concatenations cost several times more. The document is a list of those pieces
/// (`documentChunks`, written out one after the other), bytes (`documentBytes`), or a
/// String made of them once (`document`): each 64 KiB made into a String was checked to be
/// UTF-8 (7% of a check of the whole UK register, whose report is 110 MB).
///
/// The members of one array or object may be written in parts, on other threads: each
/// part by a `continuation()` of the writer, added in order by `append(members:)`. The
/// bytes are those of writing them all in turn.
struct JSONWriter {
  /// What was written before `bytes`, in pieces of about 64 KiB (kept as pieces: one
  /// array grown to the whole report was copied each time it doubled).
  private var chunks: [[UInt8]] = []
  /// Written through a pointer (`GrowingBytes`): an array checked its uniqueness and
  /// capacity at every key, comma and line break (a finding has some forty keys). Writers
  /// are local variables passed `inout`, never copied while written.
  private var bytes = GrowingBytes(capacity: JSONWriter.flushAt + 4096)
  /// Whether the object or array being written needs a comma before its next member, and
  /// the same of each one it is inside (outermost first): a plain variable for the one
  /// read and written at every member.
  private var needsComma = false
  private var outerNeedsComma: [Bool] = []
  private var pendingKey = false
  private static let flushAt = 1 << 16

  init() {}

  /// The document so far.
  var output: String {
    var all = Array(chunks.joined())
    bytes.withUnsafeBufferPointer { all.append(contentsOf: $0) }
    return String(decoding: all, as: UTF8.self)
  }

  /// The whole document with a final line break.
  consuming func document() -> String {
    String(decoding: documentBytes(), as: UTF8.self)
  }

  /// The whole document with a final line break, as UTF-8.
  consuming func documentBytes() -> [UInt8] {
    let chunks = documentChunks()
    if chunks.count == 1 { return chunks[0] }
    var all: [UInt8] = []
    all.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
    for chunk in chunks { all.append(contentsOf: chunk) }
    return all
  }

  /// The whole document with a final line break, as UTF-8 in pieces, in order.
  consuming func documentChunks() -> [[UInt8]] {
    bytes.append(UInt8(ascii: "\n"))
    flush()
    return chunks
  }

  /// The pieces of the document written so far but for the last one being filled, taken
  /// out of the writer (to be written out before the rest is made).
  mutating func takeChunks() -> [[UInt8]] {
    var taken: [[UInt8]] = []
    swap(&taken, &chunks)
    return taken
  }

  /// Adds the buffer to the document.
  private mutating func flush() {
    guard bytes.count > 0 else { return }
    chunks.append(bytes.withUnsafeBufferPointer { Array($0) })
    bytes.removeAll()
  }

  /// A writer of more members of the array or object this one is writing (with no key
  /// pending), at its depth: what it writes is added after this writer's members by
  /// `append(members:)`. Made to write a part of the members on another thread.
  func continuation() -> JSONWriter {
    precondition(!pendingKey && !outerNeedsComma.isEmpty, "a continuation outside a container")
    var part = JSONWriter()
    // Only the depth is read (the indent); the part ends at the depth it began.
    part.outerNeedsComma = outerNeedsComma
    return part
  }

  /// Adds the members a `continuation()` of this writer wrote, after this one's own, as
  /// if it had written them: a comma between the two, when both have members.
  mutating func append(members part: consuming JSONWriter) {
    precondition(part.outerNeedsComma.count == outerNeedsComma.count, "a part left unclosed")
    guard part.needsComma else { return }
    if needsComma { bytes.append(UInt8(ascii: ",")) }
    needsComma = true
    flush()
    part.flush()
    chunks.append(contentsOf: part.chunks)
  }

  /// A line break and the indent of each depth up to 32; deeper ones are written a
  /// space at a time.
  private static let lineBreaks: [UInt8] = [UInt8(ascii: "\n")] + Array(repeating: 0x20, count: 64)

  private mutating func newLine() {
    let width = 2 * outerNeedsComma.count
    if width <= 64 {
      JSONWriter.lineBreaks.withUnsafeBufferPointer {
        bytes.append(UnsafeBufferPointer(rebasing: $0[0...width]))
      }
    } else {
      bytes.append(UInt8(ascii: "\n"))
      for _ in 0..<width { bytes.append(0x20) }
    }
  }

  private mutating func separator() {
    if bytes.count >= JSONWriter.flushAt { flush() }
    if needsComma { bytes.append(UInt8(ascii: ",")) }
    if !outerNeedsComma.isEmpty { newLine() }
    needsComma = true
  }

  private mutating func append(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append($0) }
  }

  /// A key written in the source: its bytes copied as they are, between quotes (a key
  /// quoted like any text, scanned for escapes, cost some 250 instructions; a finding
  /// has some forty keys). It must need no escape, as every name of the formats does.
  mutating func key(_ name: StaticString) {
    separator()
    bytes.append(UInt8(ascii: "\""))
    name.withUTF8Buffer { utf8 in
      assert(!utf8.contains(where: JSONWriter.mayEscape), "a key that needs an escape")
      bytes.append(utf8)
    }
    bytes.append(UInt8(ascii: "\""))
    endKey()
  }

  /// A key made at run time (a field's name, a rule's id): quoted like any text.
  mutating func key(text name: String) {
    separator()
    JSONWriter.quote(name, into: &bytes)
    endKey()
  }

  /// After a key's closing quote.
  private mutating func endKey() {
    bytes.append(UInt8(ascii: ":"))
    bytes.append(0x20)
    needsComma = false
    pendingKey = true
  }

  private mutating func beginValue() {
    if pendingKey {
      pendingKey = false
      needsComma = true
    } else {
      separator()
    }
  }

  mutating func string(_ s: String?) {
    beginValue()
    if let s { JSONWriter.quote(s, into: &bytes) } else { append("null") }
  }

  mutating func int(_ i: Int) { int(Int64(i)) }

  mutating func int(_ i: Int64) {
    beginValue()
    // The digits as `String(i)` gives them, without making the string.
    if i < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = i.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: Int.min has 19 digits
    withUnsafeMutableBytes(of: &digits) { buffer in
      var start = buffer.count
      repeat {
        start -= 1
        buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
      } while magnitude != 0
      for digit in buffer[start...] { bytes.append(digit) }
    }
  }

  mutating func bool(_ b: Bool) {
    beginValue()
    append(b ? "true" : "false")
  }

  mutating func null() {
    beginValue()
    append("null")
  }

  mutating func beginObject() {
    beginValue()
    bytes.append(UInt8(ascii: "{"))
    outerNeedsComma.append(needsComma)
    needsComma = false
  }

  mutating func endObject() {
    let members = needsComma
    needsComma = outerNeedsComma.removeLast()
    if members { newLine() }
    bytes.append(UInt8(ascii: "}"))
  }

  mutating func beginArray() {
    beginValue()
    bytes.append(UInt8(ascii: "["))
    outerNeedsComma.append(needsComma)
    needsComma = false
  }

  mutating func endArray() {
    let members = needsComma
    needsComma = outerNeedsComma.removeLast()
    if members { newLine() }
    bytes.append(UInt8(ascii: "]"))
  }

  mutating func field(_ name: StaticString, _ value: String?) {
    key(name)
    string(value)
  }

  mutating func field(_ name: StaticString, _ value: Int) {
    key(name)
    int(value)
  }

  mutating func field(text name: String, _ value: String?) {
    key(text: name)
    string(value)
  }

  mutating func field(text name: String, _ value: Int) {
    key(text: name)
    int(value)
  }

  /// `s` as a JSON string literal: `"` and `\` escaped, line feed, carriage return and
  /// tab as `\n`, `\r` and `\t`, the other controls below U+0020, DEL and the C1
  /// controls (U+0080...U+009F) as `\u00XX` (lower-case hex); everything else, non-ASCII
  /// text included, as it is. (DEL and C1 need no escape in JSON, but the text Probity
  /// prints is made terminal-safe, which would write them as `\u{7F}`: not JSON.)
  static func quote(_ s: String) -> String {
    var out = GrowingBytes(capacity: 64)
    quote(s, into: &out)
    return out.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
  }

  /// Appends `quote(s)`'s UTF-8. Every character escaped is ASCII, and every byte of a
  /// multi-byte UTF-8 sequence is 0x80 or over, so the bytes can be scanned alone, eight
  /// at a time; the runs between escapes (most strings: the whole string) are copied
  /// whole. Only a word that may hold a byte to escape is looked at byte by byte, and a
  /// string's last bytes (all of a short one: most keys) by one test each.
  static func quote(_ s: String, into out: inout GrowingBytes) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { utf8 in
      let count = utf8.count
      var start = 0
      var i = 0
      // Looks at the byte at `i` and moves past it (past the pair, for a C1 control).
      @inline(__always) func step() {
        let byte = utf8[i]
        guard mayEscape(byte) else {
          i += 1
          return
        }
        if byte == UInt8(ascii: "[") {
          // `##[` is a CI runner's workflow command wherever it stands in a line of the
          // log (`##[add-mask]`, `##[error]`): its bracket is written `\u005b`, the same
          // JSON string, so that a filing's text printed in the log commands nothing.
          guard i >= 2, utf8[i - 1] == UInt8(ascii: "#"), utf8[i - 2] == UInt8(ascii: "#") else {
            i += 1
            return
          }
          out.append(UnsafeBufferPointer(rebasing: utf8[start..<i]))
          appendEscape(of: byte, to: &out)
          i += 1
          start = i
          return
        }
        if byte == 0xC2 {
          // U+0080...U+009F: 0xC2, then 0x80...0x9F, the scalar's value; any other
          // character that starts 0xC2 (U+00A0...U+00BF: "£") is copied.
          guard i + 1 < count, utf8[i + 1] <= 0x9F else {
            i += 1
            return
          }
          out.append(UnsafeBufferPointer(rebasing: utf8[start..<i]))
          appendEscape(of: utf8[i + 1], to: &out)
          i += 2
        } else {
          out.append(UnsafeBufferPointer(rebasing: utf8[start..<i]))
          appendEscape(of: byte, to: &out)
          i += 1
        }
        start = i
      }
      if let base = UnsafeRawPointer(utf8.baseAddress) {
        while i + 8 <= count {
          let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
          guard mayNeedEscape(word) else {
            i += 8
            continue
          }
          let end = i + 8
          while i < end { step() }
        }
      }
      while i < count { step() }
      out.append(UnsafeBufferPointer(rebasing: utf8[start...]))
    }
    out.append(UInt8(ascii: "\""))
  }

  /// Whether `byte` may need an escape: below 0x20, `"`, `\`, DEL, or 0xC2 (the first
  /// byte of a C1 control, and of other characters).
  @inline(__always)
  static func mayEscape(_ byte: UInt8) -> Bool {
    byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
      || byte == 0xC2 || byte == UInt8(ascii: "[")
  }

  /// Whether one of a word's eight bytes is below 0x20, `"`, `\`, DEL, `[` or 0xC2 (the
  /// first byte of a C1 control, and of U+00A0...U+00BF: "£"), with the bit hacks of
  /// "determine if a word has a byte less than n" (true if any byte is, not which).
  @inline(__always)
  private static func mayNeedEscape(_ word: UInt64) -> Bool {
    ByteWord.hasLess(word, than: 0x20) || ByteWord.has(word, UInt8(ascii: "\""))
      || ByteWord.has(word, UInt8(ascii: "\\")) || ByteWord.has(word, 0x7F)
      || ByteWord.has(word, 0xC2) || ByteWord.has(word, UInt8(ascii: "["))
  }

  private static func appendEscape(of byte: UInt8, to out: inout GrowingBytes) {
    out.append(UInt8(ascii: "\\"))
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
    case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
    case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
    case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
    default:
      func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? 0x30 + digit : 0x61 + digit - 10 }
      out.append(UInt8(ascii: "u"))
      out.append(UInt8(ascii: "0"))
      out.append(UInt8(ascii: "0"))
      out.append(hex(byte >> 4))
      out.append(hex(byte & 0xF))
    }
  }
}
