import CLibCSV
import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a read saw.
public struct ReadStatistics: Sendable, Equatable {
  /// Data rows that are records: the good ones and the rejected ones (not the header,
  /// not skipped rows).
  public var recordsRead: Int
  /// Rows rejected with at least one diagnostic.
  public var recordsRejected: Int
  /// Rows that are not money records: rows whose kind value the mapping lists under
  /// `skip`; in .fec filings the cover record, every record type other than schedules A
  /// and B, and F99 text blocks; in XML, elements the mapping lists under `skip`.
  public var rowsSkipped: Int
  /// .fec filings: how many records of each type the file holds, by the first field as
  /// filed (upper case): `HDR`, `F3N`, `SA11AI`, `SC/10`, `TEXT`, ..., and `[BEGINTEXT]`
  /// for F99 text blocks; whatever became of them. Empty for the other formats.
  public var recordTypes: [String: Int]
  /// .fec filings: the rows of `rowsSkipped` by record type (`HDR`, the cover `F3XN`,
  /// `SC/10`, `SE`, `TEXT`, `[BEGINTEXT]`, ...), so that a report can say what was not
  /// read (a $500,000 loan on an SC/10 line was one of "4 other rows skipped"). Empty
  /// for the other formats, whose skipped rows are the kinds their mapping skips.
  public var skippedTypes: [String: Int]

  public init(
    recordsRead: Int = 0, recordsRejected: Int = 0, rowsSkipped: Int = 0,
    recordTypes: [String: Int] = [:], skippedTypes: [String: Int] = [:]
  ) {
    self.recordsRead = recordsRead
    self.recordsRejected = recordsRejected
    self.rowsSkipped = rowsSkipped
    self.recordTypes = recordTypes
    self.skippedTypes = skippedTypes
  }

  /// Records delivered to `onRecord`.
  public var recordsAccepted: Int { recordsRead - recordsRejected }
}

/// A filing that cannot be read at all: it cannot be opened, has no header, or lacks a
/// column the mapping requires.
public struct FilingError: Error, Sendable {
  public let diagnostic: Diagnostic
  /// What the read saw before it stopped: the records already delivered are counted, so
  /// that records read = evaluated + rejected holds for a file that stops half way.
  public var statistics = ReadStatistics()

  public init(_ diagnostic: Diagnostic) {
    self.diagnostic = diagnostic
  }

  /// This error, with the counts of the read it stopped.
  func after(_ statistics: ReadStatistics) -> FilingError {
    var error = self
    error.statistics = statistics
    return error
  }
}

/// Reads a delimited text file through a `Mapping` with libcsv, streaming it in 64 KiB
/// chunks.
///
/// Every data row becomes a record (`onRecord`, in file order) or a rejection (one
/// diagnostic per problem through `onProblem`), or is skipped when its kind value is
/// listed under `skip`. Records carry the physical line on which they start: LF and CRLF
/// end a line, and so does a lone CR in a file whose first line ends in one (a lone CR in
/// an LF or CRLF file ends no line, as for grep and editors); a quoted field with line
/// breaks keeps its first line.
///
/// Malformed quoting rejects the record it is in. When that record spans several lines
/// (a quote opened and never properly closed), reading resumes on the line after the
/// record's first line, so the rows a stray quote swallowed are read after all; a file
/// that cannot seek (a pipe) resumes after the line where the problem was found.
public struct CSVReader: Sendable {
  public let path: String
  public let mapping: Mapping
  /// The longest field and record (`ReaderLimits`).
  public let limits: ReaderLimits

  /// The size of each read from the file.
  public static let chunkSize = 64 * 1024
  /// What is read after going straight to a wanted line (`read(lines:)` with offsets).
  static let jumpReadSize = 8 * 1024
  /// The longest record accepted by default, in bytes: a longer one is almost surely a
  /// quote that is never closed, and is rejected rather than held in memory.
  public static let maxRecordBytes = ReaderLimits.defaultMaxRecordBytes

  public init(path: String, mapping: Mapping, limits: ReaderLimits = .default) {
    self.path = path
    self.mapping = mapping
    self.limits = limits
  }

