import Synchronization

/// What a record is: money in, or money out.
public enum RecordKind: String, CaseIterable, Hashable, Sendable {
  case receipt
  case disbursement
}

/// One field of the canonical record schema.
public struct FieldSpec: Sendable {
  public let name: String
  public let type: ValueType
  public let kinds: Set<RecordKind>
  public let summary: String
  /// A code that takes few values in a filing (a committee type, a form line, an
  /// election designation), not a name, an amount or free text: the engine may remember
  /// what a rule computes from such fields alone, keyed by their values (see
  /// `ProjectionMemo` in ProbityEngine).
  public let coded: Bool

  init(
    name: String, type: ValueType, kinds: Set<RecordKind>, coded: Bool = false, summary: String
  ) {
    self.name = name
    self.type = type
    self.kinds = kinds
    self.summary = summary
    self.coded = coded
  }
}

/// A field's position in `CanonicalSchema.fields` and in `Record.values`.
public typealias FieldID = Int

/// The canonical receipt and disbursement: the fields rules can name.
///
/// Every reader maps its format onto these fields; rules never see a format's own
/// column names. docs/language.md lists them ("Record fields"). Fields about the other
/// party (names, address, employer) describe the contributor on a receipt and the payee
/// on a disbursement.
public enum CanonicalSchema {
  private static let both: Set<RecordKind> = [.receipt, .disbursement]

