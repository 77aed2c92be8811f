import ProbityCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads an FEC electronic filing (`.fec`), versions 1 to 8.5 (docs/formats.md, "FEC
/// electronic filings").
///
/// The header (an HDR record, or the `/* Header` … `/* End Header` block of versions 1
/// and 2) gives the version, which picks every record's column layout from the tables
/// generated from FastFEC's (`FECLayoutTable`); an unknown version stops the read.
/// Schedule A records become receipts and schedule B records disbursements; the cover
/// record (the first form after the header) gives every record its filer, report form,
/// amendment flag, report type, period and, where the form tells it, committee type.
/// Every other record (schedules C, D, E, TEXT, ...) and every F99 `[BEGINTEXT]` block
/// is counted by type in `ReadStatistics.recordTypes` and as a skipped row. A record
/// type the version does not have, or a record that cannot be read, is rejected.
public struct FECReader: Sendable {
  public let path: String
  /// The longest field and line (`ReaderLimits`).
  public let limits: ReaderLimits

  public init(path: String, limits: ReaderLimits = .default) {
    self.path = path
    self.limits = limits
  }

  /// `lines`: nil, or the lines of the records wanted: lines after the cover record that
  /// are not wanted are passed over (a text block is still followed, to know where it
  /// ends), and reading stops after the last one wanted (see `FilingReader.read`). With
  /// the lines' offsets, reading goes straight from one wanted line to the next.
  ///
  /// `fields`: the fields the run reads (nil: all). Plain text cells of the others are
  /// passed over and their fields left missing (`FieldProjection`).
  public func read(
    lines: LineSelection? = nil, pool: RecordValuesPool? = nil, fields: FieldSet? = nil,
    onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    let session = try FECSession(path: path, limits: limits)
    session.wanted = lines?.lines
    session.pool = pool
    session.fields = fields
    let last = lines.map { $0.lines.max() ?? 0 }
    // The wanted lines with their offsets, when all are known and the file seeks.
    let jumps: [(line: Int, offset: Int)] =
      if let lines, !lines.offsets.isEmpty, session.lines.seekable {
        lines.sorted.map { ($0.line, $0.offset!) }
      } else { [] }
    var nextJump = 0
    do throws(FilingError) {
      try session.readHeader()
      while true {
        if !jumps.isEmpty && !session.coverPending {
          // Straight to the next wanted line when lines lie before it.
          let current = session.lines.lineNumber
          while nextJump < jumps.count && jumps[nextJump].line <= current { nextJump += 1 }
          if nextJump < jumps.count && jumps[nextJump].line > current + 1 {
            try session.lines.jump(
              to: jumps[nextJump].offset, lineNumber: jumps[nextJump].line)
            // A wanted line is a record's: never inside a text block.
            session.inText = false
          }
        }
        guard try session.lines.next() else { break }
        if let last, session.lines.lineNumber > last && !session.coverPending { break }
        session.line(onRecord: onRecord, onProblem: onProblem)
        // (The record held back, if any, is handed on in the `catch`.)
        if let stop = session.stop { throw stop }
      }
      session.releaseHeld(onRecord: onRecord)
      // Only a whole read can tell that lines are missing.
      if lines == nil { try session.checkComplete() }
    } catch {
      session.releaseHeld(onRecord: onRecord)
      throw error.after(session.statistics)
    }
    return session.statistics
  }
}

/// The canonical fields a .fec column feeds, by column name (the names are the same in
/// every version that has the column).
enum FECColumns {
  enum Target {
    case field(String, Parse)
    /// `LAST^FIRST MIDDLE^PREFIX^SUFFIX` (versions before 6).
    case combinedName
  }

  enum Parse {
    case text
    case money
    case date
    case memoFlag
  }

  static let targets: [String: Target] = [
    "form_type": .field("form_type", .text),
    "filer_committee_id_number": .field("filer_id", .text),
    "transaction_id": .field("transaction_id", .text),
    "transaction_id_number": .field("transaction_id", .text),
    "back_reference_tran_id_number": .field("back_reference", .text),
    "entity_type": .field("entity_type", .text),
    "contributor_name": .combinedName,
    "payee_name": .combinedName,
    "contributor_organization_name": .field("organization_name", .text),
    "payee_organization_name": .field("organization_name", .text),
    "contributor_last_name": .field("last_name", .text),
    "payee_last_name": .field("last_name", .text),
    "contributor_first_name": .field("first_name", .text),
    "payee_first_name": .field("first_name", .text),
    "contributor_middle_name": .field("middle_name", .text),
    "payee_middle_name": .field("middle_name", .text),
    "contributor_prefix": .field("prefix", .text),
    "payee_prefix": .field("prefix", .text),
    "contributor_suffix": .field("suffix", .text),
    "payee_suffix": .field("suffix", .text),
    "contributor_street_1": .field("street1", .text),
    "payee_street_1": .field("street1", .text),
    "contributor_street_2": .field("street2", .text),
    "payee_street_2": .field("street2", .text),
    "contributor_city": .field("city", .text),
    "payee_city": .field("city", .text),
    "contributor_state": .field("state", .text),
    "payee_state": .field("state", .text),
    "contributor_zip_code": .field("zip", .text),
    "payee_zip_code": .field("zip", .text),
    "contributor_employer": .field("employer", .text),
    "contributor_occupation": .field("occupation", .text),
    "contribution_date": .field("date", .date),
    "expenditure_date": .field("date", .date),
    "contribution_amount": .field("amount", .money),
    "expenditure_amount": .field("amount", .money),
    "contribution_aggregate": .field("aggregate", .money),
    "election_code": .field("election_code", .text),
    "election_other_description": .field("election_other_description", .text),
    "donor_committee_fec_id": .field("donor_committee_id", .text),
    "memo_code": .field("memo", .memoFlag),
    "memo_text_description": .field("memo_text", .text),
    "expenditure_purpose_descrip": .field("purpose", .text),
    // A receipt's description: where some filing software puts what others put in the
    // memo text ("Total earmarked through conduit; PAC limit not affected").
    "contribution_purpose_descrip": .field("purpose", .text),
  ]
}

/// How the columns of one schedule A or B layout become a record. A class: looked up
/// for every record, a struct was copied out of the table (its arrays retained).
final class FECRecordPlan {
  struct Column {
    let index: Int
    let field: FieldID
    let parser: CellParser
    let label: String
    /// Whether its plain ASCII cells are passed over (`FieldProjection`).
    let passedOver: Bool
  }

  let kind: RecordKind
  let columns: [Column]
  /// Fields a record of this layout cannot give (with the cover's: see `unavailable(given:)`).
  var columnFields: FieldSet { FieldSet(columns.map(\.field)) }
  /// The column holding a combined name (versions before 6).
  let combinedName: (index: Int, label: String)?
  let columnCount: Int
  /// The last cell of each of `columns`, and its parser (see `LastCells`): made from
  /// `columns`, in their order, so that `readPlain` takes an index into `columns`.
  let lastCells: LastCells

  /// Columns not read in versions before 5 (the description that goes with an election
  /// code). Their election code itself is read, but kept only when it is a designation
  /// like P2002 (`designationsOnly`): version 2 writes a letter without the year (`P`,
  /// `G`), which rules would misjudge; version 3 filings hold both (27789.fec: `P2002`).
  static let notReadBeforeVersion5: Set<String> = ["election_other_description"]
  /// Whether an election code that is not a designation (a letter and four digits) is
  /// left missing: in versions before 5.
  let designationsOnly: Bool
  /// How many fields a record must have to hold its date and amount (nil: no such
  /// column). In versions 6 and later a line with fewer is not a whole record.
  let dateAndAmountReach: Int?
  static let electionField = CanonicalSchema.id(named: "election_code")

  /// Whether a record type is written as the FEC's are: `TEXT`, `HDR`, one or two
  /// letters (`SE`, `SL`), or up to three letters then a digit or a slash and letters,
  /// digits and slashes (`SA11AI`, `SC/10`, `F3XN`, `H4`), at most 10 in all. Not text a
  /// line break cut from a field, which the FEC's prefixes would take for a type
  /// (`SEATTLE` for SE, `SACRAMENTO` for SA, `TEXTILES` for TEXT).
  static func isRecordTypeAsWritten(_ formType: String) -> Bool {
    let bytes = Array(formType.utf8)
    guard (1...10).contains(bytes.count) else { return false }
    if formType == "TEXT" || formType == "HDR" { return true }
    func letter(_ byte: UInt8) -> Bool {
      (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
    let letters = bytes.prefix(while: letter).count
    if letters == bytes.count { return letters <= 2 }
    guard (1...3).contains(letters) else { return false }
    let next = bytes[letters]
    guard (0x30...0x39).contains(next) || next == UInt8(ascii: "/") else { return false }
    return bytes[letters...].allSatisfy { letter($0) || (0x30...0x39).contains($0) || $0 == 0x2F }
  }

  /// `P2002`: a letter and a year, as an election designation is written.
  static func isDesignation(_ code: String) -> Bool {
    let bytes = Array(code.utf8)
    return bytes.count == 5 && (0x41...0x5A).contains(bytes[0])
      && bytes.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
  }

  /// `fields`: the fields the run reads (nil: all); see `FieldProjection`.
  init(
    layout: FECLayout, kind: RecordKind, dateFormat: DateFormat, version: FECVersion,
    fields: FieldSet? = nil
  ) {
    let wanted = fields.map(FieldProjection.closed)
    self.kind = kind
    designationsOnly = version.major < 5
    columnCount = layout.columns.count
    var columns: [Column] = []
    var combined: (Int, String)?
    for (index, name) in layout.columns.enumerated() {
      guard let target = FECColumns.targets[name] else { continue }
      if version.major < 5 && FECRecordPlan.notReadBeforeVersion5.contains(name) { continue }
      let label = "column \(index + 1) \(name)"
      switch target {
      case .combinedName:
        if combined == nil { combined = (index, label) }
      case .field(let fieldName, let parse):
        guard let field = CanonicalSchema.id(named: fieldName),
          CanonicalSchema.spec(field).kinds.contains(kind),
          !columns.contains(where: { $0.field == field })
        else { continue }
        let parser: CellParser
        switch parse {
        // A code (the record's type, an entity type, an election designation) in upper
        // case, as the FEC writes them and the rules compare them: the reader matches a
        // record type in any case, so `sa11ai` was a receipt whose form line no rule knew.
        case .text: parser = CanonicalSchema.spec(field).coded ? .text(.upper) : .text(nil)
        case .money: parser = .money
        case .date: parser = .date(dateFormat)
        case .memoFlag: parser = .flag(FlagValues(["X"]))
        }
        columns.append(
          Column(
            index: index, field: field, parser: parser, label: "\(label) (\(fieldName))",
            passedOver: FieldProjection.passesOver(field, parser, wanted: wanted)))
      }
    }
    self.columns = columns
    self.combinedName = combined
    lastCells = LastCells(parsers: columns.map(\.parser))
    let required = ["amount", "date"].compactMap { CanonicalSchema.id(named: $0) }
    dateAndAmountReach = columns.filter { required.contains($0.field) }.map { $0.index + 1 }.max()
  }
}

/// What the cover record and the header say about every record of the filing.
struct FECCover {
  var filerID: String?
  var filerName: String?
  var formType: String?
  var reportType: String?
  var periodStart: CivilDate?
  var periodEnd: CivilDate?
  var committeeType: String?
  /// The filing the header's report id names (`FEC-1222311`: 1222311), which an
  /// amendment replaces (versions 3 and later).
  var amendedFiling: String?

  /// The form without its N (new), A (amendment) or T (termination) suffix, and
  /// whether it is an amendment: F3XA is F3X, amended.
  static func baseForm(_ formType: String) -> (form: String, amendment: Bool) {
    let upper = formType.uppercased()
    guard upper.count > 2, let last = upper.last, "NAT".contains(last) else {
      return (upper, false)
    }
    return (String(upper.dropLast()), last == "A")
  }

  /// The committee type a form implies: F3P is filed by presidential committees (P); F3
  /// by House committees, which give a district (H), and Senate committees, which leave
  /// it blank (S). An F3 with district 00 (at-large House seats, or a Senate committee
  /// that wrote 00) and every other form tell nothing: missing.
  static func committeeType(form: String, district: String?) -> String? {
    switch form {
    case "F3P": return "P"
    case "F3":
      let text = district.map { String(trimBlanks($0)) } ?? ""
      if text.isEmpty { return "S" }
      if let number = Int(text), (1...99).contains(number), text.allSatisfy(\.isNumber) {
        return "H"
      }
      return nil
    default: return nil
    }
  }

  /// The values every record of the filing starts from.
  func template() -> [Value] {
    var values = [Value](repeating: .missing, count: CanonicalSchema.count)
    func set(_ name: String, _ value: Value?) {
      guard let value, let field = CanonicalSchema.id(named: name) else { return }
      values[field] = value
    }
    set("filer_id", filerID.map(Value.string))
    set("filer_name", filerName.map(Value.string))
    set("committee_type", committeeType.map(Value.string))
    if let formType {
      let (form, amendment) = FECCover.baseForm(formType)
      set("report_form", .string(form))
      set("amendment", .boolean(amendment))
      if amendment { set("amended_filing", amendedFiling.map(Value.string)) }
    }
    set("report_type", reportType.map(Value.string))
    set("report_period_start", periodStart.map(Value.date))
    set("report_period_end", periodEnd.map(Value.date))
    return values
  }
}

/// The state of one read of a .fec filing.
private final class FECSession {
  /// Where records' arrays of values come from (see `RecordValuesPool`).
  var pool: RecordValuesPool?
  /// The fields the run reads (nil: all); see `FieldProjection`.
  var fields: FieldSet? {
    didSet {
      leftOut = FieldProjection.leftOut(fields)
      derivesName = FieldProjection.derivesName(leftOut: leftOut)
    }
  }
  /// The fields records leave out (`Record.leftOut`), and whether `name` is derived.
  var leftOut = FieldSet()
  var derivesName = true
  let path: String
  /// `path`, looked up once for the provenance of every record.
  let filing: FilingPath
  let limits: ReaderLimits
  let lines: LineReader
  /// What was read so far, all counted.
  var statistics: ReadStatistics {
    countTypeRun()
    return counts
  }
  /// What was read so far, but the lines of `typeRun` not yet added.
  @exclusivity(unchecked) private var counts = ReadStatistics()
  /// The record type of the lines counted last and how many there were, not yet in
  /// `counts` (records of one type mostly come in runs: a run is counted at once, not
  /// looked up in the table of types line by line).
  @exclusivity(unchecked) private var typeRun: (type: String, lines: Int)?
  var version: FECVersion?
  var finder: FECLayoutFinder?
  var dateFormat = DateFormat.compact
  var nameDelimiter = Character("^")
  var cover = FECCover()
  @exclusivity(unchecked) var template = [Value](repeating: .missing, count: CanonicalSchema.count)
  {
    didSet {
      constants = template.indices.filter { !template[$0].isMissing }.map { ($0, template[$0]) }
      unavailable = [:]
    }
  }
  /// The fields of `template` that are not missing.
  @exclusivity(unchecked) var constants: [(field: FieldID, value: Value)] = []
  /// What the records of each layout cannot give (`unavailableFields`), by layout id,
  /// for the current template.
  @exclusivity(unchecked) var unavailable: [Int: FieldSet] = [:]
  /// The first field of the last record, the record type it gave and that type's layout.
  @exclusivity(unchecked) var lastTypeField: [UInt8] = []
  @exclusivity(unchecked) var lastType: (formType: String, layout: FECLayout?)?
  /// Whether the next record is the first after the header (the cover record).
  @exclusivity(unchecked) var coverPending = true
  /// The lines of each record type the `/* Header` block's `Schedule_Counts` declares
  /// (versions 1 and 2), by upper-case type.
  var declaredCounts: [String: Int] = [:]
  /// The most fields a record of each layout had so far (by layout id; 0: none yet).
  @exclusivity(unchecked) var widest = [Int](repeating: 0, count: FECLayoutTable.layouts.count)
  /// The fields of the cover record and of its layout, when the file ended inside it.
  var cutInCover: (found: Int, expected: Int)?
  /// A receipt or disbursement line of version 6 or later with fewer fields than its
  /// layout: its line, and its fields against the layout's. The line right after it may
  /// be its rest, a line break inside a field having cut it in two (`restOfCut`).
  @exclusivity(unchecked) var shortRecord: (line: Int, found: Int, expected: Int)?
  /// The last line of `shortRecord` and the blank lines right after it.
  @exclusivity(unchecked) var shortRecordReach = 0
  /// The record of such a line (`shortRecord`), held back until the next line tells
  /// whether it is whole: a line whose rest is the next line (`restOfCut`) is rejected
  /// with its rest, rather than read with its fields after the cut empty (a memo entry
  /// counted as money, a false "employer blank"); any other line after it hands it on
  /// first, so that records keep their order. Nothing is held in a read of chosen lines
  /// (`wanted`): the whole read has judged them.
  @exclusivity(unchecked) var held: Record?
  /// The lines of the records wanted, when not all are (see `FECReader.read`).
  var wanted: Set<Int>?
  @exclusivity(unchecked) var inText = false
  /// Set when a line stops the read (a second header, F0025): `FECReader.read` throws it.
  var stop: FilingError?
  /// The line the filing's header starts on.
  var headerLine = 1
  @exclusivity(unchecked) var row = RowCollector()
  @exclusivity(unchecked) var plans: [Int: FECRecordPlan] = [:]

  init(path: String, limits: ReaderLimits) throws(FilingError) {
    self.path = path
    self.filing = FilingPath.named(path)
    self.limits = limits
    lines = try LineReader(path: path, maxLineBytes: limits.maxRecordBytes)
  }

  func problem(_ entry: FilingsCatalogue, _ message: String, hint: String? = nil) -> Diagnostic {
    Diagnostic(id: entry.id, message: message, file: path, line: lines.lineNumber, hint: hint)
  }

  // MARK: Header

  func readHeader() throws(FilingError) {
    // The first line that is not blank.
    repeat {
      guard try lines.next() else {
        throw .make(
          .fecHeader, "the filing is empty: a .fec filing starts with an HDR record", path: path,
          line: 1)
      }
    } while isBlank(lines.line)
    headerLine = lines.lineNumber
    if lines.line.starts(with: Array("/*".utf8)) {
      try readLegacyHeader()
    } else {
      try readHDR()
    }
    guard let version else { return }
    let finder = FECLayoutFinder(version: version)
    self.finder = finder
    // Versions 3 to 5 name the delimiter of combined names in the HDR record.
    if !version.separatesWithFS, let layout = finder.layout(for: "HDR"),
      let position = layout.position("name_delim"), position < row.fieldCount,
      case .success(let text) = row.string(position, .detect),
      let delimiter = trimBlanks(text).first, trimBlanks(text).count == 1
    {
      nameDelimiter = delimiter
    }
    template = cover.template()
  }

  /// After the last line of a whole read: a filing whose header promised more lines
  /// than it holds, or that ends before its cover record, was cut short (F0024). Its
  /// records read are checked; the read is reported as failed, so the run cannot pass.
  func checkComplete() throws(FilingError) {
    if inText {
      throw .make(
        .fecCutShort,
        "the filing ends inside a text block: a [BEGINTEXT] line has no [ENDTEXT] after it, and every line after it was passed over",
        path: path, line: lines.lineNumber,
        hint: "the file looks cut short, or a text block is never closed: get the whole filing")
    }
    if let cut = cutInCover {
      throw .make(
        .fecCutShort,
        "the filing ends inside its cover record: \(cut.found) of its layout's \(cut.expected) fields, and no line break",
        path: path, line: lines.lineNumber,
        hint: "the file looks cut short: get the whole filing")
    }
    if coverPending && counts.recordsRead == 0 && cover.formType == nil {
      throw .make(
        .fecCutShort,
        "the filing ends after its header, without a cover record (F3, F3X, F3P, ...)",
        path: path, line: lines.lineNumber,
        hint: "the file looks cut short: get the whole filing")
    }
    let found = statistics.recordTypes
    let short = declaredCounts.filter { type, declared in
      declared > found.reduce(0) { $0 + ($1.key.uppercased() == type ? $1.value : 0) }
    }
    guard let (type, declared) = short.min(by: { $0.key < $1.key }) else { return }
    let held = found.reduce(0) { $0 + ($1.key.uppercased() == type ? $1.value : 0) }
    throw .make(
      .fecCutShort,
      "the header's Schedule_Counts declares \(declared == FECSession.countCap ? "at least " : "")\(declared) \(type) lines, the filing holds \(held)"
        + (short.count > 1 ? " (and \(short.count - 1) more record types are short)" : ""),
      path: path, line: lines.lineNumber,
      hint: "the file looks cut short, or lines were lost: get the whole filing")
  }

  /// `HDR`, `FEC`, version, ... (versions 3 and later).
  func readHDR() throws(FilingError) {
    let separatesWithFS = lines.line.contains(0x1C)
    guard split(lines.line, fieldSeparator: separatesWithFS) else {
      throw .make(
        .fecHeader, "the HDR record has malformed quoting", path: path, line: lines.lineNumber)
    }
    let fields = (0..<row.fieldCount).map { String(trimBlanks(row.lossyString($0, .detect))) }
    guard fields.first?.uppercased() == "HDR", fields.count >= 2 else {
      throw .make(
        .fecHeader,
        "not a .fec filing: the first line is neither an HDR record nor a '/* Header' block",
        path: path, line: lines.lineNumber,
        hint: "check the file, or name its format with --input-format")
    }
    counts.count(type: "HDR")
    let versionText =
      fields[1].uppercased() == "FEC" ? (fields.count > 2 ? fields[2] : "") : fields[1]
    let version = try supported(versionText)
    self.version = version
    // The report id: `FEC-1222311` names the filing an amendment replaces (after the name
    // delimiter in versions 3 to 5).
    let reportID = version.major >= 6 ? 5 : 6
    if fields.count > reportID {
      let text = fields[reportID].uppercased()
      if text.hasPrefix("FEC-"), text.count > 4, text.dropFirst(4).allSatisfy(\.isASCII),
        text.dropFirst(4).allSatisfy(\.isNumber)
      {
        cover.amendedFiling = String(text.dropFirst(4))
      }
    }
  }

  /// The `/* Header` ... `/* End Header` block of versions 1 and 2: `key = value` lines.
  static let legacyHeaderKeys: Set<String> = [
    "fec_ver_#", "fec_idnum", "committee", "form_name", "namedelim", "date_fmat",
  ]

  func readLegacyHeader() throws(FilingError) {
    let start = lines.lineNumber
    var values: [String: String] = [:]
    /// The line of each key kept, for the errors of its value.
    var keyLines: [String: Int] = [:]
    var inScheduleCounts = false
    while true {
      guard try lines.next() else {
        throw .make(
          .fecHeader,
          "the '/* Header' block that starts on line \(start) has no '/* End Header' line",
          path: path, line: start)
      }
      if lines.line.starts(with: Array("/*".utf8)) { break }
      let text = String(decoding: lines.line, as: UTF8.self)
      if trimBlanks(text).lowercased().hasPrefix("schedule_counts") {
        inScheduleCounts = true
        continue
      }
      guard let equals = text.firstIndex(of: "=") else { continue }
      let key = String(trimBlanks(text[..<equals])).lowercased()
      // `SA11A1 = 00139`: how many lines of each schedule the filing holds.
      // (Capped: a count of 9223372036854775807, given twice, must not overflow.)
      // Counts are of record types (`SA11A1`); another key there (`Control_#`), or a
      // count left empty, declares nothing, as before.
      let value = trimBlanks(text[text.index(after: equals)...])
      if inScheduleCounts, !value.isEmpty, !FECSession.legacyHeaderKeys.contains(key),
        FECRecordPlan.isRecordTypeAsWritten(key.uppercased())
      {
        // A count that is no number of lines (`00139.`, `0013x`) left the check of the
        // lines the filing holds off: a filing cut short passed. Digits too many for a
        // number are a count past the cap.
        guard value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
          throw .make(
            .fecHeader,
            "Schedule_Counts gives \(quoted(Substring(value))) lines of \(key.uppercased()): expected a number of lines, like 00139",
            path: path, line: lines.lineNumber,
            hint: "the header's counts tell whether the filing holds all its lines; mend the header"
          )
        }
        guard declaredCounts.count < 1_000 else { continue }
        let cap = FECSession.countCap
        let count = Int(value).map { min($0, cap) } ?? cap
        declaredCounts[key.uppercased()] = min(
          cap, declaredCounts[key.uppercased(), default: 0] + count)
        continue
      }
      // Only the keys read below are kept: a block of countless other keys holds nothing.
      guard FECSession.legacyHeaderKeys.contains(key), values[key] == nil else { continue }
      values[key] = String(trimBlanks(text[text.index(after: equals)...]))
      keyLines[key] = lines.lineNumber
    }
    guard let versionText = values["fec_ver_#"] else {
      throw .make(
        .fecHeader, "the '/* Header' block gives no FEC_Ver_#", path: path, line: start)
    }
    version = try supported(versionText, line: keyLines["fec_ver_#"] ?? start)
    cover.filerID = values["fec_idnum"].flatMap(nonEmpty)
    cover.filerName = values["committee"].flatMap(nonEmpty)
    cover.formType = values["form_name"].flatMap(nonEmpty)
    if let delimiter = values["namedelim"], delimiter.count == 1, let character = delimiter.first {
      nameDelimiter = character
    }
    switch values["date_fmat"]?.uppercased() {
    case nil, "", "CCYYMMDD": dateFormat = .compact
    case "MMDDCCYY": dateFormat = .usCompact
    case let other?:
      throw .make(
        .fecHeader, "unknown Date_Fmat \(quoted(Substring(other))) in the '/* Header' block",
        path: path,
        line: keyLines["date_fmat"] ?? start, hint: "Probity reads CCYYMMDD and MMDDCCYY")
    }
  }

  func supported(_ text: String, line: Int? = nil) throws(FilingError) -> FECVersion {
    guard let version = FECVersion(text) else {
      throw .make(
        .fecVersion,
        "unsupported .fec version \(quoted(trimBlanks(text))): Probity reads versions \(FECVersion.supportedText)",
        path: path, line: line ?? lines.lineNumber,
        hint: "the columns of another version are not known, so its records cannot be read reliably"
      )
    }
    return version
  }

  // MARK: Records

  func line(onRecord: (consuming Record) -> Void, onProblem: (Diagnostic) -> Void) {
    let bytes = lines.line
    if isBlank(bytes) {
      // A blank line inside a cut field ("\n\n") does not part a record from its rest.
      if shortRecordReach == lines.lineNumber - 1 { shortRecordReach = lines.lineNumber }
      return
    }
    if inText {
      if FECSession.isTextMarker(bytes, "END") { inText = false }
      return
    }
    if FECSession.isTextMarker(bytes, "BEGIN") {
      inText = true
      counts.count(type: "[BEGINTEXT]")
      counts.rowsSkipped += 1
      counts.skippedTypes["[BEGINTEXT]", default: 0] += 1
      return
    }
    // A line not wanted, once the cover (which every record draws on) is read.
    if let wanted, !coverPending, !wanted.contains(lines.lineNumber) { return }
    guard let version, let finder else { return }
    if lines.truncated {
      // Counted by its type, as a malformed line is (the type is in the part kept), so
      // that the header's Schedule_Counts still finds it.
      let formType = formTypeOfMalformed(bytes)
      counts.count(type: formType)
      // A second header or cover too long to read still starts another filing.
      if stopsAtUnreadLine(formType) { return }
      reject(
        [
          problem(.lineTooLong, limits.recordMessage("a line"), hint: ReaderLimits.recordHint)
        ],
        onProblem: onProblem)
      return
    }
    guard split(bytes, fieldSeparator: version.separatesWithFS) else {
      let formType = formTypeOfMalformed(bytes)
      counts.count(type: formType)
      // A second header or cover whose quoting is malformed still starts another filing.
      if stopsAtUnreadLine(formType) { return }
      reject(
        [
          problem(
            .malformedQuoting,
            "malformed quoting: a quoted field must end with a quote followed by a comma or the end of the line",
            hint: "a quote inside a quoted field is written twice")
        ], onProblem: onProblem)
      return
    }
    let (formType, found) = recordType(finder)
    if typeRun?.type == formType {
      typeRun!.lines += 1
    } else {
      countTypeRun()
      typeRun = (formType, 1)
    }
    // A second header: another filing joined after this one stops the read. Its first
    // field is taken at either separator too: a filing of another version may use the
    // other one (a version 3 filing joined to a version 8 one).
    if found.map({ $0.role == .header }) ?? true,
      stopsAtSecondHeader(formType)
        || (found == nil && stopsAtSecondHeader(formTypeOfMalformed(bytes)))
    {
      return
    }
    // The cover record is the first of the filing's forms, and comes before its receipts
    // and disbursements, which are read under it (its filer, committee type, report and
    // amendment flag). Lines of other types before it (a text record) leave it pending.
    let isCover = coverPending && found?.role == .form
    if coverPending, let role = found?.role, role == .receipt || role == .disbursement {
      stopOutOfPlace(
        "a receipt or disbursement (\(formType)) before the filing's cover record (F3, F3X, F3P, ...): the filing's records would be read without their filer, committee type, report and amendment flag"
      )
      return
    }
    if isCover || found?.role == .receipt || found?.role == .disbursement { coverPending = false }
    guard let layout = found else {
      // A form this version does not know, where the cover is due (F3Z): the cover,
      // rejected; the records after it are read without it.
      if coverPending && formType.hasPrefix("F") { coverPending = false }
      // Right after a record short of its layout, and with it no more fields than one
      // record's, a line that does not read as a record: that record's rest, and both
      // are rejected (`settleHeld`, `restOfCut`).
      let cut = restOfCut(formType)
      settleHeld(rest: cut, onRecord: onRecord, onProblem: onProblem)
      reject(
        [
          problem(
            .unknownRecordType,
            "unknown record type \"\(formType)\": version \(version.asFiled) of the .fec format has no such record"
              + (cut.map {
                "; the record on line \($0.line) before it has \($0.found) of its \($0.expected) fields: a line break inside one of its fields may have cut it in two, and this line be its rest"
              } ?? ""),
            hint: cut == nil
              ? "its columns are not known, so it is not read"
              : FECSession.cutHint(cut!.line)
          )
        ], onProblem: onProblem)
      return
    }
    // The same for a line whose first field reads as a type this version knows: a line
    // break inside a field cut "Parker Seattle Towing" before "Seattle Towing" (or
    // `SEATTLE`), read as a record of type SE (skipped), "SB Towing" as a disbursement of
    // no fields, "TEXT Towing" as a text record (skipped), a conduit's "200 M St" before
    // "SE" (a quarter of Washington). (Records each short of their layout, as
    // hand-written ones may be, are read: each reads as a record.)
    let cut = restOfCut(formType)
    settleHeld(rest: cut, onRecord: onRecord, onProblem: onProblem)
    if let cut {
      reject(
        [
          problem(
            .wrongFieldCount,
            "expected \(layout.columns.count) fields in a \(formType) record of version \(version.asFiled), found \(row.fieldCount); the record on line \(cut.line) before it has \(cut.found) of its \(cut.expected) fields: a line break inside one of its fields may have cut it in two, and this line be its rest",
            hint: FECSession.cutHint(cut.line)
          )
        ], onProblem: onProblem)
      return
    }
    switch layout.role {
    case .receipt, .disbursement,
      .form where isCover:
      if let oversized = oversizedField(layout) {
        reject([oversized], onProblem: onProblem)
      } else if layout.role == .form {
        // The file's last line, short of its layout and without a line break: the
        // filing was cut inside its cover record (`checkComplete` stops the read). In
        // versions 6 and later, whose cover records have all their columns but an F99's
        // last (its text, given in a text block: 15 of 16 fields in the real filings);
        // earlier versions' covers often stop early, and nothing tells.
        if lines.unterminated, version.separatesWithFS, wanted == nil,
          row.fieldCount < layout.columns.count - 1
        {
          cutInCover = (row.fieldCount, layout.columns.count)
        }
        readCover(layout, formType: formType, onProblem: onProblem)
      } else {
        record(layout, version: version, onRecord: onRecord, onProblem: onProblem)
      }
    case .form where stopsAtSecondCover(formType):
      // Another report's cover: the records after it are that report's, which would be
      // read under this one's cover (a PAC's gifts under a candidate's committee type).
      return
    case .header, .form, .other:
      counts.rowsSkipped += 1
      counts.skippedTypes[formType, default: 0] += 1
    }
  }

  /// The record short of its layout on the line before this one (`shortRecord`; blank
  /// lines between them are part of a cut field), when this line, whose first field reads
  /// as `formType`, is its rest: their fields make no more than one record's (less the
  /// field cut in two; one more when this line's last is empty), and this line does not
  /// read as a record (`readsAsRecord`).
  func restOfCut(_ formType: String) -> (line: Int, found: Int, expected: Int)? {
    guard let cut = shortRecord, shortRecordReach == lines.lineNumber - 1 else { return nil }
    // One field more is the empty last field some programs end every line with.
    let joined = cut.found + row.fieldCount - 1
    guard
      joined <= cut.expected
        || (joined == cut.expected + 1
          && trimBlanks(row.lossyString(row.fieldCount - 1, .detect)).isEmpty),
      !readsAsRecord(formType)
    else { return nil }
    return cut
  }

  /// Whether the line just split reads as a record of type `formType` rather than as the
  /// rest of a cut one: its first field a type as the FEC writes them
  /// (`FECRecordPlan.isRecordTypeAsWritten`: `SA11AI`, `SI`, not `Seattle Towing`) and
  /// its second the filer's committee id, as in every record of versions 6 and later (a
  /// committee id of that shape when the cover gave none). A rest's first field may be a
  /// type as written (`LP` of "Blackstone LP", `SE` of an address in Washington), but its
  /// second is the field after the cut one, and a committee id there is another
  /// committee's (the donor committee's after an occupation).
  func readsAsRecord(_ formType: String) -> Bool {
    guard FECRecordPlan.isRecordTypeAsWritten(formType), row.fieldCount > 1 else { return false }
    let id = trimBlanks(row.lossyString(1, .detect)).uppercased()
    if let filer = cover.filerID.map({ trimBlanks($0).uppercased() }), !filer.isEmpty {
      return id == filer
    }
    return id.count == 9 && id.first == "C"
      && id.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
  }

  static func cutHint(_ line: Int) -> String {
    "the two lines are one record, cut by a line break inside a field: the record on line \(line) is rejected too, not read with its fields after the cut empty; mend the filing (join the lines)"
  }

  /// Settles the record held back (`held`) once the next line is known: rejected when
  /// that line is its rest (`rest`), handed on otherwise.
  func settleHeld(
    rest: (line: Int, found: Int, expected: Int)?, onRecord: (consuming Record) -> Void,
    onProblem: (Diagnostic) -> Void
  ) {
    guard let record = held.take() else { return }
    guard let rest, rest.line == record.provenance.line else {
      onRecord(record)
      return
    }
    // Counted as read when it was assembled.
    counts.recordsRejected += 1
    onProblem(
      Diagnostic(
        id: FilingsCatalogue.wrongFieldCount.id,
        message:
          "expected \(rest.expected) fields in this line's record of version \(version?.asFiled ?? "?"), found \(rest.found), and the next line is its rest: a line break inside one of its fields cut it in two",
        file: path, line: rest.line,
        hint:
          "rejected rather than read with its fields after the cut empty (its memo code, its employer); mend the filing (join the lines)"
      ))
  }

  /// Hands on the record held back, if any: at the end of the read.
  func releaseHeld(onRecord: (consuming Record) -> Void) {
    if let record = held.take() { onRecord(record) }
  }

  /// Adds the lines of the run of one type counted last to `counts`.
  private func countTypeRun() {
    guard let run = typeRun else { return }
    counts.recordTypes[run.type, default: 0] += run.lines
    typeRun = nil
  }

  /// Whether a line of record type `formType` is a second header, which stops the read
  /// (`stop`, F0025): the file holds another filing after this one (files joined), whose
  /// records would otherwise be read as this filing's, under its cover (its filer,
  /// committee type, report and amendment flag). The records before are counted and
  /// checked. A header line too long or with malformed quoting stops it too.
  private func stopsAtSecondHeader(_ formType: String) -> Bool {
    guard FECSession.startsHeader(formType) else { return false }
    stop = .make(
      .fecSecondHeader,
      "a second header (\(formType)) after the filing's own on line \(headerLine): the file holds more than one filing, and the records after it would be read under this filing's cover",
      path: path, line: lines.lineNumber,
      hint: "split the file into its filings and check each")
    return true
  }

  /// Whether a line of type `formType` is a second cover record, after the filing's own
  /// (read or rejected): the file holds another report, and the read stops (F0031).
  private func stopsAtSecondCover(_ formType: String) -> Bool {
    guard !coverPending, FECSession.isReportCover(formType) else { return false }
    let own = cover.formType.map { " (\($0))" } ?? ""
    stopOutOfPlace(
      "a second cover record (\(formType)) after the filing's own\(own): the file holds another report, whose records would be read under this filing's cover"
    )
    return true
  }

  /// A line that cannot be read (too long, its quoting malformed): a second header or
  /// cover stops the read; the filing's own cover is rejected, and the records after it
  /// are read without it (a rule that needs what it gives is undetermined). Whether it
  /// stopped the read.
  private func stopsAtUnreadLine(_ formType: String) -> Bool {
    if stopsAtSecondHeader(formType) || stopsAtSecondCover(formType) { return true }
    if coverPending && FECSession.isReportCover(formType) { coverPending = false }
    return false
  }

  /// Stops the read at this line (F0031): its records are not under one cover. The
  /// records before are counted and checked; the run cannot pass.
  private func stopOutOfPlace(_ message: String) {
    stop = .make(
      .fecCoverOutOfPlace, message, path: path, line: lines.lineNumber,
      hint:
        "a .fec file holds one filing: its header, its cover record, then its schedules; split or repair the file and check each filing"
    )
  }

  /// The forms a filing's cover record is of: reports and notices (F3, F3X, F3P, F24,
  /// F6, F99, ...), with their N, A or T suffix. Not the lines of a form's items, of a
  /// type of their own (F65: a Form 6 notice's contributions; F56, F57, F91-F94, F132,
  /// F133, F3S, F3PS, F3P31), which follow the cover.
  static func isReportCover(_ formType: String) -> Bool {
    reportCovers.contains(FECCover.baseForm(formType).form)
  }

  static let reportCovers: Set<String> = [
    "F1", "F1M", "F2", "F3", "F3X", "F3P", "F3L", "F4", "F5", "F6", "F7", "F8", "F9", "F10",
    "F11", "F12", "F13", "F24", "F99",
  ]

  /// Whether a record type starts a filing's header: an HDR record (versions 3 and
  /// later), or the `/* Header` line of a header block (versions 1 and 2).
  static func startsHeader(_ formType: String) -> Bool {
    if formType == "HDR" { return true }
    guard formType.hasPrefix("/*") else { return false }
    return trimBlanks(formType.dropFirst(2)) == "HEADER"
  }

  /// Record types are short (`SA11AI`, `F3XN`, `SC/10`); a longer first field is none.
  static let longestFormType = 32
  /// The most lines of a record type a header's Schedule_Counts is taken to declare.
  static let countCap = 1_000_000_000

  /// The record type in the first field of `row`, upper case (a type longer than any
  /// shortened), and its layout in this version, if it has one. Records of one type
  /// mostly come in runs: the last is kept.
  func recordType(_ finder: FECLayoutFinder) -> (formType: String, layout: FECLayout?) {
    let same = row.withArena { LastCells.same(lastTypeField, row.field(0, in: $0)) }
    if let lastType, same { return lastType }
    var formType = String(trimBlanks(row.lossyString(0, .detect))).uppercased()
    // No record type is this long: counted and reported by its start, and unknown.
    let tooLong = formType.utf8.count > FECSession.longestFormType
    if tooLong { formType = String(formType.prefix(FECSession.longestFormType)) + "…" }
    let layout = tooLong ? nil : finder.layout(for: formType)
    lastTypeField = row.fieldBytes(0)
    lastType = (formType, layout)
    return (formType, layout)
  }

  /// The first field of the line over the field limit, as the record's rejection.
  func oversizedField(_ layout: FECLayout) -> Diagnostic? {
    // No field is longer than the line (most lines are a few hundred bytes): the fields
    // need not be measured one by one (some 400 instructions a record).
    guard row.byteCount > limits.maxFieldBytes else { return nil }
    for index in 0..<row.fieldCount {
      let bytes = row.end(index) - row.start(index)
      guard bytes > limits.maxFieldBytes else { continue }
      let name = index < layout.columns.count ? " " + layout.columns[index] : ""
      return problem(
        .fieldTooLong, limits.fieldMessage("column \(index + 1)\(name)", bytes: bytes),
        hint: ReaderLimits.fieldHint)
    }
    return nil
  }

  func reject(_ diagnostics: [Diagnostic], onProblem: (Diagnostic) -> Void) {
    counts.recordsRead += 1
    counts.recordsRejected += 1
    for diagnostic in diagnostics { onProblem(diagnostic) }
  }

  /// The cover record: the report's form, type, period and the filer. A cover whose
  /// dates cannot be read is rejected (and its period left missing).
  func readCover(_ layout: FECLayout, formType: String, onProblem: (Diagnostic) -> Void) {
    func text(_ name: String) -> String? {
      guard let position = layout.position(name), position < row.fieldCount,
        case .success(let value) = row.string(position, .detect)
      else { return nil }
      return nonEmpty(String(trimBlanks(value)))
    }
    var diagnostics: [Diagnostic] = []
    func date(_ name: String) -> CivilDate? {
      guard let value = text(name), let position = layout.position(name) else { return nil }
      switch CellParser.date(dateFormat).parse(value, currency: .usd) {
      case .success(.date(let date)): return date
      case .success: return nil
      case .failure(let cellProblem):
        diagnostics.append(
          problem(
            .badCell,
            "column \(position + 1) \(name) of the \(formType) cover record: \(cellProblem.message)"
          ))
        return nil
      }
    }
    cover.formType = formType
    cover.filerID = text("filer_committee_id_number") ?? cover.filerID
    cover.filerName = text("committee_name") ?? cover.filerName
    cover.reportType = text("report_code")
    cover.periodStart = date("coverage_from_date")
    cover.periodEnd = date("coverage_through_date")
    cover.committeeType = FECCover.committeeType(
      form: FECCover.baseForm(formType).form, district: text("election_district"))
    template = cover.template()
    if diagnostics.isEmpty {
      counts.rowsSkipped += 1
      counts.skippedTypes[formType, default: 0] += 1
    } else {
      reject(diagnostics, onProblem: onProblem)
    }
  }

  /// What a record of a plan cannot give: neither its layout's columns nor the cover
  /// record give the field (FEC receipts have no payment method, for one).
  func unavailableFields(_ plan: FECRecordPlan) -> FieldSet {
    var available = plan.columnFields
    for (field, value) in template.enumerated() where !value.isMissing { available.insert(field) }
    // The header's report id (versions 3 and later) says which filing an amendment
    // replaces: missing on a report that amends none, not absent from the format.
    if (version?.major ?? 0) >= 3, let amended = FECSession.amendedFilingField {
      available.insert(amended)
    }
    if plan.combinedName != nil { available.formUnion(FECSession.combinedNameFields) }
    NameParts.canonical?.markDerived(&available)
    return available.complement
  }

  func record(
    _ layout: FECLayout, version: FECVersion, onRecord: (consuming Record) -> Void,
    onProblem: (Diagnostic) -> Void
  ) {
    let kind: RecordKind = layout.role == .receipt ? .receipt : .disbursement
    let plan: FECRecordPlan
    if let existing = plans[layout.id], existing.kind == kind {
      plan = existing
    } else {
      plan = FECRecordPlan(
        layout: layout, kind: kind, dateFormat: dateFormat, version: version, fields: fields)
      plans[layout.id] = plan
      unavailable[layout.id] = nil
    }
    // Lent in place: read out of the session, the collector was copied (its three
    // buffers retained and released) for every record.
    assemble(&row, layout, plan, kind: kind, version: version, onRecord, onProblem)
  }

  private func assemble(
    _ row: inout RowCollector, _ layout: FECLayout, _ plan: FECRecordPlan, kind: RecordKind,
    version: FECVersion, _ onRecord: (consuming Record) -> Void,
    _ onProblem: (Diagnostic) -> Void
  ) {
    if row.fieldCount > plan.columnCount {
      let extra = (plan.columnCount..<row.fieldCount).contains {
        !trimBlanks(row.lossyString($0, .detect)).isEmpty
      }
      if extra {
        reject(
          [
            problem(
              .wrongFieldCount,
              "expected at most \(plan.columnCount) fields in a \(row.lossyString(0, .detect)) record of version \(version.asFiled), found \(row.fieldCount)",
              hint: "the record's columns do not fit its version's layout")
          ], onProblem: onProblem)
        return
      }
    }
    // A record may stop before its layout's last columns (a whole SB29 of version 2 has
    // 31 of its layout's 34), but the file's last line that has fewer fields than a
    // record of its layout before it, and no line break, is how a file cut short ends:
    // its last field may be cut too (an amount of 50.00 read as 5.0). In versions 6 and
    // later, whose records have all their layout's columns (every one in the real
    // filings), the layout decides even for the first of its kind; in earlier ones,
    // with none of its layout before, nothing tells (a miss). A read of chosen lines
    // (`wanted`: the replay) reads only records the whole read took, and does not judge
    // them again: it has not seen the records before them.
    let widestBefore = widest[layout.id]
    if row.fieldCount > widestBefore { widest[layout.id] = row.fieldCount }
    // Its width: the layout's, or the widest line of the layout so far (a program that
    // ends each line with one empty field more, 46 of a layout's 45, as two filings of
    // 20180616.zip do: the rest of a cut line has that field too).
    shortRecord =
      version.separatesWithFS && row.fieldCount < plan.columnCount - 1
      ? (lines.lineNumber, row.fieldCount, max(plan.columnCount, widestBefore)) : nil
    shortRecordReach = lines.lineNumber
    let expected = version.separatesWithFS ? max(widestBefore, plan.columnCount) : widestBefore
    if lines.unterminated, wanted == nil, row.fieldCount < expected {
      reject(
        [
          problem(
            .wrongFieldCount,
            "expected \(expected) fields in a \(row.lossyString(0, .detect)) record of version \(version.asFiled)\(expected == widestBefore ? ", as in the records of its layout before it" : ""), found \(row.fieldCount) on the file's last line, which ends without a line break",
            hint:
              "the file looks cut short: its last record may have lost fields or part of one; get the whole filing"
          )
        ], onProblem: onProblem)
      return
    }
    // A line of version 6 or later that stops before its date and amount is no whole
    // record: a line break inside a field (an address written on two lines) cut it, and
    // the rest of it is the next line (rejected in turn as of no known type). Read, it
    // was a receipt of no amount and no date, counted as evaluated.
    if version.separatesWithFS, let reach = plan.dateAndAmountReach, row.fieldCount < reach {
      reject(
        [
          problem(
            .wrongFieldCount,
            "expected \(plan.columnCount) fields in a \(row.lossyString(0, .detect)) record of version \(version.asFiled), found \(row.fieldCount): the line stops before the record's date and amount",
            hint:
              "a line break inside a field may have cut the record in two (its rest is the next line); the filing must be mended"
          )
        ], onProblem: onProblem)
      return
    }
    var values = pool?.take() ?? [Value](repeating: .missing, count: template.count)
    for (field, value) in constants { values[field] = value }
    var diagnostics: [Diagnostic] = []
    let usd = Currency.usd
    row.withArena { arena in
      // A line of plain ASCII (most are) needs no decoding cell by cell.
      let ascii: Bool? = PlainASCII.holds(arena) ? true : nil
      plan.columns.withUnsafeBufferPointer { columns in
        values.withUnsafeMutableBufferPointer { values in
          for index in columns.indices {
            // A record may stop before its layout's last columns: they are empty cells.
            let bytes =
              columns[index].index < row.fieldCount
              ? row.field(columns[index].index, in: arena)
              : UnsafeBufferPointer(rebasing: arena[0..<0])
            // The common case first, its value moved straight into place.
            let plain = ascii ?? PlainASCII.holds(bytes)
            if plain && columns[index].passedOver { continue }
            if plain,
              let value = plan.lastCells.readPlain(index, bytes, currency: usd)
            {
              if !value.isMissing { values[columns[index].field] = value }
              continue
            }
            switch columns[index].parser.read(
              bytes, encoding: .detect, currency: usd, ascii: plain ? false : ascii)
            {
            case .invalidText(let invalid):
              diagnostics.append(
                problem(.invalidUTF8, "\(columns[index].label): \(invalid.message)"))
            case .value(let value):
              if !value.isMissing { values[columns[index].field] = value }
            case .problem(let cellProblem):
              diagnostics.append(
                problem(.badCell, "\(columns[index].label): \(cellProblem.message)"))
            }
          }
        }
      }
    }
    if let combined = plan.combinedName, combined.index < row.fieldCount {
      switch row.string(combined.index, .detect) {
      case .failure(let invalid):
        diagnostics.append(problem(.invalidUTF8, "\(combined.label): \(invalid.message)"))
      case .success(let cell):
        splitCombinedName(cell, into: &values)
      }
    }
    guard diagnostics.isEmpty else {
      reject(diagnostics, onProblem: onProblem)
      return
    }
    // A code that is no designation (version 2's letter without its year) is not offered
    // to the rules: missing, and not in the format for this record, so that a rule on
    // designations is undetermined on it rather than take it for no code given.
    var letterOnly = false
    if plan.designationsOnly, let field = FECRecordPlan.electionField,
      case .string(let code) = values[field], !FECRecordPlan.isDesignation(code)
    {
      values[field] = .missing
      letterOnly = true
    }
    if derivesName { NameParts.canonical?.derive(&values) }
    counts.recordsRead += 1
    var record = Record(
      kind: kind, provenance: Provenance(filing: filing, line: lines.lineNumber), values: values)
    if let known = unavailable[layout.id] {
      record.unavailable = known
    } else {
      record.unavailable = unavailableFields(plan)
      unavailable[layout.id] = record.unavailable
    }
    if letterOnly, let field = FECRecordPlan.electionField { record.unavailable.insert(field) }
    record.leftOut = leftOut
    record.offset = lines.lineOffset
    if shortRecord != nil && wanted == nil {
      held = record
    } else {
      onRecord(record)
    }
  }

  /// `amended_filing`, which versions 3 and later give (`unavailableFields`).
  static let amendedFilingField = CanonicalSchema.id(named: "amended_filing")

  /// The fields a combined name is split into, and the only ones `splitCombinedName`
  /// writes: a format with a combined name has them all (`unavailableFields`).
  static let combinedNameFields: FieldSet = {
    guard let parts = NameParts.canonical, let prefix = combinedNamePrefix else {
      return FieldSet()
    }
    return FieldSet([
      parts.name, parts.organization, parts.last, parts.first, parts.middle, prefix, parts.suffix,
    ])
  }()
  private static let combinedNamePrefix = CanonicalSchema.id(named: "prefix")

  /// `LAST^FIRST MIDDLE^PREFIX^SUFFIX` into the name parts; a name without the
  /// delimiter is kept whole as `name`, and as `organization_name` when the entity is an
  /// organisation.
  func splitCombinedName(_ cell: String, into values: inout [Value]) {
    let text = trimBlanks(cell)
    guard !text.isEmpty, let parts = NameParts.canonical else { return }
    guard text.contains(nameDelimiter) else {
      values[parts.name] = .string(String(text))
      if let entity = CanonicalSchema.id(named: "entity_type"),
        case .string(let type) = values[entity],
        ["ORG", "PAC", "PTY", "CCM", "COM"].contains(type.uppercased())
      {
        values[parts.organization] = .string(String(text))
      }
      return
    }
    let pieces = text.split(separator: nameDelimiter, omittingEmptySubsequences: false)
      .map { String(trimBlanks($0)) }
    func piece(_ index: Int) -> Value {
      index < pieces.count && !pieces[index].isEmpty ? .string(pieces[index]) : .missing
    }
    values[parts.last] = piece(0)
    let given = pieces.count > 1 ? pieces[1].split(separator: " ", maxSplits: 1) : []
    values[parts.first] = given.first.map { .string(String($0)) } ?? .missing
    values[parts.middle] = given.count > 1 ? .string(String(trimBlanks(given[1]))) : .missing
    if let prefix = FECSession.combinedNamePrefix { values[prefix] = piece(2) }
    values[parts.suffix] = piece(3)
  }

  // MARK: Fields

  /// Splits a line into `row`: on ASCII 28, or as quoted comma-separated text. False
  /// when the quoting is malformed.
  func split(_ bytes: [UInt8], fieldSeparator: Bool) -> Bool {
    row.clear()
    if fieldSeparator {
      FECSession.split(bytes, on: 0x1C, into: &row)
      return true
    }
    let quote = UInt8(ascii: "\"")
    let comma = UInt8(ascii: ",")
    var index = 0
    while true {
      if index < bytes.count && bytes[index] == quote {
        index += 1
        var closed = false
        while index < bytes.count {
          if bytes[index] == quote {
            if index + 1 < bytes.count && bytes[index + 1] == quote {
              row.append(quote)
              index += 2
              continue
            }
            index += 1
            closed = true
            break
          }
          row.append(bytes[index])
          index += 1
        }
        while index < bytes.count && (bytes[index] == UInt8(ascii: " ") || bytes[index] == 9) {
          index += 1
        }
        guard closed, index == bytes.count || bytes[index] == comma else { return false }
      } else {
        let start = index
        while index < bytes.count && bytes[index] != comma { index += 1 }
        row.append(contentsOf: bytes[start..<index])
      }
      row.endField()
      guard index < bytes.count else { return true }
      index += 1  // the comma
    }
  }

  /// Splits a line on `separator` into `row`.
  static func split(_ bytes: [UInt8], on separator: UInt8, into row: inout RowCollector) {
    bytes.withUnsafeBufferPointer { line in
      let quote = UInt8(ascii: "\"")
      guard let base = line.baseAddress, memchr(base, Int32(quote), line.count) != nil else {
        // The line is kept whole: each field ends before a separator.
        row.append(line)
        row.gap = 1
        row.endFields(splitting: line, on: separator)
        return
      }
      // Some filing software quotes text fields between the separators
      // (`"Wright, Williams & Associates"`, `""` for an empty one: CMDI's, in
      // 20180616.zip's 1238403.fec). The quotes are not the field's, as FastFEC reads
      // them: a field that starts and ends with one is what lies between (kept, a donor's
      // name was `"Smith"`, quotes and all, and an empty one `""`, two characters, so
      // that `person_key` found no name and every rule across records was undetermined).
      var start = 0
      for index in 0...line.count where index == line.count || line[index] == separator {
        var (low, high) = (start, index)
        if high - low >= 2, line[low] == quote, line[high - 1] == quote {
          (low, high) = (low + 1, high - 1)
        }
        row.append(UnsafeBufferPointer(rebasing: line[low..<high]))
        row.endField()
        start = index + 1
      }
    }
  }

  /// The first field of a line whose quoting is malformed, for the count by type.
  func formTypeOfMalformed(_ bytes: [UInt8]) -> String {
    let end = bytes.firstIndex { $0 == UInt8(ascii: ",") || $0 == 0x1C } ?? bytes.endIndex
    // No record type is longer than `longestFormType`: a longer first field (a line of
    // megabytes without a separator) is counted by its start, as `recordType` does, and
    // never kept whole as a key of the counts.
    let text = String(decoding: bytes[..<min(end, 4 * FECSession.longestFormType)], as: UTF8.self)
    let type = String(trimBlanks(text)).trimmingQuotes.uppercased()
    return type.utf8.count > FECSession.longestFormType
      ? String(type.prefix(FECSession.longestFormType)) + "…" : type
  }

  /// `[BEGINTEXT]`, `[BEGIN TEXT]`, `[ENDTEXT]`, `[END TEXT]`, any case, blanks around.
  static func isTextMarker(_ bytes: [UInt8], _ word: String) -> Bool {
    guard bytes.count < 64 else { return false }
    // A marker starts with `[` after the blanks.
    guard bytes.first(where: { !PlainASCII.isBlank($0) }) == UInt8(ascii: "[") else {
      return false
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let squeezed = String(trimBlanks(text)).uppercased()
    return squeezed == "[\(word)TEXT]" || squeezed == "[\(word) TEXT]"
  }
}

func isBlank(_ bytes: [UInt8]) -> Bool {
  bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
}

func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

extension String {
  /// Without one pair of surrounding double quotes.
  var trimmingQuotes: String {
    guard count >= 2, hasPrefix("\""), hasSuffix("\"") else { return self }
    return String(dropFirst().dropLast())
  }
}

extension ReadStatistics {
  mutating func count(type: String) {
    recordTypes[type, default: 0] += 1
  }
}
