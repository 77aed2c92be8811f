import ProbityCore

/// The fields of one CSV row, as byte ranges of a reusable arena. libcsv's callbacks
/// fill it (through the `void *` context pointer); nothing here allocates per field
/// once the room has grown to the widest row.
struct RowCollector {
  /// The bytes of every field of the row, back to back, in room that grows to the
  /// longest row and is then written over, row after row.
  private var storage = GrowingBytes(capacity: 4096)
  /// The row's bytes in `storage`.
  var byteCount: Int { storage.count }
  /// The end offset in the arena of each field: the first `fieldCount` of `endRoom`.
  private var endRoom = GrowingRoom<Int>(capacity: 64)
  private(set) var fieldCount = 0
  /// The bytes between one field and the next in `arena`: 0, or 1 where the line was
  /// kept whole, separators and all (.fec lines split on ASCII 28).
  var gap = 0
  /// Set by the row-end callback.
  var rowEnded = false
  /// Room for the ends of a line `endFields` splits (empty until the first).
  private var scratch: [Int] = []
  /// Fields longer than this are not kept (`ReaderLimits.maxFieldBytes`).
  let maxFieldBytes: Int
  /// Bytes of the field being read that were dropped because it is over the limit.
  var droppedBytes = 0
  /// The first field of the row over the limit, and its length: the row is rejected.
  var oversized: (field: Int, bytes: Int)?

  init(maxFieldBytes: Int = .max) {
    self.maxFieldBytes = maxFieldBytes
  }

  mutating func clear() {
    storage.removeAll()
    endRoom.makeUnique(keeping: 0)
    fieldCount = 0
    gap = 0
    rowEnded = false
    droppedBytes = 0
    oversized = nil
  }

  /// The end offset of field `index` in the arena.
  func end(_ index: Int) -> Int {
    precondition(index >= 0 && index < fieldCount, "no field \(index)")
    return endRoom.base[index]
  }

  /// The ends of the row's fields, copied: for tests (`end(_:)` reads one without a copy).
  var ends: [Int] { Array(UnsafeBufferPointer(start: endRoom.base, count: fieldCount)) }

