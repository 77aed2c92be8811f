import ProbityCore

/// What became of one cell read from its bytes.
enum CellReading {
  case value(Value)
  /// A byte that is not a character of the file's encoding (or a NUL).
  case invalidText(TextEncoding.InvalidBytes)
  /// The cell is text, but not what its parser reads.
  case problem(CellProblem)
}

extension CellParser {
  /// Reads a cell from its bytes in `encoding`: exactly what decoding the bytes
  /// (`TextEncoding.decode`) and parsing the text (`parse(_:currency:)`) give, values and
  /// messages alike.
  ///
  /// A cell of plain ASCII (`ascii`, when the caller knows it: see `PlainASCII`) is read
  /// straight from its bytes when it has the common shape (`1234.50`, `2024-03-01`,
  /// `20240301`, `42`, `yes`); anything else, and every problem, goes the way of the text,
  /// so that what is accepted and what is said about a bad cell never depend on the
  /// path. `ascii: false` skips the plain path (for a cell whose `readPlain` gave nil).
  /// An amount written with its currency's symbol in the file's encoding (`£50,000.00`)
  /// is read from its bytes too (`readSymbolMoney`).
  func read(
    _ bytes: UnsafeBufferPointer<UInt8>, encoding: TextEncoding, currency: Currency,
    ascii: Bool? = nil
  ) -> CellReading {
    let plain = ascii ?? PlainASCII.holds(bytes)
    if plain, let value = readPlain(bytes, currency: currency) {
      return .value(value)
    }
    if !plain, let value = readSymbolMoney(bytes, encoding: encoding, currency: currency) {
      return .value(value)
    }
    switch encoding.decode(bytes) {
    case .failure(let invalid): return .invalidText(invalid)
    case .success(let text):
      switch parse(text, currency: currency) {
      case .success(let value): return .value(value)
      case .failure(let problem): return .problem(problem)
      }
    }
  }

  /// A cell's text known to be UTF-8 (as libxml2 gives every XML document, whatever its
  /// encoding) read from its bytes where it has a common shape, else parsed as text:
  /// the same values and messages as `parse(_:currency:)`, without a `String` made at
  /// each step.
  func parse(utf8 text: String, currency: Currency) -> Result<Value, CellProblem> {
    var text = text
    switch text.withUTF8({ read($0, encoding: .utf8, currency: currency) }) {
    case .value(let value): return .success(value)
    case .problem(let problem): return .failure(problem)
    // A NUL (which libxml2 never gives): the text's way.
    case .invalidText: return parse(text, currency: currency)
    }
  }

  /// A money cell of plain ASCII but for the symbol of `currency` (`£`, `€`) as
  /// `encoding` writes it, where `MoneyParser` takes a symbol: its amount, or nil when
  /// the cell must be read as text.
  func readSymbolMoney(
    _ cell: UnsafeBufferPointer<UInt8>, encoding: TextEncoding, currency: Currency
  ) -> Value? {
    switch self {
    case .money, .accountingMoney: break
    default: return nil
    }
    guard let symbol = PlainASCII.symbol(of: currency, in: encoding) else { return nil }
    let bytes = PlainASCII.trimmed(cell)
    // The first byte that is not plain ASCII starts the symbol; every byte after it is
    // plain ASCII.
    var at = 0
    while at < bytes.count && bytes[at] != 0 && bytes[at] < 0x80 { at += 1 }
    let after = at + symbol.count
    guard after <= bytes.count, bytes[at..<after].elementsEqual(symbol),
      PlainASCII.holds(UnsafeBufferPointer(rebasing: bytes[after...]))
    else { return nil }
    return PlainASCII.money(bytes, currency: currency, symbol: at..<after).map(Value.money)
  }

