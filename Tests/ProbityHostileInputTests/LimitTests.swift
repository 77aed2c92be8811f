import Foundation
import ProbityCore
import ProbityFilings
import ProbityTestSupport
import Testing

/// A file holding `text` in a fresh temporary folder.
func scratchFile(_ text: String, _ name: String = "filing.csv") throws -> String {
  let folder = scratchFolder.appendingPathComponent(
    "probity-hostile-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let url = folder.appendingPathComponent(name)
  try Data(text.utf8).write(to: url)
  return url.path
}

struct Read {
  var records: [Record] = []
  var problems: [Diagnostic] = []
  var statistics = ReadStatistics()
  var error: FilingError?

  var ids: [String] { records.compactMap(\.transactionID) }
  var problemIDs: [String] { problems.map(\.id) }
  var problemLines: [Int] { problems.compactMap(\.line) }
}

func read(_ text: String, _ name: String = "filing.csv", limits: ReaderLimits) throws -> Read {
  let path = try scratchFile(text, name)
  var result = Read()
  do {
    result.statistics = try FilingReader.read(
      path: path, format: nil, mapping: nil, limits: limits,
      onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
  } catch {
    result.error = error
    result.statistics = error.statistics
  }
  #expect(
    result.records.count == result.statistics.recordsRead - result.statistics.recordsRejected,
    "every record read is delivered or rejected")
  return result
}

let header = "kind,transaction_id,date,amount,name\n"
func row(_ id: String, name: String = "SMITH, JOHN") -> String {
  "receipt,\(id),2024-03-01,25.00,\"\(name)\"\n"
}

@Suite("Reader limits") struct ReaderLimitTests {
  @Test("sizes: bytes, K, M, G; the limits refuse nonsense")
  func sizes() {
    #expect(ReaderLimits.parseSize("1048576") == 1_048_576)
    #expect(ReaderLimits.parseSize("512K") == 512 * 1024)
    #expect(ReaderLimits.parseSize("4m") == 4 * 1024 * 1024)
    #expect(ReaderLimits.parseSize("1GiB") == 1024 * 1024 * 1024)
    #expect(ReaderLimits.parseSize("4MB") == 4 * 1024 * 1024)
    for bad in ["", "M", "-1", "1.5M", "1T", "99999999999999999999", "9999999999999999G"] {
      #expect(ReaderLimits.parseSize(bad) == nil, "\(bad)")
    }
    #expect(ReaderLimits.default.problem == nil)
    #expect(ReaderLimits(maxFieldBytes: 0).problem != nil)
    #expect(ReaderLimits(maxRecordBytes: 0).problem != nil)
    // At most 1 GiB each (a group key's length is kept in 32 bits).
    let gib = 1024 * 1024 * 1024
    #expect(ReaderLimits(maxFieldBytes: gib, maxRecordBytes: gib).problem == nil)
    #expect(
      ReaderLimits(maxFieldBytes: gib + 1).problem
        == "the field limit must be between 1 byte and 1 GiB")
    #expect(ReaderLimits(maxRecordBytes: 8 * gib).problem != nil)
    #expect(ReaderLimits(maxXMLDepth: 257).problem != nil)
    #expect(ReaderLimits(maxXMLDepth: 0).problem != nil)
    #expect(ReaderLimits.describe(bytes: 4 * 1024 * 1024) == "4 MiB")
    #expect(ReaderLimits.describe(bytes: 64 * 1024) == "64 KiB")
    #expect(ReaderLimits.describe(bytes: 1000) == "1000 bytes")
  }

  @Test("CSV: a field over the limit rejects its row at its line; a field at the limit is read")
  func csvField() throws {
    let limits = ReaderLimits(maxFieldBytes: 16)
    let text =
      header + row("T1") + row("T2", name: String(repeating: "x", count: 17))
      + row("T3", name: String(repeating: "y", count: 16)) + row("T4")
    let result = try read(text, limits: limits)
    #expect(result.ids == ["T1", "T3", "T4"])
    #expect(result.problemIDs == ["F0022"])
    #expect(result.problemLines == [3])
    #expect(
      result.problems.first?.message.contains("column 5 \"name\": a field of 17 bytes") == true)
    #expect(result.statistics == ReadStatistics(recordsRead: 4, recordsRejected: 1))
  }

  @Test(
    "CSV: a quoted field over the limit across lines is one rejection; its lines are not read as rows"
  )
  func csvMultilineField() throws {
    let limits = ReaderLimits(maxFieldBytes: 64, maxRecordBytes: 64 * 1024)
    let memo = (1...50).map { "line \($0) of a long memo" }.joined(separator: "\n")
    let result = try read(header + row("T1") + row("T2", name: memo) + row("T3"), limits: limits)
    #expect(result.ids == ["T1", "T3"])
    #expect(result.problemIDs == ["F0022"])
    #expect(result.problemLines == [3])
    #expect(result.records.last?.provenance.line == 53)
  }

  @Test("CSV: a field far over the limit is never held: its bytes are dropped as they come")
  func csvHugeField() throws {
    let limits = ReaderLimits(maxFieldBytes: 1024, maxRecordBytes: 64 * 1024 * 1024)
    let huge = String(repeating: "z", count: 8 * 1024 * 1024)
    let result = try read(header + row("T1") + row("T2", name: huge) + row("T3"), limits: limits)
    #expect(result.ids == ["T1", "T3"])
    #expect(
      result.problems.map(\.message) == [
        "column 5 \"name\": a field of \(huge.utf8.count) bytes over the limit of 1 KiB (--max-field-bytes)"
      ])
  }

  @Test("CSV: a row over the field limit whose kind is skipped is skipped, not rejected")
  func csvSkippedRow() throws {
    let mapping = try #require(
      Mapping.parse(
        SourceFile(
          path: "skip.map",
          text: """
            [file]
            currency = USD
            [kind]
            column = kind
            receipt = receipt
            skip = TEXT
            [fields]
            transaction_id = column transaction_id
            amount = column amount
            date = column date
            name = column name
            """)
      ).mapping)
    let path = try scratchFile(
      header + "TEXT,X1,,,\"\(String(repeating: "t", count: 100))\"\n" + row("T1"))
    var ids: [String?] = []
    let statistics = try CSVReader(
      path: path, mapping: mapping, limits: ReaderLimits(maxFieldBytes: 20)
    )
    .read(onRecord: { ids.append($0.transactionID) }, onProblem: { _ in })
    #expect(ids == ["T1"])
    #expect(statistics == ReadStatistics(recordsRead: 1, recordsRejected: 0, rowsSkipped: 1))
  }

  @Test("CSV: a header over the field limit stops the read, at line 1")
  func csvHeader() throws {
    let result = try read(
      "kind,transaction_id,date,amount,name," + String(repeating: "h", count: 100) + "\n"
        + row("T1"),
      limits: ReaderLimits(maxFieldBytes: 50))
    #expect(result.error?.diagnostic.id == "F0022")
    #expect(result.error?.diagnostic.line == 1)
  }

  @Test("CSV: a record over the record limit is rejected (F0021); the file goes on")
  func csvRecord() throws {
    let limits = ReaderLimits(maxFieldBytes: 100, maxRecordBytes: 200)
    let long =
      "receipt,T2,2024-03-01,25.00,\"" + String(repeating: "n", count: 90) + "\""
      + String(repeating: "," + String(repeating: "e", count: 90), count: 3) + "\n"
    let text =
      "kind,transaction_id,date,amount,name,a,b,c\n" + "receipt,T1,2024-03-01,25.00,X,,,\n"
      + long + "receipt,T3,2024-03-01,25.00,X,,,\n"
    let result = try read(text, limits: limits)
    #expect(result.ids == ["T1", "T3"])
    #expect(result.problemIDs == ["F0021"])
    #expect(result.problems.first?.message.contains("longer than 200 bytes") == true)
  }

  @Test("a NUL byte in a cell rejects the row (F0010), in every encoding")
  func nul() throws {
    let result = try read(
      header + row("T1") + row("T2", name: "JO\u{0}NES") + row("T3"), limits: .default)
    #expect(result.ids == ["T1", "T3"])
    #expect(result.problemIDs == ["F0010"])
    for encoding in TextEncoding.allCases {
      let bytes: [UInt8] = [0x41, 0, 0x42]
      #expect((try? encoding.decode(bytes).get()) == nil, "\(encoding)")
    }
  }

  static let fs = "\u{1C}"
  static func fecLine(_ fields: [String]) -> String { fields.joined(separator: fs) + "\n" }
  static func receipt(_ id: String, name: String = "SMITH") -> String {
    var fields = [String](repeating: "", count: 45)
    fields[0] = "SA11AI"
    fields[1] = "C00999001"
    fields[2] = id
    fields[5] = "IND"
    fields[7] = name
    fields[19] = "20240301"
    fields[20] = "25.00"
    return fecLine(fields)
  }
  static let fecHeader = fecLine(["HDR", "FEC", "8.3", "X", "1"]) + fecLine(["F3XN", "C00999001"])

  @Test(
    ".fec: a field over the limit rejects its record, naming the column; a line over the limit too")
  func fec() throws {
    let text =
      Self.fecHeader + Self.receipt("SA.1")
      + Self.receipt("SA.2", name: String(repeating: "x", count: 300))
      + Self.receipt("SA.3") + "SA11AI" + Self.fs + String(repeating: "y", count: 5000) + "\n"
      // A line longer than the field limit, no field of it over: read.
      + Self.receipt("SA.5", name: String(repeating: "z", count: 190))
    let result = try read(
      text, "filing.fec", limits: ReaderLimits(maxFieldBytes: 200, maxRecordBytes: 4096))
    #expect(result.ids == ["SA.1", "SA.3", "SA.5"])
    #expect(result.problemIDs == ["F0022", "F0021"])
    #expect(result.problemLines == [4, 6])
    #expect(
      result.problems.first?.message.contains(
        "column 8 contributor_last_name: a field of 300 bytes") == true)
    #expect(result.problems.last?.message.contains("longer than 4 KiB") == true)
  }

  @Test(".fec: a first field longer than any record type is an unknown type, shown shortened")
  func fecLongType() throws {
    let type = String(repeating: "SA11AI", count: 1000)
    let result = try read(Self.fecHeader + type + Self.fs + "C1\n", "filing.fec", limits: .default)
    #expect(result.problemIDs == ["F0016"])
    #expect((result.problems.first?.message.count ?? 0) < 300)
    #expect(result.statistics.recordTypes.keys.allSatisfy { $0.count <= 33 })
  }

  static func xml(_ body: String) -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing xmlns=\"urn:probity:filing:1\" version=\"1\">\n"
      + body + "</filing>\n"
  }
  static func xmlReceipt(_ id: String, name: String = "Smith", extra: String = "") -> String {
    "<receipt id=\"\(id)\"\(extra)><date>2024-03-01</date><amount>25.00</amount>"
      + "<party><last-name>\(name)</last-name></party></receipt>\n"
  }

  @Test("XML: text or an attribute over the field limit rejects its record; the file goes on")
  func xmlField() throws {
    let long = String(repeating: "x", count: 300)
    let text = Self.xml(
      Self.xmlReceipt("R1") + Self.xmlReceipt("R2", name: long)
        + Self.xmlReceipt("R3", extra: " form-type=\"\(long)\"") + Self.xmlReceipt("R4"))
    let result = try read(text, "filing.xml", limits: ReaderLimits(maxFieldBytes: 200))
    #expect(result.ids == ["R1", "R4"])
    #expect(result.problemIDs == ["F0022", "F0022"])
    #expect(result.problemLines == [4, 5])
    #expect(result.problems.first?.message.contains("a field of 300 bytes") == true)
  }

  @Test("XML: a record element over the record limit is rejected (F0021); the file goes on")
  func xmlRecord() throws {
    let padding = String(repeating: "<note>padding padding padding</note>", count: 400)
    let text = Self.xml(
      Self.xmlReceipt("R1")
        + "<receipt id=\"R2\"><date>2024-03-01</date><amount>25.00</amount>\(padding)</receipt>\n"
        + Self.xmlReceipt("R3"))
    let result = try read(text, "filing.xml", limits: ReaderLimits(maxRecordBytes: 4096))
    #expect(result.ids == ["R1", "R3"])
    #expect(result.problemIDs == ["F0021"])
    #expect(result.problemLines == [4])
  }

  @Test(
    "XML: nesting deeper than the limit stops the read at its line, the records before it counted")
  func xmlDepth() throws {
    let deep = String(repeating: "<a>", count: 20) + String(repeating: "</a>", count: 20)
    let text = Self.xml(Self.xmlReceipt("R1") + "\n" + deep + "\n" + Self.xmlReceipt("R2"))
    let result = try read(text, "filing.xml", limits: ReaderLimits(maxXMLDepth: 10))
    #expect(result.error?.diagnostic.id == "F0023")
    #expect(result.error?.diagnostic.line == 5)
    #expect(result.ids == ["R1"])
    #expect(result.statistics.recordsRead == 1)
  }

  @Test("XML: a byte that is not a character of the declared encoding is named in the diagnostic")
  func xmlEncodingError() throws {
    let text =
      "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<filing xmlns=\"urn:probity:filing:1\" version=\"1\">"
      + Self.xmlReceipt("R1") + "\u{81}</filing>\n"
    var bytes = Array(text.utf8)
    // U+0081 is two bytes in UTF-8; the file holds the one byte 0x81.
    if let index = bytes.firstIndex(of: 0xC2) { bytes.remove(at: index) }
    let path = try scratchFile("", "filing.xml")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    do {
      _ = try XMLReader(path: path, mapping: .probityXML).read(
        onRecord: { _ in }, onProblem: { _ in })
      Issue.record("the file was read")
    } catch {
      #expect(error.diagnostic.id == "F0017")
      #expect(
        error.diagnostic.message.contains("input conversion failed"), "\(error.diagnostic.message)")
    }
  }

  @Test("XML: long element names deep down cost no memory past the mapping's longest path")
  func xmlLongNames() throws {
    let name = String(repeating: "n", count: 40_000)
    let depth = 250
    let deep =
      String(repeating: "<\(name)>", count: depth) + String(repeating: "</\(name)>", count: depth)
    let text = Self.xml(Self.xmlReceipt("R1") + deep + "\n" + Self.xmlReceipt("R2"))
    let started = Date()
    let result = try read(text, "filing.xml", limits: .default)
    #expect(result.ids == ["R1", "R2"])
    #expect(result.problems.isEmpty)
    #expect(Date().timeIntervalSince(started) < 10)
  }
}
