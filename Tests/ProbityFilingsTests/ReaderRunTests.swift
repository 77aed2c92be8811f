import ProbityCore
import Testing

@testable import ProbityFilings

/// The readers keep the last kind cell's decision and the last .fec record type: rows
/// that change kind, case, blanks or bytes from one row to the next are each read anew.
@Suite("Readers: what is kept from one row to the next")
struct ReaderRunTests {
  @Test("CSV: kind cells that change from row to row, in case, blanks and bytes")
  func kindRuns() throws {
    let mapping = try cleanMapping(
      "[file]\ncurrency = USD\nencoding = windows-1252\n[kind]\ncolumn = k\nreceipt = R, receipt\ndisbursement = SB\nskip = TEXT\n[fields]\ntransaction_id = column id\namount = column amount\n"
    )
    var bytes = Array("k,id,amount\n".utf8)
    let kinds: [[UInt8]] = [
      Array("R".utf8), Array("R".utf8), Array(" r ".utf8), Array("SB".utf8), Array("TEXT".utf8),
      Array("SB".utf8), Array("bogus".utf8), Array("bogus".utf8), Array("R".utf8), [0x52, 0xE9],
      Array("receipt".utf8), Array("".utf8), Array("Receipt".utf8), [0x81], Array("R".utf8),
    ]
    for (index, kind) in kinds.enumerated() {
      bytes += kind + Array(",T\(index),\(index).00\n".utf8)
    }
    let result = try read(path: try temporaryFile(bytes), mapping: mapping)
    #expect(
      result.records.map(\.kind)
        == [
          .receipt, .receipt, .receipt, .disbursement, .disbursement, .receipt, .receipt, .receipt,
          .receipt,
        ])
    #expect(
      result.records.map(\.transactionID) == [
        "T0", "T1", "T2", "T3", "T5", "T8", "T10", "T12", "T14",
      ])
    #expect(
      result.problems.map(\.message) == [
        "column 1 \"k\" (kind) has \"bogus\", which the mapping does not list as a kind",
        "column 1 \"k\" (kind) has \"bogus\", which the mapping does not list as a kind",
        "column 1 \"k\" (kind) has \"Ré\", which the mapping does not list as a kind",
        "column 1 \"k\" (kind) is empty, which the mapping does not list as a kind",
        "column 1 \"k\" (kind): byte 0x81 at position 1 is not a character in Windows-1252",
      ])
    #expect(result.problemLines == [8, 9, 11, 13, 15])
    #expect(
      result.statistics == ReadStatistics(recordsRead: 14, recordsRejected: 5, rowsSkipped: 1))
  }

  @Test(".fec: record types that change from line to line, in case and blanks")
  func recordTypeRuns() throws {
    var text = fecLine(["HDR", "FEC", "8.3", "x", "1"])
    text += fecLine([
      "F3N", "C00000001", "Committee", "", "", "", "", "", "", "", "", "Q1", "", "", "", "20240101",
      "20240331",
    ])
    let types = [
      "SA11AI", "SA11AI", "sa11ai", " SA11AI ", "SB17", "SB17", "ZZ9", "ZZ9", "SA11AI", "TEXT",
      "SA11AI",
    ]
    for (index, type) in types.enumerated() {
      var fields = [type, "C00000001", "T\(index)"] + Array(repeating: "", count: 22)
      fields[19] = "20240105"
      fields[20] = "\(index).00"
      text += fecLine(fields)
    }
    let result = try readFEC(text)
    #expect(
      result.records.map(\.transactionID) == ["T0", "T1", "T2", "T3", "T4", "T5", "T8", "T10"])
    #expect(result.records.map(\.kind)[4...5] == [.disbursement, .disbursement])
    #expect(result.problems.map(\.id) == ["F0016", "F0016"])
    #expect(result.problemLines == [9, 10])
    #expect(
      result.statistics.recordTypes == [
        "HDR": 1, "F3N": 1, "SA11AI": 6, "SB17": 2, "ZZ9": 2, "TEXT": 1,
      ])
  }
}
