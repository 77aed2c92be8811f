import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The findings of a run, held as bytes until the report is written.
///
/// A run keeps every finding until its report is written: the report lists them in input
/// order, then pack order, and the gate and the summary count them all. Held as `Finding`
/// values, a finding cost about 1.9 KB (a struct of some 290 bytes, a dozen strings and
/// arrays of its own, each an allocation with its header, and the array of findings
/// twice over while it grew and while it was sorted): a data-quality rule firing on most
/// rows of a bulk file needed gigabytes. Here each finding is encoded once, as it is
/// made, into chunks of bytes (texts as UTF-8, numbers as varints, values tagged), and
/// the texts findings share (rule ids, titles, citations, file names, field names, filer
/// ids and names) are kept once in a table and written as their number: a
/// few hundred bytes a finding. A finding is decoded when it is read, the same value it
/// was (`FindingStoreTests`).
///
/// The engine reads the three things it sorts and groups findings by (the record's
/// position, the rule's, the group's key) from a small entry per finding, without
/// decoding. A trail, attached after its finding is made (by the second read), is placed
/// apart and found from the entry (a trail replaced leaves its old bytes unused).
public struct FindingStore: Sendable {
  struct Entry: Sendable {
    var ordinal: Int
    var ruleIndex: Int32
    var keyValues: Int32
    var keyWindow: Int32
    var chunk: Int32
    var offset: Int32
    var hasKey: Bool
    var severity: FindingSeverity
    /// Where the finding's trail is, apart from it (chunk -1: it has none).
    var trailChunk: Int32 = -1
    var trailOffset: Int32 = 0

    var groupKey: GroupKey? {
      hasKey ? GroupKey(values: keyValues, window: keyWindow) : nil
    }
  }

  /// Bytes of a chunk: large enough that few are made, small enough that the last one's
  /// unused room is nothing next to the findings.
  static let chunkSize = 1 << 20

  var entries: [Entry] = []
  var chunks: [[UInt8]] = []
  /// The categories, a finding's written as its position here (by its name, each
  /// decoding compared texts).
  static let categories = FindingCategory.allCases

  /// Texts findings share, by number.
  var names: [String] = []
  var numbers: [NameKey: UInt32] = [:]

  /// A shared text as a key by its bytes. Swift compares and hashes `String`s by
  /// canonical equivalence: keyed by them, a file `café.csv` spelled with a combining
  /// accent and one spelled without were one name, and every finding came back with the
  /// spelling seen first (and the two files' findings with the same fingerprints).
  struct NameKey: Hashable, Sendable {
    let text: String

