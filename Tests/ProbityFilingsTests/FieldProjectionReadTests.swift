import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

/// The readers given the fields a run reads (`FilingReader.read(fields:)`): plain ASCII
/// text cells of other fields are passed over and left missing; every other cell is read
/// and checked as before, so the same rows are accepted and rejected, with the same
/// messages.
@Suite("Reading only the fields wanted")
struct FieldProjectionReadTests {
  static func id(_ name: String) throws -> FieldID { try #require(CanonicalSchema.id(named: name)) }

  static func read(_ path: String, fields: FieldSet?) throws -> ReadResult {
    var result = ReadResult()
    result.statistics = try FilingReader.read(
      path: path, format: nil, mapping: nil, fields: fields,
      onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
    return result
  }

  static let header =
    "kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code,memo,payment_method\n"

  @Test("text fields not wanted are left missing; the others are read")
  func leftMissing() throws {
    let path = try temporaryFile(
      Self.header
        + "receipt,C001,H,SA11AI,T1,IND,\"SMITH, JO\",1 Main Street Apartment 4,Dayton,OH,45402,Acme Corporation,Clerk,2024-01-02,50.00,,P2024,,check\n"
    )
    let wanted = FieldSet([try Self.id("amount"), try Self.id("employer")])
    let record = try #require(try Self.read(path, fields: wanted).records.first)
    let all = try #require(try Self.read(path, fields: nil).records.first)
    #expect(record[try Self.id("employer")] == .string("Acme Corporation"))
    #expect(record[try Self.id("amount")] == all[try Self.id("amount")])
    // Not text: read whatever is wanted (a bad date or amount rejects the row).
    #expect(record.values[try Self.id("date")] == all[try Self.id("date")])
    for name in ["street1", "city", "occupation", "name", "transaction_id"] {
      #expect(record.values[try Self.id(name)] == .missing, "\(name)")
      #expect(record.leftOut.contains(try Self.id(name)), "\(name)")
      #expect(all[try Self.id(name)] != .missing, "\(name)")
    }
    #expect(record.unavailable == all.unavailable)
    #expect(all.leftOut == FieldSet())
    #expect(!record.leftOut.contains(try Self.id("amount")))
    #expect(!record.leftOut.contains(try Self.id("employer")))
  }

  /// Rows rejected for a cell of a field not wanted are rejected all the same: a bad
  /// date, a bad amount, a byte that is not UTF-8 in a text cell.
  @Test("rows are rejected for cells of fields not wanted, with the same messages")
  func sameRejections() throws {
    var bytes = Array(
      (Self.header
        + "receipt,C001,H,SA11AI,T1,IND,\"SMITH, JO\",1 Main St,Dayton,OH,45402,Acme,Clerk,2024-13-02,50.00,,P2024,,check\n"
        + "receipt,C001,H,SA11AI,T2,IND,\"SMITH, JO\",1 Main St,Dayton,OH,45402,Acme,Clerk,2024-01-02,50.00,lots,P2024,,check\n"
        + "receipt,C001,H,SA11AI,T3,IND,\"SMITH, JO\",1 Main St,Dayton,OH,45402,Acme,Cl").utf8)
    bytes += [0xFF]
    bytes += Array(
      ("rk,2024-01-02,50.00,,P2024,,check\n"
        + "receipt,C001,H,SA11AI,T4,IND,\"SMITH, JO\",1 Main St,Dayton,OH,45402,Acme,Cl\u{E9}rk,2024-01-02,50.00,,P2024,,check\n"
        + "receipt,C001,H,SA11AI,T5,IND,\"SMITH, JO\",1 Main St,Dayton,OH,45402,Acme,Clerk,2024-01-02,50.00,,P2024,,check\n")
        .utf8)
    let path = try temporaryFile(bytes)
    let wanted = FieldSet([try Self.id("amount")])
    let projected = try Self.read(path, fields: wanted)
    let all = try Self.read(path, fields: nil)
    #expect(projected.problems.map { $0.rendered() } == all.problems.map { $0.rendered() })
    #expect(projected.problemLines == [2, 3, 4])
    #expect(projected.lines == [5, 6])
    // A text cell that is not plain ASCII is decoded (and checked), wanted or not.
    #expect(projected.records.first?.values[try Self.id("occupation")] == .string("Cl\u{E9}rk"))
    #expect(projected.records.last?.values[try Self.id("occupation")] == .missing)
    #expect(projected.statistics.recordsRejected == all.statistics.recordsRejected)
  }

  /// In a .fec filing too: a byte that is no character, in a column of a field not
  /// wanted, rejects its line as before; a plain one is passed over.
  @Test("a .fec line is rejected for a bad byte in a field not wanted")
  func fecRejections() throws {
    func line(_ cells: [String], street: [UInt8]) -> [UInt8] {
      var out: [UInt8] = []
      for (index, cell) in cells.enumerated() {
        if index > 0 { out.append(0x1C) }
        out += index == 12 ? street : Array(cell.utf8)
      }
      return out + [0x0A]
    }
    var sa = [
      "SA11AI", "C00999001", "T1", "", "", "IND", "", "SMITH", "PAT", "", "", "", "street", "",
      "Dayton", "OH", "45402", "P2024", "", "20240105", "250.00", "", "", "Acme", "Clerk",
    ]
    let separator = String(UnicodeScalar(0x1C))
    var bytes = Array(
      (["HDR", "FEC", "8.3", "x", "1", "", ""].joined(separator: separator) + "\n").utf8)
    bytes += Array(
      ([
        "F3N", "C00999001", "Bench", "1 Main", "", "Dayton", "OH", "45402", "X", "OH", "10", "Q2",
        "", "", "", "20240101", "20240930",
      ].joined(separator: separator) + "\n").utf8)
    bytes += line(sa, street: Array("1 Main St".utf8))
    sa[2] = "T2"
    bytes += line(sa, street: [0x31, 0x81, 0x20, 0x4D])
    sa[2] = "T3"
    // A line longer than the reader's row buffer (4 KiB), then a short one again.
    let long = "2 Oak Ave" + String(repeating: "x", count: 6_000)
    bytes += line(sa, street: Array(long.utf8))
    sa[2] = "T4"
    bytes += line(sa, street: Array("3 Elm Rd".utf8))
    let path = try temporaryFile(bytes, suffix: ".fec")
    let wanted = FieldSet([try Self.id("amount"), try Self.id("transaction_id")])
    let projected = try Self.read(path, fields: wanted)
    let all = try Self.read(path, fields: nil)
    #expect(projected.problems.map { $0.rendered() } == all.problems.map { $0.rendered() })
    #expect(projected.problemLines == [4])
    #expect(projected.records.map(\.transactionID) == ["T1", "T3", "T4"])
    let street = try Self.id("street1")
    let employer = try Self.id("employer")
    #expect(projected.records.map { $0.values[street] } == [.missing, .missing, .missing])
    #expect(
      all.records.map { $0[street] } == [.string("1 Main St"), .string(long), .string("3 Elm Rd")])
    #expect(
      all.records.map { $0[employer] }
        == Array(repeating: .string("Acme"), count: 3))
  }

  /// A wanted `name` brings the fields it is derived from (a .fec record has its parts).
  @Test("a .fec filing: the name from its parts, other text left missing")
  func fec() throws {
    let path = sharedFile("data/fec/1544132.fec")
    let all = try Self.read(path, fields: nil)
    let projected = try Self.read(path, fields: FieldSet([try Self.id("name")]))
    #expect(projected.records.count == all.records.count)
    #expect(projected.problems.map { $0.rendered() } == all.problems.map { $0.rendered() })
    #expect(projected.records.count > 100)
    let (name, amount, city) = (try Self.id("name"), try Self.id("amount"), try Self.id("city"))
    var leftOut = 0
    for (got, expected) in zip(projected.records, all.records) {
      #expect(got[name] == expected[name])
      #expect(got.values[amount] == expected[amount])
      if got.values[city] == .missing && expected[city] != .missing { leftOut += 1 }
    }
    #expect(leftOut == all.records.filter { $0[city] != .missing }.count)
    #expect(leftOut > 100)
  }
}
