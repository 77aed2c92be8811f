import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// The XML reader given the lines a second pass wants, the fields a run reads and a pool
/// of arrays (`FilingReader.read(lines:pool:fields:)`): each record wanted comes exactly
/// as a full read gives it, the text of fields not read is passed over without changing
/// what is accepted or what is said about it, and records' arrays come from the pool.
@Suite("XML: the lines and fields wanted")
struct XMLSelectionTests {
  static func id(_ name: String) throws -> FieldID { try #require(CanonicalSchema.id(named: name)) }

  static func read(
    _ path: String, lines: Set<Int>? = nil, fields: FieldSet? = nil,
    pool: RecordValuesPool? = nil, limits: ReaderLimits = .default
  ) throws -> ReadResult {
    var result = ReadResult()
    result.statistics = try XMLReader(path: path, mapping: .probityXML, limits: limits).read(
      lines: lines.map { LineSelection(lines: $0) }, pool: pool, fields: fields,
      onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
    return result
  }

  /// What a record is, for comparison: where it is and every value.
  static func describe(_ records: [Record]) -> [String] {
    records.map {
      "\($0.provenance.line) \($0.provenance.locator ?? "-") \($0.kind) \($0.values)"
    }
  }

  /// A receipt on one line, with its id, amount and donor's last name.
  static func receipt(_ id: String, _ amount: String, _ last: String) -> String {
    "<receipt id=\"\(id)\"><date>2024-05-01</date><amount>\(amount)</amount>"
      + "<party entity-type=\"IND\"><first-name>Al</first-name><last-name>\(last)</last-name>"
      + "</party></receipt>"
  }

  /// Records alone on their line, three on one line, one over several lines, a skipped
  /// element and filer values between records (absolute fields, read wherever they are).
  static let awkward =
    "<?xml version=\"1.0\"?>\n<filing xmlns=\"urn:probity:filing:1\">\n"
    + "<filer id=\"C1\"><name>First</name></filer>\n"
    + receipt("R1", "10.00", "Ames") + "\n"
    + receipt("R2", "20.00", "Baker") + receipt("R3", "30.00", "Cole")
    + receipt("R4", "40.00", "Diaz") + "\n"
    + "<receipt id=\"R5\">\n<date>2024-05-02</date>\n<amount>50.00</amount>\n</receipt>\n"
    + "<filer id=\"C2\"><name>Second</name></filer>\n"
    + receipt("R6", "60.00", "Egan") + "\n"
    + receipt("R7", "70.00", "Ford") + receipt("R8", "80.00", "Gray") + "\n"
    + "</filing>\n"

  @Test(
    "the records on the lines wanted come as a full read gives them",
    arguments: ["xml/receipts.xml", "awkward"])
  func linesWanted(_ name: String) throws {
    let path =
      name == "awkward" ? try temporaryFile(Self.awkward, suffix: ".xml") : fixture(name)
    let all = try Self.read(path)
    #expect(all.records.count >= 3, "\(name)")
    let lines = Array(Set(all.lines)).sorted()
    let selections: [Set<Int>] = [
      Set(lines), Set(lines.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)),
      [lines[lines.count - 1]], [lines[1]], [lines[0], lines[lines.count - 1]], [],
    ]
    for wanted in selections {
      let some = try Self.read(path, lines: wanted)
      let expected = all.records.filter { wanted.contains($0.provenance.line) }
      #expect(
        Self.describe(some.records) == Self.describe(expected), "\(name), lines \(wanted.sorted())")
      #expect(some.records.allSatisfy { wanted.contains($0.provenance.line) })
      // Only what was read is counted, and reading stops after the last line wanted.
      #expect(some.statistics.recordsRead <= all.statistics.recordsRead)
      if wanted.count < lines.count {
        #expect(some.statistics.recordsRead < all.statistics.recordsRead, "\(wanted.sorted())")
      }
    }
  }

