import CLibXML2
import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads an XML filing through an XML mapping (docs/formats.md, "XML filings") with
/// libxml2's push parser and SAX2 callbacks: no tree is built, memory holds the open
/// elements and the record being read, never the document, and each element has its
/// exact line (libxml2's tree reader kept lines in 16 bits, and past line 65,535 gave
/// some elements a wrong one). The tree reader cost about three times as much.
///
/// Safe by construction: libxml2 gets `XML_PARSE_NONET` and neither `XML_PARSE_NOENT`
/// (entity substitution) nor `XML_PARSE_DTDLOAD` (external DTDs); and before libxml2
/// sees the file, its prolog is scanned and a DOCTYPE that declares entities is refused,
/// so no entity is ever defined, expanded or fetched (no billion laughs, no XXE). An
/// entity declaration or reference that reaches the parser anyway stops the read (the
/// callbacks have no `getEntity`, so none could be looked up).
///
/// Every element at a `[kind]` path is a record (or a skipped row). Its fields come from
/// elements and attributes at paths relative to it; absolute paths give values outside
/// the records (the filer, the report), the latest seen before each record ends. A
/// record carries the line its start tag ends on and its element path
/// (`/filing/receipt[3]`).
public struct XMLReader: Sendable {
  public let path: String
  public let mapping: Mapping
  /// The longest field and record, the deepest nesting (`ReaderLimits`).
  public let limits: ReaderLimits

  public init(path: String, mapping: Mapping, limits: ReaderLimits = .default) {
    self.path = path
    self.mapping = mapping
    self.limits = limits
  }

  /// The options given to libxml2: no network, line numbers past 65535, errors to
  /// Probity's handler only. Never NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE.
  static let parserOptions = Int32(
    XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
      | XML_PARSE_BIG_LINES.rawValue)

  /// Reads the filing. `lines`, `pool` and `fields` are those of `FilingReader.read`:
  /// - `lines`: the record elements that start on other lines are read past without
  ///   their fields being kept or a record made, and reading stops at the first record
  ///   element past the last line wanted (there is no going straight to a line: what
  ///   encloses it, its namespaces, must be parsed);
  /// - `pool`: the arrays records' values are made in;
  /// - `fields`: the text of a text field the run does not read is not kept, only its
  ///   length (an element too long still rejects its record) and that it is there (a
  ///   required element still is required); every other field is read as before.
  ///   libxml2 has checked the encoding of all of the document's text, so any such text
  ///   is a valid string and passing over it cannot change what is accepted.
  public func read(
    lines: LineSelection? = nil, pool: RecordValuesPool? = nil, fields: FieldSet? = nil,
    onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    try read(
      checkProlog: true, lines: lines, pool: pool, fields: fields, onRecord: onRecord,
      onProblem: onProblem)
  }

