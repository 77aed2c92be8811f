import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a file one physical line at a time, in 64 KiB chunks, never holding more than
/// one line and one chunk: the line-based readers (.fec filings) build on it.
///
/// LF and CRLF end a line, and so does a lone CR in a file whose first line ends in one,
/// as for the CSV reader (in such a file LF and CRLF still end lines); lines are numbered from 1. A UTF-8 byte order mark at the start
/// of the file is dropped.
final class LineReader {
  let path: String
  private let file: UnsafeMutablePointer<FILE>
  private let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: CSVReader.chunkSize)
  @exclusivity(unchecked) private var chunkStart = 0
  @exclusivity(unchecked) private var chunkEnd = 0
  /// The file offset of `chunk[0]`.
  @exclusivity(unchecked) private var chunkOffset = 0
  /// The file offset of the next byte to read into the chunk.
  @exclusivity(unchecked) private var fileOffset = 0
  @exclusivity(unchecked) private var atEnd = false
  private var started = false
  /// The current line's bytes, without its terminator.
  @exclusivity(unchecked) private(set) var line: [UInt8] = []
  /// The current line's number (1-based); 0 before the first line.
  @exclusivity(unchecked) private(set) var lineNumber = 0
  /// Whether the current line was cut at `maxLineBytes` (the rest is dropped).
  @exclusivity(unchecked) private(set) var truncated = false
  /// Whether the current line is the file's last and ends without a line break (a file
  /// cut short ends so: `FECReader` rejects such a line when it has fewer fields than a
  /// record of its type before it, and stops at such a cover record short of its layout).
  @exclusivity(unchecked) private(set) var unterminated = false
  /// The file offset of the current line's first byte (`Record.offset`).
  @exclusivity(unchecked) private(set) var lineOffset = 0

  /// The longest line kept, in bytes; the rest of a longer line is dropped and the line
  /// marked `truncated`.
  let maxLineBytes: Int
  /// Whether the file can seek (a regular file; not a pipe): `jump` needs it.
  let seekable: Bool

  init(path: String, maxLineBytes: Int = ReaderLimits.defaultMaxRecordBytes) throws(FilingError) {
    self.path = path
    self.maxLineBytes = maxLineBytes
    guard let file = fopen(path, "rb") else {
      chunk.deallocate()
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.cannotOpen.id,
          message: "cannot open the filing: \(String(cString: strerror(errno)))", file: path))
    }
    self.file = file
    seekable = fseeko(file, 0, SEEK_CUR) == 0
    line.reserveCapacity(4096)
  }

  deinit {
    fclose(file)
    chunk.deallocate()
  }

  /// Whether lines end in a lone CR: decided by the file's first line ending, as in
  /// `CSVReader` (a lone CR in a file of LF or CRLF lines is part of its line).
  @exclusivity(unchecked) private var crEndsLines: Bool?

  /// Moves to the next line; false at the end of the file.
  func next() throws(FilingError) -> Bool {
    line.removeAll(keepingCapacity: true)
    truncated = false
    unterminated = false
    var sawAny = false
    let lf = UInt8(ascii: "\n")
    let cr = UInt8(ascii: "\r")
    if chunkStart == chunkEnd && !atEnd { try fill() }
    lineOffset = chunkOffset + chunkStart
    while true {
      if chunkStart == chunkEnd {
        if atEnd { break }
        try fill()
        if chunkStart == chunkEnd { break }
      }
      let byte = chunk[chunkStart]
      if byte == lf {
        chunkStart += 1
        if crEndsLines == nil { crEndsLines = false }
        if line.last == cr { line.removeLast() }  // CRLF
        lineNumber += 1
        return true
      }
      if byte == cr && crEndsLines != false {
        chunkStart += 1
        // CRLF is one line ending; a lone CR is one too once the first line ended so.
        // In such a file an LF, or a CRLF, still ends a line: a file whose first line
        // alone ends in a CR (a header written by one program, the rest by another) was
        // read as one line, every record lost in its cover line.
        if chunkStart == chunkEnd && !atEnd { try fill() }
        let crlf = chunkStart < chunkEnd && chunk[chunkStart] == lf
        if crlf { chunkStart += 1 }
        if crEndsLines == nil { crEndsLines = !crlf }
        lineNumber += 1
        return true
      }
      // The rest of the line in this chunk: up to an LF, or a CR unless CRs end no line.
      let rest = UnsafeBufferPointer(rebasing: chunk[(chunkStart + 1)..<chunkEnd])
      let index =
        chunkStart + 1
        + (crEndsLines == false
          ? ByteScan.first(lf, in: rest, from: 0) : ByteScan.lineBreak(in: rest, from: 0))
      append(chunkStart..<index)
      sawAny = true
      chunkStart = index
    }
    guard sawAny else { return false }  // the last line had a terminator
    lineNumber += 1
    unterminated = true
    return true
  }

  private func append(_ range: Range<Int>) {
    let kept = min(range.count, max(0, maxLineBytes - line.count))
    if kept < range.count { truncated = true }
    line.append(
      contentsOf: UnsafeBufferPointer(rebasing: chunk[range.lowerBound..<(range.lowerBound + kept)])
    )
  }

  /// Goes to the line numbered `lineNumber` that starts at byte `offset` (as a first
  /// pass found them, after the first line: how lines end is known by then); `next()`
  /// then reads it.
  func jump(to offset: Int, lineNumber: Int) throws(FilingError) {
    self.lineNumber = lineNumber - 1
    if offset >= chunkOffset + chunkStart && offset < chunkOffset + chunkEnd {
      chunkStart = offset - chunkOffset  // already read
      return
    }
    guard fseeko(file, off_t(offset), SEEK_SET) == 0 else {
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.readFailed.id,
          message: "cannot go to byte \(offset) of the filing: \(String(cString: strerror(errno)))",
          file: path, line: lineNumber))
    }
    fileOffset = offset
    chunkOffset = offset
    chunkStart = 0
    chunkEnd = 0
    atEnd = false
    // Mostly the line wanted is all that is needed there (a longer one reads on).
    nextRead = CSVReader.jumpReadSize
  }

  /// How much the next `fill` reads.
  @exclusivity(unchecked) private var nextRead = CSVReader.chunkSize

  private func fill() throws(FilingError) {
    let wanted = nextRead
    nextRead = chunk.count
    let count = fread(chunk.baseAddress, 1, wanted, file)
    chunkOffset = fileOffset
    fileOffset += count
    if count < wanted {
      if ferror(file) != 0 {
        throw FilingError(
          Diagnostic(
            id: FilingsCatalogue.readFailed.id,
            message: "cannot read the filing: \(String(cString: strerror(errno)))", file: path,
            line: lineNumber + 1))
      }
      atEnd = true
    }
    chunkStart = 0
    chunkEnd = count
    if !started {
      started = true
      if count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { chunkStart = 3 }
    }
  }
}

extension FilingError {
  /// A filing error with one diagnostic.
  static func make(
    _ entry: FilingsCatalogue, _ message: String, path: String, line: Int? = nil,
    hint: String? = nil
  ) -> FilingError {
    FilingError(Diagnostic(id: entry.id, message: message, file: path, line: line, hint: hint))
  }
}