  /// The value of a cell of plain ASCII (no NUL, no byte over 0x7F) in its common
  /// shapes; nil when the cell must be read as text (`parse(_:currency:)`), which is
  /// also the way every problem is told.
  func readPlain(_ cell: UnsafeBufferPointer<UInt8>, currency: Currency) -> Value? {
    let bytes = PlainASCII.trimmed(cell)
    if bytes.isEmpty {
      if case .flag = self { return .boolean(false) }
      return .missing
    }
    switch self {
    case .text(nil):
      return .string(String(decoding: bytes, as: UTF8.self))
    case .text(.upper?):
      return .string(PlainASCII.uppercased(bytes))
    case .text(.lower?):
      return .string(PlainASCII.lowercased(bytes))
    case .money, .accountingMoney:
      // A dash alone (an accounting zero) is never an amount: it goes the way of text.
      return PlainASCII.money(bytes, currency: currency).map(Value.money)
    case .date(let format):
      return PlainASCII.date(bytes, format).map(Value.date)
    case .integer:
      return PlainASCII.integer(bytes).map(Value.integer)
    case .boolean:
      switch PlainASCII.lowercased(bytes) {
      case "true", "yes", "y", "t", "1": return .boolean(true)
      case "false", "no", "n", "f", "0": return .boolean(false)
      default: return nil
      }
    case .flag(let values):
      let key = PlainASCII.lowercased(bytes)
      if values.normalized.contains(key) { return .boolean(true) }
      if values.falseNormalized.contains(key) { return .boolean(false) }
      return nil
    }
  }
}

/// Cells of plain ASCII: bytes 0x01 to 0x7F, the same text in every `TextEncoding` and
/// never an invalid byte. Most cells of most filings are; they are read from their bytes.
enum PlainASCII {
  static let highBits = ByteWord.highBits

  /// Whether every byte is 0x01 to 0x7F: eight at a time.
  static func holds(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    let count = bytes.count
    var index = 0
    while index + 8 <= count {
      let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
      // A byte over 0x7F, or a zero byte.
      if word & highBits != 0 || ByteWord.hasZero(word) { return false }
      index += 8
    }
    while index < count {
      let byte = base[index]
      if byte == 0 || byte >= 0x80 { return false }
      index += 1
    }
    return true
  }

  /// Space, tab, CR, LF: what `trimBlanks` trims.
  @inline(__always)
  static func isBlank(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
  }