  /// `checkProlog: false` skips the prolog scan, so tests can show that the parser's
  /// callbacks refuse entity declarations on their own.
  func read(
    checkProlog: Bool, lines: LineSelection? = nil, pool: RecordValuesPool? = nil,
    fields: FieldSet? = nil, onRecord: (consuming Record) -> Void,
    onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    guard case .elements(let kinds) = mapping.kind else {
      throw .make(
        .wrongReader, "the mapping \(mapping.path) is for delimited text, not XML", path: path,
        hint: "give an XML mapping ('format = xml' in [file]), or another --input-format")
    }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw .make(
        .cannotOpen, "cannot open the filing: \(String(cString: strerror(errno)))", path: path)
    }
    defer { close(fd) }
    if checkProlog {
      try XMLPrologCheck(path: path, fd: fd).run()
      guard lseek(fd, 0, SEEK_SET) == 0 else {
        throw .make(
          .readFailed, "cannot go back in the filing: \(String(cString: strerror(errno)))",
          path: path)
      }
    }
    let session = XMLSession(
      path: path, mapping: mapping, kinds: kinds, limits: limits, lines: lines?.lines,
      pool: pool, fields: fields)
    return try withoutActuallyEscaping(onRecord) { onRecord throws(FilingError) in
      try withoutActuallyEscaping(onProblem) { onProblem throws(FilingError) in
        try parse(fd, session: session, onRecord: onRecord, onProblem: onProblem)
      }
    }
  }

  /// Feeds the file to libxml2's push parser, whose callbacks (`XMLReader.makeHandler`) drive
  /// the session: no tree is built, and each element has its exact line.
  private func parse(
    _ fd: Int32, session: XMLSession, onRecord: @escaping (consuming Record) -> Void,
    onProblem: @escaping (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    let generic = UnsafeMutablePointer<probity_xml_generic_errors>.allocate(capacity: 1)
    generic.initialize(to: probity_xml_generic_errors())
    let read = UnsafeMutablePointer<SAXRead>.allocate(capacity: 1)
    read.initialize(
      to: SAXRead(
        session: session, errors: XMLErrors(generic: generic), onRecord: onRecord,
        onProblem: onProblem))
    defer {
      probity_xml_stop_collecting_generic_errors()
      read.deinitialize(count: 1)
      read.deallocate()
      generic.deinitialize(count: 1)
      generic.deallocate()
    }
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    func readFailed() -> FilingError {
      FilingError.make(
        .readFailed, "cannot read the filing: \(String(cString: strerror(errno)))", path: path
      ).after(read.pointee.session.statistics)
    }
    var attributeGuard = XMLAttributeGuard()
    func tooManyAttributes(_ line: Int) -> FilingError {
      FilingError.make(
        .xmlTooManyAttributes,
        "an element with more than \(attributeGuard.limit) attributes, more than Probity reads",
        path: path, line: line,
        hint:
          "the records before this point were read; libxml2's time grows with the square of an element's attributes, and filings have a few an element"
      ).after(read.pointee.session.statistics)
    }
    // Lines: libxml2 counts a line at each LF, and so a file whose lines end in a CR alone
    // (an old Mac's) was all on line 1, its records and errors too. XML reads a CR alone
    // as a line end (its end-of-line handling makes it an LF before parsing: XML 1.0,
    // 2.11), so one is given as an LF: the same document, the same byte offsets, and the
    // lines the delimited readers count. Only in an encoding that writes ASCII as ASCII
    // (told by the first byte: UTF-16 and UTF-32 are refused before parsing, EBCDIC
    // writes LF otherwise). A CR last in a chunk is held back until the byte after it
    // is known (`carriedCR`).
    var normalizesCR = false
    var carriedCR = false
    func feedable(_ count: Int) -> Int {
      guard normalizesCR else { return count }
      return buffer.withUnsafeMutableBufferPointer { bytes in
        for index in 0..<max(0, count - 1)
        where bytes[index] == 0x0D && bytes[index + 1] != 0x0A {
          bytes[index] = 0x0A
        }
        carriedCR = count > 0 && bytes[count - 1] == 0x0D
        return carriedCR ? count - 1 : count
      }
    }
    /// Reads the next bytes into the buffer, after the CR carried: how many it holds.
    func readChunk(_ limit: Int) -> Int {
      let carried = carriedCR ? 1 : 0
      let count = buffer.withUnsafeMutableBytes {
        readFile(fd, $0.baseAddress! + carried, limit - carried)
      }
      guard count >= 0 else { return count }
      if carried == 1 {
        buffer[0] = 0x0D
        // At the end of the file, the CR carried is a CR alone.
        if count == 0 {
          buffer[0] = 0x0A
          carriedCR = false
          return 1
        }
      }
      return count + carried
    }
    // The first bytes go to the parser's making, which tells the encoding from them.
    var first = buffer.withUnsafeMutableBytes { readFile(fd, $0.baseAddress, 4) }
    guard first >= 0 else { throw readFailed() }
    normalizesCR = first > 0 && [0x3C, 0xEF, 0x20, 0x09, 0x0A, 0x0D].contains(buffer[0])
    // The parser is made with these bytes whole (held back, a CR after a byte order mark
    // left it three bytes, and libxml2 found the document empty): a CR last among them is
    // given as it is (a CR alone there, before the prolog, would shift the lines by one).
    first = feedable(first)
    if carriedCR {
      carriedCR = false
      first += 1
    }
    if let over = buffer.withUnsafeBytes({
      attributeGuard.scan(UnsafeRawBufferPointer(rebasing: $0[0..<first]))
    }) {
      throw tooManyAttributes(XMLAttributeGuard.line(at: over.inDocument, of: fd))
    }
    var handler = XMLReader.makeHandler()
    guard
      let parser = buffer.withUnsafeBytes({
        xmlCreatePushParserCtxt(
          &handler, read, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(first), path)
      })
    else {
      throw .make(.xmlMalformed, "cannot start the XML parser", path: path)
    }
    defer { xmlFreeParserCtxt(parser) }
    xmlCtxtUseOptions(parser, XMLReader.parserOptions)
    // For the error callback, which finds the read from the parser (see `makeHandler`).
    parser.pointee._private = UnsafeMutableRawPointer(read)
    read.pointee.session.parser = parser
    probity_xml_collect_generic_errors(generic)
    while true {
      let read0 = readChunk(buffer.count)
      guard read0 >= 0 else { throw readFailed() }
      // Past the end with no CR carried: 0, which ends the parse.
      let count = read0 == 0 ? 0 : feedable(read0)
      if read0 > 0 && count == 0 { continue }
      if let over = buffer.withUnsafeBytes({
        attributeGuard.scan(UnsafeRawBufferPointer(rebasing: $0[0..<count]))
      }) {
        // The parser is given the bytes before the tag (the records that end there are
        // read), not the tag; what stops it there (malformed XML before the tag, the
        // records wanted all read) is said first, as it would have been without the tag.
        let status = buffer.withUnsafeBytes {
          xmlParseChunk(
            parser, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(over.offset), 0)
        }
        if let failure = read.pointee.failure {
          throw failure.after(read.pointee.session.statistics)
        }
        if read.pointee.session.done { break }
        if status != 0 || parser.pointee.wellFormed == 0 {
          throw stopped(read.pointee.errors, read.pointee.session)
            .after(read.pointee.session.statistics)
        }
        throw tooManyAttributes(XMLAttributeGuard.line(at: over.inDocument, of: fd))
      }
      let status = buffer.withUnsafeBytes {
        xmlParseChunk(
          parser, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(count),
          count == 0 ? 1 : 0)
      }
      if let failure = read.pointee.failure { throw failure.after(read.pointee.session.statistics) }
      if read.pointee.session.done { break }
      if status != 0 || parser.pointee.wellFormed == 0 {
        throw stopped(read.pointee.errors, read.pointee.session, atEnd: count == 0)
          .after(read.pointee.session.statistics)
      }
      if count == 0 { break }
    }
    return read.pointee.session.statistics
  }

  /// What stopped libxml2: an entity, its own nesting limit, or XML that is not
  /// well-formed, with its line.
  ///
  /// `atEnd`: the parser stopped when told the file had ended. With elements still open
  /// there, and the file's last tag not the root's end tag, the file ends inside the
  /// document: cut short (libxml2 says "Extra content at the end of the document" of a
  /// file cut inside a text, which misleads). A whole file may stop the parser there too
  /// (libxml2 waits for more input before it judges `&` without its `;`, or a comment
  /// never closed): its last tag closes the root, and it is said as libxml2 says it.
  private func stopped(_ errors: XMLErrors, _ session: XMLSession, atEnd: Bool = false)
    -> FilingError
  {
    // The error that stopped the parser, not one it went on after (a namespace prefix
    // never declared, reported and passed over).
    let error = errors.all.first { $0.fatal } ?? errors.first
    let line = error?.line ?? session.nodeLine
    // An entity used (first: whatever else is wrong, it is refused as such).
    if let error, XMLErrors.entityCodes.contains(error.code),
      !XMLErrors.bareAmpersandCodes.contains(error.code)
    {
      return .make(
        .xmlUnsafe, "the document uses entities, which Probity refuses: \(error.message)",
        path: path, line: line,
        hint: "Probity never defines, expands or fetches XML entities")
    }
    let message = error?.message ?? errors.genericMessage ?? "the parser stopped"
    if atEnd && !session.open.isEmpty && !endsClosing(session.rootName ?? "") {
      return .make(
        .xmlMalformed,
        "the XML is not well-formed: the file ends inside the document, its elements never closed (the parser: \(message))",
        path: path, line: line,
        hint:
          "the file looks cut short: get the whole filing; the records the parser reached before this point were read"
      )
    }
    // An `&` written bare in text (`AT&T`, `Smith & Co`): no entity the document uses, but
    // XML that no XML writer made (the text's `&` is written `&amp;`).
    if let error,
      XMLErrors.bareAmpersandCodes.contains(error.code)
        || error.message.hasPrefix("xmlParseEntityRef: no name")
    {
      return .make(
        .xmlMalformed,
        "the XML is not well-formed: an '&' not written as '&amp;' (the parser: \(error.message))",
        path: path, line: line,
        hint:
          "in XML text an ampersand is written &amp; (AT&amp;T); the records the parser reached before this point were read"
      )
    }
    if let error, error.message.hasPrefix("Excessive depth in document") {
      // libxml2's own limit, met before the session saw the element.
      return session.tooDeep(line: line)
    }
    return .make(
      .xmlMalformed, "the XML is not well-formed: \(message)", path: path,
      line: line, hint: "the records the parser reached before this point were read")
  }

  /// Whether the file's last tag, past the blanks, comments and processing instructions
  /// after it (in its last 64 KiB), is the end tag of the root element `root` (its local
  /// name, with or without a prefix).
  private func endsClosing(_ root: String) -> Bool {
    let fd = open(path, O_RDONLY)
    guard fd >= 0, !root.isEmpty else { return false }
    defer { close(fd) }
    let size = lseek(fd, 0, SEEK_END)
    let count = Int(min(size, 65_536))
    guard count > 0 else { return false }
    var tail = [UInt8](repeating: 0, count: count)
    guard pread(fd, &tail, count, size - off_t(count)) == count else { return false }
    // Past the blanks, comments and processing instructions after the root.
    func dropBlanks() {
      while let last = tail.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D {
        tail.removeLast()
      }
    }
    dropBlanks()
    while tail.count >= 4, tail.last == UInt8(ascii: ">") {
      let closer = tail[tail.count - 2]
      let opener: [UInt8]
      if closer == UInt8(ascii: "-") && tail[tail.count - 3] == UInt8(ascii: "-") {
        opener = Array("<!--".utf8)
      } else if closer == UInt8(ascii: "?") {
        opener = Array("<?".utf8)
      } else {
        break
      }
      guard let start = lastRange(of: opener, in: tail) else { return false }
      tail.removeSubrange(start...)
      dropBlanks()
    }
    guard tail.last == UInt8(ascii: ">"),
      let start = tail.lastIndex(where: { $0 == UInt8(ascii: "<") }),
      start + 1 < tail.count, tail[start + 1] == UInt8(ascii: "/")
    else { return false }
    let name = String(
      trimBlanks(String(decoding: tail[(start + 2)..<(tail.count - 1)], as: UTF8.self)))
    return name == root || name.hasSuffix(":" + root)
  }

  /// Where the last `needle` in `bytes` starts.
  private func lastRange(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= needle.count else { return nil }
    var index = bytes.count - needle.count
    while index >= 0 {
      if bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
      index -= 1
    }
    return nil
  }

  /// Stops the read: `what`, which Probity refuses.
  static func refuseEntity(_ context: UnsafeMutableRawPointer?, _ what: String) {
    SAXRead.of(context).event { session, _, _ throws(FilingError) in
      throw .make(
        .xmlUnsafe, "\(what), which Probity refuses", path: session.path, line: session.nodeLine,
        hint: "Probity never defines, expands or fetches XML entities")
    }
  }

  /// libxml2's SAX callbacks: each finds the read through its context pointer and hands
  /// the event to the session; a problem that stops the read is kept and the parser
  /// stopped. Comments, processing instructions and the DOCTYPE's other declarations go
  /// to no callback. An entity declared or referred to stops the read: no entity is ever
  /// defined, expanded or fetched (there is no `getEntity`, so none could be).
  static func makeHandler() -> xmlSAXHandler {
    var handler = xmlSAXHandler()
    handler.initialized = UInt32(XML_SAX2_MAGIC)
    handler.startElementNs = { context, name, _, _, _, _, count, defaulted, attributes in
      SAXRead.of(context).event { session, onRecord, onProblem throws(FilingError) in
        // The attributes a DTD gives by default come last; like libxml2's tree builder
        // without XML_PARSE_DTDATTR, the read leaves them out (a filing says what it says).
        try session.startElement(
          name, attributes: attributes, count: Int(count) - Int(defaulted), onRecord: onRecord,
          onProblem: onProblem)
      }
    }
    handler.endElementNs = { context, _, _, _ in
      SAXRead.of(context).event { session, onRecord, onProblem in
        session.endElement(onRecord: onRecord, onProblem: onProblem)
      }
    }
    let text: charactersSAXFunc = { context, characters, count in
      guard let characters, count > 0 else { return }
      SAXRead.of(context).event { session, _, _ in
        session.text(UnsafeBufferPointer(start: characters, count: Int(count)))
      }
    }
    handler.characters = text
    // The same function: whitespace is text like any other (libxml2 tells the two apart
    // only when they differ).
    handler.ignorableWhitespace = text
    handler.cdataBlock = text
    handler.entityDecl = { context, _, _, _, _, _ in
      XMLReader.refuseEntity(context, "the document declares entities in its DOCTYPE")
    }
    handler.unparsedEntityDecl = { context, _, _, _, _ in
      XMLReader.refuseEntity(context, "the document declares entities in its DOCTYPE")
    }
    handler.reference = { context, _ in
      XMLReader.refuseEntity(context, "the document refers to an entity")
    }
    handler.serror = { context, error in
      // The read, found from the parser the error names: libxml2 gives the parser's own
      // errors the callbacks' context (the read), but its validity errors the validation
      // context's data, which is the parser itself.
      let parser = error?.pointee.ctxt?.assumingMemoryBound(to: xmlParserCtxt.self)
      guard let read = parser?.pointee._private ?? context else { return }
      SAXRead.of(read).pointee.errors.record(error)
    }
    return handler
  }
}