  public static let fields: [FieldSpec] = [
    FieldSpec(
      name: "filer_id", type: .string, kinds: both,
      summary: "the filing committee's id (FEC C00123456, EC RegulatedEntityId)"),
    FieldSpec(
      name: "filer_name", type: .string, kinds: both,
      summary: "the filing committee's or regulated entity's name"),
    FieldSpec(
      name: "committee_type", type: .string, kinds: both, coded: true,
      summary:
        "the filer's committee type (FEC: H, S, P candidate committees; Q, N PACs; X, Y parties; O super PAC)"
    ),
    FieldSpec(
      name: "form_type", type: .string, kinds: both, coded: true,
      summary: "the line or schedule the record came from (SA11AI, SB17, ...)"),
    FieldSpec(
      name: "transaction_id", type: .string, kinds: both,
      summary: "the filer's id for this transaction"),
    FieldSpec(
      name: "back_reference", type: .string, kinds: both,
      summary: "the transaction id this record points back to (refunds, redesignations, memos)"),
    FieldSpec(
      name: "entity_type", type: .string, kinds: both, coded: true,
      summary: "who the other party is (FEC: IND, ORG, PAC, PTY, CCM, COM, CAN)"),
    FieldSpec(
      name: "name", type: .string, kinds: both,
      summary:
        "the other party's full name as filed; built from the name parts when only they are mapped"),
    FieldSpec(
      name: "organization_name", type: .string, kinds: both,
      summary: "the other party's name when it is an organisation"),
    FieldSpec(
      name: "last_name", type: .string, kinds: both, summary: "an individual's family name"),
    FieldSpec(
      name: "first_name", type: .string, kinds: both, summary: "an individual's given name"),
    FieldSpec(
      name: "middle_name", type: .string, kinds: both,
      summary: "an individual's middle name or initial"),
    FieldSpec(name: "prefix", type: .string, kinds: both, summary: "name prefix (MR, DR, ...)"),
    FieldSpec(name: "suffix", type: .string, kinds: both, summary: "name suffix (JR, III, ...)"),
    FieldSpec(name: "street1", type: .string, kinds: both, summary: "street address, first line"),
    FieldSpec(name: "street2", type: .string, kinds: both, summary: "street address, second line"),
    FieldSpec(name: "city", type: .string, kinds: both, summary: "city"),
    FieldSpec(name: "state", type: .string, kinds: both, summary: "state or region"),
    FieldSpec(name: "zip", type: .string, kinds: both, summary: "ZIP code or postcode as filed"),
    FieldSpec(name: "country", type: .string, kinds: both, summary: "country"),
    FieldSpec(
      name: "employer", type: .string, kinds: [.receipt],
      summary: "a contributing individual's employer"),
    FieldSpec(
      name: "occupation", type: .string, kinds: [.receipt],
      summary: "a contributing individual's occupation"),
    FieldSpec(
      name: "date", type: .date, kinds: both, summary: "the date of the receipt or disbursement"),
    FieldSpec(name: "amount", type: .money, kinds: both, summary: "the amount of this transaction"),
    FieldSpec(
      name: "aggregate", type: .money, kinds: both,
      summary:
        "the aggregate the filer reported with it (FEC: cycle-to-date for candidate committees, calendar-year for PACs and parties)"
    ),
    FieldSpec(
      name: "election_code", type: .string, kinds: both, coded: true,
      summary: "election designation as filed (P2024, G2024, ...)"),
    FieldSpec(
      name: "election_other_description", type: .string, kinds: both,
      summary: "description of an 'O' (other) election designation"),
    FieldSpec(
      name: "memo", type: .boolean, kinds: both, coded: true,
      summary: "true for a memo entry (not money received or spent)"),
    FieldSpec(name: "memo_text", type: .string, kinds: both, summary: "the memo text"),
    FieldSpec(
      name: "payment_method", type: .string, kinds: both, coded: true,
      summary: "how the money moved (cash, check, card, ...), lower case as mapped"),
    FieldSpec(
      name: "purpose", type: .string, kinds: both,
      summary: "purpose of a disbursement, or a receipt's description"),
    FieldSpec(
      name: "donor_committee_id", type: .string, kinds: [.receipt],
      summary: "the contributing committee's id, when a committee gave"),
    FieldSpec(
      name: "donor_status", type: .string, kinds: [.receipt], coded: true,
      summary: "the donor's status as filed (UK: Individual, Company, Trade Union, ...)"),
    FieldSpec(
      name: "received_date", type: .date, kinds: [.receipt],
      summary: "the date the donation was received (UK)"),
    FieldSpec(
      name: "accepted_date", type: .date, kinds: [.receipt],
      summary: "the date the donation was accepted (UK)"),
    FieldSpec(
      name: "accounting_unit", type: .string, kinds: both,
      summary:
        "the party section the record belongs to (UK: \"Central Party\" or an accounting unit's name)"
    ),
    FieldSpec(
      name: "donation_action", type: .string, kinds: [.receipt], coded: true,
      summary:
        "what the recipient did with a donation it could not keep (UK: Returned, Forfeited, Deferred)"
    ),
    FieldSpec(
      name: "donor_id", type: .string, kinds: [.receipt],
      summary: "the regulator's own id for the donor (UK: DonorId)"),
    // The report a record was filed on (FEC cover record, bulk files).
    FieldSpec(
      name: "report_form", type: .string, kinds: both, coded: true,
      summary:
        "the form of the report the record was filed on, without its N/A/T suffix (FEC: F3, F3X, F3P, ...)"
    ),
    FieldSpec(
      name: "amendment", type: .boolean, kinds: both, coded: true,
      summary: "true when the report amends an earlier one (FEC F3A, F3XA, ...; bulk AMNDT_IND A)"),
    FieldSpec(
      name: "amended_filing", type: .string, kinds: both,
      summary: "the filing an amendment replaces, by its number, as its .fec header names it"),
    FieldSpec(
      name: "report_type", type: .string, kinds: both, coded: true,
      summary: "the report's period code (FEC Q1, M6, YE, 12P, ...; UK reporting period)"),
    FieldSpec(
      name: "report_period_start", type: .date, kinds: both,
      summary: "the first day the report covers"),
    FieldSpec(
      name: "report_period_end", type: .date, kinds: both, summary: "the last day the report covers"
    ),
    // More of the UK register.
    FieldSpec(
      name: "donor_company_number", type: .string, kinds: [.receipt],
      summary: "the donor's company registration number as filed (UK)"),
    FieldSpec(
      name: "donee_type", type: .string, kinds: [.receipt], coded: true,
      summary:
        "the kind of regulated donee (UK: MP - Member of Parliament, Members Association, ...)"),
    FieldSpec(
      name: "aggregation", type: .boolean, kinds: [.receipt],
      summary:
        "true when the register lists the donation because it aggregates with others over the threshold (UK)"
    ),
    FieldSpec(
      name: "reported_date", type: .date, kinds: [.receipt],
      summary: "the date the recipient reported the donation to the regulator (UK: ReportedDate)"),
    FieldSpec(
      name: "sponsorship", type: .boolean, kinds: [.receipt],
      summary:
        "true when the donation is a sponsorship (UK: IsSponsorship; PPERA s.7): money or property given to meet the costs of an event, a publication or the like"
    ),
  ]