  /// The bytes without leading and trailing blanks, as `trimBlanks`.
  static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var start = 0
    var end = bytes.count
    while start < end && isBlank(bytes[start]) { start += 1 }
    while end > start && isBlank(bytes[end - 1]) { end -= 1 }
    if start == 0 && end == bytes.count { return bytes }
    return UnsafeBufferPointer(rebasing: bytes[start..<end])
  }

  /// The text of ASCII bytes in lower case: what `lowercased()` gives for them.
  static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    mapped(bytes) { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
  }

  /// The text of ASCII bytes in upper case: what `uppercased()` gives for them.
  static func uppercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    mapped(bytes) { $0 >= 0x61 && $0 <= 0x7A ? $0 & 0xDF : $0 }
  }

  private static func mapped(
    _ bytes: UnsafeBufferPointer<UInt8>, _ transform: (UInt8) -> UInt8
  ) -> String {
    String(unsafeUninitializedCapacity: bytes.count) { buffer in
      for (index, byte) in bytes.enumerated() { buffer[index] = transform(byte) }
      return bytes.count
    }
  }

  @inline(__always)
  static func digit(_ byte: UInt8) -> Int64? {
    byte >= 0x30 && byte <= 0x39 ? Int64(byte &- 0x30) : nil
  }

  /// The bytes of the currency's symbol, where it is not ASCII, in `encoding`: `£` and
  /// `€` (the other symbol `Currency.forSymbol` knows is `$`). For `detect`, the UTF-8
  /// form.
  static func symbol(of currency: Currency, in encoding: TextEncoding) -> [UInt8]? {
    switch (currency.symbol, encoding) {
    case ("£"?, .utf8), ("£"?, .detect): return poundUTF8
    case ("£"?, .windows1252), ("£"?, .latin1): return [0xA3]
    case ("€"?, .utf8), ("€"?, .detect): return euroUTF8
    case ("€"?, .windows1252): return [0x80]
    default: return nil
    }
  }

  static let poundUTF8 = Array("£".utf8)
  static let euroUTF8 = Array("€".utf8)

  /// `MoneyParser.parse` for a cell of ASCII without blanks around it, when it gives an
  /// amount; nil when it gives an error (or might: the text path then says which). The
  /// bytes at `symbol`, when given, are the currency's own symbol (`£`, `€`), which is
  /// read where `MoneyParser` reads a symbol and nowhere else.
  static func money(
    _ bytes: UnsafeBufferPointer<UInt8>, currency: Currency, symbol: Range<Int>? = nil
  ) -> Money? {
    var start = 0
    var end = bytes.count
    // One sign at most, as `MoneyParser` reads them (two: nil, and the text path says so).
    var negative = false
    var signed = false
    if end - start >= 2 && bytes[start] == UInt8(ascii: "(") && bytes[end - 1] == UInt8(ascii: ")")
    {
      negative = true
      signed = true
      start += 1
      end -= 1
    }
    func sign() -> Bool? {
      guard start < end else { return nil }
      if bytes[start] == UInt8(ascii: "-") { return true }
      if bytes[start] == UInt8(ascii: "+") { return false }
      return nil
    }
    if let minus = sign() {
      if signed { return nil }
      negative = minus
      signed = true
      start += 1
    }
    if let symbol, symbol.lowerBound == start, symbol.upperBound <= end {
      start = symbol.upperBound
    } else if start < end && bytes[start] == UInt8(ascii: "$") {
      guard currency == .usd else { return nil }
      start += 1
    }
    if let minus = sign() {
      if signed { return nil }
      negative = minus
      start += 1
    }
    guard start < end else { return nil }
    // The integer part runs to the one point, if there is one.
    var point = end
    for index in start..<end where bytes[index] == UInt8(ascii: ".") {
      guard point == end else { return nil }  // a second point
      point = index
    }
    if point == start && point + 1 >= end { return nil }  // neither part has a digit
    var units: Int64 = 0
    var groupLength = 0
    var sawComma = false
    for index in start..<point {
      let byte = bytes[index]
      if byte == UInt8(ascii: ",") {
        // The first group has 1 to 3 digits, every other exactly 3.
        guard sawComma ? groupLength == 3 : (1...3).contains(groupLength) else { return nil }
        sawComma = true
        groupLength = 0
        continue
      }
      guard let digit = digit(byte) else { return nil }
      groupLength += 1
      let (times10, o1) = units.multipliedReportingOverflow(by: 10)
      let (next, o2) = times10.addingReportingOverflow(digit)
      if o1 || o2 { return nil }
      units = next
    }
    if sawComma && groupLength != 3 { return nil }
    var cents: Int64 = 0
    if point < end {
      for index in (point + 1)..<end {
        guard let digit = digit(bytes[index]) else { return nil }
        switch index - point {
        case 1: cents += digit * 10
        case 2: cents += digit
        default: if digit != 0 { return nil }
        }
      }
    }
    let (scaled, o1) = units.multipliedReportingOverflow(by: Money.scale)
    let (total, o2) = scaled.addingReportingOverflow(cents)
    if o1 || o2 { return nil }
    return Money(minorUnits: negative ? -total : total, currency: currency)
  }

  /// The number written by `count` ASCII digits from `start`, or nil.
  @inline(__always)
  static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
    var value = 0
    for index in start..<(start + count) {
      guard let digit = digit(bytes[index]) else { return nil }
      value = value * 10 + Int(digit)
    }
    return value
  }

  /// `DateFormat.parse` for a cell of ASCII without blanks around it, when it gives a
  /// date; nil otherwise.
  static func date(_ bytes: UnsafeBufferPointer<UInt8>, _ format: DateFormat) -> CivilDate? {
    let count = bytes.count
    let (y, m, d): (Int?, Int?, Int?)
    switch format {
    case .isoDate:
      guard count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
        return nil
      }
      (y, m, d) = (number(bytes, 0, 4), number(bytes, 5, 2), number(bytes, 8, 2))
    case .compact:
      guard count == 8 else { return nil }
      (y, m, d) = (number(bytes, 0, 4), number(bytes, 4, 2), number(bytes, 6, 2))
    case .usCompact:
      guard count == 8 else { return nil }
      (y, m, d) = (number(bytes, 4, 4), number(bytes, 0, 2), number(bytes, 2, 2))
    case .usSlashes, .ukSlashes:
      // 1 or 2 digits, a slash, 1 or 2 digits, a slash, 4 digits.
      guard count >= 8, count <= 10, bytes[count - 5] == UInt8(ascii: "/") else { return nil }
      guard let slash = (1...2).first(where: { bytes[$0] == UInt8(ascii: "/") }),
        count - 5 - slash - 1 >= 1, count - 5 - slash - 1 <= 2
      else { return nil }
      let first = number(bytes, 0, slash)
      let second = number(bytes, slash + 1, count - 5 - slash - 1)
      let year = number(bytes, count - 4, 4)
      (y, m, d) = format == .usSlashes ? (year, first, second) : (year, second, first)
    }
    // A year outside `filingYears` is told by the text's way.
    guard let y, let m, let d, CellParser.filingYears.contains(y) else { return nil }
    return CivilDate(year: y, month: m, day: d)
  }

  /// `Int64(text)` for a cell of ASCII without blanks around it: a sign and up to 18
  /// digits (never too large); nil otherwise.
  static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    var start = 0
    var negative = false
    if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
      negative = first == UInt8(ascii: "-")
      start = 1
    }
    guard start < bytes.count, bytes.count - start <= 18 else { return nil }
    var value: Int64 = 0
    for index in start..<bytes.count {
      guard let digit = digit(bytes[index]) else { return nil }
      value = value * 10 + digit
    }
    return negative ? -value : value
  }
}