/// `read(2)` (the reader's own `read` hides the C function's name).
private func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
  read(fd, buffer, count)
}

/// One read, as libxml2's callbacks reach it (their context pointer points here).
private struct SAXRead {
  var session: XMLSession
  var errors: XMLErrors
  let onRecord: (consuming Record) -> Void
  let onProblem: (Diagnostic) -> Void
  /// What stopped the read from a callback (the parser is stopped with it).
  var failure: FilingError?

  static func of(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<SAXRead> {
    context!.assumingMemoryBound(to: SAXRead.self)
  }
}

extension UnsafeMutablePointer where Pointee == SAXRead {
  /// Runs a callback's work, unless the read has already stopped; a problem it throws
  /// stops the parser. After `done` (past the last line wanted), nothing more is done.
  func event(
    _ body:
      (inout XMLSession, _ onRecord: (consuming Record) -> Void, _ onProblem: (Diagnostic) -> Void)
      throws(FilingError) -> Void
  ) {
    guard pointee.failure == nil, !pointee.session.done else { return }
    // Read apart from the session, which the body changes.
    let (onRecord, onProblem) = (pointee.onRecord, pointee.onProblem)
    do {
      try body(&pointee.session, onRecord, onProblem)
    } catch {
      pointee.failure = error
    }
    if pointee.failure != nil || pointee.session.done, let parser = pointee.session.parser {
      xmlStopParser(parser)
    }
  }
}

// MARK: - The prolog check

/// Scans the bytes before the root element for a DOCTYPE that declares entities, and
/// refuses it before libxml2 parses anything. Every entity declaration, general or
/// parameter, internal or external, starts with `<!ENTITY` in the internal subset (the
/// external subset is never loaded). Comments and processing instructions are skipped,
/// so a `<` inside them does not end the scan early. Also refuses UTF-16 and UTF-32
/// documents, whose bytes this scan (and Probity) does not read.
struct XMLPrologCheck {
  let path: String
  let fd: Int32

  func refuse(_ message: String, line: Int) -> FilingError {
    .make(
      .xmlUnsafe, message, path: path, line: line,
      hint:
        "Probity never defines, expands or fetches XML entities: remove the DOCTYPE's entity declarations"
    )
  }

  /// The encoding the XML declaration at the start of `bytes` names (after a UTF-8 byte
  /// order mark), or nil when there is none.
  static func declaredEncoding(_ bytes: ArraySlice<UInt8>) -> String? {
    var text = Array(bytes)
    if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
    guard text.starts(with: Array("<?xml".utf8)) else { return nil }
    // The declaration, to its `?>`.
    var end = 5
    while end + 1 < text.count,
      !(text[end] == UInt8(ascii: "?") && text[end + 1] == UInt8(ascii: ">"))
    {
      end += 1
    }
    let declaration = Array(text[0..<end])
    let name = Array("encoding".utf8)
    guard
      let at = declaration.indices.first(where: {
        declaration[$0...].starts(with: name)
      })
    else { return nil }
    func isBlank(_ byte: UInt8) -> Bool {
      byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
    var rest = declaration[(at + name.count)...].drop(while: isBlank)
    guard rest.first == UInt8(ascii: "=") else { return nil }
    rest = rest.dropFirst().drop(while: isBlank)
    guard let quote = rest.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
      return nil
    }
    return String(decoding: rest.dropFirst().prefix { $0 != quote }, as: UTF8.self)
  }

  /// Whether an encoding is one whose bytes below 0x80 are ASCII (UTF-8, ASCII, the
  /// ISO-8859 and Windows-125x families), which the checks before libxml2 read as bytes
  /// (`XMLAttributeGuard` looks for `<`, `>` and quotes): another (EBCDIC, UTF-7) would
  /// hide them.
  static func readsAsASCII(_ encoding: String) -> Bool {
    let name = encoding.uppercased()
    if ["UTF-8", "UTF8", "US-ASCII", "ASCII"].contains(name) { return true }
    return ["ISO-8859-", "ISO8859-", "ISO_8859-", "ISO-LATIN-", "LATIN", "WINDOWS-125", "CP125"]
      .contains { name.hasPrefix($0) }
  }