  private static let byName: [String: FieldID] = {
    var table: [String: FieldID] = [:]
    for (index, field) in fields.enumerated() { table[field.name] = index }
    return table
  }()

  public static func id(named name: String) -> FieldID? { byName[name] }

  public static func spec(_ id: FieldID) -> FieldSpec { fields[id] }

  public static var count: Int { fields.count }
}

/// Where a record came from: enough to find it again and to cite it.
public struct Provenance: Hashable, Sendable {
  /// The path of the filing as given on the command line.
  public var file: String { filing.path }
  /// The filing's path.
  public var filing: FilingPath { reference.takeUnretainedValue() }
  /// The filing's path by its identity, read without counting a reference to it (as
  /// `filing` is): one path, one identity.
  public var filingIdentity: UnsafeMutableRawPointer { reference.toOpaque() }
  /// Held without a reference count (`FilingPath`).
  private let reference: Unmanaged<FilingPath>
  /// The physical line (1-based) on which the record starts.
  public let line: Int
  /// Where in the file's structure the record is, for formats with a structure: the
  /// element path of an XML record (`/filing/receipt[3]`). nil for line-based formats.
  public let locator: String?

  public init(file: String, line: Int, locator: String? = nil) {
    self.init(filing: FilingPath.named(file), line: line, locator: locator)
  }

  /// A record's provenance in a file whose path a reader looked up once.
  public init(filing: FilingPath, line: Int, locator: String? = nil) {
    self.reference = Unmanaged.passUnretained(filing)
    self.line = line
    self.locator = locator
  }

  // By the path's identity: there is one `FilingPath` a path.
  public static func == (a: Provenance, b: Provenance) -> Bool {
    a.line == b.line && a.filingIdentity == b.filingIdentity && a.locator == b.locator
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(filingIdentity)
    hasher.combine(line)
    hasher.combine(locator)
  }
}

/// The path of a filing, one object a path for the process's life (`named`), which a
/// record's provenance holds without counting references to it (`Unmanaged`, safe
/// because none is ever let go).
///
/// A record is made on the reader's thread and let go on the run's: a path held as a
/// `String` (one of more than 15 bytes is a counted object shared by every record of
/// the file) was counted up on one core and down on the other at every record, and the
/// count's cache line went back and forth between them. A process keeps every path it
/// read records from: a few dozen bytes each, for as many files as it reads.
public final class FilingPath: Sendable {
  public let path: String

  private init(_ path: String) { self.path = path }

  /// The one `FilingPath` of `path`.
  public static func named(_ path: String) -> FilingPath {
    known.withLock { paths in
      if let filing = paths[path] { return filing }
      let filing = FilingPath(path)
      paths[path] = filing
      return filing
    }
  }

  private static let known = Mutex<[String: FilingPath]>([:])
}

/// A set of fields, as bits (the schema has fewer than 128 fields).
public struct FieldSet: Hashable, Sendable {
  // Inlinable: read for every field of every record, from the other modules.
  @usableFromInline var low: UInt64 = 0
  @usableFromInline var high: UInt64 = 0

  public init() {}

  public init(_ fields: some Sequence<FieldID>) {
    for field in fields { insert(field) }
  }

  public mutating func insert(_ field: FieldID) {
    if field < 64 { low |= 1 << UInt64(field) } else { high |= 1 << UInt64(field - 64) }
  }

  @inlinable public func contains(_ field: FieldID) -> Bool {
    field < 64 ? low & (1 << UInt64(field)) != 0 : high & (1 << UInt64(field - 64)) != 0
  }

  public mutating func formUnion(_ other: FieldSet) {
    low |= other.low
    high |= other.high
  }

  /// Every field of the schema that is not in this set.
  public var complement: FieldSet {
    FieldSet((0..<CanonicalSchema.count).filter { !contains($0) })
  }
}

