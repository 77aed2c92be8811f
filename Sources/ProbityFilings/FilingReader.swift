import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The formats Probity reads (docs/formats.md). `--input-format` names them.
public enum InputFormat: String, CaseIterable, Sendable {
  /// Delimited text through a mapping: the canonical layout, or `--mapping`.
  case csv
  /// FEC electronic filings, versions 1 to 8.5.
  case fec
  /// FEC bulk individual contributions (`itcont.txt`).
  case fecBulk = "fec-bulk"
  /// The Electoral Commission donations register export.
  case ukEC = "uk-ec"
  /// The Electoral Commission's older PEF export.
  case ukPEF = "uk-pef"
  /// XML through an XML mapping: the Probity XML filing format, or `--mapping`.
  case xml

  /// The bundled mapping of a format read through one (all but `fec`).
  public var bundledMapping: Mapping? {
    switch self {
    case .csv: return .canonical
    case .fec: return nil
    case .fecBulk: return .fecBulk
    case .ukEC: return .ukEC
    case .ukPEF: return .ukPEF
    case .xml: return .probityXML
    }
  }
}

/// The one way into Probity's readers: picks the reader for a filing, from its content
/// unless the format is named, and streams its records.
public enum FilingReader {
  /// Reads the filing at `path`.
  ///
  /// - `format`: the format, or nil to tell it from the content (`detectFormat`), or
  ///   from the mapping when one is given.
  /// - `mapping`: a mapping of the user's own, for `csv` and `xml` only (instead of the
  ///   bundled one).
  /// - `limits`: the longest field and record, the deepest XML (`ReaderLimits`).
  ///
  /// - `lines`: nil, or the lines on which the records wanted start (a second pass that
  ///   needs a few records again). The readers then pass over the rows (and record
  ///   elements) that start on other lines without making records of them (they still
  ///   find where rows start and end, so line numbers stay true), and stop after the
  ///   last line wanted. Some other records may come too: the caller keeps the ones it
  ///   wants. The statistics then count only what was read. With the lines' byte offsets
  ///   (`LineSelection.offsets`, from the first pass's `Record.offset`), the delimited
  ///   and .fec readers go straight to each wanted line of a file that seeks; the XML
  ///   reader parses all that comes before (an element's meaning depends on what
  ///   encloses it).
  ///
  /// - `pool`: arrays of values handed back by the caller once it is done with their
  ///   records, which the readers fill again (`RecordValuesPool`).
  ///
  /// - `fields`: nil, or the fields the caller reads of a record
  ///   (`CheckRun.fieldsRead`). The delimited and .fec readers then pass over the plain
  ///   ASCII text cells of the other fields, which are left missing; every other cell is
  ///   read and checked as before, so the same rows are accepted and rejected, with the
  ///   same messages (`FieldProjection`). The XML reader passes over the text of every
  ///   text field not read (libxml2 has checked the encoding of all of it).
  ///
  /// Records go to `onRecord` in file order, given over (`consuming`: kept by the
  /// caller, a record is moved, not copied with its arrays retained), problems with rows
  /// to `onProblem`; a filing that cannot be read at all (or a format and mapping that do
  /// not fit) throws.
  public static func read(
    path: String, format: InputFormat?, mapping: Mapping?, limits: ReaderLimits = .default,
    lines: LineSelection? = nil, pool: RecordValuesPool? = nil, fields: FieldSet? = nil,
    onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    try requireFile(path: path)
    let chosen = try resolve(path: path, format: format, mapping: mapping)
    // What detection told already is not asked again (`detectFormat`).
    if format != nil || mapping != nil {
      let head = try firstBytes(path: path, limit: Packaging.sniffed)[...]
      if let packaging = Packaging.of(head) { throw packaging.error(path: path) }
      if chosen.format != .xml, let bom = mark(of: head) { throw utf16Error(path: path, mark: bom) }
    }
    switch chosen.format {
    case .fec:
      return try FECReader(path: path, limits: limits).read(
        lines: lines, pool: pool, fields: fields, onRecord: onRecord, onProblem: onProblem)
    case .xml:
      return try XMLReader(path: path, mapping: chosen.mapping ?? .probityXML, limits: limits)
        .read(
          lines: lines, pool: pool, fields: fields, onRecord: onRecord, onProblem: onProblem)
    case .csv, .fecBulk, .ukEC, .ukPEF:
      return try CSVReader(path: path, mapping: chosen.mapping ?? .canonical, limits: limits)
        .read(
          lines: lines, pool: pool, fields: fields, onRecord: onRecord, onProblem: onProblem)
    }
  }