  @Test("the awkward document: the three records of one line come together, in order")
  func severalOnALine() throws {
    let path = try temporaryFile(Self.awkward, suffix: ".xml")
    let all = try Self.read(path)
    #expect(all.records.map(\.transactionID) == ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"])
    let line = try #require(all.records.first { $0.transactionID == "R3" }?.provenance.line)
    let some = try Self.read(path, lines: [line])
    #expect(some.records.map(\.transactionID) == ["R2", "R3", "R4"])
    #expect(
      some.records.map(\.provenance.locator)
        == ["/filing/receipt[2]", "/filing/receipt[3]", "/filing/receipt[4]"])
    // The filer read between records stands for the records after it.
    let last = try #require(all.records.last?.provenance.line)
    let filer = try Self.id("filer_id")
    #expect(
      try Self.read(path, lines: [last]).records.map { $0[filer] } == [
        .string("C2"), .string("C2"),
      ])
    #expect(try Self.read(path, lines: []).records.isEmpty)
  }

  /// Past line 65,535 libxml2's tree reader gave a record the line 65535 while an earlier
  /// one had its own (here R2 on 65544, then R3 on "65535"), and the read, stopping past
  /// the last line wanted, lost R3 (a trail lost the record its finding is raised on; a
  /// review found it). Each record now has its exact line, in order.
  @Test("past line 65,535: exact lines, and the read stops after the last one wanted")
  func linesPastTheLimit() throws {
    func receipt(_ id: Int, _ zip: String) -> String {
      "<receipt id=\"R\(id)\"><date>2024-04-01</date><amount>150.00</amount><party><address>"
        + "<zip>\(zip)</zip></address></party></receipt>\n"
    }
    let text =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing xmlns=\"urn:probity:filing:1\">\n"
      + receipt(1, "99999") + String(repeating: "\n", count: 65_540)
      + "<!--" + String(repeating: " ", count: 147) + "-->" + receipt(2, "11111")
      + receipt(3, "99999") + "</filing>\n"
    let path = try temporaryFile(text, suffix: ".xml")
    let all = try Self.read(path)
    #expect(all.records.map(\.transactionID) == ["R1", "R2", "R3"])
    #expect(all.lines == [3, 65_544, 65_545])
    let wanted: Set<Int> = [all.records[0].provenance.line, all.records[2].provenance.line]
    let some = try Self.read(path, lines: wanted)
    #expect(some.records.map(\.transactionID).contains("R3"), "\(all.lines)")
    #expect(
      Self.describe(some.records)
        == Self.describe(all.records.filter { wanted.contains($0.provenance.line) }))
  }

  @Test("text fields not read are left missing and named; the others are read")
  func fieldsWanted() throws {
    let path = fixture("xml/receipts.xml")
    let wanted = FieldSet([try Self.id("amount"), try Self.id("employer")])
    let projected = try Self.read(path, fields: wanted)
    let all = try Self.read(path)
    #expect(projected.records.count == all.records.count)
    #expect(projected.problems.map { $0.rendered() } == all.problems.map { $0.rendered() })
    let leftOut = ["city", "occupation", "name", "transaction_id", "last_name", "filer_id"]
    for (got, expected) in zip(projected.records, all.records) {
      for name in ["amount", "employer", "date", "memo"] {
        #expect(got.values[try Self.id(name)] == expected[try Self.id(name)], "\(name)")
      }
      for name in leftOut {
        #expect(got.values[try Self.id(name)] == .missing, "\(name)")
        #expect(got.leftOut.contains(try Self.id(name)), "\(name)")
      }
      #expect(got.provenance == expected.provenance)
      #expect(expected.leftOut == FieldSet())
    }
    let (city, transactionID) = (try Self.id("city"), try Self.id("transaction_id"))
    #expect(all.records.contains { $0[city] != .missing })
    #expect(all.records.contains { $0[transactionID] != .missing })
    // A wanted name is derived from its parts, which are read for it.
    let named = try Self.read(path, fields: FieldSet([try Self.id("name")]))
    let name = try Self.id("name")
    #expect(named.records.map { $0[name] } == all.records.map { $0[name] })
    #expect(all.records.contains { $0[name] != .missing })
  }

  /// A field not read still has its element checked: over the field limit, absent where
  /// required, given twice. The same records are rejected, with the same messages.
  @Test("records are rejected for elements of fields not read, with the same messages")
  func sameRejections() throws {
    let text =
      "<?xml version=\"1.0\"?>\n<filing xmlns=\"urn:probity:filing:1\">\n"
      + Self.receipt("R1", "10.00", String(repeating: "L", count: 300)) + "\n"
      + "<receipt><date>2024-05-01</date><amount>20.00</amount></receipt>\n"
      + "<receipt id=\"R3\"><date>2024-05-01</date><amount>30.00</amount>"
      + "<purpose>a</purpose><purpose>b</purpose></receipt>\n"
      + "<receipt id=\"R4\" form-type=\"\(String(repeating: "F", count: 300))\"><date>2024-05-01</date><amount>40.00</amount></receipt>\n"
      + Self.receipt("R5", "lots", "Ames") + "\n"
      + Self.receipt("R6", "60.00", "Baker") + "\n"
      + "</filing>\n"
    let path = try temporaryFile(text, suffix: ".xml")
    let limits = ReaderLimits(maxFieldBytes: 200)
    let wanted = FieldSet([try Self.id("amount")])
    let projected = try Self.read(path, fields: wanted, limits: limits)
    let all = try Self.read(path, limits: limits)
    #expect(projected.problems.map { $0.rendered() } == all.problems.map { $0.rendered() })
    #expect(projected.problemLines == [3, 4, 5, 6, 7])
    #expect(projected.records.map(\.provenance.line) == [8])
    #expect(projected.statistics == all.statistics)
    #expect(
      projected.records.first?[try Self.id("amount")] == all.records.first?[try Self.id("amount")])
  }

  @Test("records' arrays of values come from the pool")
  func pool() throws {
    let pool = RecordValuesPool()
    for _ in 0..<10 { pool.give(Array(repeating: .missing, count: CanonicalSchema.count)) }
    let result = try Self.read(fixture("xml/receipts.xml"), pool: pool)
    #expect(result.records.count == 6)
    #expect(pool.count == 4)
    #expect(
      Self.describe(result.records)
        == Self.describe(try Self.read(fixture("xml/receipts.xml")).records))
  }
}