/// One receipt or disbursement in canonical form.
public struct Record: Sendable {
  public let kind: RecordKind
  public let provenance: Provenance
  /// Indexed by `FieldID`; `.missing` where the filing has no value.
  public var values: [Value]
  /// Fields the filing's format does not have at all (no column, no element): on these
  /// "blank" cannot be told from "not reported", so `blank`, `present` and `missing` give
  /// missing rather than an answer; `??` still gives its default (docs/language.md,
  /// "Missing values"). Such a field's value is missing: a memo's questions
  /// (`ProjectionMemo.Atom`) take a field that is there for one its format has.
  public var unavailable = FieldSet()
  /// Fields the reader was told the run does not read (`FilingReader.read(fields:)`):
  /// their values may be missing or not. Reading one through a subscript is a
  /// programming error (a field the run reads that `CheckRun.fieldsRead` does not name),
  /// stopped in debug builds, so that the tests catch it.
  public var leftOut = FieldSet()
  /// The byte offset in its file of the first byte of the line the record starts on,
  /// where the reader knows it (delimited text and .fec; -1 otherwise): a second pass
  /// goes straight there (`LineSelection`) instead of reading the file again from the
  /// start. Not part of the record's provenance: it names no place a person reads.
  public var offset = -1

  public init(kind: RecordKind, provenance: Provenance, values: [Value]? = nil) {
    self.kind = kind
    self.provenance = provenance
    self.values = values ?? Array(repeating: .missing, count: CanonicalSchema.count)
  }

  @inlinable public subscript(field: FieldID) -> Value {
    get {
      assert(
        !leftOut.contains(field),
        "'\(CanonicalSchema.spec(field).name)' was left out by the reader: add it to CheckRun.fieldsRead"
      )
      return values[field]
    }
    set { values[field] = newValue }
  }

  public subscript(name: String) -> Value {
    guard let id = CanonicalSchema.id(named: name) else { return .missing }
    return self[id]
  }

  /// The transaction id, when the format has one.
  public var transactionID: String? {
    if let field = Record.transactionIDField, case .string(let id) = self[field] { return id }
    return nil
  }

  /// The field `transactionID` reads, looked up by name once, not for every finding.
  static let transactionIDField = CanonicalSchema.id(named: "transaction_id")
}

/// The records a second pass over one file wants (`CheckRun.replaySelection`): the lines
/// they start on and, where the first pass noted them, the byte offsets of those lines.
/// With the offsets, a reader that can seek goes from one wanted line to the next
/// without reading what lies between (a few thousand lines of a file of millions);
/// without them it reads the file from its start, passing over the other lines.
public struct LineSelection: Sendable, Equatable {
  /// The lines the wanted records start on.
  public private(set) var lines: Set<Int>
  /// The byte offset of the first byte of each line of `lines`; empty when the offsets
  /// of some are not known.
  public private(set) var offsets: [Int: Int]

  public init(lines: Set<Int>, offsets: [Int: Int] = [:]) {
    self.lines = lines
    self.offsets = lines.allSatisfy { offsets[$0] != nil } ? offsets : [:]
  }

  /// The wanted lines in order, each with its offset (nil when not known).
  public var sorted: [(line: Int, offset: Int?)] {
    lines.sorted().map { ($0, offsets[$0]) }
  }
}

/// Arrays of record values handed back once their records are done with, for a reader
/// on the same thread to fill again: making, filling with `missing`, destroying and
/// freeing an array of `CanonicalSchema.count` values for every record cost about a
/// tenth of the instructions of a check; emptying one again still visits its values, but
/// allocates and frees nothing.
/// An array still shared when it is taken (a record kept by a finding) is copied as it
/// is written (copy on write): nothing kept changes. One thread at a time.
public final class RecordValuesPool: @unchecked Sendable {
  // Taken from and given to for every record, by one thread at a time (the pool's
  // owner): not checked for exclusive access at run time.
  @exclusivity(unchecked) private var arrays: [[Value]] = []
  /// Arrays kept at most (the records that wait between threads, and some).
  public static let capacity = 8_192

  public init() {}

  /// How many arrays are kept.
  public var count: Int { arrays.count }

  /// Keeps a record's values to fill again, when there is room.
  public func give(_ values: [Value]) {
    guard arrays.count < RecordValuesPool.capacity, values.count == CanonicalSchema.count
    else { return }
    arrays.append(values)
  }

  /// `CanonicalSchema.count` missing values: an array given back, emptied, or a new one.
  public func take() -> [Value] {
    guard var values = arrays.popLast() else {
      return Array(repeating: .missing, count: CanonicalSchema.count)
    }
    values.withUnsafeMutableBufferPointer { buffer in
      for index in buffer.indices where !buffer[index].isMissing { buffer[index] = .missing }
    }
    return values
  }
}