    static func == (a: NameKey, b: NameKey) -> Bool {
      var (a, b) = (a.text, b.text)
      return a.withUTF8 { a in
        b.withUTF8 { b in
          a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
      }
    }

    func hash(into hasher: inout Hasher) {
      var text = text
      text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
  }

  public init() {}

  public var count: Int { entries.count }
  public var indices: Range<Int> { entries.indices }

  func ordinal(at position: Int) -> Int { entries[position].ordinal }
  func ruleIndex(at position: Int) -> Int { Int(entries[position].ruleIndex) }
  func groupKey(at position: Int) -> GroupKey? { entries[position].groupKey }

  /// The finding at `position`, decoded.
  subscript(position: Int) -> Finding { decode(entries[position]) }

  mutating func append(_ finding: Finding) {
    entries.append(encode(finding))
  }

  mutating func append(contentsOf findings: some Sequence<Finding>) {
    for finding in findings { append(finding) }
  }

  /// Removes the findings `drop` says so of, told by their rule and group key alone.
  mutating func removeAll(where drop: (_ ruleIndex: Int, _ groupKey: GroupKey?) -> Bool) {
    entries.removeAll { drop(Int($0.ruleIndex), $0.groupKey) }
  }

  /// Removes the findings at `positions`.
  mutating func remove(at positions: Set<Int>) {
    guard !positions.isEmpty else { return }
    var kept: [Entry] = []
    kept.reserveCapacity(entries.count - positions.count)
    for position in entries.indices where !positions.contains(position) {
      kept.append(entries[position])
    }
    entries = kept
  }

  /// The first finding of rule `ruleIndex` that `matches` its record's position and group.
  func first(
    rule ruleIndex: Int, where matches: (_ ordinal: Int, _ groupKey: GroupKey?) -> Bool
  ) -> Finding? {
    entries.first { Int($0.ruleIndex) == ruleIndex && matches($0.ordinal, $0.groupKey) }
      .map { decode($0) }
  }

  /// The same findings in input order, then pack order (findings of one record and rule
  /// in the order they were made).
  func sortedByOrder() -> FindingStore {
    var sorted = self
    let order = entries.indices.sorted { a, b in
      let x = entries[a]
      let y = entries[b]
      return (x.ordinal, x.ruleIndex, a) < (y.ordinal, y.ruleIndex, b)
    }
    sorted.entries = order.map { entries[$0] }
    return sorted
  }

  /// Bytes held, entries included (for tests and measurements).
  var bytesHeld: Int {
    chunks.reduce(0) { $0 + $1.capacity } + entries.capacity * MemoryLayout<Entry>.stride
  }

  // MARK: Encoding

  private mutating func encode(_ finding: Finding) -> Entry {
    var out = FindingEncoder()
    out.bytes.reserveCapacity(512)
    out.name(finding.ruleID, &self)
    out.name(finding.title, &self)
    out.byte(UInt8(Self.categories.firstIndex(of: finding.category) ?? 0))
    out.name(finding.citation, &self)
    out.name(finding.file, &self)
    out.integer(finding.line)
    out.optionalText(finding.locator)
    out.optionalText(finding.transactionID)
    out.optionalName(finding.filerID, &self)
    out.optionalName(finding.filerName, &self)
    out.optionalName(finding.reportPeriod, &self)
    out.byte(finding.kind == .receipt ? 0 : 1)
    out.named(finding.group, &self)
    out.text(finding.message)
    out.optionalText(finding.remedy)
    out.named(finding.values, &self)
    out.count(finding.explanation.count)
    for line in finding.explanation {
      out.integer(line.depth)
      out.text(line.text)
      out.optionalValue(line.outcome)
    }
    out.optionalDate(finding.deadline)
    switch finding.remedyStatus {
    case nil: out.byte(0)
    case .uncured: out.byte(1)
    case .curedLate: out.byte(2)
    }
    out.count(finding.keyValues.count)
    for value in finding.keyValues { out.value(value) }
    out.value(finding.windowValue)
    let (chunk, offset) = place(out.bytes)
    let key = finding.groupKey
    var entry = Entry(
      ordinal: finding.ordinal, ruleIndex: Int32(truncatingIfNeeded: finding.ruleIndex),
      keyValues: key?.values ?? 0, keyWindow: key?.window ?? 0, chunk: Int32(chunk),
      offset: Int32(offset), hasKey: key != nil, severity: finding.severity)
    if !finding.trail.isEmpty { (entry.trailChunk, entry.trailOffset) = encode(finding.trail) }
    return entry
  }

  /// Attaches `trail` to the finding at `position` (replacing any it had), without
  /// encoding the finding again.
  mutating func setTrail(at position: Int, _ trail: [TrailEntry]) {
    (entries[position].trailChunk, entries[position].trailOffset) =
      trail.isEmpty ? (-1, 0) : encode(trail)
  }

  /// A trail's bytes, placed apart from its finding's (a trail is attached after the
  /// finding is made, by the second read).
  private mutating func encode(_ trail: [TrailEntry]) -> (chunk: Int32, offset: Int32) {
    var out = FindingEncoder()
    out.bytes.reserveCapacity(32 * trail.count + 8)
    out.count(trail.count)
    // The records of a trail are mostly of one file: its number looked up once.
    var file: (name: String, number: UInt32)?
    for entry in trail {
      // Told apart by bytes, as the table does (see `NameKey`).
      if file.map({ !$0.name.utf8.elementsEqual(entry.file.utf8) }) ?? true {
        file = (entry.file, number(of: entry.file))
      }
      out.unsigned(UInt64(file!.number))
      out.integer(entry.line)
      out.optionalText(entry.transactionID)
      out.optionalDate(entry.date)
      out.value(entry.amount)
      out.value(entry.running)
      out.byte(entry.raisedHere ? 1 : 0)
    }
    let (chunk, offset) = place(out.bytes)
    return (Int32(chunk), Int32(offset))
  }

  /// Copies a finding's bytes into the last chunk, or a new one when they do not fit.
  private mutating func place(_ bytes: [UInt8]) -> (chunk: Int, offset: Int) {
    if let last = chunks.indices.last,
      chunks[last].count + bytes.count <= Swift.max(chunks[last].capacity, Self.chunkSize)
    {
      let offset = chunks[last].count
      chunks[last].append(contentsOf: bytes)
      return (last, offset)
    }
    var chunk: [UInt8] = []
    chunk.reserveCapacity(Swift.max(Self.chunkSize, bytes.count))
    chunk.append(contentsOf: bytes)
    chunks.append(chunk)
    return (chunks.count - 1, 0)
  }

  /// The number of a shared text, given one when first seen.
  mutating func number(of name: String) -> UInt32 {
    let key = NameKey(text: name)
    if let number = numbers[key] { return number }
    let number = UInt32(names.count)
    names.append(name)
    numbers[key] = number
    return number
  }

  // MARK: Decoding

  /// The trail of `entry`'s finding, empty when it has none.
  private func trail(_ entry: Entry) -> [TrailEntry] {
    guard entry.trailChunk >= 0 else { return [] }
    return chunks[Int(entry.trailChunk)].withUnsafeBufferPointer { buffer in
      var input = FindingDecoder(bytes: buffer, at: Int(entry.trailOffset), names: names)
      var trail: [TrailEntry] = []
      let count = input.integer()
      trail.reserveCapacity(count)
      for _ in 0..<count {
        let file = input.name()
        let line = input.integer()
        let transactionID = input.optionalText()
        let date = input.optionalDate()
        let amount = input.value()
        let running = input.value()
        trail.append(
          TrailEntry(
            file: file, line: line, transactionID: transactionID, date: date, amount: amount,
            running: running, raisedHere: input.byte() == 1))
      }
      return trail
    }
  }

  /// A finding's rule id and file, read from the start of its bytes without decoding
  /// the rest (`encode` writes them first, but for the title, category and citation).
  func ruleAndFile(at position: Int) -> (ruleID: String, file: String) {
    let entry = entries[position]
    return chunks[Int(entry.chunk)].withUnsafeBufferPointer { buffer in
      var input = FindingDecoder(bytes: buffer, at: Int(entry.offset), names: names)
      let ruleID = input.name()
      _ = input.unsigned()  // the title
      _ = input.byte()  // the category
      _ = input.unsigned()  // the citation
      return (ruleID, input.name())
    }
  }

  /// The finding of `entry`; with `whole` false, only what identifies it (its rule, its
  /// record, its group: what `encode` writes first), its texts and lists left empty.
  func decode(_ entry: Entry, whole: Bool = true) -> Finding {
    chunks[Int(entry.chunk)].withUnsafeBufferPointer { buffer in
      var input = FindingDecoder(bytes: buffer, at: Int(entry.offset), names: names)
      let ruleID = input.name()
      let title = input.name()
      let category = Self.categories[Int(input.byte())]
      let citation = input.name()
      let file = input.name()
      let line = input.integer()
      let locator = input.optionalText()
      let transactionID = input.optionalText()
      let filerID = input.optionalName()
      let filerName = input.optionalName()
      let reportPeriod = input.optionalName()
      let kind: RecordKind = input.byte() == 0 ? .receipt : .disbursement
      let group = input.named()
      guard whole else {
        return Finding(
          ruleID: ruleID, title: title, severity: entry.severity, category: category,
          citation: citation, file: file, line: line, locator: locator,
          transactionID: transactionID, filerID: filerID, filerName: filerName,
          reportPeriod: reportPeriod, kind: kind,
          message: "", remedy: nil, values: [], explanation: [], group: group, trail: [],
          deadline: nil, remedyStatus: nil, groupKey: entry.groupKey, ordinal: entry.ordinal,
          ruleIndex: Int(entry.ruleIndex))
      }
      let message = input.text()
      let remedy = input.optionalText()
      let values = input.named()
      var explanation: [ExplanationLine] = []
      let lines = input.integer()
      explanation.reserveCapacity(lines)
      for _ in 0..<lines {
        let depth = input.integer()
        let text = input.text()
        explanation.append(
          ExplanationLine(depth: depth, text: text, outcome: input.optionalValue()))
      }
      let deadline = input.optionalDate()
      let status: RemedyStatus? =
        switch input.byte() {
        case 1: .uncured
        case 2: .curedLate
        default: nil
        }
      var keyValues: [Value] = []
      let keyCount = input.integer()
      keyValues.reserveCapacity(keyCount)
      for _ in 0..<keyCount { keyValues.append(input.value()) }
      let windowValue = input.value()
      return Finding(
        ruleID: ruleID, title: title, severity: entry.severity, category: category,
        citation: citation, file: file, line: line, locator: locator,
        transactionID: transactionID, filerID: filerID, filerName: filerName,
        reportPeriod: reportPeriod, kind: kind,
        message: message, remedy: remedy, values: values, explanation: explanation,
        group: group, trail: trail(entry), deadline: deadline, remedyStatus: status,
        groupKey: entry.groupKey, ordinal: entry.ordinal, ruleIndex: Int(entry.ruleIndex),
        keyValues: keyValues, windowValue: windowValue)
    }
  }
}

/// Writes a finding's parts as bytes (see `FindingStore`). Numbers are LEB128 varints,
/// signed ones zigzagged; a text is its UTF-8 length, then its bytes; a shared text is
/// its number in the store's table; a value is a tag byte, then its payload.
struct FindingEncoder {
  var bytes: [UInt8] = []