  func run() throws(FilingError) {
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var window: [UInt8] = []  // the bytes not yet decided on
    var line = 1
    var first = true
    enum State { case text, comment, instruction, doctype }
    var state = State.text
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      guard count >= 0 else {
        throw .make(
          .readFailed, "cannot read the filing: \(String(cString: strerror(errno)))", path: path)
      }
      if first {
        first = false
        let head = Array(buffer[0..<min(count, 4)])
        // A byte order mark of UTF-16 or UTF-32, or a NUL among the first four bytes
        // (never in an XML document in UTF-8 or a one-byte encoding: UTF-16 or UTF-32
        // without a mark, whose prolog this scan could not read).
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) || head.contains(0) {
          throw .make(
            .xmlMalformed, "the XML is in UTF-16 or UTF-32, which Probity does not read",
            path: path, line: 1, hint: "convert it to UTF-8")
        }
        // `<?xm` in EBCDIC.
        if head.starts(with: [0x4C, 0x6F, 0xA7, 0x94]) {
          throw .make(
            .xmlMalformed, "the XML is in EBCDIC, which Probity does not read", path: path,
            line: 1, hint: "convert it to UTF-8")
        }
        if let declared = XMLPrologCheck.declaredEncoding(buffer[0..<count]),
          !XMLPrologCheck.readsAsASCII(declared)
        {
          throw .make(
            .xmlMalformed, "the XML declares the encoding \(declared), which Probity does not read",
            path: path, line: 1,
            hint:
              "convert it to UTF-8; Probity reads XML in UTF-8, ASCII, ISO-8859 and Windows-125x")
        }
      }
      window += buffer[0..<count]
      let atEnd = count == 0
      var index = 0
      scan: while index < window.count {
        let rest = window.count - index
        func at(_ text: String) -> Bool? {
          let bytes = Array(text.utf8)
          if rest < bytes.count { return atEnd ? false : nil }
          return window[index..<(index + bytes.count)].elementsEqual(bytes)
        }
        switch state {
        case .comment:
          guard let end = at("-->") else { break scan }
          if end {
            state = .text
            index += 3
            continue
          }
        case .instruction:
          guard let end = at("?>") else { break scan }
          if end {
            state = .text
            index += 2
            continue
          }
        case .text, .doctype:
          guard window[index] == UInt8(ascii: "<") else { break }
          guard let comment = at("<!--"), let pi = at("<?"), let entity = at("<!ENTITY"),
            let doctype = at("<!DOCTYPE")
          else { break scan }
          if comment {
            state = .comment
            index += 4
            continue
          }
          if pi {
            state = .instruction
            index += 2
            continue
          }
          if entity {
            throw refuse(
              "the document declares an entity in its DOCTYPE, which Probity refuses", line: line)
          }
          if doctype {
            state = .doctype
            index += 9
            continue
          }
          if rest >= 2, window[index + 1] != UInt8(ascii: "!") {
            return  // the root element: no DOCTYPE can follow
          }
          if rest < 2 && !atEnd { break scan }
        }
        if window[index] == UInt8(ascii: "\n") { line += 1 }
        index += 1
      }
      window.removeFirst(index)
      if atEnd { return }
    }
  }
}

// MARK: - The attribute guard

/// Counts the attributes of each element's start tag in the bytes about to go to
/// libxml2, and stops the read at one with more than `ReaderLimits.xmlAttributesCeiling`
/// (see there: libxml2's time grows with the square of their number). Fed the document
/// chunk by chunk, as the parser is; keeps its state between chunks.
///
/// A scan of bytes (the document is in UTF-8 or a one-byte encoding: `XMLPrologCheck`
/// refuses the others): an attribute is a quoted value inside a start tag; comments,
/// CDATA sections, processing instructions and declarations (a DOCTYPE, its internal
/// subset, with its quoted literals, comments and instructions) are passed over, so that
/// quotes, brackets or `<` inside them count nothing. It reads a well-formed document
/// as libxml2 does; a malformed one (a quote left open, a tag never closed) libxml2
/// refuses where it goes wrong, and when the guard would refuse an element after that
/// place, the read reports the malformed XML (F0017), not the element.
struct XMLAttributeGuard {
  private enum State {
    case text, afterOpen, afterBang, afterBangDash, tag, quoted, comment, cdata, instruction
    /// A declaration (a DOCTYPE), its quoted literals, and, inside its internal subset,
    /// markup just opened (`<`, `<!`, `<!-`).
    case declaration, declarationQuoted, subsetOpen, subsetBang, subsetBangDash
  }
  private var state = State.text
  private var quote: UInt8 = 0
  /// The last two bytes seen (the end of `-->`, `]]>`, `?>`).
  private var last: UInt8 = 0
  private var beforeLast: UInt8 = 0
  /// `[` less `]` in a declaration (a DOCTYPE's internal subset).
  private var brackets = 0
  /// Where a comment or a processing instruction goes back to when it ends: the text, or
  /// the declaration whose internal subset holds it.
  private var resume = State.text
  private var attributes = 0
  /// Where the current tag starts in the document, and the bytes scanned before the
  /// current chunk.
  private var tagStart = 0
  private var scanned = 0
  let limit: Int

  init(limit: Int = ReaderLimits.xmlAttributesCeiling) { self.limit = limit }

  /// Scans the next bytes of the document: where the start tag past the limit starts,
  /// in these bytes (0 when it started before them) and in the document, or nil.
  mutating func scan(_ bytes: UnsafeRawBufferPointer) -> (offset: Int, inDocument: Int)? {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
    let count = bytes.count
    defer { scanned += count }
    let lt = UInt8(ascii: "<")
    let gt = UInt8(ascii: ">")
    let double = UInt8(ascii: "\"")
    let single = UInt8(ascii: "'")
    // The state in locals through the loop, written back at the end.
    var state = self.state
    var attributes = self.attributes
    var quote = self.quote
    var tagStart = self.tagStart
    var resume = self.resume
    defer {
      self.state = state
      self.attributes = attributes
      self.quote = quote
      self.tagStart = tagStart
      self.resume = resume
    }
    /// Enters a comment, CDATA section or processing instruction, going back to `back`
    /// when it ends; the bytes that opened it are not part of its end (`<!-->` is no
    /// comment's end).
    var opened = false
    func enter(_ next: State, from back: State) {
      state = next
      resume = back
      opened = true
    }
    var index = 0
    while index < count {
      // The common states (text, a tag, an attribute's value), each passing over its
      // bytes in a loop of its own: `memchr` where one byte ends them.
      switch state {
      case .text:
        guard let found = memchr(base + index, Int32(lt), count - index) else { return nil }
        index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        tagStart = scanned + index
        index += 1
        // Most tags are an element's: told from the next byte when it is here.
        if index < count, base[index] != UInt8(ascii: "!"), base[index] != UInt8(ascii: "?") {
          state = .tag
          attributes = 0
        } else {
          state = .afterOpen
        }
        continue
      case .quoted:
        guard let found = memchr(base + index, Int32(quote), count - index) else { return nil }
        index = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        state = .tag
        continue
      case .tag:
        while index < count {
          let byte = base[index]
          index += 1
          if byte == gt {
            state = .text
            break
          }
          if byte == double || byte == single {
            quote = byte
            state = .quoted
            attributes += 1
            if attributes > limit {
              return (max(0, tagStart - scanned), tagStart)
            }
            break
          }
        }
        continue
      default: break
      }
      // The rarer states (comments, CDATA, declarations), a byte at a time.
      let byte = base[index]
      index += 1
      switch state {
      case .afterOpen:
        switch byte {
        case UInt8(ascii: "!"): state = .afterBang
        case UInt8(ascii: "?"): enter(.instruction, from: .text)
        case gt: state = .text
        default:
          // An element's tag, begun at the chunk's end: the tag's loop reads this byte.
          state = .tag
          attributes = 0
          index -= 1
          continue
        }
      case .afterBang:
        switch byte {
        case UInt8(ascii: "-"): state = .afterBangDash
        case UInt8(ascii: "["): enter(.cdata, from: .text)
        case gt: state = .text
        default:
          state = .declaration
          brackets = 0
        }
      case .afterBangDash:
        if byte == UInt8(ascii: "-") {
          enter(.comment, from: .text)
        } else {
          state = byte == gt ? .text : .declaration
          brackets = 0
        }
      case .comment:
        if byte == gt && last == UInt8(ascii: "-") && beforeLast == UInt8(ascii: "-") {
          state = resume
        }
      case .cdata:
        if byte == gt && last == UInt8(ascii: "]") && beforeLast == UInt8(ascii: "]") {
          state = .text
        }
      case .instruction:
        if byte == gt && last == UInt8(ascii: "?") { state = resume }
      case .declaration:
        if byte == double || byte == single {
          quote = byte
          state = .declarationQuoted
        } else if byte == UInt8(ascii: "[") {
          brackets += 1
        } else if byte == UInt8(ascii: "]") {
          brackets -= 1
        } else if byte == lt && brackets > 0 {
          state = .subsetOpen
        } else if byte == gt && brackets <= 0 {
          state = .text
        }
      case .declarationQuoted:
        if byte == quote { state = .declaration }
      case .subsetOpen:
        switch byte {
        case UInt8(ascii: "!"): state = .subsetBang
        case UInt8(ascii: "?"): enter(.instruction, from: .declaration)
        default: state = .declaration
        }
      case .subsetBang:
        state = byte == UInt8(ascii: "-") ? .subsetBangDash : .declaration
      case .subsetBangDash:
        if byte == UInt8(ascii: "-") {
          enter(.comment, from: .declaration)
        } else {
          state = .declaration
        }
      case .text, .tag, .quoted: break
      }
      if opened {
        opened = false
        beforeLast = 0
        last = 0
      } else {
        beforeLast = last
        last = byte
      }
    }
    return nil
  }