  /// The row's bytes (the arena).
  func withArena<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer(body)
  }

  /// Appends bytes to the field being collected.
  @inline(__always)
  mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { storage.append(bytes) }

  mutating func append(contentsOf bytes: ArraySlice<UInt8>) {
    bytes.withUnsafeBufferPointer { append($0) }
  }

  mutating func append(_ byte: UInt8) { storage.append(byte) }

  /// Ends the field being collected.
  @inline(__always)
  mutating func endField() {
    endRoom.reserve(fieldCount + 1, keeping: fieldCount)
    (endRoom.base + fieldCount).initialize(to: byteCount)
    fieldCount += 1
  }

  /// Ends fields at each of `found`'s offsets.
  private mutating func endFields(at found: UnsafeBufferPointer<Int>) {
    endRoom.reserve(fieldCount + found.count, keeping: fieldCount)
    if let source = found.baseAddress {
      (endRoom.base + fieldCount).initialize(from: source, count: found.count)
    }
    fieldCount += found.count
  }

  /// Ends the row's fields at each `separator` of `line`, the row's bytes so far (kept
  /// whole: `gap` 1), and the last at its end. The separators are found eight bytes at
  /// a time (`RowCollector.separators`) and the ends written together: one write a
  /// field cost some 25 instructions, a byte-by-byte scan some 5 a byte.
  mutating func endFields(splitting line: UnsafeBufferPointer<UInt8>, on separator: UInt8) {
    let start = byteCount - line.count
    /// Writes the ends into `found` (room for them all); how many.
    func fill(_ found: UnsafeMutableBufferPointer<Int>) -> Int {
      var field = 0
      RowCollector.separators(separator, in: line) { index in
        found[field] = start + index
        field += 1
      }
      found[field] = start + line.count
      return field + 1
    }
    if line.count < RowCollector.scratchLimit {
      // Room for an end per byte, kept from line to line.
      if scratch.isEmpty { scratch = [Int](repeating: 0, count: RowCollector.scratchLimit) }
      let filled = scratch.withUnsafeMutableBufferPointer { fill($0) }
      scratch.withUnsafeBufferPointer {
        endFields(at: UnsafeBufferPointer(rebasing: $0[..<filled]))
      }
    } else {
      // A long line: its separators counted first, for room made for this line alone.
      let room = RowCollector.count(separator, in: line) + 1
      [Int](unsafeUninitializedCapacity: room) { found, initialized in
        initialized = fill(found)
      }.withUnsafeBufferPointer { endFields(at: $0) }
    }
  }

  /// The lines `endFields` splits with room kept from line to line are shorter than this
  /// (the room: 32 KB).
  static let scratchLimit = 4096

  /// The high bit of each byte of the word of `bytes` at `offset` (eight of them) that
  /// equals the byte `pattern` repeats. A byte of `word ^ pattern` is zero exactly where
  /// the byte matched, and adding 0x7F to its low seven bits sets its high bit unless it
  /// is zero (the sum stays within the byte, so no carry reaches the next one).
  @inline(__always)
  private static func matches(_ pattern: UInt64, _ raw: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    let x =
      UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
      ^ pattern
    return ~(((x & low) &+ low) | x | low)
  }

  /// How many bytes of `bytes` equal `byte`, eight at a time.
  static func count(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
    let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
    var count = 0
    var offset = 0
    while offset + 8 <= bytes.count {
      // The high bits moved to the low bit of each byte, and the bytes summed into the top
      // byte by the multiplication (`nonzeroBitCount` is no instruction on the baseline
      // x86-64 this is built for, but a dozen).
      let ones = matches(pattern, UnsafeRawPointer(base), offset) >> 7
      count += Int((ones &* 0x0101_0101_0101_0101) >> 56)
      offset += 8
    }
    while offset < bytes.count {
      if base[offset] == byte { count += 1 }
      offset += 1
    }
    return count
  }

  /// Calls `body` with the offset of every byte of `bytes` equal to `byte`, in order,
  /// eight bytes at a time.
  static func separators(
    _ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, _ body: (Int) -> Void
  ) {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
    var offset = 0
    while offset + 8 <= bytes.count {
      var zeros = matches(pattern, UnsafeRawPointer(base), offset)
      while zeros != 0 {
        body(offset + zeros.trailingZeroBitCount / 8)
        zeros &= zeros &- 1
      }
      offset += 8
    }
    while offset < bytes.count {
      if base[offset] == byte { body(offset) }
      offset += 1
    }
  }

  /// The field's text, or the byte that is not a character of `encoding`.
  func string(_ index: Int, _ encoding: TextEncoding) -> Result<String, TextEncoding.InvalidBytes> {
    withArena { encoding.decode(field(index, in: $0)) }
  }

  /// The offset in `arena` of the field's first byte.
  func start(_ index: Int) -> Int { index == 0 ? 0 : end(index - 1) + gap }

  /// The field's bytes in `arena`, which is this collector's arena (`withArena`).
  func field(_ index: Int, in arena: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(rebasing: arena[start(index)..<end(index)])
  }

  /// The field's bytes, copied.
  func fieldBytes(_ index: Int) -> [UInt8] {
    withArena { Array(field(index, in: $0)) }
  }

  /// The field's text, with bytes that are not characters shown as `\xNN` (header
  /// names, record types: `shownBytes`).
  func lossyString(_ index: Int, _ encoding: TextEncoding) -> String {
    switch string(index, encoding) {
    case .success(let text): return text
    case .failure: return withArena { shownBytes(field(index, in: $0)) }
    }
  }
}

/// What became of one data row.
enum RowOutcome {
  case record(Record)
  case skipped
  case rejected([Diagnostic])
}