/// Finding line breaks and separators in bytes, eight at a time.
enum ByteScan {
  /// Whether some byte of `word` is zero.
  @inline(__always)
  static func hasZero(_ word: UInt64) -> Bool { ByteWord.hasZero(word) }

  /// The offset of the first CR or LF at or after `start`, or `bytes.count`.
  static func lineBreak(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    let count = bytes.count
    var index = start
    if let base = bytes.baseAddress {
      let raw = UnsafeRawPointer(base)
      let crs: UInt64 = 0x0D0D_0D0D_0D0D_0D0D
      let lfs: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
      while index + 8 <= count {
        let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        if hasZero(word ^ crs) || hasZero(word ^ lfs) { break }
        index += 8
      }
    }
    while index < count && bytes[index] != 0x0A && bytes[index] != 0x0D { index += 1 }
    return index
  }

  /// The offset of the first `byte` at or after `start`, or `bytes.count`.
  static func first(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    let count = bytes.count
    var index = start
    if let base = bytes.baseAddress {
      let raw = UnsafeRawPointer(base)
      let pattern = UInt64(byte) &* ByteWord.lowBits
      while index + 8 <= count {
        if hasZero(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ pattern) { break }
        index += 8
      }
    }
    while index < count && bytes[index] != byte { index += 1 }
    return index
  }
}