  /// The line of the byte at `offset` of the file open at `fd` (read again: found only
  /// when a tag is refused, so that the scan need not count lines), counted as libxml2
  /// counts the reader's other lines (a record's, a malformed document's): by LF, so CR
  /// LF too, and a CR alone ends none.
  static func line(at offset: Int, of fd: Int32) -> Int {
    var line = 1
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var position = 0
    while position < offset {
      let wanted = min(buffer.count, offset - position)
      let count = buffer.withUnsafeMutableBytes {
        pread(fd, $0.baseAddress, wanted, off_t(position))
      }
      guard count > 0 else { break }
      line += buffer[0..<count].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
      position += count
    }
    return line
  }
}

// MARK: - The session

/// One field of an XML mapping, resolved.
private struct XMLField {
  let field: FieldID
  let parser: CellParser
  let optional: Bool
  let path: ElementPath
  /// `path.absolute`: a field outside the records (the filer, the report).
  let absolute: Bool
  /// The value of an absent optional element, an empty cell's: missing, or false for a
  /// flag.
  let absent: Value?
  /// A text field the run does not read (`FieldProjection.passesOver`): its text is not
  /// kept, only its length and that it is there.
  let passedOver: Bool
}

/// An attribute a field reads, by its name: the bytes, compared first, and the text,
/// compared when the bytes differ and are not ASCII (a `String`'s equality, which holds
/// between canonically equivalent names, as the reader has always matched them).
private struct AttributeName {
  let text: String
  let bytes: [UInt8]

  init(_ text: String) {
    self.text = text
    self.bytes = Array(text.utf8)
  }

  func matches(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    if bytes.elementsEqual(name) { return true }
    guard !PlainASCII.holds(name) || !bytes.withUnsafeBufferPointer(PlainASCII.holds) else {
      return false
    }
    return String(decoding: name, as: UTF8.self) == text
  }
}

/// The state of one read: the open elements, the record being read, the values seen
/// outside records. A struct, changed in place through one `inout`: as a class, each
/// access to its state was checked for exclusivity as the program ran (some 8% of
/// reading an XML filing, a fifth of it in all with the reference counts).
///
/// Text is kept as bytes from libxml2's buffers to the cell's value: a field's text in a
/// buffer of its own while its element is open (the buffers used again, element after
/// element), then in one array of bytes for the record (`recordBytes`, emptied for each
/// record), read from there (`CellParser.read`) as the delimited reader reads its cells.
private struct XMLSession {
  let path: String
  /// `path`, looked up once for the provenance of every record.
  let filing: FilingPath
  let currency: Currency
  let limits: ReaderLimits
  /// The parser feeding the session (set once it is made).
  var parser: xmlParserCtxtPtr?
  var statistics = ReadStatistics()

  let fields: [XMLField]
  /// Record and skipped elements, by absolute path (`/filing/receipt`).
  let kinds: [String: KindDecision]
  /// Fields read from an element's text, by the element's path: relative to the record
  /// for record fields, absolute for the others.
  let textFields: [String: [Int]]
  /// Fields read from attributes, by the element's path, with the attribute's name.
  let attributeFields: [String: [(name: AttributeName, index: Int)]]
  /// The mapping's constants, by field.
  let constants: [(field: FieldID, value: Value)]
  /// The fields the mapping gives no element, attribute or constant for (and cannot
  /// derive): on these "blank" cannot be told from "not reported" (`Record.unavailable`).
  let unavailable: FieldSet
  /// The fields the run does not read (`FilingReader.read(fields:)`), and whether `name`
  /// is derived from its parts.
  let leftOut: FieldSet
  let derivesName: Bool
  /// Where records' arrays of values come from (a new one each without).
  let pool: RecordValuesPool?
  /// The lines on which the records wanted start (nil: all), and the last of them.
  let wantedLines: Set<Int>?
  let lastWantedLine: Int
  /// Set at the first record element past `lastWantedLine`: the read stops.
  var done = false
  /// The paths of record elements and of the elements around them: only these are
  /// numbered among their siblings (for locators).
  let recordAncestry: Set<String>
  /// Every path where an element can give something: record and skipped elements and the
  /// elements around them, absolute fields' elements and those around them, and each
  /// relative field's under each record element. An element at any other path gives
  /// nothing, nor do its descendants (their paths lie under it): it is kept as
  /// `XMLSession.unmatched`, as an element too deep is, and its descendants are passed
  /// over without working out their paths.
  let matchable: Set<String>
  /// The longest element path any key of the mapping can match. An open element's path
  /// longer than this is kept as `XMLSession.unmatched` (as are its descendants'), so
  /// memory does not grow with the depth times the length of element names.
  let longestPath: Int
  static let unmatched = "\u{0}"

  /// The open elements, outermost first.
  var open: [OpenElement] = []
  /// The root element's local name, once it has started (see `XMLReader.stopped`).
  var rootName: String?
  /// How many children of each name the document has had (its root element's count).
  var rootCounts: [ChildCount] = []

  /// An open element: its node, its path when it has none, its locator, and how many of
  /// its children of each name it has met (for `/filing/receipt[3]`).
  struct OpenElement {
    /// Its node in `nodes` (-1: none, past `maxNodes`; `passedOver`).
    let node: Int32
    /// Its path when its node is -1 (else its node's, and this is empty).
    let path: String
    /// Its locator: empty for elements that are no record and hold none.
    let locator: String
    /// Only for the children in the record ancestry (the only ones numbered).
    var counts: [ChildCount] = []
  }

  /// How many children of one name an element has had (names equal as `String`s).
  struct ChildCount {
    let name: String
    var count: Int
  }

  /// What an element's start works out from its parent's path and its name, kept for
  /// each path met that the mapping can match (at most `maxNodes`: a document with more
  /// paths than that, junk or hostile, has the others worked out at each element, as
  /// before) and found again by the parent's node and the
  /// name as libxml2 interns it (one pointer per distinct name in a document): the same
  /// results without the name made a `String`, the path built, and three tables looked
  /// up by text at every element.
  struct Node {
    /// The name (its bytes compared with the name met on every hit, with the pointer).
    let name: String
    let nameBytes: [UInt8]
    let full: String
    let inAncestry: Bool
    let kind: KindDecision?
    /// The fields this element gives, and the record they were found for (the UTF-8
    /// length of the open record's path and its depth; -1 outside records).
    var keyedFor: (prefix: Int, depth: Int) = (Int.min, Int.min)
    var attributes: [(name: AttributeName, index: Int)]?
    var texts: [Int]?
    /// Its children's nodes, by libxml2's pointer to their name (a handful: only paths
    /// the mapping can match have nodes).
    var children: [(name: UnsafePointer<xmlChar>, node: Int32)] = []
  }
  var nodes: [Node] = []
  /// The root element's nodes, as `Node.children`.
  var rootChildren: [(name: UnsafePointer<xmlChar>, node: Int32)] = []
  static let maxNodes = 4_096
  /// The node of an element at a path the mapping cannot match, and of its descendants.
  static let passedOver: Int32 = -2

  /// The record being read.
  var record: RecordState?
  /// The record's raw values, by field index (nil: its element not met), with the fields
  /// met more than once, and the bytes of their texts (`RawValue.text`): kept from record
  /// to record, emptied at each record's start.
  var raw: [RawValue?]
  var repeated: [Int] = []
  var recordBytes: [UInt8] = []
  /// Raw values seen outside records, by field index (nil: not met), with their text and
  /// line.
  var context: [(value: RawValue, bytes: [UInt8], line: Int)?]
  /// Text being collected for fields, with the depth of the element it belongs to.
  var captures: [Capture] = []
  /// Buffers of captures that ended, emptied, to collect text again.
  var spareBuffers: [[UInt8]] = []

