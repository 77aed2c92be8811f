import Foundation
import ProbityCore

/// Where each record fell, written to a temporary file as the first pass goes, so that
/// the second pass (the trails of the groups that fired) need only look at the records of
/// those groups.
///
/// One entry per record evaluated, in input order: the record's file (an index), its
/// line, the byte offset of that line (`Record.offset`, two words), and for each set of
/// `group by` keys of the pack the record's interned group values (-1 where it was not
/// placed). That is a few bytes per record on disk and nothing per record in memory.
/// After `finish`, `select` reads it back and keeps the records whose group values
/// belong to a group that fired: their lines and offsets, for the reader to go straight
/// to, and their ordinals, for the replay to know them by.
final class ReplayIndex {
  private let file: UnsafeMutablePointer<FILE>
  private let path: String
  private let width: Int
  // Written for every record, by the run's thread alone: not checked for exclusive
  // access at run time (each check cost a call and a thread-local lookup).
  @exclusivity(unchecked) private var buffer: [Int32] = []
  @exclusivity(unchecked) private var files: [String: Int32] = [:]
  /// The file of the last record appended, by its `FilingPath`'s identity (comparing
  /// it reads no path).
  @exclusivity(unchecked) private var lastFile: (filing: UnsafeMutableRawPointer, index: Int32)?
  private(set) var failed = false

  /// A record of the second pass: its file, line, and which of the records starting on
  /// that line it is (XML puts several records on a line).
  struct Position: Hashable {
    let file: Int32
    let line: Int32
    let occurrence: Int32
  }

  /// After `select`: the position of every record the replay needs, with its ordinal.
  private(set) var ordinals: [Position: Int] = [:]
  private var previous: (file: Int32, line: Int32, occurrence: Int32)?

  init?(keySets: Int) {
    let template = FileManager.default.temporaryDirectory.appendingPathComponent(
      "probity-replay-XXXXXX"
    ).path
    var name = Array(template.utf8CString)
    let descriptor = mkstemp(&name)
    guard descriptor >= 0 else { return nil }
    // The name mkstemp filled in, without its terminating NUL.
    let filled = String(
      decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let file = fdopen(descriptor, "w+b") else {
      close(descriptor)
      unlink(filled)
      return nil
    }
    self.file = file
    self.path = filled
    // Gone from the directory at once; the open file lives until it is closed.
    unlink(path)
    self.width = ReplayIndex.groupsStart + keySets
    buffer.reserveCapacity(width * 4096)
  }

  deinit { fclose(file) }

  private func fileIndex(_ provenance: Provenance) -> Int32 {
    if let lastFile, lastFile.filing == provenance.filingIdentity { return lastFile.index }
    let path = provenance.file
    let next = Int32(files.count)
    let index = files[path] ?? next
    if index == next { files[path] = next }
    lastFile = (provenance.filingIdentity, index)
    return index
  }

  /// Where an entry's group values start: after the file, the line and the offset.
  private static let groupsStart = 4

  /// Notes where a record fell. `offset`: the byte offset of its line, or -1.
  func append(_ provenance: Provenance, offset: Int, groups: [Int32]) {
    buffer.append(fileIndex(provenance))
    buffer.append(provenance.line <= Int(Int32.max) ? Int32(provenance.line) : -1)
    let wide = Int64(offset)
    buffer.append(Int32(truncatingIfNeeded: wide))
    buffer.append(Int32(truncatingIfNeeded: wide >> 32))
    buffer.append(contentsOf: groups)
    if buffer.count >= width * 4096 { flush() }
  }

  private func flush() {
    guard !buffer.isEmpty else { return }
    let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    if written != buffer.count * MemoryLayout<Int32>.size { failed = true }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Reads the entries back and keeps the records whose group values, for some set of
  /// keys, are among `wanted` (by key set). Returns the lines to deliver, with their
  /// offsets where every one is known, by file path; nil when the index could not be
  /// written or read (then every record is replayed).
  func select(wanted: [Set<Int32>]) -> [String: LineSelection]? {
    flush()
    guard !failed, fflush(file) == 0, fseek(file, 0, SEEK_SET) == 0 else { return nil }
    let paths = Dictionary(uniqueKeysWithValues: files.map { ($1, $0) })
    var lines: [String: Set<Int>] = [:]
    var offsets: [String: [Int: Int]] = [:]
    // The group values wanted as bits, by key set (the values are ids counted from 0):
    // one test per entry and key set, where a `Set` hashed every value read back, a
    // fifth of a second at the end of a 1 GB check.
    let bits: [[UInt64]] = wanted.map { values in
      guard let largest = values.max(), largest >= 0 else { return [] }
      var words = [UInt64](repeating: 0, count: Int(largest) / 64 + 1)
      for value in values where value >= 0 { words[Int(value) / 64] |= 1 << (UInt64(value) % 64) }
      return words
    }
    var chunk = [Int32](repeating: 0, count: width * 4096)
    var ordinal = 0
    var previous: (file: Int32, line: Int32, occurrence: Int32)?
    while true {
      let read = chunk.withUnsafeMutableBytes {
        fread($0.baseAddress, MemoryLayout<Int32>.size, $0.count / 4, file)
      }
      if read == 0 { break }
      guard read % width == 0 else { return nil }
      for start in stride(from: 0, to: read, by: width) {
        let file = chunk[start]
        let line = chunk[start + 1]
        let occurrence: Int32 =
          if let previous, previous.file == file, previous.line == line {
            previous.occurrence + 1
          } else { 0 }
        previous = (file, line, occurrence)
        defer { ordinal += 1 }
        var needed = false
        for set in bits.indices {
          let value = Int(chunk[start + ReplayIndex.groupsStart + set])
          if value >= 0, value / 64 < bits[set].count,
            bits[set][value / 64] & (1 << (UInt64(value) % 64)) != 0
          {
            needed = true
            break
          }
        }
        guard needed else { continue }
        // A line too large to note: replay everything.
        guard line >= 0, let path = paths[file] else { return nil }
        lines[path, default: []].insert(Int(line))
        let offset =
          Int64(UInt32(bitPattern: chunk[start + 2])) | Int64(chunk[start + 3]) << 32
        // Every record of a line has its offset; the smallest, should they differ.
        if offset >= 0 {
          let noted = offsets[path]?[Int(line)] ?? Int(offset)
          offsets[path, default: [:]][Int(line)] = min(noted, Int(offset))
        }
        // The same file given twice repeats its positions: replay everything.
        if ordinals.updateValue(
          ordinal, forKey: Position(file: file, line: line, occurrence: occurrence)) != nil
        {
          return nil
        }
      }
    }
    if ferror(file) != 0 { return nil }
    self.previous = nil
    var selections: [String: LineSelection] = [:]
    for (path, wanted) in lines {
      selections[path] = LineSelection(lines: wanted, offsets: offsets[path] ?? [:])
    }
    return selections
  }

  /// The ordinal of a record of the second pass, or nil when the replay does not need
  /// it. Records must come in input order (any subset that keeps whole lines).
  func ordinal(of provenance: Provenance) -> Int? {
    guard let file = files[provenance.file], provenance.line <= Int(Int32.max) else { return nil }
    let line = Int32(provenance.line)
    let occurrence: Int32 =
      if let previous, previous.file == file, previous.line == line { previous.occurrence + 1 } else
      { 0 }
    previous = (file, line, occurrence)
    return ordinals[Position(file: file, line: line, occurrence: occurrence)]
  }
}