  /// `lines`: nil, or the lines on which the records wanted start: the rows that start
  /// on other lines are passed over unparsed (their line breaks are still counted), and
  /// reading stops after the last one wanted (see `FilingReader.read`). With the lines'
  /// offsets, reading goes straight from one wanted line to the next: what lies between
  /// is not read at all.
  ///
  /// `fields`: the fields the run reads (nil: all). Plain text cells of the others are
  /// passed over and their fields left missing (`FieldProjection`).
  public func read(
    lines: LineSelection? = nil, pool: RecordValuesPool? = nil, fields: FieldSet? = nil,
    onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    guard let file = fopen(path, "rb") else {
      let reason = String(cString: strerror(errno))
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.cannotOpen.id, message: "cannot open the filing: \(reason)",
          file: path))
    }
    defer { fclose(file) }
    let seekable = fseeko(file, 0, SEEK_CUR) == 0
    let session = try CSVSession(
      path: path, mapping: mapping, limits: limits, seekable: seekable, fields: fields)
    if let lines {
      let sorted = lines.sorted
      session.wanted = sorted.map(\.line)
      // Going to an offset needs a file that seeks, and the offsets of all the lines.
      if seekable, !lines.offsets.isEmpty { session.wantedOffsets = sorted.map { $0.offset ?? -1 } }
    }
    session.pool = pool
    do {
      try read(file, session, onRecord: onRecord, onProblem: onProblem)
    } catch {
      throw error.after(session.statistics)
    }
    return session.statistics
  }

  private func read(
    _ file: UnsafeMutablePointer<FILE>, _ session: CSVSession, onRecord: (consuming Record) -> Void,
    onProblem: (Diagnostic) -> Void
  ) throws(FilingError) {
    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: CSVReader.chunkSize)
    defer { buffer.deallocate() }
    var offset = 0  // of the next byte read from the file
    // After going straight to a wanted line, a little is read: mostly the row wanted is
    // all that is needed there (a longer row reads on as usual).
    var toRead = buffer.count
    while true {
      // Fill the buffer (a short read only at the end of the file).
      var filled = 0
      while filled < toRead {
        let count = fread(buffer.baseAddress.map { $0 + filled }, 1, toRead - filled, file)
        if count == 0 { break }
        filled += count
      }
      if ferror(file) != 0 {
        throw failure(.readFailed, "cannot read the filing", line: session.line)
      }
      var chunk = UnsafeBufferPointer(rebasing: buffer[0..<filled])
      var chunkOffset = offset
      offset += filled
      // A UTF-8 byte order mark is not part of the first column's name.
      if chunkOffset == 0 && chunk.starts(with: [0xEF, 0xBB, 0xBF]) {
        chunk = UnsafeBufferPointer(rebasing: chunk[3...])
        chunkOffset = 3
        session.lineStartOffset = 3
      }
      var resume = try session.consume(
        chunk, at: chunkOffset, onRecord: onRecord, onProblem: onProblem)
      if session.wantedAllRead { break }
      if resume == nil && filled < toRead {
        resume = try session.finish(onRecord: onRecord, onProblem: onProblem)
        if resume == nil { break }
      }
      toRead = session.jumped ? CSVReader.jumpReadSize : buffer.count
      session.jumped = false
      if let resume {
        guard fseeko(file, off_t(resume), SEEK_SET) == 0 else {
          // Back to a malformed record's first line, or on to a line a second pass wants.
          throw failure(
            .readFailed, "cannot move to byte \(resume) of the filing", line: session.line)
        }
        offset = resume
      }
    }
    try session.checkHeaderRead()
  }

  private func failure(_ entry: FilingsCatalogue, _ message: String, line: Int) -> FilingError {
    let reason = String(cString: strerror(errno))
    return FilingError(
      Diagnostic(id: entry.id, message: "\(message): \(reason)", file: path, line: line))
  }
}

// MARK: - libcsv callbacks

