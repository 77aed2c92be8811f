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

extension XMLSupport {
  /// Validates an XML file against an XML Schema with libxml2's streaming reader, under
  /// the same safe options as `XMLReader`; returns the problems found (empty when the file
  /// is valid). For tests and tools: `XMLReader` itself does not validate.
  public static func validate(path: String, schemaPath: String) -> [String] {
    guard let reader = xmlReaderForFile(path, nil, XMLReader.parserOptions) else {
      return ["cannot open \(path)"]
    }
    defer { xmlFreeTextReader(reader) }
    guard xmlTextReaderSchemaValidate(reader, schemaPath) == 0 else {
      return ["cannot load the schema \(schemaPath)"]
    }
    return XMLErrors.collect(from: reader) { errors in
      var status: Int32 = 1
      while status == 1 { status = xmlTextReaderRead(reader) }
      var problems = errors.pointee.all.map { "line \($0.line): \($0.message)" }
      if problems.isEmpty && (status != 0 || xmlTextReaderIsValid(reader) != 1) {
        problems.append("not valid")
      }
      return problems
    }
  }
}

/// The errors libxml2 reports through a structured error handler (at most 20 kept).
struct XMLErrors {
  struct Entry {
    let message: String
    let line: Int
    let code: Int32
    /// An error the parser stops at (not one it goes on after).
    var fatal = false
  }

  var all: [Entry] = []
  var first: Entry? { all.first }
  /// The first message libxml2 gave its generic error function (an encoding error, for
  /// one), which reaches no structured handler.
  let generic: UnsafeMutablePointer<probity_xml_generic_errors>

  var genericMessage: String? {
    guard generic.pointee.count > 0 else { return nil }
    let text = withUnsafeBytes(of: generic.pointee.first) {
      String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
    }
    let trimmed = text.trimmingSuffix(while: { $0 == "\n" || $0 == " " })
    return trimmed.isEmpty ? nil : trimmed
  }

  /// libxml2's error codes about entities (xmlerror.h: XML_ERR_ENTITYREF_AT_EOF to
  /// XML_ERR_ENTITY_IS_PARAMETER, NOT_STARTED, NOT_FINISHED, EXT_ENTITY_STANDALONE,
  /// CHAR_ERROR, PE_INTERNAL, LOOP, BOUNDARY, PROCESSING).
  static let entityCodes: Set<Int32> = Set(14...30).union([36, 37, 82, 87, 88, 89, 90, 104])
  /// An entity reference with no name or no `;` (`XML_ERR_ENTITYREF_NO_NAME`,
  /// `XML_ERR_ENTITYREF_SEMICOL_MISSING`): an `&` written bare in text, not an entity.
  static let bareAmpersandCodes: Set<Int32> = [22, 23]

  /// Runs `body` with the errors `reader` reports collected, through one context pointer
  /// that lives for the call.
  static func collect<T, E: Error>(
    from reader: xmlTextReaderPtr, _ body: (UnsafeMutablePointer<XMLErrors>) throws(E) -> T
  ) throws(E) -> T {
    let generic = UnsafeMutablePointer<probity_xml_generic_errors>.allocate(capacity: 1)
    generic.initialize(to: probity_xml_generic_errors())
    let errors = UnsafeMutablePointer<XMLErrors>.allocate(capacity: 1)
    errors.initialize(to: XMLErrors(generic: generic))
    defer {
      xmlTextReaderSetStructuredErrorHandler(reader, nil, nil)
      probity_xml_stop_collecting_generic_errors()
      errors.deinitialize(count: 1)
      errors.deallocate()
      generic.deinitialize(count: 1)
      generic.deallocate()
    }
    xmlTextReaderSetStructuredErrorHandler(
      reader, xmlErrorReported, UnsafeMutableRawPointer(errors))
    probity_xml_collect_generic_errors(generic)
    return try body(errors)
  }
}

/// libxml2's structured error callback; `context` points to the read's `XMLErrors`.
func xmlErrorReported(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
  context?.assumingMemoryBound(to: XMLErrors.self).pointee.record(error)
}

extension XMLErrors {
  /// Keeps an error (not a warning), up to 20.
  mutating func record(_ error: xmlErrorPtr?) {
    guard let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue, all.count < 20
    else { return }
    var message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
    while message.last == "\n" || message.last == " " { message.removeLast() }
    all.append(
      XMLErrors.Entry(
        message: message, line: Int(error.pointee.line), code: error.pointee.code,
        fatal: error.pointee.level == XML_ERR_FATAL))
  }
}

extension String {
  fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
    var result = self[...]
    while let last = result.last, predicate(last) { result = result.dropLast() }
    return String(result)
  }
}