  mutating func byte(_ byte: UInt8) { bytes.append(byte) }

  mutating func unsigned(_ number: UInt64) {
    var number = number
    while number >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: number) | 0x80)
      number >>= 7
    }
    bytes.append(UInt8(number))
  }

  mutating func integer(_ number: Int) { signed(Int64(number)) }

  mutating func signed(_ number: Int64) {
    unsigned(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
  }

  mutating func count(_ count: Int) { integer(count) }

  mutating func text(_ text: String) {
    var text = text
    text.withUTF8 { utf8 in
      unsigned(UInt64(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  /// A text that may be absent: 0, or its length plus one, then its bytes.
  mutating func optionalText(_ text: String?) {
    guard var text else { return byte(0) }
    text.withUTF8 { utf8 in
      unsigned(UInt64(utf8.count) + 1)
      bytes.append(contentsOf: utf8)
    }
  }

  mutating func name(_ name: String, _ store: inout FindingStore) {
    unsigned(UInt64(store.number(of: name)))
  }

  mutating func optionalName(_ name: String?, _ store: inout FindingStore) {
    guard let name else { return byte(0) }
    unsigned(UInt64(store.number(of: name)) + 1)
  }

  mutating func named(_ list: [(name: String, value: Value)], _ store: inout FindingStore) {
    count(list.count)
    for (name, value) in list {
      self.name(name, &store)
      self.value(value)
    }
  }

  mutating func optionalDate(_ date: CivilDate?) {
    guard let date else { return byte(0) }
    unsigned(UInt64(date.bits) + 1)
  }

  /// Tags: 0 missing, 1 false, 2 true, 3 integer, 4 money, 5 date, 6 text, 7 list; 8 for
  /// no value at all (an optional's nil).
  mutating func value(_ value: Value) {
    switch value {
    case .missing: byte(0)
    case .boolean(let b): byte(b ? 2 : 1)
    case .integer(let i):
      byte(3)
      signed(i)
    case .money(let money):
      byte(4)
      signed(money.minorUnits)
      unsigned(UInt64(money.currency.bits))
    case .date(let date):
      byte(5)
      unsigned(UInt64(date.bits))
    case .string(let s):
      byte(6)
      text(s)
    case .list(let list):
      byte(7)
      count(list.count)
      for element in list { self.value(element) }
    }
  }

  mutating func optionalValue(_ value: Value?) {
    guard let value else { return byte(8) }
    self.value(value)
  }
}

/// Reads what `FindingEncoder` wrote, in the same order.
struct FindingDecoder {
  let bytes: UnsafeBufferPointer<UInt8>
  var at: Int
  let names: [String]

  mutating func byte() -> UInt8 {
    defer { at += 1 }
    return bytes[at]
  }

  mutating func unsigned() -> UInt64 {
    var number: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let next = byte()
      number |= UInt64(next & 0x7F) << shift
      if next < 0x80 { return number }
      shift += 7
    }
  }

  mutating func signed() -> Int64 {
    let raw = unsigned()
    return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
  }

  mutating func integer() -> Int { Int(signed()) }

  private mutating func utf8(_ length: Int) -> String {
    defer { at += length }
    return String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + length]), as: UTF8.self)
  }

  mutating func text() -> String { utf8(Int(unsigned())) }

  mutating func optionalText() -> String? {
    let length = unsigned()
    return length == 0 ? nil : utf8(Int(length - 1))
  }

  mutating func name() -> String { names[Int(unsigned())] }

  mutating func optionalName() -> String? {
    let number = unsigned()
    return number == 0 ? nil : names[Int(number - 1)]
  }

  mutating func named() -> [(name: String, value: Value)] {
    let count = integer()
    var list: [(name: String, value: Value)] = []
    list.reserveCapacity(count)
    for _ in 0..<count {
      let name = self.name()
      list.append((name, value()))
    }
    return list
  }

  mutating func optionalDate() -> CivilDate? {
    let bits = unsigned()
    return bits == 0 ? nil : CivilDate(bits: UInt32(truncatingIfNeeded: bits - 1))
  }

  mutating func value() -> Value {
    value(tag: byte())
  }

  mutating func optionalValue() -> Value? {
    let tag = byte()
    return tag == 8 ? nil : value(tag: tag)
  }

  private mutating func value(tag: UInt8) -> Value {
    switch tag {
    case 1: return .boolean(false)
    case 2: return .boolean(true)
    case 3: return .integer(signed())
    case 4:
      let minorUnits = signed()
      let currency = Currency(bits: UInt32(truncatingIfNeeded: unsigned())) ?? .usd
      return .money(Money(minorUnits: minorUnits, currency: currency))
    case 5:
      return CivilDate(bits: UInt32(truncatingIfNeeded: unsigned())).map { .date($0) } ?? .missing
    case 6: return .string(text())
    case 7:
      let count = integer()
      var list: [Value] = []
      list.reserveCapacity(count)
      for _ in 0..<count { list.append(value()) }
      return .list(list)
    default: return .missing
    }
  }
}