  /// A field's value as read: where its text is, only its length when over the field
  /// limit, or only that it is there (a field passed over).
  enum RawValue {
    /// `start` and `count` in the record's bytes (or a context value's own).
    case text(start: Int, count: Int)
    case oversized(bytes: Int)
    case passedOver
  }

  struct Capture {
    let index: Int
    let depth: Int
    let passedOver: Bool
    var buffer: [UInt8]
    var bytes = 0
  }

  struct RecordState {
    let kind: RecordKind
    let depth: Int
    /// The UTF-8 length of the record element's path (its fields' keys follow it).
    let prefixLength: Int
    let line: Int
    let locator: String
    let elementName: String
    /// Where the record element's content starts in the file (`xmlByteConsumed` after its
    /// start tag), or nil when libxml2 cannot tell.
    let startOffset: Int?
    /// Set when the element runs past the record limit: its text is no longer kept.
    var tooLong = false
    /// A record the read was not asked for (`lines`): read past, nothing of it kept.
    var ignored = false
  }

  init(
    path: String, mapping: Mapping, kinds: ElementKinds, limits: ReaderLimits,
    lines: Set<Int>? = nil, pool: RecordValuesPool? = nil,
    fields wantedFields: FieldSet? = nil
  ) {
    self.path = path
    self.filing = FilingPath.named(path)
    self.currency = mapping.currency
    self.limits = limits
    self.pool = pool
    self.wantedLines = lines
    self.lastWantedLine = lines.map { $0.max() ?? 0 } ?? Int.max
    var kindTable: [String: KindDecision] = [:]
    for entry in kinds.entries where kindTable[entry.path.description] == nil {
      kindTable[entry.path.description] = entry.decision
    }
    self.kinds = kindTable
    let wanted = wantedFields.map(FieldProjection.closed)
    var fields: [XMLField] = []
    var template = [Value](repeating: .missing, count: CanonicalSchema.count)
    for fieldMapping in mapping.fields {
      switch fieldMapping.source {
      case .constant(let value): template[fieldMapping.field] = value
      case .element(let elementPath, let parser, let optional):
        let absent: Value? =
          if case .success(let value) = parser.parse("", currency: mapping.currency) {
            value
          } else { nil }
        fields.append(
          XMLField(
            field: fieldMapping.field, parser: parser, optional: optional, path: elementPath,
            absolute: elementPath.absolute, absent: absent,
            passedOver: FieldProjection.passesOver(fieldMapping.field, parser, wanted: wanted)))
      case .column: break  // not in an XML mapping (the mapping parser refuses it)
      }
    }
    self.fields = fields
    self.raw = Array(repeating: nil, count: fields.count)
    self.context = Array(repeating: nil, count: fields.count)
    let shared = MappedFields(template: template, mapped: fields.map(\.field), wanted: wantedFields)
    (self.constants, self.unavailable) = (shared.constants, shared.unavailable)
    (self.leftOut, self.derivesName) = (shared.leftOut, shared.derivesName)
    var text: [String: [Int]] = [:]
    var attributes: [String: [(name: AttributeName, index: Int)]] = [:]
    for (index, field) in fields.enumerated() {
      let element = ElementPath(
        absolute: field.path.absolute, steps: field.path.steps, attribute: nil
      ).description
      if let attribute = field.path.attribute {
        attributes[element, default: []].append((AttributeName(attribute), index))
      } else {
        text[element, default: []].append(index)
      }
    }
    textFields = text
    attributeFields = attributes
    var ancestry: Set<String> = []
    for entry in kinds.entries {
      for count in 1...max(1, entry.path.steps.count) {
        ancestry.insert("/" + entry.path.steps.prefix(count).joined(separator: "/"))
      }
    }
    recordAncestry = ancestry
    let keys = Array(text.keys) + Array(attributes.keys)
    var matchable = ancestry
    func insertWithAncestors(_ path: String) {
      var prefix = ""
      for step in path.split(separator: "/") {
        prefix += "/" + step
        matchable.insert(prefix)
      }
    }
    for key in keys where key.hasPrefix("/") { insertWithAncestors(key) }
    for kindPath in kindTable.keys {
      for key in keys where !key.hasPrefix("/") && !key.isEmpty {
        insertWithAncestors(kindPath + "/" + key)
      }
    }
    self.matchable = matchable
    let longestKind = kindTable.keys.map(\.utf8.count).max() ?? 0
    let longestRelative = keys.filter { !$0.hasPrefix("/") }.map(\.utf8.count).max() ?? 0
    let longestAbsolute = keys.filter { $0.hasPrefix("/") }.map(\.utf8.count).max() ?? 0
    longestPath = max(longestAbsolute, longestKind + 1 + longestRelative)
  }

  /// XML nested deeper than the limit: the read stops (elements deeper down might be
  /// records, which must not be dropped silently).
  func tooDeep(line: Int) -> FilingError {
    .make(
      .xmlTooDeep,
      "elements nested deeper than \(limits.maxXMLDepth), the limit (--max-xml-depth)",
      path: path, line: line,
      hint: "the records before this point were read; filings nest a few levels deep")
  }

  func problem(_ entry: FilingsCatalogue, _ message: String, line: Int, hint: String? = nil)
    -> Diagnostic
  {
    Diagnostic(id: entry.id, message: message, file: path, line: line, hint: hint)
  }

  /// The parser's line: in an element's start callback, the line its start tag ends on
  /// (as libxml2 numbers an element's line), exact at any length of file.
  var nodeLine: Int {
    guard let input = parser?.pointee.input else { return 1 }
    return Int(input.pointee.line)
  }

  /// Bytes of the document, as UTF-8, the parser has read past: the file's own bytes
  /// for a UTF-8 file. Not `xmlByteConsumed`, which for a file in another encoding
  /// encodes back all the parser holds unread at every call (asked at every event, a
  /// 10 MB windows-1252 filing took minutes; a review of this change found it).
  var consumed: Int {
    guard let input = parser?.pointee.input, let base = input.pointee.base,
      let cursor = input.pointee.cur
    else { return -1 }
    return Int(input.pointee.consumed) + (cursor - base)
  }

  /// In an element's start callback, the offset just past its start tag: the parser is
  /// still on the tag's `>`, or on the `/` of `/>` (so an empty element's content is 0
  /// bytes, and a record of exactly the limit is within it).
  var pastStartTag: Int {
    let offset = consumed
    guard offset >= 0, let input = parser?.pointee.input, let cursor = input.pointee.cur,
      let end = input.pointee.end, cursor < end
    else { return offset }
    switch cursor.pointee {
    case UInt8(ascii: ">"): return offset + 1
    case UInt8(ascii: "/"): return offset + 2
    default: return offset
    }
  }

