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

  @Test(
    "an attribute is a quoted value in a start tag; comments, CDATA, instructions and declarations count none",
    arguments: [
      ("<a x='1' y=\"2\" z='3'/>", nil),
      ("<a w='1' x='2' y='3' z='4'/>", 0),
      ("<r>\n  <a w='1' x='2' y='3' z='4'>", 6),
      // Three attributes an element, many elements: counted by element.
      ("<a x='1' y='2' z='3'><b x='1' y='2' z='3'/></a>", nil),
      // A value holding the other quote, `>` or `=` is one attribute.
      ("<a x='\"\"\"' y=\"'>'\" z='a=\"b\"'/>", nil),
      ("<a x='\"\"\"' y=\"'>'\" z='a=\"b\"' w=''/>", 0),
      // Quotes in text, comments, CDATA, processing instructions and a DOCTYPE.
      ("<a>\"1\" '2' \"3\" '4'</a>", nil),
      ("<!-- 'a' 'b' 'c' 'd' --><a/>", nil),
      ("<a><![CDATA[ <b x='1' y='2' z='3' w='4'> ]]></a>", nil),
      ("<?pi a='1' b='2' c='3' d='4'?><a/>", nil),
      ("<!DOCTYPE a [ <!ATTLIST a w CDATA '1' x CDATA '2' y CDATA '3' z CDATA '4'> ]><a/>", nil),
      // After each of them, a tag is counted again.
      ("<!-- > -- --><a w='1' x='2' y='3' z='4'/>", 13),
      ("<![CDATA[ ]> ]]><a w='1' x='2' y='3' z='4'/>", 16),
      ("<?pi > ?><a w='1' x='2' y='3' z='4'/>", 9),
      ("<!DOCTYPE a [ <!ELEMENT a ANY> ]><a w='1' x='2' y='3' z='4'/>", 33),
      // An end tag, an empty element and text between do not carry a count over.
      ("<a x='1' y='2'></a><b z='3' w='4'/>", nil),
    ] as [(String, Int?)])
  func counted(_ text: String, _ refusedAt: Int?) {
    #expect(XMLAttributeGuardTests.refused(text) == refusedAt, "\(text)")
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
