import CLibXML2

/// The libxml2 link, proven small: the version and a safe in-memory parse. The XML
/// filing reader builds on this.
public enum XMLSupport {
  /// The libxml2 version Probity was compiled against, like `2.9.14`.
  public static var libxml2Version: String { LIBXML_DOTTED_VERSION }

  /// Why an XML text did not parse.
  public struct ParseError: Error, Sendable, Equatable {
    public let message: String
    public let line: Int
  }

  /// The root element of an XML text: its name and its text content.
  public struct Root: Sendable, Equatable {
    public let name: String
    public let text: String
  }

  /// Parses `xml` without network access and without substituting entities (no XXE),
  /// and returns its root element.
  public static func root(ofXML xml: String) -> Result<Root, ParseError> {
    guard let context = xmlNewParserCtxt() else {
      return .failure(ParseError(message: "cannot create an XML parser", line: 0))
    }
    defer { xmlFreeParserCtxt(context) }
    let options = Int32(
      XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
    let bytes = Array(xml.utf8)
    let document = bytes.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) {
        xmlCtxtReadMemory(
          context, $0.baseAddress, Int32(clamping: $0.count), "memory.xml", "UTF-8", options)
      }
    }
    guard let document else {
      if let error = xmlCtxtGetLastError(context), let message = error.pointee.message {
        let text = String(cString: message).trimmingSuffix(while: { $0 == "\n" })
        return .failure(ParseError(message: text, line: Int(error.pointee.line)))
      }
      return .failure(ParseError(message: "not well-formed XML", line: 0))
    }
    defer { xmlFreeDoc(document) }
    guard let root = xmlDocGetRootElement(document), let name = root.pointee.name else {
      return .failure(ParseError(message: "the document has no root element", line: 0))
    }
    var text = ""
    if let content = xmlNodeGetContent(root) {
      text = String(cString: content)
      probity_xml_free(content)
    }
    return .success(Root(name: String(cString: name), text: text))
  }
}

extension String {
  fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
    var result = self[...]
    while let last = result.last, predicate(last) { result = result.dropLast() }
    return String(result)
  }
}