  /// The bytes of a string libxml2 gives (NUL-terminated, UTF-8).
  static func bytes(_ pointer: UnsafePointer<xmlChar>) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(
      start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
      count: strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self)))
  }

  /// Before each event: a record running past the record limit keeps no more text.
  mutating func checkRecordSize() {
    if let start = record?.startOffset, record?.tooLong == false,
      consumed - start > limits.maxRecordBytes
    {
      record?.tooLong = true
      captures.removeAll { !fields[$0.index].absolute }
    }
  }

  /// An element starts: `attributes` as libxml2's SAX2 gives them, five pointers each
  /// (local name, prefix, namespace, the value's start and end).
  mutating func startElement(
    _ name: UnsafePointer<xmlChar>?, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
    count: Int, onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) {
    checkRecordSize()
    guard open.count < limits.maxXMLDepth else { throw tooDeep(line: nodeLine) }
    // The root element: the mapping's records are all under one (their paths are
    // absolute). Another root holds none of them: a document of 0 records read passed,
    // exit 0 (`<filings>` for `<filing>`).
    if open.isEmpty { rootName = name.map { String(cString: $0) } ?? "" }
    if open.isEmpty, !recordAncestry.isEmpty {
      let root = name.map { String(cString: $0) } ?? ""
      if !recordAncestry.contains("/" + root) {
        let expected = Set(recordAncestry.compactMap { $0.split(separator: "/").first })
          .sorted().map { "<\($0)>" }.joined(separator: " or ")
        throw .make(
          .xmlUnexpectedRoot,
          "the document's root element is <\(root)>, but the mapping's records are under \(expected)",
          path: path, line: nodeLine,
          hint:
            "check that this is a filing of the format read (--input-format, --mapping), or write a mapping for its elements"
        )
      }
    }
    start(name, attributes: attributes, count: count, onRecord: onRecord, onProblem: onProblem)
  }

  mutating func endElement(
    onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) {
    checkRecordSize()
    end(onRecord: onRecord, onProblem: onProblem)
  }

  /// Text, CDATA or whitespace: to every field collecting text.
  mutating func text(_ text: UnsafeBufferPointer<UInt8>) {
    checkRecordSize()
    guard !captures.isEmpty else { return }
    for index in captures.indices {
      captures[index].bytes += text.count
      if captures[index].passedOver { continue }
      if captures[index].bytes <= limits.maxFieldBytes {
        captures[index].buffer.append(contentsOf: text)
      } else {
        // Over the limit: only its length is kept.
        captures[index].buffer.removeAll(keepingCapacity: true)
      }
    }
  }

  /// The node of an element named `pointer` (libxml2's interned name) under the open
  /// element, made when first met: -1 when there is none (past `maxNodes`, past the
  /// longest path the mapping can match, or under an element that has none).
  mutating func node(named pointer: UnsafePointer<xmlChar>?) -> Int32 {
    let parent = open.last?.node ?? Int32.max
    if parent == XMLSession.passedOver { return XMLSession.passedOver }
    guard parent >= 0, let pointer else { return -1 }
    let bytes = XMLSession.bytes(pointer)
    let known = parent == Int32.max ? rootChildren : nodes[Int(parent)].children
    for child in known where child.name == pointer {
      // The pointer is the name's in libxml2's dictionary; its bytes are compared too.
      let found = child.node
      let name = nodes[Int(found)].nameBytes
      if name.count == bytes.count,
        name.withUnsafeBufferPointer({ $0.elementsEqual(bytes) })
      {
        return found
      }
    }
    // An element past the longest path the mapping can match, or at a path it cannot
    // match, gets no node, and its descendants are passed over: they give nothing (and a
    // document of long names under many parents would have the table hold them all).
    let parentPath = openPath
    guard parentPath != XMLSession.unmatched,
      fits(parentPath, name: bytes.count, ascii: PlainASCII.holds(bytes))
    else { return XMLSession.passedOver }
    let name = String(decoding: bytes, as: UTF8.self)
    let full = path(of: name)
    guard full != XMLSession.unmatched, matchable.contains(full) else {
      return XMLSession.passedOver
    }
    guard nodes.count < XMLSession.maxNodes else { return -1 }
    nodes.append(
      Node(
        name: name, nameBytes: Array(bytes), full: full,
        inAncestry: recordAncestry.contains(full), kind: kinds[full]))
    let number = Int32(nodes.count - 1)
    // A name met again under a pointer of its own (libxml2 without its dictionary)
    // replaces the entry of the pointer (which may now be another name's).
    if parent == Int32.max {
      rootChildren.removeAll { $0.name == pointer }
      rootChildren.append((pointer, number))
    } else {
      nodes[Int(parent)].children.removeAll { $0.name == pointer }
      nodes[Int(parent)].children.append((pointer, number))
    }
    return number
  }

  /// The path of the open element (or `unmatched`), "" outside the root element.
  var openPath: String {
    guard let last = open.last else { return "" }
    return last.node >= 0 ? nodes[Int(last.node)].full : last.path
  }

  /// The path of an element named `name` under the open element (or `unmatched`).
  func path(of name: String) -> String {
    let parent = openPath
    if parent != XMLSession.unmatched,
      fits(parent, name: name.utf8.count, ascii: name.utf8.allSatisfy { $0 < 0x80 })
    {
      return parent + "/" + name
    }
    return XMLSession.unmatched
  }

  /// Whether the path of a child named with `name` bytes under `parent` can be one the
  /// mapping matches: at most `longestPath` bytes long, or four times that when a name in
  /// it is not ASCII (paths are compared as text, so a name may match a key of the
  /// mapping in other bytes: decomposed where the key is composed, the Kelvin sign for a
  /// K; such a name takes up to some three times the bytes).
  func fits(_ parent: String, name: Int, ascii: Bool) -> Bool {
    let length = parent.utf8.count + 1 + name
    if length <= longestPath { return true }
    guard !ascii || !parent.utf8.allSatisfy({ $0 < 0x80 }) else { return false }
    return length <= 4 * longestPath
  }

  mutating func start(
    _ pointer: UnsafePointer<xmlChar>?,
    attributes givenAttributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int,
    onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) {
    let number = node(named: pointer)
    let hasNode = number >= 0
    let index = Int(number)
    // The name and path of an element without a node, worked out here; an element with
    // one reads them from its node, and only where they are needed.
    var ownName = ""
    var ownPath = XMLSession.unmatched
    let inAncestry: Bool
    let kind: KindDecision?
    if number == XMLSession.passedOver {
      // At a path the mapping cannot match (the name is needed only where it can).
      (inAncestry, kind) = (false, nil)
    } else if hasNode {
      (inAncestry, kind) = (nodes[index].inAncestry, nodes[index].kind)
    } else {
      ownName = pointer.map { String(cString: $0) } ?? ""
      ownPath = path(of: ownName)
      inAncestry = recordAncestry.contains(ownPath)
      kind = kinds[ownPath]
    }
    var locator = ""
    if inAncestry {
      let name = hasNode ? nodes[index].name : ownName
      if open.isEmpty {
        _ = XMLSession.count(name, in: &rootCounts)
        locator = "/" + name
      } else {
        let position = XMLSession.count(name, in: &open[open.count - 1].counts)
        locator = open[open.count - 1].locator
        locator += "/"
        locator += name
        locator += "["
        locator += String(position)
        locator += "]"
      }
    }
    open.append(OpenElement(node: number, path: hasNode ? "" : ownPath, locator: locator))
    let depth = open.count

    if record == nil, let decision = kind {
      switch decision {
      case .skip:
        if wantedLines == nil { statistics.rowsSkipped += 1 }
      case .record(let kind):
        let line = nodeLine
        if line > lastWantedLine {
          // Past the last record wanted: nothing after it is (the parser's lines only
          // grow; libxml2's tree reader gave some elements past line 65,535 the line
          // 65535, out of order, and this stop lost records it had not reached).
          done = true
          return
        }
        let consumed = pastStartTag
        record = RecordState(
          kind: kind, depth: depth,
          prefixLength: hasNode ? nodes[index].full.utf8.count : ownPath.utf8.count, line: line,
          locator: locator, elementName: hasNode ? nodes[index].name : ownName,
          startOffset: consumed >= 0 ? consumed : nil,
          ignored: wantedLines.map { !$0.contains(line) } ?? false)
        for index in raw.indices { raw[index] = nil }
        repeated.removeAll(keepingCapacity: true)
        recordBytes.removeAll(keepingCapacity: true)
      }
    }
    if let record, record.tooLong || record.ignored { return }
    // The fields the element gives: found by its key, relative inside a record, absolute
    // outside; kept with its node for the record it was found in.
    let attributes: [(name: AttributeName, index: Int)]?
    let texts: [Int]?
    let context = record.map { (prefix: $0.prefixLength, depth: $0.depth) } ?? (-1, -1)
    if hasNode, nodes[index].keyedFor == context {
      (attributes, texts) = (nodes[index].attributes, nodes[index].texts)
    } else {
      let full = hasNode ? nodes[index].full : ownPath
      let key: String
      if full == XMLSession.unmatched {
        key = full
      } else if let record {
        key =
          depth == record.depth
          ? "" : String(Substring(full.utf8.dropFirst(record.prefixLength + 1)))
      } else {
        key = full
      }
      (attributes, texts) = (attributeFields[key], textFields[key])
      if hasNode {
        nodes[index].keyedFor = context
        nodes[index].attributes = attributes
        nodes[index].texts = texts
      }
    }
    if let attributes { readAttributes(attributes, from: givenAttributes, count: count) }
    for index in texts ?? [] {
      captures.append(
        Capture(
          index: index, depth: depth, passedOver: fields[index].passedOver,
          buffer: spareBuffers.popLast() ?? []))
    }
  }

  /// Counts a child named `name` among `counts`: its position among its siblings of that
  /// name, from 1.
  static func count(_ name: String, in counts: inout [ChildCount]) -> Int {
    for index in counts.indices where counts[index].name == name {
      counts[index].count += 1
      return counts[index].count
    }
    counts.append(ChildCount(name: name, count: 1))
    return 1
  }

  mutating func readAttributes(
    _ wanted: [(name: AttributeName, index: Int)],
    from attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int
  ) {
    guard let attributes else { return }
    for number in 0..<count {
      guard let name = attributes[number * 5], let start = attributes[number * 5 + 3],
        let end = attributes[number * 5 + 4]
      else { continue }
      let nameBytes = XMLSession.bytes(name)
      for attribute in wanted where attribute.name.matches(nameBytes) {
        XMLSession.withAttributeValue(UnsafeBufferPointer(start: start, count: end - start)) {
          text in
          if text.count > limits.maxFieldBytes {
            store(attribute.index, .oversized(bytes: text.count), text)
          } else if fields[attribute.index].passedOver {
            store(attribute.index, .passedOver, text)
          } else {
            store(attribute.index, .text(start: 0, count: text.count), text)
          }
        }
      }
    }
  }

  /// An attribute's value as SAX2 gives it, with the `&` written `&#38;` made `&` again:
  /// without entity substitution, libxml2 keeps every `&` of a value (from `&amp;` or
  /// `&#38;`) as `&#38;` for its tree builder to turn back, and gives every other
  /// character reference and predefined entity decoded (an entity of the document's own
  /// is refused before).
  static func withAttributeValue<T>(
    _ raw: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> T
  ) -> T {
    guard raw.contains(UInt8(ascii: "&")) else { return body(raw) }
    let escaped = Array("&#38;".utf8)
    var value: [UInt8] = []
    value.reserveCapacity(raw.count)
    var index = 0
    while index < raw.count {
      if raw[index] == UInt8(ascii: "&"), raw.count - index >= escaped.count,
        raw[index..<(index + escaped.count)].elementsEqual(escaped)
      {
        value.append(UInt8(ascii: "&"))
        index += escaped.count
      } else {
        value.append(raw[index])
        index += 1
      }
    }
    return value.withUnsafeBufferPointer(body)
  }

  /// A value for field `index`, `text` its bytes when it is `.text`: into the record, or
  /// into the context outside records.
  mutating func store(_ index: Int, _ value: RawValue, _ text: UnsafeBufferPointer<UInt8>) {
    if fields[index].absolute {
      if case .text = value {
        context[index] = (value, Array(text), nodeLine)
      } else {
        context[index] = (value, [], nodeLine)
      }
    } else if let record, !record.ignored {
      if let previous = raw[index] {
        repeated.append(index)
        // Given again (the record is rejected for it, with what is wrong with the last
        // value): the text before, when it is the last kept, is let go.
        if case .text(let start, let count) = previous, start + count == recordBytes.count {
          recordBytes.removeSubrange(start...)
        }
      }
      if case .text = value {
        raw[index] = .text(start: recordBytes.count, count: text.count)
        recordBytes.append(contentsOf: text)
      } else {
        raw[index] = value
      }
    }
  }

  mutating func end(onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void) {
    let depth = open.count
    while let last = captures.last?.depth, last == depth {
      var capture = captures.removeLast()
      let value: RawValue =
        capture.bytes > limits.maxFieldBytes
        ? .oversized(bytes: capture.bytes)
        : capture.passedOver ? .passedOver : .text(start: 0, count: capture.bytes)
      capture.buffer.withUnsafeBufferPointer { store(capture.index, value, $0) }
      capture.buffer.removeAll(keepingCapacity: true)
      spareBuffers.append(capture.buffer)
    }
    if let record, record.depth == depth {
      self.record = nil
      if !record.ignored { assemble(record, onRecord: onRecord, onProblem: onProblem) }
    }
    open.removeLast()
  }

  mutating func assemble(
    _ state: RecordState, onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) {
    statistics.recordsRead += 1
    var diagnostics: [Diagnostic] = []
    let fieldName = { [fields] (index: Int) in CanonicalSchema.spec(fields[index].field).name }
    if state.tooLong {
      statistics.recordsRejected += 1
      onProblem(
        problem(
          .lineTooLong,
          limits.recordMessage("<\(state.elementName)> is"), line: state.line,
          hint: ReaderLimits.recordHint))
      return
    }
    for index in repeated.isEmpty ? [] : Set(repeated).sorted() {
      diagnostics.append(
        problem(
          .xmlRepeatedElement,
          "<\(state.elementName)> has \(fields[index].path) more than once (\(fieldName(index)) takes one value)",
          line: state.line))
    }
    var values = pool?.take() ?? [Value](repeating: .missing, count: CanonicalSchema.count)
    for (field, value) in constants { values[field] = value }
    for index in fields.indices {
      let absolute = fields[index].absolute
      let value = absolute ? context[index]?.value : raw[index]
      // Written only for a problem: the path's text costs more than reading most cells.
      var place: String {
        guard absolute, let line = context[index]?.line else { return "\(fields[index].path)" }
        return "\(fields[index].path) (line \(line))"
      }
      switch value {
      case .oversized(let bytes):
        diagnostics.append(
          problem(
            .fieldTooLong, limits.fieldMessage("\(place) (\(fieldName(index)))", bytes: bytes),
            line: state.line, hint: ReaderLimits.fieldHint))
      case nil:
        if fields[index].optional {
          // An absent element is an empty cell: missing, or false for a flag.
          if let absent = fields[index].absent { values[fields[index].field] = absent }
        } else {
          diagnostics.append(
            problem(
              .xmlMissingElement,
              "<\(state.elementName)> has no \(fields[index].path) (\(fieldName(index)))",
              line: state.line,
              hint: "the mapping requires it; mark it optional there if it may be absent"))
        }
      case .passedOver:
        break
      case .text(let start, let count):
        let parser = fields[index].parser
        let reading = { (bytes: UnsafeBufferPointer<UInt8>) -> CellReading in
          let cell = UnsafeBufferPointer(rebasing: bytes[start..<(start + count)])
          switch parser.read(cell, encoding: .utf8, currency: currency) {
          // A NUL (which libxml2 never gives): the text's way.
          case .invalidText:
            switch parser.parse(String(decoding: cell, as: UTF8.self), currency: currency) {
            case .success(let value): return .value(value)
            case .failure(let problem): return .problem(problem)
            }
          case let reading: return reading
          }
        }
        let result =
          absolute
          ? (context[index]?.bytes ?? []).withUnsafeBufferPointer(reading)
          : recordBytes.withUnsafeBufferPointer(reading)
        switch result {
        case .value(let value): values[fields[index].field] = value
        case .problem(let cellProblem):
          diagnostics.append(
            problem(
              .badCell, "\(place) (\(fieldName(index))): \(cellProblem.message)",
              line: state.line))
        case .invalidText: break  // not given (see above)
        }
      }
    }
    guard diagnostics.isEmpty else {
      statistics.recordsRejected += 1
      for diagnostic in diagnostics { onProblem(diagnostic) }
      return
    }
    if derivesName { NameParts.canonical?.derive(&values) }
    var record = Record(
      kind: state.kind,
      provenance: Provenance(filing: filing, line: state.line, locator: state.locator),
      values: values)
    record.unavailable = unavailable
    record.leftOut = leftOut
    onRecord(record)
  }
}