/// A mapping resolved against a file's header: column indexes, parsers, constants. A
/// class, so that a row borrows it rather than copying it.
final class RowPlan {
  struct Column {
    let field: FieldID
    /// 0-based. (An absent optional column has no `Column`: its field stays missing.)
    let index: Int
    let parser: CellParser
    let label: String
    /// Whether its plain ASCII cells are passed over: a text field the run does not read
    /// (`FieldProjection`).
    let passedOver: Bool
  }

  enum Kind {
    case constant(RecordKind)
    case column(index: Int, label: String, KindColumn)
  }

  let path: String
  /// `path`, looked up once for the provenance of every record.
  let filing: FilingPath
  let currency: Currency
  let encoding: TextEncoding
  /// The header's field count; nil without a header.
  let headerCount: Int?
  /// Without a header: the fewest fields a row needs to cover every required column.
  let minimumFieldCount: Int
  /// Without a header: how many fields every row has, when the mapping says
  /// (`[file] fields`).
  let exactFieldCount: Int?
  let kind: Kind
  let columns: [Column]
  /// Every field missing, except constants.
  let template: [Value]
  /// The constants of `template`: the fields that are not missing.
  let constants: [(field: FieldID, value: Value)]
  /// Fields this file cannot give (unmapped, or an optional column it lacks).
  let unavailable: FieldSet
  /// Fields the run does not read (`FieldProjection`), and whether `name` is derived.
  let leftOut: FieldSet
  let derivesName: Bool
  /// The last kind cell of plain ASCII read, and what it decided.
  private var lastKindCell: [UInt8] = []
  private var lastKindDecision: KindDecision?
  /// The last cell of each of `columns`, and its parser (see `LastCells`): made from
  /// `columns`, in their order, so that `readPlain` takes an index into `columns`.
  private let lastCells: LastCells