/// The findings of a report, in input order then pack order: read from the run's
/// `FindingStore`, each decoded where it is read.
public struct Findings: RandomAccessCollection, Sendable {
  let store: FindingStore

  init(_ store: FindingStore) { self.store = store }

  public var startIndex: Int { 0 }
  public var endIndex: Int { store.count }
  public subscript(position: Int) -> Finding { store[position] }

  /// A finding's severity, read without decoding it.
  public func severity(at position: Int) -> FindingSeverity {
    store.entries[position].severity
  }

  /// What identifies the finding at `position`: its rule (id, title, severity, category,
  /// citation), its record (file, line, locator, transaction id, filer, kind) and its
  /// group's values; its message, remedy, values, explanation and trail are left empty.
  /// What a fingerprint reads, decoded at a fraction of the cost of the whole finding.
  public func identity(at position: Int) -> Finding {
    store.decode(store.entries[position], whole: false)
  }

  /// A finding's rule id and file, read without decoding the rest of it.
  public func ruleAndFile(at position: Int) -> (ruleID: String, file: String) {
    store.ruleAndFile(at: position)
  }

  /// Calls `body` with each finding of `range` (all, by default) and its index.
  public func forEachInPlace(
    in range: Range<Int>? = nil, _ body: (borrowing Finding, Int) throws -> Void
  ) rethrows {
    for index in range ?? indices { try body(store[index], index) }
  }

  /// Bytes the findings hold (for tests and measurements).
  public var bytesHeld: Int { store.bytesHeld }
}