/// The row collector behind libcsv's `void *` context: the one way back from C.
private func collector(_ data: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<RowCollector>? {
  data?.assumingMemoryBound(to: RowCollector.self)
}

/// libcsv's field callback: appends the field's bytes to the arena, or, for a field over
/// the limit, notes it (its record is rejected) and appends nothing.
private func fieldEnded(
  _ field: UnsafeMutableRawPointer?, _ length: Int, _ data: UnsafeMutableRawPointer?
) {
  guard let row = collector(data) else { return }
  let bytes = row.pointee.droppedBytes + length
  row.pointee.droppedBytes = 0
  if bytes > row.pointee.maxFieldBytes {
    if row.pointee.oversized == nil { row.pointee.oversized = (row.pointee.fieldCount, bytes) }
  } else if let field, length > 0 {
    row.pointee.append(
      UnsafeBufferPointer(start: field.assumingMemoryBound(to: UInt8.self), count: length))
  }
  row.pointee.endField()
}

/// libcsv's row callback.
private func rowEnded(_ terminator: Int32, _ data: UnsafeMutableRawPointer?) {
  collector(data)?.pointee.rowEnded = true
}

// MARK: - Session

/// The state of one read: the libcsv parser, the row being collected, line numbers.
private final class CSVSession {
  /// Where records' arrays of values come from (see `RecordValuesPool`).
  var pool: RecordValuesPool?
  /// The fields the run reads (nil: all); see `FieldProjection`.
  let fields: FieldSet?
  let path: String
  let mapping: Mapping
  let limits: ReaderLimits
  let seekable: Bool
  let parser: UnsafeMutablePointer<csv_parser>
  let row: UnsafeMutablePointer<RowCollector>
  /// nil until the header is read (for a mapping with a header).
  @exclusivity(unchecked) var plan: RowPlan?
  /// The header's column names, for messages.
  @exclusivity(unchecked) var headerNames: [String] = []
  @exclusivity(unchecked) var statistics = ReadStatistics()

  /// The line of the next byte fed to libcsv.
  @exclusivity(unchecked) var line = 1
  /// Whether the last byte seen was a CR whose line ending is not settled yet: a CRLF if
  /// an LF follows, else a lone CR.
  @exclusivity(unchecked) var lastWasCR = false
  /// Whether the LF about to be seen is the second half of a CRLF already counted.
  @exclusivity(unchecked) var lfOfCRLF = false
  /// Whether a lone CR ends a line: decided by the file's first line ending. A file whose
  /// lines end in CR (old Mac files) has its lines ended by CR; in a file whose lines
  /// end in LF or CRLF, a lone CR (inside a quoted cell, typically) ends no line, as for
  /// grep, sed and editors.
  @exclusivity(unchecked) var loneCREndsLines: Bool?
  /// The line on which the row being collected started, and the file offset of the
  /// segment it started in.
  @exclusivity(unchecked) var rowStart = 1
  @exclusivity(unchecked) var rowStartOffset = 0
  /// The file offset of the first byte of line `line`, and of the row's first line
  /// (`Record.offset`: where a second pass goes; not `rowStartOffset`, which is mid-line
  /// for a row after a lone CR that ends no line).
  @exclusivity(unchecked) var lineStartOffset = 0
  @exclusivity(unchecked) var rowLineOffset = 0
  /// After malformed quoting: bytes are dropped until the end of the physical line.
  @exclusivity(unchecked) var skippingToLineEnd = false
  /// The lines on which the rows wanted start, in order (nil: every row), the next one
  /// not yet reached, and whether all have been read.
  var wanted: [Int]?
  /// The byte offset of each line of `wanted`, when known (nil: lines are passed over
  /// one by one).
  var wantedOffsets: [Int]?
  /// Whether `consume` returned the offset of a wanted line to go to.
  @exclusivity(unchecked) var jumped = false
  @exclusivity(unchecked) var nextWanted = 0
  @exclusivity(unchecked) var wantedAllRead = false

  static let options = UInt8(CSV_STRICT | CSV_STRICT_FINI)

  init(
    path: String, mapping: Mapping, limits: ReaderLimits, seekable: Bool, fields: FieldSet?
  ) throws(FilingError) {
    self.path = path
    self.fields = fields
    self.mapping = mapping
    self.limits = limits
    self.seekable = seekable
    parser = .allocate(capacity: 1)
    row = .allocate(capacity: 1)
    row.initialize(to: RowCollector(maxFieldBytes: limits.maxFieldBytes))
    guard csv_init(parser, CSVSession.options) == 0 else {
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.parserFailure.id, message: "cannot start the CSV parser", file: path)
      )
    }
    configure()
    if !mapping.hasHeader {
      plan = try RowPlan(
        mapping: mapping, header: nil, headerLine: 1, path: path, fields: fields)
    }
  }

  /// The delimiter and the quote. Without a quote character (`quote = none`) libcsv is
  /// given NUL, which a text file does not hold: a NUL byte then rejects its row.
  func configure() {
    csv_set_delim(parser, mapping.delimiter)
    csv_set_quote(parser, mapping.quote ?? 0)
  }

  deinit {
    csv_free(parser)
    parser.deallocate()
    row.deinitialize(count: 1)
    row.deallocate()
  }

  /// Feeds a chunk that starts at file offset `offset`, one physical line (segment
  /// ending in CR or LF) at a time. Returns the offset to resume reading at when a
  /// malformed record makes reading go back, else nil.
  func consume(
    _ chunk: UnsafeBufferPointer<UInt8>, at offset: Int, onRecord: (consuming Record) -> Void,
    onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> Int? {
    let lf = UInt8(ascii: "\n")
    let cr = UInt8(ascii: "\r")
    var start = 0
    while start < chunk.count {
      if lastWasCR {
        // Settle the CR that ended the previous segment.
        lastWasCR = false
        if chunk[start] == lf {
          line += 1
          lineStartOffset = offset + start + 1
          lfOfCRLF = true
          if loneCREndsLines == nil { loneCREndsLines = false }
        } else {
          if loneCREndsLines ?? true {
            line += 1
            lineStartOffset = offset + start
          }
          if loneCREndsLines == nil { loneCREndsLines = true }
        }
      }
      let end = ByteScan.lineBreak(in: chunk, from: start)
      let terminated = end < chunk.count
      let segmentEnd = terminated ? end + 1 : end
      if skippingToLineEnd {
        if terminated { skippingToLineEnd = false }
      } else if passesOver() {
        if wantedAllRead { return nil }
        if let target = jumpTarget(from: offset + start) {
          // Straight to the next wanted line: in this chunk, or read from there.
          line = wanted![nextWanted]
          lineStartOffset = target
          lastWasCR = false
          lfOfCRLF = false
          if target < offset + chunk.count {
            start = target - offset
            continue
          }
          jumped = true
          return target
        }
      } else if let resume = try feed(
        UnsafeBufferPointer(rebasing: chunk[start..<segmentEnd]), at: offset + start,
        terminated: terminated,
        onRecord: onRecord, onProblem: onProblem)
      {
        return resume
      }
      if terminated {
        if chunk[end] == cr {
          lastWasCR = true
        } else if lfOfCRLF {
          lfOfCRLF = false
        } else {
          line += 1
          lineStartOffset = offset + segmentEnd
          if loneCREndsLines == nil { loneCREndsLines = false }
        }
      }
      start = max(segmentEnd, start + 1)  // progress guard
    }
    return nil
  }

  /// Whether the physical line about to be fed starts a row that is not wanted (or
  /// lies within one): between rows, every line before the next wanted one is passed
  /// over. A wanted line starts a row (the first pass found one there), so the parser
  /// meets it between rows, as it did then.
  func passesOver() -> Bool {
    guard let wanted, plan != nil, probity_csv_row_in_progress(parser) == 0,
      row.pointee.fieldCount == 0
    else { return false }
    while nextWanted < wanted.count && wanted[nextWanted] < line { nextWanted += 1 }
    if nextWanted == wanted.count {
      wantedAllRead = true
      return true
    }
    return wanted[nextWanted] > line
  }

  /// The offset of the next wanted line, when it is known and lies beyond `position`
  /// (the start of the line about to be passed over), after `passesOver`.
  func jumpTarget(from position: Int) -> Int? {
    // Not before the first line ending is seen: it decides whether a lone CR ends a
    // line, as it did on the first pass.
    guard let wantedOffsets, nextWanted < wantedOffsets.count, loneCREndsLines != nil
    else { return nil }
    let target = wantedOffsets[nextWanted]
    return target > position ? target : nil
  }

  func feed(
    _ segment: UnsafeBufferPointer<UInt8>, at offset: Int, terminated: Bool,
    onRecord: (consuming Record) -> Void,
    onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> Int? {
    guard let base = segment.baseAddress, !segment.isEmpty else { return nil }
    if probity_csv_row_in_progress(parser) == 0 && row.pointee.fieldCount == 0 {
      rowStart = line
      rowStartOffset = offset
      rowLineOffset = lineStartOffset
    }
    let parsed = csv_parse(
      parser, base, segment.count, fieldEnded, rowEnded, UnsafeMutableRawPointer(row))
    if parsed < segment.count {
      // Without quoting, only a NUL byte stops the parser (its quote character is NUL).
      if mapping.quote == nil {
        return try rejectMalformed(
          "a NUL byte in the row: a text filing cannot hold one",
          hint: "the file may be damaged or not text: get a clean copy",
          terminated: terminated, onProblem: onProblem)
      }
      return try rejectMalformed(
        "malformed quoting: a quoted field must end with a quote followed by the delimiter or the end of the line, and a quote inside a field must be doubled and the field quoted",
        terminated: terminated, onProblem: onProblem)
    }
    let recordBytes = offset + segment.count - rowStartOffset
    if row.pointee.rowEnded {
      try rowComplete(
        tooLong: recordBytes > limits.maxRecordBytes, onRecord: onRecord, onProblem: onProblem)
    } else if recordBytes > limits.maxRecordBytes {
      // A record that spans lines can only grow this long inside a quoted field; on one
      // line, a field over its limit is what the record is rejected for, if it has one.
      let spansLines = line != rowStart
      let collector = row.pointee
      if !spansLines,
        let field = collector.oversized?.field
          ?? (collector.droppedBytes > 0 ? collector.fieldCount : nil)
      {
        return try rejectMalformed(
          limits.fieldMessage(columnLabel(field), bytes: nil), entry: .fieldTooLong,
          hint: ReaderLimits.fieldHint,
          terminated: terminated, onProblem: onProblem)
      }
      return try rejectMalformed(
        limits.recordMessage("a record")
          + (spansLines ? ": probably a quote that is never closed" : ""),
        entry: spansLines ? .malformedQuoting : .lineTooLong,
        hint: spansLines ? nil : ReaderLimits.recordHint,
        terminated: terminated, onProblem: onProblem)
    } else if probity_csv_field_bytes(parser) > limits.maxFieldBytes {
      // The field being read is over the limit: its bytes so far are dropped (the record
      // is rejected when it ends), so memory never holds it whole.
      row.pointee.droppedBytes += probity_csv_drop_field(parser)
    }
    return nil
  }

  /// Ends the file: the last row may lack a line break. Returns the offset to resume
  /// reading at when the last record was malformed and reading goes back, else nil.
  func finish(onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void)
    throws(FilingError)
    -> Int?
  {
    guard !skippingToLineEnd else { return nil }
    if csv_fini(parser, fieldEnded, rowEnded, UnsafeMutableRawPointer(row)) != 0 {
      return try rejectMalformed(
        "unterminated quoted field: the record runs to the end of the file without its closing quote",
        terminated: true, atEndOfFile: true, onProblem: onProblem)
    }
    if row.pointee.rowEnded { try rowComplete(onRecord: onRecord, onProblem: onProblem) }
    return nil
  }

  func checkHeaderRead() throws(FilingError) {
    guard plan == nil else { return }
    throw FilingError(
      Diagnostic(
        id: FilingsCatalogue.noHeader.id,
        message: "the filing is empty: there is no header line naming the columns",
        file: path, line: 1, hint: "the mapping says 'header = yes'"))
  }

  /// The record being collected is malformed (or over the record limit): it is rejected
  /// and the parser starts afresh. A record that spans lines is read again from its
  /// second line when the file can seek (the returned offset); otherwise reading resumes
  /// on the next physical line.
  func rejectMalformed(
    _ message: String, entry: FilingsCatalogue = .malformedQuoting,
    hint: String? = "write a quote inside a field as \"\", and quote the whole field",
    terminated: Bool, atEndOfFile: Bool = false, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> Int? {
    let status = csv_error(parser)
    if status != CSV_SUCCESS && status != CSV_EPARSE {
      let reason = String(cString: csv_strerror(status))
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.parserFailure.id, message: "the CSV parser failed: \(reason)",
          file: path,
          line: rowStart))
    }
    var text = message
    if line != rowStart && !atEndOfFile {
      text += " (the record starts on line \(rowStart); the problem is on line \(line))"
    }
    let diagnostic = Diagnostic(id: entry.id, message: text, file: path, line: rowStart, hint: hint)
    guard plan != nil else { throw FilingError(diagnostic) }  // the header itself
    statistics.recordsRead += 1
    statistics.recordsRejected += 1
    onProblem(diagnostic)
    row.pointee.clear()
    csv_free(parser)
    guard csv_init(parser, CSVSession.options) == 0 else {
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.parserFailure.id, message: "cannot restart the CSV parser",
          file: path))
    }
    configure()
    if seekable && line != rowStart {
      // Go back to the record's first line and drop it; the lines after it are read
      // again as the rows they probably are.
      line = rowStart
      lineStartOffset = rowLineOffset
      lastWasCR = false
      lfOfCRLF = false
      skippingToLineEnd = true
      return rowStartOffset
    }
    skippingToLineEnd = !terminated
    return nil
  }

  /// `column 5 "Value"`, for messages.
  func columnLabel(_ index: Int) -> String {
    guard index < headerNames.count else { return "column \(index + 1)" }
    return "column \(index + 1) " + quoted(Substring(headerNames[index]))
  }

  /// A row has ended: the header, or a record, a skipped row or a rejected one. A row
  /// over the record limit (`tooLong`) or with a field over the field limit is rejected
  /// (unless its kind says to skip it); in the header, either stops the read.
  func rowComplete(
    tooLong: Bool = false, onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) {
    defer { row.pointee.clear() }
    var oversized: Diagnostic?
    if tooLong {
      oversized = Diagnostic(
        id: FilingsCatalogue.lineTooLong.id,
        message: limits.recordMessage("a record"), file: path, line: rowStart,
        hint: ReaderLimits.recordHint)
    } else if let (index, bytes) = row.pointee.oversized {
      oversized = Diagnostic(
        id: FilingsCatalogue.fieldTooLong.id,
        message: limits.fieldMessage(columnLabel(index), bytes: bytes),
        file: path, line: rowStart, hint: ReaderLimits.fieldHint)
    }
    guard let plan else {
      if let oversized { throw FilingError(oversized) }  // the header itself
      headerNames = (0..<row.pointee.fieldCount).map {
        String(trimBlanks(row.pointee.lossyString($0, mapping.encoding)))
      }
      plan = try RowPlan(
        mapping: mapping, header: headerNames, headerLine: rowStart, path: path, fields: fields)
      return
    }
    if let oversized {
      if plan.skips(row.pointee) {
        statistics.rowsSkipped += 1
      } else {
        statistics.recordsRead += 1
        statistics.recordsRejected += 1
        onProblem(oversized)
      }
      return
    }
    switch plan.assemble(&row.pointee, line: rowStart, offset: rowLineOffset, pool: pool) {
    case .record(let record):
      statistics.recordsRead += 1
      onRecord(record)
    case .skipped:
      statistics.rowsSkipped += 1
    case .rejected(let diagnostics):
      statistics.recordsRead += 1
      statistics.recordsRejected += 1
      for diagnostic in diagnostics { onProblem(diagnostic) }
    }
  }
}