  /// Resolves `mapping` against `header` (nil when the file has none). Throws when a
  /// required column is missing or a mapped name is in the header twice.
  /// `fields`: the fields the run reads (nil: all); see `FieldProjection`.
  init(
    mapping: Mapping, header: [String]?, headerLine: Int, path: String, fields: FieldSet? = nil
  ) throws(FilingError) {
    let wanted = fields.map(FieldProjection.closed)
    self.path = path
    self.filing = FilingPath.named(path)
    self.currency = mapping.currency
    self.encoding = mapping.encoding
    self.headerCount = header?.count

    var minimum = 0
    var missing: [(ColumnReference, String)] = []

    /// The 0-based index of a column, nil when absent.
    func locate(_ reference: ColumnReference, purpose: String) throws(FilingError) -> Int? {
      switch reference {
      case .position(let position):
        if let header { return position <= header.count ? position - 1 : nil }
        return position - 1
      case .name(let name):
        guard let header else { return nil }
        let found = header.indices.filter { header[$0] == name }
        if found.count > 1 {
          let positions = found.map { "#\($0 + 1)" }
          throw FilingError(
            Diagnostic(
              id: FilingsCatalogue.ambiguousColumn.id,
              message:
                "column \"\(name)\" (mapped to \(purpose)) appears \(found.count) times in the header, as columns \(positions.joined(separator: ", "))",
              file: path, line: headerLine,
              hint: "map it by position in the mapping, like 'column \(positions[0])'"))
        }
        return found.first
      }
    }

    func label(_ index: Int, field: String?) -> String {
      var text = "column \(index + 1)"
      if let header, index < header.count {
        text += " \"\(header[index])\""
        if let field, header[index] != field { text += " (\(field))" }
      } else if let field {
        text += " (\(field))"
      }
      return text
    }

    /// An XML mapping given to the delimited-text reader.
    func notDelimited() -> FilingError {
      FilingError(
        Diagnostic(
          id: FilingsCatalogue.wrongReader.id,
          message: "the mapping \(mapping.path) is for XML filings, not delimited text", file: path,
          hint: "check the file with --input-format xml, or give a mapping for delimited text"))
    }

    switch mapping.kind {
    case .elements:
      throw notDelimited()
    case .constant(let kind):
      self.kind = .constant(kind)
    case .column(let kindColumn):
      if let index = try locate(kindColumn.column, purpose: "the record kind") {
        self.kind = .column(index: index, label: label(index, field: "kind"), kindColumn)
        minimum = max(minimum, index + 1)
      } else {
        missing.append((kindColumn.column, "the record kind"))
        self.kind = .constant(.receipt)  // not used: the missing column throws below
      }
    }

    var template = [Value](repeating: .missing, count: CanonicalSchema.count)
    var columns: [Column] = []
    for fieldMapping in mapping.fields {
      let fieldName = CanonicalSchema.spec(fieldMapping.field).name
      switch fieldMapping.source {
      case .constant(let value):
        template[fieldMapping.field] = value
      case .element:
        throw notDelimited()
      case .column(let reference, let parser, let optional):
        let index = try locate(reference, purpose: "'\(fieldName)'")
        if let index {
          if !optional { minimum = max(minimum, index + 1) }
          columns.append(
            Column(
              field: fieldMapping.field, index: index, parser: parser,
              label: label(index, field: fieldName),
              passedOver: FieldProjection.passesOver(fieldMapping.field, parser, wanted: wanted)))
        } else if !optional {
          missing.append((reference, "'\(fieldName)'"))
        } else if case .flag = parser {
          // A flag is true where a row is marked; a file without the column marks no row.
          template[fieldMapping.field] = .boolean(false)
        }
      }
    }

    if let (reference, purpose) = missing.first {
      var message = "the header has no column \(reference) (mapped to \(purpose))"
      if missing.count > 1 {
        message +=
          "; also missing: "
          + missing.dropFirst().map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
      }
      var hint: String?
      if case .name(let name) = reference, let header {
        hint = NearNames.hint(for: name, among: header)
      }
      if hint == nil, let header {
        let shown = header.prefix(12).map { "\"\($0)\"" }.joined(separator: ", ")
        hint = "the header has \(header.count) columns: \(shown)\(header.count > 12 ? ", ..." : "")"
      }
      throw FilingError(
        Diagnostic(
          id: FilingsCatalogue.missingColumn.id, message: message, file: path, line: headerLine,
          hint: hint.map { $0 + "; mark a column that may be absent 'optional' in the mapping" }))
    }

    self.minimumFieldCount = minimum
    self.exactFieldCount = header == nil ? mapping.fieldCount : nil
    self.columns = columns
    self.lastCells = LastCells(parsers: columns.map(\.parser))
    self.template = template
    let shared = MappedFields(template: template, mapped: columns.map(\.field), wanted: fields)
    (self.constants, self.unavailable) = (shared.constants, shared.unavailable)
    (self.leftOut, self.derivesName) = (shared.leftOut, shared.derivesName)
  }

  func problem(_ entry: FilingsCatalogue, _ message: String, line: Int, hint: String? = nil)
    -> Diagnostic
  {
    Diagnostic(id: entry.id, message: message, file: path, line: line, hint: hint)
  }

  func invalidText(_ label: String, _ invalid: TextEncoding.InvalidBytes, line: Int) -> Diagnostic {
    problem(
      .invalidUTF8, "\(label): \(invalid.message)", line: line,
      hint: invalid.byte == 0
        ? "the file is not text, or was damaged: a text filing has no NUL bytes"
        : invalid.encoding == .utf8
          ? "is the file Windows-1252 or Latin-1? Say so in the mapping: encoding = windows-1252"
          : "the file is not in the encoding its mapping declares")
  }

  /// Whether the row's kind cell lists it under `skip` (for a row rejected before it is
  /// assembled: a skipped row is skipped whatever its shape).
  func skips(_ row: RowCollector) -> Bool {
    guard case .column(let index, _, let kindColumn) = kind, index < row.fieldCount,
      case .success(let cell) = row.string(index, encoding)
    else { return false }
    return kindColumn.decision(for: cell) == .skip
  }