/// The last plain cell read in each column of a plan, with its value.
///
/// Many columns repeat from one row to the next: the filer, the form type, the entity
/// type, the employer or the state of a run of rows. A cell with the bytes of its
/// column's last one is given the value already made (for text, the same String)
/// instead of being read again. The value is what `CellParser.readPlain` gives for those
/// bytes, so what is read never depends on it. A column whose cells seldom repeat (a
/// transaction id, a name) is not remembered for a while, then tried again.
final class LastCells {
  private struct Slot {
    /// The column's parser, kept here to be read in place (see `read`).
    let parser: CellParser
    var bytes: [UInt8] = []
    var value: Value = .missing
    /// Whether `bytes` and `value` are a cell's.
    var holds = false
    /// Cells looked at and cells that repeated, since the column was last judged.
    var looked: UInt16 = 0
    var repeated: UInt16 = 0
    /// Cells still to read without looking (a column that seldom repeats).
    var resting: Int32 = 0

    /// The parser's value of `cell`. Mutating, though it changes nothing, so that the
    /// parser is read where it is: read out of the slot (or passed in from the plan's
    /// columns) it was copied for every cell, a flag's lists of values retained and
    /// released.
    mutating func read(_ cell: UnsafeBufferPointer<UInt8>, currency: Currency) -> Value? {
      parser.readPlain(cell, currency: currency)
    }
  }

  /// Cells a column is judged on, the repeats it needs to stay remembered, and the cells
  /// it then rests for.
  static let judgedOn: UInt16 = 256
  static let repeatsNeeded: UInt16 = 64
  static let rest: Int32 = 1 << 16

  @exclusivity(unchecked) private var slots: [Slot]
  /// The cells a column rests for (`rest`, but for tests).
  private let restLength: Int32

  /// `parsers`: the parser of each column, by column.
  init(parsers: [CellParser], rest: Int32 = LastCells.rest) {
    slots = parsers.map { Slot(parser: $0) }
    restLength = rest
  }

  /// The value of the plain ASCII `cell` of column `column`: its parser's `readPlain`'s.
  func readPlain(_ column: Int, _ cell: UnsafeBufferPointer<UInt8>, currency: Currency) -> Value? {
    slots.withUnsafeMutableBufferPointer { slots in
      if slots[column].resting > 0 {
        slots[column].resting -= 1
        return slots[column].read(cell, currency: currency)
      }
      slots[column].looked &+= 1
      defer { judge(&slots[column]) }
      if slots[column].holds && LastCells.same(slots[column].bytes, cell) {
        slots[column].repeated &+= 1
        return slots[column].value
      }
      guard let value = slots[column].read(cell, currency: currency) else {
        slots[column].holds = false
        return nil
      }
      slots[column].bytes.removeAll(keepingCapacity: true)
      slots[column].bytes.append(contentsOf: cell)
      slots[column].value = value
      slots[column].holds = true
      return value
    }
  }

  private func judge(_ slot: inout Slot) {
    guard slot.looked >= LastCells.judgedOn else { return }
    if slot.repeated < LastCells.repeatsNeeded {
      slot.resting = restLength
      slot.holds = false
      slot.value = .missing
    }
    slot.looked = 0
    slot.repeated = 0
  }

  /// Whether a cell's bytes are those kept, eight at a time (the generic
  /// `elementsEqual` of a buffer and an array cost some 175 instructions for a short
  /// cell).
  static func same(_ kept: [UInt8], _ cell: UnsafeBufferPointer<UInt8>) -> Bool {
    guard kept.count == cell.count else { return false }
    return kept.withUnsafeBufferPointer { kept in
      guard let a = kept.baseAddress, let b = cell.baseAddress else { return true }
      var index = 0
      let count = cell.count
      while index + 8 <= count {
        if UnsafeRawPointer(a).loadUnaligned(fromByteOffset: index, as: UInt64.self)
          != UnsafeRawPointer(b).loadUnaligned(fromByteOffset: index, as: UInt64.self)
        {
          return false
        }
        index += 8
      }
      while index < count {
        if a[index] != b[index] { return false }
        index += 1
      }
      return true
    }
  }
}