  /// The format and mapping a read uses.
  static func resolve(path: String, format: InputFormat?, mapping: Mapping?) throws(FilingError)
    -> (format: InputFormat, mapping: Mapping?)
  {
    guard let mapping else {
      let chosen: InputFormat
      if let format { chosen = format } else { chosen = try detectFormat(path: path) }
      return (chosen, chosen.bundledMapping)
    }
    let mappingFormat: InputFormat = mapping.format == .xml ? .xml : .csv
    let what = mapping.format == .xml ? "XML" : "delimited text"
    if let format, format != mappingFormat {
      throw .make(
        .wrongReader,
        "--input-format \(format.rawValue) does not fit the mapping \(mapping.path), which reads \(what)",
        path: path,
        hint: "a mapping of your own is for csv or xml input; the other formats bring their own")
    }
    // An XML mapping for a file that is no XML, or a delimited one for XML: the reader
    // would say the file is malformed ("Document is empty", "malformed quoting"), when it
    // is the mapping that does not fit. (A file whose format cannot be told is left to
    // the reader.)
    guard format == nil else { return (mappingFormat, mapping) }
    let found: InputFormat?
    do {
      found = try detectFormat(path: path)
    } catch {
      // No format told: a file of plain text that does not start like XML (XML is told
      // by its `<`) is no XML; a zip or a PDF, say, is left to the reader to name.
      found =
        error.diagnostic.id == FilingsCatalogue.unknownFormat.id
          && packaging(path: path) == nil ? .csv : nil
    }
    // Only an XML mapping for a file that is not XML: a delimited file may start with
    // `<` (a first cell `<withheld>`), and its mapping says how to read it.
    if let found, mappingFormat == .xml, found != .xml {
      throw .make(
        .wrongReader,
        "the mapping \(mapping.path) reads \(what), but the file is \(found == .xml ? "XML" : "not XML (it does not start with '<')")",
        path: path,
        hint:
          "give a mapping for the file's format, or check it without --mapping (the bundled formats are told from the file)"
      )
    }
    return (mappingFormat, mapping)
  }