  /// Turns the collected fields of the row starting on `line` into a record, a skip or
  /// a rejection.
  /// `pool`: where the record's array of values comes from (a new one without). `row` is
  /// lent in place (`inout`) and left as it is: a value read out of the reader's pointer
  /// for a call is copied, so passed by value the collector was copied (three buffers
  /// retained and released) for every row.
  /// `offset`: the byte offset of the row's first line (`Record.offset`).
  func assemble(
    _ row: inout RowCollector, line: Int, offset: Int = -1, pool: RecordValuesPool? = nil
  )
    -> RowOutcome
  {
    row.withArena { assemble(row, arena: $0, line: line, offset: offset, pool: pool) }
  }

  private func assemble(
    _ row: RowCollector, arena: UnsafeBufferPointer<UInt8>, line: Int, offset: Int,
    pool: RecordValuesPool?
  ) -> RowOutcome {
    let count = row.fieldCount
    var diagnostics: [Diagnostic] = []
    // A row of plain ASCII (most are) needs no decoding cell by cell.
    let ascii: Bool? = PlainASCII.holds(arena) ? true : nil

    // The kind first: a skipped row may have any shape.
    var kind = RecordKind.receipt
    switch self.kind {
    case .constant(let constant):
      kind = constant
    case .column(let index, let label, let kindColumn):
      if index < count {
        let bytes = row.field(index, in: arena)
        let plain = ascii ?? PlainASCII.holds(bytes)
        var decision: KindDecision?
        if plain {
          // Rows of one kind mostly come in runs: the last plain cell's decision is kept.
          if LastCells.same(lastKindCell, bytes) {
            decision = lastKindDecision
          } else {
            decision = kindColumn.decision(forPlain: bytes)
            lastKindCell = Array(bytes)
            lastKindDecision = decision
          }
        }
        var cell = ""
        if decision == nil {
          switch encoding.decode(bytes) {
          case .success(let text): cell = text
          case .failure(let invalid): return .rejected([invalidText(label, invalid, line: line)])
          }
          decision = kindColumn.decision(for: cell)
        }
        switch decision {
        case .skip?: return .skipped
        case .record(let found)?: kind = found
        case nil:
          let what = trimBlanks(cell).isEmpty ? "is empty" : "has \(quoted(trimBlanks(cell)))"
          diagnostics.append(
            problem(
              .unknownKind, "\(label) \(what), which the mapping does not list as a kind",
              line: line,
              hint: "the mapping lists \(kindColumn.expectedValuesText)"))
        }
      }
    }

    if let headerCount, count != headerCount {
      return .rejected([
        problem(
          .wrongFieldCount, "expected \(headerCount) fields as in the header, found \(count)",
          line: line,
          hint: "a field with the delimiter or a line break in it must be quoted")
      ])
    }
    if let exactFieldCount, count != exactFieldCount {
      return .rejected([
        problem(
          .wrongFieldCount, "expected \(exactFieldCount) fields, found \(count)", line: line,
          hint:
            "every row of this format has \(exactFieldCount) fields; a row cut short or run together with the next is rejected, not guessed"
        )
      ])
    }
    if count < minimumFieldCount {
      return .rejected([
        problem(
          .wrongFieldCount, "expected at least \(minimumFieldCount) fields, found \(count)",
          line: line)
      ])
    }

    var values = pool?.take() ?? [Value](repeating: .missing, count: template.count)
    for (field, value) in constants { values[field] = value }
    columns.withUnsafeBufferPointer { columns in
      values.withUnsafeMutableBufferPointer { values in
        for index in columns.indices {
          // Without a header, an optional column may lie beyond a short row.
          guard columns[index].index < count else { continue }
          let bytes = row.field(columns[index].index, in: arena)
          // The common case first, its value moved straight into place.
          let plain = ascii ?? PlainASCII.holds(bytes)
          if plain && columns[index].passedOver { continue }
          if plain,
            let value = lastCells.readPlain(index, bytes, currency: currency)
          {
            values[columns[index].field] = value
            continue
          }
          switch columns[index].parser.read(
            bytes, encoding: encoding, currency: currency, ascii: plain ? false : ascii)
          {
          case .value(let value): values[columns[index].field] = value
          case .invalidText(let invalid):
            diagnostics.append(invalidText(columns[index].label, invalid, line: line))
          case .problem(let cellProblem):
            diagnostics.append(
              problem(.badCell, "\(columns[index].label): \(cellProblem.message)", line: line))
          }
        }
      }
    }
    if !diagnostics.isEmpty { return .rejected(diagnostics) }
    if derivesName { NameParts.canonical?.derive(&values) }
    var record = Record(
      kind: kind, provenance: Provenance(filing: filing, line: line), values: values)
    record.unavailable = unavailable
    record.leftOut = leftOut
    record.offset = offset
    return .record(record)
  }
}

