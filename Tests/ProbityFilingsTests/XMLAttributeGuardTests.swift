import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// An element with a great many attributes is refused before libxml2 sees it: libxml2
/// 2.9 compares each attribute of an element with every one before it (200,000 of them
/// took 8 seconds), so a filing could make a check run for hours.
@Suite("XML attributes bounded")
struct XMLAttributeGuardTests {
  /// The guard with a limit of 3 over `text`, fed whole and then a byte at a time (the
  /// chunks libxml2 is fed end anywhere): where the tag over the limit starts, or nil.
  static func refused(_ text: String) -> Int? {
    let bytes = Array(text.utf8)
    var whole = XMLAttributeGuard(limit: 3)
    let once = bytes.withUnsafeBytes { whole.scan($0) }?.inDocument
    var piecemeal = XMLAttributeGuard(limit: 3)
    var byByte: Int?
    for index in bytes.indices where byByte == nil {
      byByte = bytes[index...index].withUnsafeBytes { piecemeal.scan($0) }?.inDocument
    }
    #expect(
      once == byByte,
      "\(text): whole \(String(describing: once)), by byte \(String(describing: byByte))")
    return once
  }

  /// Where `marker` last starts in `text`, in bytes.
  static func offset(of marker: String, in text: String) -> Int {
    let bytes = Array(text.utf8)
    let wanted = Array(marker.utf8)
    return bytes.indices.last { bytes[$0...].starts(with: wanted) }!
  }

  @Test(
    "an attribute is a quoted value in a start tag; comments, CDATA, instructions and declarations count none",
    arguments: [
      ("<a x='1' y=\"2\" z='3'/>", nil),
      ("<a w='1' x='2' y='3' z='4'/>", "<a"),
      ("<r>\n  <a w='1' x='2' y='3' z='4'>", "<a"),
      // Three attributes an element, many elements: counted by element.
      ("<a x='1' y='2' z='3'><b x='1' y='2' z='3'/></a>", nil),
      // A value holding the other quote, `>` or `=` is one attribute.
      ("<a x='\"\"\"' y=\"'>'\" z='a=\"b\"'/>", nil),
      ("<a x='\"\"\"' y=\"'>'\" z='a=\"b\"' w=''/>", "<a"),
      // Quotes in text, comments, CDATA, processing instructions and a DOCTYPE.
      ("<a>\"1\" '2' \"3\" '4'</a>", nil),
      ("<!-- 'a' 'b' 'c' 'd' --><a/>", nil),
      ("<a><![CDATA[ <b x='1' y='2' z='3' w='4'> ]]></a>", nil),
      ("<?pi a='1' b='2' c='3' d='4'?><a/>", nil),
      ("<!DOCTYPE a [ <!ATTLIST a w CDATA '1' x CDATA '2' y CDATA '3' z CDATA '4'> ]><a/>", nil),
      // After each of them, a tag is counted again.
      ("<!-- > -- --><a w='1' x='2' y='3' z='4'/>", "<a"),
      ("<![CDATA[ ]> ]]><a w='1' x='2' y='3' z='4'/>", "<a"),
      ("<?pi > ?><a w='1' x='2' y='3' z='4'/>", "<a"),
      ("<!DOCTYPE a [ <!ELEMENT a ANY> ]><a w='1' x='2' y='3' z='4'/>", "<a"),
      // The bytes that open a comment or an instruction do not close it: `<!-->` and
      // `<!--->` are inside their comment (a review's reproducers: the first hid the
      // rest of a file from the count, and refused a tag inside the comment).
      ("<!--> < \" --><a w='1' x='2' y='3' z='4'/>", "<a w"),
      ("<!--> <x a='0' b='1' c='2' d='3'> --><a/>", nil),
      ("<!---> <x a='0' b='1' c='2' d='3'> --><a/>", nil),
      ("<?> <x a='0' b='1' c='2' d='3'> ?><a/>", nil),
      // A DOCTYPE's quoted literals, and the comments and instructions of its internal
      // subset, hold `[` and `]` that open or close nothing.
      ("<!DOCTYPE a SYSTEM \"[\"><a w='1' x='2' y='3' z='4'/>", "<a w"),
      ("<!DOCTYPE a [ <!-- [ --> ]><a w='1' x='2' y='3' z='4'/>", "<a w"),
      ("<!DOCTYPE a [ <!ATTLIST a z CDATA \"[\"> ]><a w='1' x='2' y='3' z='4'/>", "<a w"),
      ("<!DOCTYPE a [ <?pi [ ?> ]><a w='1' x='2' y='3' z='4'/>", "<a w"),
      (
        "<!DOCTYPE a [ <!-- ] > --> <!ATTLIST a z CDATA ']>'> ]><a w='1' x='2' y='3' z='4'/>",
        "<a w"
      ),
      // An end tag, an empty element and text between do not carry a count over.
      ("<a x='1' y='2'></a><b z='3' w='4'/>", nil),
    ] as [(String, String?)])
  func counted(_ text: String, _ refusedAt: String?) {
    let expected = refusedAt.map { XMLAttributeGuardTests.offset(of: $0, in: text) }
    #expect(XMLAttributeGuardTests.refused(text) == expected, "\(text)")
  }

  @Test(
    "the declared encoding is read from the XML declaration; only encodings whose ASCII is ASCII are read",
    arguments: [
      ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", "UTF-8", true),
      ("\u{FEFF}<?xml version='1.0' encoding = 'windows-1252' ?><a/>", "windows-1252", true),
      ("<?xml version=\"1.0\" encoding=\"iso-8859-15\"?>", "iso-8859-15", true),
      ("<?xml version=\"1.0\" encoding=\"UTF-7\"?><a/>", "UTF-7", false),
      ("<?xml version=\"1.0\" encoding=\"IBM037\"?><a/>", "IBM037", false),
      ("<?xml version=\"1.0\"?><a encoding='UTF-7'/>", nil, true),
      ("<a/>", nil, true),
    ] as [(String, String?, Bool)])
  func encodings(_ text: String, _ declared: String?, _ read: Bool) throws {
    let found = XMLPrologCheck.declaredEncoding(ArraySlice(Array(text.utf8)))
    #expect(found == declared)
    #expect(found.map(XMLPrologCheck.readsAsASCII) ?? true == read)
    if !read {
      let error = try #require(try xmlError(text + "<filing/>"))
      #expect(error.id == "F0017" && error.message.contains("declares the encoding"))
    }
  }

  @Test("XML in EBCDIC is refused clearly")
  func ebcdic() throws {
    // `<?xml version="1.0" encoding="IBM037"?><filing/>` in code page 037.
    let text = "<?xml version=\"1.0\" encoding=\"IBM037\"?><filing/>"
    let ebcdic =
      text.data(using: .init(rawValue: 0x8000_0C02))
      ?? {
        // Foundation without the code page: the first four bytes are what is looked at.
        Data([0x4C, 0x6F, 0xA7, 0x94, 0x40, 0x6F, 0x6E])
      }()
    let path = try temporaryFile([UInt8](ebcdic), suffix: ".xml")
    do {
      _ = try readXML(path: path)
      Issue.record("read EBCDIC")
    } catch {
      #expect(error.diagnostic.id == "F0017")
      #expect(error.diagnostic.message.contains("EBCDIC"), "\(error.diagnostic.message)")
    }
  }

  @Test("malformed XML before a refused tag is said first, at its own line")
  func malformedFirst() throws {
    let attributes = (0...ReaderLimits.xmlAttributesCeiling).map { "a\($0)='\($0)'" }
    let text =
      "<?xml version=\"1.0\"?>\n<filing xmlns=\"urn:probity:filing:1\" version=\"1\">\n</bogus>\n<note "
      + attributes.joined(separator: " ") + "/>\n</filing>\n"
    let error = try #require(try xmlError(text))
    #expect(error.id == "F0017" && error.line == 3, "\(error.rendered())")
  }

  @Test("the line of a refused tag is counted as libxml2 counts the reader's other lines: by LF")
  func lines() throws {
    for (text, line) in [
      ("<r>\n\n<a/>", 3), ("<r>\r\n\r\n<a/>", 3), ("<r>\r\r<a/>", 1), ("<r>\r\n\r<a/>", 2),
      ("<a/>", 1),
    ] {
      let path = try temporaryFile(text, suffix: ".xml")
      let fd = open(path, O_RDONLY)
      defer { close(fd) }
      let offset = Array(text.utf8).lastIndex(of: UInt8(ascii: "<"))!
      #expect(XMLAttributeGuard.line(at: offset, of: fd) == line, "\(text.debugDescription)")
    }
  }

  @Test(
    "a filing with an element of too many attributes stops at its line, quickly, the records before it read"
  )
  func refusedInAFiling() throws {
    let text = try String(contentsOfFile: fixture("xml/receipts.xml"), encoding: .utf8)
    let records = try readXML(path: fixture("xml/receipts.xml")).records.count
    // The element before the filing's end, past every record.
    let attributes = (0...ReaderLimits.xmlAttributesCeiling).map { "a\($0)=\"\($0)\"" }
    let close = try #require(text.range(of: "</filing>", options: .backwards))
    let line = text[..<close.lowerBound].filter { $0 == "\n" }.count + 1
    let hostile =
      text[..<close.lowerBound] + "<note " + attributes.joined(separator: " ") + "/>\n</filing>\n"
    let path = try temporaryFile(String(hostile), suffix: ".xml")
    var read = 0
    let started = Date()
    do {
      _ = try XMLReader(path: path, mapping: .probityXML).read(
        onRecord: { _ in read += 1 }, onProblem: { _ in })
      Issue.record("read an element of \(attributes.count) attributes")
    } catch {
      #expect(error.diagnostic.id == "F0026")
      #expect(error.diagnostic.line == line, "\(error.diagnostic.rendered())")
      #expect(error.diagnostic.message.contains("more than 10000 attributes"))
    }
    #expect(read == records)
    #expect(Date().timeIntervalSince(started) < 5)
    // As many as the limit: read.
    let most =
      text[..<close.lowerBound] + "<note "
      + attributes.dropLast().joined(separator: " ") + "/>\n</filing>\n"
    #expect(try readXML(String(most)).records.count == records)
  }
}