  /// Tells a filing's format from its first bytes:
  ///
  /// - `/* Header`, or a first record `HDR`: `fec`;
  /// - `<` (an XML prolog or root element): `xml`;
  /// - a header line naming `ECRef` and `RegulatedEntityName`: `uk-ec`; `EC reference`
  ///   and `Entity name`: `uk-pef`; `kind` and `transaction_id`: `csv`;
  /// - a first line of 21 fields separated by `|`: `fec-bulk`;
  /// - an empty file: `csv` (whose reader reports that the header is missing).
  ///
  /// Anything else is an error that asks for `--input-format`: a format is never guessed.
  public static func detectFormat(path: String) throws(FilingError) -> InputFormat {
    try requireFile(path: path)
    let head = try firstBytes(path: path, limit: 64 * 1024)
    var bytes = head[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    if let bom = mark(of: bytes) {
      // UTF-16: XML (a first character `<`) goes to the XML reader, which refuses it
      // clearly (F0017); anything else is text Probity does not read, said so here.
      let units = Array(bytes.dropFirst(2))
      var index = 0
      while index + 1 < units.count {
        let low = bom == "UTF-16LE" ? units[index] : units[index + 1]
        let high = bom == "UTF-16LE" ? units[index + 1] : units[index]
        index += 2
        if high == 0 && (low == 0x20 || low == 0x09 || low == 0x0A || low == 0x0D) { continue }
        if high == 0 && low == UInt8(ascii: "<") { return .xml }
        break
      }
      throw utf16Error(path: path, mark: bom)
    }
    if let packaging = Packaging.of(bytes) { throw packaging.error(path: path) }
    let content = bytes.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    guard let first = content.first else { return .csv }
    if first == UInt8(ascii: "<") { return .xml }
    if content.starts(with: Array("/*".utf8)) { return .fec }
    let lineEnd = content.firstIndex { $0 == 0x0A || $0 == 0x0D } ?? content.endIndex
    let line = content[content.startIndex..<lineEnd]
    let text = String(decoding: line, as: UTF8.self)
    let firstField = text.split(separator: "\u{1C}", maxSplits: 1).first.map(String.init) ?? text
    let leading = firstField.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
      .first.map { String(trimBlanks($0)).trimmingQuotes.uppercased() }
    if leading == "HDR" { return .fec }
    let names = Set(
      text.split(separator: ",", omittingEmptySubsequences: false).map {
        String(trimBlanks($0)).trimmingQuotes
      })
    if names.isSuperset(of: ["ECRef", "RegulatedEntityName"]) { return .ukEC }
    if names.isSuperset(of: ["EC reference", "Entity name"]) { return .ukPEF }
    if names.isSuperset(of: ["kind", "transaction_id"]) { return .csv }
    if text.split(separator: "|", omittingEmptySubsequences: false).count == 21 {
      return .fecBulk
    }
    let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
    throw .make(
      .unknownFormat,
      "cannot tell the format of the filing from its first line: \"\(shown)\"", path: path,
      line: 1,
      hint:
        "name it with --input-format "
        + InputFormat.allCases.map(\.rawValue).joined(separator: "|")
        + ", or give a mapping with --mapping")
  }

  /// Refuses a pipe, a FIFO, a socket or a device (`/dev/stdin` fed by `cat`, a process
  /// substitution): Probity reads a filing more than once (its first bytes to tell its
  /// format, its records, then again the records of the findings' trails), and such a
  /// file gives its bytes only once: a second read would start where the first stopped
  /// (records silently lost) or, for a FIFO, wait for a writer that never comes. Told
  /// by `stat`, which does not open the file, so it cannot block. A path that cannot be
  /// stat'ed, or a folder, is left to opening and reading it, which say why.
  static func requireFile(path: String) throws(FilingError) {
    var status = stat()
    guard stat(path, &status) == 0 else { return }
    let type = status.st_mode & S_IFMT
    guard type != S_IFREG, type != S_IFDIR else { return }
    let what =
      switch type {
      case S_IFIFO: "a pipe"
      case S_IFSOCK: "a socket"
      default: "a device"
      }
    throw .make(
      .readFailed,
      "cannot read the filing: it is \(what), not a regular file; Probity reads a filing more than once (to tell its format, and again for the trails of findings), and \(what) may give its content only once",
      path: path, hint: "save it to a file first, and check the file")
  }

  /// "UTF-16LE" or "UTF-16BE" when `bytes` start with that byte order mark (a UTF-32LE
  /// mark starts like UTF-16LE's).
  static func mark(of bytes: ArraySlice<UInt8>) -> String? {
    if bytes.starts(with: [0xFF, 0xFE]) { return "UTF-16LE" }
    if bytes.starts(with: [0xFE, 0xFF]) { return "UTF-16BE" }
    return nil
  }

  /// What a file that is no text Probity reads is, told by its first bytes (nil: text,
  /// or nothing known): for `probity audit`'s note on a file it passes over.
  public static func packaging(path: String) -> String? {
    guard let head = try? firstBytes(path: path, limit: Packaging.sniffed) else { return nil }
    return Packaging.of(head[...])?.what
  }

  /// A delimited or .fec file in UTF-16: read as UTF-8 it is a header of names like
  /// "k\0i\0n\0d\0" (a missing column) or no format at all; said as what it is.
  static func utf16Error(path: String, mark: String) -> FilingError {
    .make(
      .readFailed,
      "cannot read the filing: it is in \(mark) (it starts with a \(mark) byte order mark), which Probity does not read",
      path: path, line: 1, hint: "convert it to UTF-8 (iconv -f UTF-16 -t UTF-8 FILE)")
  }

  /// Up to `limit` bytes from the start of a file.
  static func firstBytes(path: String, limit: Int) throws(FilingError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
      let reason = String(cString: strerror(errno))
      // A name that is not UTF-8 reaches Probity with each bad byte replaced (U+FFFD),
      // and no file has that name.
      throw .make(
        .cannotOpen, "cannot open the filing: \(reason)", path: path,
        hint: path.unicodeScalars.contains("\u{FFFD}")
          ? "its name may not be UTF-8 (a Latin-1 name from a Windows zip): such a name cannot be given to Probity; rename the file with a UTF-8 name"
          : nil)
    }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: limit)
    let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
    if count < limit && ferror(file) != 0 {
      throw .make(
        .readFailed, "cannot read the filing: \(String(cString: strerror(errno)))", path: path)
    }
    return Array(buffer[0..<count])
  }
}

