import ProbityTestSupport
import Testing

@testable import ProbityReports

/// The JSON writer writes bytes, and `quote` copies whole the runs of a string that need
/// no escape. The reports must stay byte for byte what the writer of Strings wrote, so
/// its code is kept below as the reference (since escaping DEL and the C1 controls too:
/// written as they were, the terminal-safe printing of a report made them `\u{7F}`,
/// which is not JSON).
@Suite struct JSONWriterTests {
  @Test func quotesAsTheReferenceDid() {
    let cases: [(String, String)] = [
      ("", #""""#),
      ("US-EXCESS-001", #""US-EXCESS-001""#),
      (
        "plain ASCII text, longer than eight bytes", #""plain ASCII text, longer than eight bytes""#
      ),
      (#"say "hi""#, #""say \"hi\"""#),
      (#"C:\path\"#, #""C:\\path\\""#),
      ("a\nb\rc\td", #""a\nb\rc\td""#),
      ("\r\n", #""\r\n""#),
      (
        "\u{0}\u{1}\u{8}\u{B}\u{C}\u{1B}[2K\u{1F}",
        #""\u0000\u0001\u0008\u000b\u000c\u001b[2K\u001f""#
      ),
      // DEL and C1 controls escaped; other non-ASCII text (U+00A0 on) as it is.
      ("\u{7F}\u{80}\u{85}\u{9B}\u{9F}\u{A0}", #""\u007f\u0080\u0085\u009b\u009f"# + "\u{A0}\""),
      ("£5,000 \u{C2}\u{85}", "\"£5,000 \u{C2}\\u0085\""),
      ("Zoë Łukasz, 東京 🎉 e\u{301} \u{2028}", "\"Zoë Łukasz, 東京 🎉 e\u{301} \u{2028}\""),
      ("東京\"🎉\\\u{1}é", #""東京\"🎉\\\u0001é""#),
    ]
    for (text, expected) in cases {
      #expect(JSONWriter.quote(text) == expected)
      #expect(JSONWriter.quote(text) == ReferenceJSONWriter.quote(text))
    }
  }

  /// Every scalar below U+0300 and some beyond, at each place of a word of eight bytes
  /// and of the bytes after the last whole word.
  @Test func quotesEveryScalarAnywhereAsTheReferenceDid() {
    let scalars =
      (0..<0x300).compactMap(Unicode.Scalar.init)
      + ["\u{2028}", "\u{FEFF}", "\u{FFFD}", "\u{1F389}", "\u{10FFFF}"]
    for scalar in scalars {
      for before in 0..<17 {
        let text = String(repeating: "a", count: before) + String(scalar) + "bc"
        #expect(JSONWriter.quote(text) == ReferenceJSONWriter.quote(text), "U+\(scalar.value)")
      }
    }
  }

  @Test func quotesRandomTextAsTheReferenceDid() {
    let alphabet: [Unicode.Scalar] = [
      "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1B}", "\u{1F}",
      "\u{7F}", "\u{85}", "é", "東", "🎉",
    ]
    var random = SeededGenerator(seed: 8)
    for _ in 0..<2_000 {
      var text = String.UnicodeScalarView()
      for _ in 0..<random.next(below: 40) {
        text.append(alphabet[random.next(below: alphabet.count)])
      }
      let string = String(text)
      #expect(
        JSONWriter.quote(string) == ReferenceJSONWriter.quote(string), "\(string.debugDescription)")
    }
  }

  /// Documents of every shape, random ones included, against the reference writer: commas,
  /// indents (deeper than the writer keeps ready), keys, numbers and literals.
  @Test func writesDocumentsAsTheReferenceDid() {
    var random = SeededGenerator(seed: 2024)
    for _ in 0..<300 {
      var writer = JSONWriter()
      var reference = ReferenceJSONWriter()
      // The open containers, true for an object (whose values need keys).
      var open: [Bool] = []
      func value(_ choice: Int) {
        switch choice {
        case 0:
          let text = random.next(below: 4) == 0 ? nil : "v\"\(random.next(below: 100))\n"
          writer.string(text)
          reference.string(text)
        case 1:
          let numbers = [0, 1, -1, 9, 10, -10, 1_234_567_890, Int.max, Int.min]
          let number = numbers[random.next(below: numbers.count)]
          writer.int(number)
          reference.int(number)
        case 2:
          let flag = random.next(below: 2) == 0
          writer.bool(flag)
          reference.bool(flag)
        case 3:
          writer.null()
          reference.null()
        case 4:
          writer.string("12.50")
          reference.string("12.50")
        case 5:
          writer.beginObject()
          reference.beginObject()
          open.append(true)
        default:
          writer.beginArray()
          reference.beginArray()
          open.append(false)
        }
      }
      value(random.next(below: 2) + 5)
      for _ in 0..<random.next(below: 400) {
        let choice = random.next(below: 10)
        if choice >= 7 && open.count > 1 || open.count > 40 {
          if open.removeLast() {
            writer.endObject()
            reference.endObject()
          } else {
            writer.endArray()
            reference.endArray()
          }
          continue
        }
        if open.last == true {
          // A key made at run time (quoted), or one of the source's (copied as it is).
          if random.next(below: 2) == 0 {
            let name = "key \(random.next(below: 5))\t"
            writer.key(text: name)
            reference.key(name)
          } else {
            writer.key("amount")
            reference.key("amount")
          }
        }
        value(min(choice, 6))
      }
      while let object = open.popLast() {
        if object {
          writer.endObject()
          reference.endObject()
        } else {
          writer.endArray()
          reference.endArray()
        }
      }
      #expect(writer.output == reference.output)
      #expect(writer.document() == reference.output + "\n")
    }
  }

  /// A document of several times the writer's 64 KiB buffer (a large report), with
  /// text of every width of UTF-8: what was added to the document at each flush and what
  /// is still in the buffer read back as one, mid-way and at the end.
  @Test func writesLargeDocumentsAsTheReferenceDid() {
    var writer = JSONWriter()
    var reference = ReferenceJSONWriter()
    writer.beginArray()
    reference.beginArray()
    for index in 0..<12_000 {
      writer.beginObject()
      reference.beginObject()
      for (key, text) in [
        ("name", "DOE\(index), JOSÉ"), ("note", "€\(index) 🗳 \u{1}"), ("n", "\(index)"),
      ] {
        writer.key(text: key)
        reference.key(key)
        writer.string(text)
        reference.string(text)
      }
      writer.endObject()
      reference.endObject()
      if index == 6_000 { #expect(writer.output == reference.output) }
    }
    writer.endArray()
    reference.endArray()
    #expect(reference.output.utf8.count > 4 << 16)
    #expect(writer.output == reference.output)
    #expect(writer.document() == reference.output + "\n")
  }

  /// Members written in parts (as the report's findings are, on several threads), each
  /// by a continuation of the writer, then added in order: the same bytes as written in
  /// turn, with parts empty, first, last and larger than the writer's buffer, after the
  /// writer's own members or none, in an array and in an object.
  @Test(arguments: [
    [0, 3, 0, 2], [5], [0, 0], [1, 1, 1], [0, 4_000, 3_000], [3_000, 0, 1],
  ])
  func membersWrittenInPartsAreWrittenAsInTurn(_ sizes: [Int]) {
    for (ownFirst, inObject) in [(0, false), (2, false), (0, true), (2, true)] {
      var writer = JSONWriter()
      var reference = ReferenceJSONWriter()
      writer.beginObject()
      reference.beginObject()
      writer.key("outer")
      reference.key("outer")
      if inObject {
        writer.beginObject()
        reference.beginObject()
      } else {
        writer.beginArray()
        reference.beginArray()
      }
      var number = 0
      func member(_ w: inout JSONWriter) {
        if inObject { w.key(text: "m\(number)") }
        w.beginObject()
        w.field("n", number)
        w.field("text", "é\(number)\u{1}")
        w.endObject()
        if inObject { reference.key("m\(number)") }
        reference.beginObject()
        reference.key("n")
        reference.int(number)
        reference.key("text")
        reference.string("é\(number)\u{1}")
        reference.endObject()
        number += 1
      }
      for _ in 0..<ownFirst { member(&writer) }
      var parts: [JSONWriter] = []
      for size in sizes {
        var part = writer.continuation()
        for _ in 0..<size { member(&part) }
        parts.append(part)
      }
      for part in parts { writer.append(members: part) }
      member(&writer)  // one more of the writer's own, after the parts
      if inObject {
        writer.endObject()
        reference.endObject()
      } else {
        writer.endArray()
        reference.endArray()
      }
      writer.endObject()
      reference.endObject()
      let expected = reference.output + "\n"
      #expect(writer.output + "\n" == expected, "\(sizes) \(ownFirst) \(inObject)")
      #expect(writer.documentChunks().flatMap { $0 } == Array(expected.utf8))
    }
  }

  /// Pieces taken out of the writer as it writes (written out before the rest is made)
  /// and the pieces of the document at the end: together, the document.
  @Test func piecesTakenOnTheWayAndAtTheEndMakeTheDocument() {
    var writer = JSONWriter()
    var reference = ReferenceJSONWriter()
    writer.beginArray()
    reference.beginArray()
    var taken: [UInt8] = []
    for number in 0..<20_000 {
      writer.string("member \(number)")
      reference.string("member \(number)")
      if number % 3_000 == 0 { taken += writer.takeChunks().joined() }
    }
    writer.endArray()
    reference.endArray()
    #expect(!taken.isEmpty)
    #expect(taken + writer.documentChunks().joined() == Array((reference.output + "\n").utf8))
  }

  /// Deeper than the indents the writer keeps ready.
  @Test func indentsDeepNestingAsTheReferenceDid() {
    var writer = JSONWriter()
    var reference = ReferenceJSONWriter()
    for depth in 0..<40 {
      if depth % 2 == 0 {
        writer.beginArray()
        reference.beginArray()
        writer.int(depth)
        reference.int(depth)
      } else {
        writer.beginObject()
        reference.beginObject()
        writer.field("depth", depth)
        reference.key("depth")
        reference.int(depth)
        writer.key("next")
        reference.key("next")
      }
    }
    for depth in (0..<40).reversed() {
      if depth % 2 == 0 {
        writer.endArray()
        reference.endArray()
      } else {
        writer.endObject()
        reference.endObject()
      }
    }
    #expect(writer.output == reference.output)
  }

  @Test func writesFieldsAndNestingAsTheReferenceDid() {
    var writer = JSONWriter()
    writer.beginObject()
    writer.field("name", "Zoë \"Z\" Roe")
    writer.field("none", nil)
    writer.field("line", -42)
    writer.key("empty")
    writer.beginArray()
    writer.endArray()
    writer.key("nested")
    writer.beginArray()
    writer.beginObject()
    writer.endObject()
    writer.int(Int.min)
    writer.endArray()
    writer.endObject()
    #expect(
      writer.document() == """
        {
          "name": "Zoë \\"Z\\" Roe",
          "none": null,
          "line": -42,
          "empty": [],
          "nested": [
            {},
            -9223372036854775808
          ]
        }

        """)
  }
}

/// The JSON writer as it was before it wrote bytes: what the reports must stay.
private struct ReferenceJSONWriter {
  private(set) var output = ""
  private var needsComma: [Bool] = [false]
  private let indentUnit = "  "
  private var pendingKey = false

  private var indent: String { String(repeating: indentUnit, count: needsComma.count - 1) }

  private mutating func separator() {
    if needsComma[needsComma.count - 1] { output += "," }
    if needsComma.count > 1 { output += "\n" + indent }
    needsComma[needsComma.count - 1] = true
  }

  mutating func key(_ name: String) {
    separator()
    output += ReferenceJSONWriter.quote(name) + ": "
    needsComma[needsComma.count - 1] = false
    pendingKey = true
  }

  private mutating func beginValue() {
    if pendingKey {
      pendingKey = false
      needsComma[needsComma.count - 1] = true
    } else {
      separator()
    }
  }

  mutating func string(_ s: String?) {
    beginValue()
    output += s.map(ReferenceJSONWriter.quote) ?? "null"
  }

  mutating func int(_ i: Int) {
    beginValue()
    output += String(i)
  }

  mutating func bool(_ b: Bool) {
    beginValue()
    output += b ? "true" : "false"
  }

  mutating func null() {
    beginValue()
    output += "null"
  }

  mutating func beginObject() {
    beginValue()
    output += "{"
    needsComma.append(false)
  }

  mutating func endObject() {
    let hadItems = needsComma.removeLast()
    output += hadItems ? "\n" + indent + "}" : "}"
  }

  mutating func beginArray() {
    beginValue()
    output += "["
    needsComma.append(false)
  }

  mutating func endArray() {
    let hadItems = needsComma.removeLast()
    output += hadItems ? "\n" + indent + "]" : "]"
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