/// The fields `name` is derived from when it is empty (docs/formats.md, "The derived
/// `name`"): every reader gives its records the same derived name.
struct NameParts {
  let name: FieldID
  let organization: FieldID
  let last: FieldID
  let first: FieldID
  let middle: FieldID
  let suffix: FieldID

  static let canonical: NameParts? = {
    guard let name = CanonicalSchema.id(named: "name"),
      let organization = CanonicalSchema.id(named: "organization_name"),
      let last = CanonicalSchema.id(named: "last_name"),
      let first = CanonicalSchema.id(named: "first_name"),
      let middle = CanonicalSchema.id(named: "middle_name"),
      let suffix = CanonicalSchema.id(named: "suffix")
    else { return nil }
    return NameParts(
      name: name, organization: organization, last: last, first: first, middle: middle,
      suffix: suffix)
  }()

  /// When `name` is missing: the organisation name, else "LAST, FIRST MIDDLE SUFFIX"
  /// from the parts present.
  /// `name` is available when any field it is derived from is.
  func markDerived(_ available: inout FieldSet) {
    if [organization, last, first, middle, suffix].contains(where: available.contains) {
      available.insert(name)
    }
  }

  func derive(_ values: inout [Value]) {
    guard values[name].isMissing else { return }
    func text(_ field: FieldID) -> String? {
      if case .string(let s) = values[field], !s.isEmpty { return s }
      return nil
    }
    if let organization = text(organization) {
      values[name] = .string(organization)
      return
    }
    // "LAST, FIRST MIDDLE SUFFIX", its bytes written once into a string of their length
    // (appending part by part, from arrays of the parts, cost a .fec record some 2,500
    // instructions; this, 1,100). The parts are kept on the stack.
    let derived: String? = withUnsafeTemporaryAllocation(of: String?.self, capacity: 4) {
      parts in
      let base = parts.baseAddress!
      base.initialize(to: text(last))
      (base + 1).initialize(to: text(first))
      (base + 2).initialize(to: text(middle))
      (base + 3).initialize(to: text(suffix))
      defer { parts.deinitialize() }
      // Before each part: nothing (the first), ", " (the first given name after the last
      // name) or " ".
      func separator(_ index: Int, _ written: Int) -> StaticString {
        written == 0 ? "" : (index > 0 && parts[0] != nil && written == 1 ? ", " : " ")
      }
      var length = 0
      var written = 0
      for index in 0..<4 {
        guard let part = parts[index] else { continue }
        length += separator(index, written).utf8CodeUnitCount + part.utf8.count
        written += 1
      }
      guard length > 0 else { return nil }
      return String(unsafeUninitializedCapacity: length) { buffer in
        var at = 0
        var written = 0
        for index in 0..<4 where parts[index] != nil {
          let between = separator(index, written)
          for offset in 0..<between.utf8CodeUnitCount {
            buffer[at] = between.utf8Start[offset]
            at += 1
          }
          parts[index]!.withUTF8 { bytes in
            for byte in bytes {
              buffer[at] = byte
              at += 1
            }
          }
          written += 1
        }
        return at
      }
    }
    guard let derived else { return }
    values[name] = .string(derived)
  }

}