/// Files that are no filing's text but hold one, or are another kind of document: a
/// zip archive (the Electoral Commission's exports come zipped), a compressed file, a
/// spreadsheet, a PDF, text in UTF-16 without a byte order mark. Told by their first
/// bytes and said as what they are (F0013), with what to do, rather than shown as a
/// first line of control characters (or read, with `--input-format`, as rows of them).
struct Packaging {
  let what: String
  let hint: String

  /// How many bytes are looked at.
  static let sniffed = 512

  static func of(_ head: ArraySlice<UInt8>) -> Packaging? {
    func starts(_ magic: [UInt8]) -> Bool { head.starts(with: magic) }
    if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
      // The first member's name (its length at byte 26, the name at 30): a workbook's
      // parts are `[Content_Types].xml` and `xl/...`, a document's `word/...`.
      let bytes = Array(head)
      var name = ""
      if bytes.count >= 30 {
        let length = Int(bytes[26]) | Int(bytes[27]) << 8
        name = String(decoding: bytes[30..<min(bytes.count, 30 + length)], as: UTF8.self)
      }
      // An OpenDocument file's first member is `mimetype`.
      if name == "[Content_Types].xml" || name.hasPrefix("xl/") || name.hasPrefix("docProps/")
        || name == "mimetype"
      {
        return Packaging(
          what: "an Office document (a spreadsheet or a text: a zip archive of XML parts)",
          hint: "save or export it as CSV (UTF-8), and give that file")
      }
      return Packaging(
        what: "a zip archive", hint: "unzip it (unzip FILE) and give the files it holds")
    }
    if starts([0x1F, 0x8B]) {
      return Packaging(
        what: "compressed with gzip", hint: "decompress it (gunzip -k FILE) and give that file")
    }
    // "BZh" and a digit are text too (a first column named `BZh9`): the first block's
    // magic (the digits of pi), or an empty stream's (of the square root of pi), after them.
    if starts(Array("BZh".utf8)), head.count >= 10,
      (0x31...0x39).contains(head[head.startIndex + 3]),
      [[0x31, 0x41, 0x59, 0x26, 0x53, 0x59], [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]].contains(
        Array(head.dropFirst(4).prefix(6)))
    {
      return Packaging(
        what: "compressed with bzip2", hint: "decompress it (bunzip2 -k FILE) and give that file")
    }
    if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
      return Packaging(
        what: "compressed with xz", hint: "decompress it (unxz -k FILE) and give that file")
    }
    if starts([0x28, 0xB5, 0x2F, 0xFD]) {
      return Packaging(
        what: "compressed with zstd", hint: "decompress it (unzstd FILE) and give that file")
    }
    if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
      return Packaging(
        what: "a 7-Zip archive", hint: "extract it (7z x FILE) and give the files it holds")
    }
    if starts(Array("%PDF-".utf8)) {
      return Packaging(
        what: "a PDF document",
        hint:
          "a report printed to PDF holds no records to read: get the filing's data (CSV, .fec or XML)"
      )
    }
    if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
      return Packaging(
        what: "an Office document of the older binary kind (.xls, .doc)",
        hint: "save or export it as CSV (UTF-8), and give that file")
    }
    if let order = utf16WithoutMark(head) {
      return Packaging(
        what: "text in \(order) without a byte order mark",
        hint: "convert it to UTF-8 (iconv -f \(order) -t UTF-8 FILE)")
    }
    return nil
  }

  /// "UTF-16LE" or "UTF-16BE" when the first bytes (up to 64, at least 4) are characters
  /// of ASCII in that encoding: a zero byte in every pair, always on the same side, and
  /// never two.
  static func utf16WithoutMark(_ head: ArraySlice<UInt8>) -> String? {
    let bytes = Array(head.prefix(64))
    let pairs = bytes.count / 2
    guard pairs >= 2 else { return nil }
    var little = true
    var big = true
    for index in 0..<pairs {
      let (first, second) = (bytes[2 * index], bytes[2 * index + 1])
      if !(second == 0 && first != 0 && first < 0x80) { little = false }
      if !(first == 0 && second != 0 && second < 0x80) { big = false }
    }
    return little ? "UTF-16LE" : big ? "UTF-16BE" : nil
  }

  func error(path: String) -> FilingError {
    .make(
      .unknownFormat, "cannot read the filing: it is \(what)", path: path, line: 1,
      hint: hint)
  }
}
