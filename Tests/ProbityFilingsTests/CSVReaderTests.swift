import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

@Suite("CSV reader")
struct CSVReaderTests {
  let mapping: Mapping

  init() throws {
    mapping = try cleanMapping(testMappingText)
  }

  static let header = "kind,id,amount,name,memo\n"

  @Test("quoted fields, doubled quotes and delimiters inside quotes")
  func quoting() throws {
    let result = try read(
      Self.header + "receipt,T1,\"1,000.00\",\"Smith, John\",\"He said \"\"hi\"\"\"\n",
      mapping: mapping)
    #expect(result.problems.isEmpty)
    let record = try #require(result.records.first)
    #expect(record.kind == .receipt)
    #expect(record["name"] == .string("Smith, John"))
    #expect(record["memo_text"] == .string("He said \"hi\""))
    #expect(record["amount"] == .money(Money(units: 1000, currency: .usd)))
    #expect(record.provenance == Provenance(file: record.provenance.file, line: 2))
  }

  @Test("a quoted field with line breaks keeps its first line; the next record's line is right")
  func embeddedNewlines() throws {
    let text =
      Self.header
      + "receipt,T1,1.00,A,\"line one\nline two\"\n"
      + "receipt,T2,2.00,B,\n"
      + "receipt,T3,3.00,C,\"x\n\ny\"\n"
      + "R,T4,4.00,D,\n"
    let result = try read(text, mapping: mapping)
    #expect(result.problems.isEmpty)
    #expect(result.lines == [2, 4, 5, 8])
    #expect(result.records.map(\.transactionID) == ["T1", "T2", "T3", "T4"])
    #expect(result.records[0]["memo_text"] == .string("line one\nline two"))
    #expect(result.records[2]["memo_text"] == .string("x\n\ny"))
    #expect(result.statistics == ReadStatistics(recordsRead: 4, recordsRejected: 0, rowsSkipped: 0))
  }

  @Test("LF, CRLF and lone CR line endings give the same lines", arguments: ["\n", "\r\n", "\r"])
  func lineEndings(_ eol: String) throws {
    let lines = [
      "kind,id,amount,name,memo", "receipt,T1,1.00,A,", "", "receipt,T2,2.00,B,\"multi", "line\"",
      "disbursement,T3,3.00,C,", "", "", "SB,T4,4.00,D,",
    ]
    let result = try read(lines.joined(separator: eol) + eol, mapping: mapping)
    #expect(result.problems.isEmpty, "\(result.problems.map { $0.rendered() })")
    #expect(result.lines == [2, 4, 6, 9])
    #expect(result.records.map(\.kind) == [.receipt, .receipt, .disbursement, .disbursement])
    #expect(result.records[1]["memo_text"] == .string("multi\(eol)line"))
    #expect(result.records[3]["name"] == .string("D"))
  }

  @Test(
    "a lone CR in a file of LF or CRLF lines ends no line, as for grep and editors",
    arguments: ["\n", "\r\n"])
  func loneCR(_ eol: String) throws {
    let text =
      "kind,id,amount,name,memo" + eol + "receipt,T1,1.00,A,\"x\ry\"" + eol
      + "receipt,T2,2.00,B," + eol
    let result = try read(text, mapping: mapping)
    #expect(result.problems.isEmpty)
    #expect(result.lines == [2, 3])
    #expect(result.records.first?["memo_text"] == .string("x\ry"))
  }

  @Test("the last row needs no line break")
  func noFinalNewline() throws {
    let result = try read(
      Self.header + "receipt,T1,1.00,A,\nreceipt,T2,2.00,B,last", mapping: mapping)
    #expect(result.lines == [2, 3])
    #expect(result.records.last?["memo_text"] == .string("last"))
  }

  @Test("a UTF-8 byte order mark is not part of the first column's name")
  func byteOrderMark() throws {
    let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((Self.header + "receipt,T1,1.00,Zoë,\n").utf8)
    let result = try read(bytes: bytes, mapping: mapping)
    #expect(result.problems.isEmpty)
    #expect(result.records.first?["name"] == .string("Zoë"))
    #expect(result.lines == [2])
  }

  @Test("blank lines are neither records nor rejections")
  func blankLines() throws {
    let result = try read(
      "\n\n" + Self.header + "\nreceipt,T1,1.00,A,\n   \n\nreceipt,T2,2.00,B,\n\n", mapping: mapping
    )
    #expect(result.problems.isEmpty)
    #expect(result.lines == [5, 8])
    #expect(result.statistics == ReadStatistics(recordsRead: 2, recordsRejected: 0, rowsSkipped: 0))
  }

  @Test("malformed quoting rejects its row at its line; the rows after it are read")
  func malformedQuoting() throws {
    let text =
      Self.header
      + "receipt,T1,1.00,A,\n"
      + "receipt,T2,2.00,\"B\"x,\n"
      + "receipt,T3,3.00,C,\n"
      + "receipt,T4,4.00,ab\"c,\n"
      + "receipt,T5,5.00,E,\n"
    let result = try read(text, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T1", "T3", "T5"])
    #expect(result.lines == [2, 4, 6])
    #expect(result.problems.map(\.id) == ["F0006", "F0006"])
    #expect(result.problemLines == [3, 5])
    #expect(result.problems[0].message.hasPrefix("malformed quoting"))
    #expect(result.problems[0].locationText.hasSuffix(".csv:3"))
    #expect(result.statistics == ReadStatistics(recordsRead: 5, recordsRejected: 2, rowsSkipped: 0))
  }

  /// A quote opened on line 2 is closed wrongly on line 5: rows 3 and 4 were swallowed.
  static let strayQuote =
    header
    + "receipt,T1,1.00,\"A,\n"
    + "receipt,T2,2.00,B,\n"
    + "receipt,T3,3.00,C,\n"
    + "receipt,T4,4.00,D\"x,\n"
    + "receipt,T5,5.00,E,\n"

  @Test(
    "a malformed record over several lines is rejected at its first line; the lines after it are read again"
  )
  func malformedOverSeveralLines() throws {
    let result = try read(Self.strayQuote, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T2", "T3", "T5"])
    #expect(result.lines == [3, 4, 6])
    #expect(result.problems.map(\.id) == ["F0006", "F0006"])
    #expect(result.problemLines == [2, 5])
    #expect(
      result.problems[0].message.contains("the record starts on line 2; the problem is on line 5"))
    #expect(result.statistics == ReadStatistics(recordsRead: 5, recordsRejected: 2, rowsSkipped: 0))
  }

  @Test("from a pipe, which cannot go back, reading resumes after the line of the problem")
  func malformedFromAPipe() throws {
    let path = scratchFolder.appendingPathComponent(
      "probity-\(UUID().uuidString).fifo"
    ).path
    #expect(mkfifo(path, 0o600) == 0)
    defer { unlink(path) }
    let data = Data(Self.strayQuote.utf8)
    let writer = Thread {
      let handle = FileHandle(forWritingAtPath: path)
      handle?.write(data)
      try? handle?.close()
    }
    writer.start()
    let result = try read(path: path, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T5"])
    #expect(result.lines == [6])
    #expect(result.problemLines == [2])
    #expect(result.statistics == ReadStatistics(recordsRead: 2, recordsRejected: 1, rowsSkipped: 0))
  }

  @Test(
    "an unterminated quote at the end of the file rejects its record; the lines after its first are read"
  )
  func unterminatedQuote() throws {
    let text = Self.header + "receipt,T1,1.00,A,\nreceipt,T2,2.00,\"B,\nreceipt,T3,3.00,C,\n"
    let result = try read(text, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T1", "T3"])
    #expect(result.lines == [2, 4])
    #expect(result.problems.map(\.id) == ["F0006"])
    #expect(result.problemLines == [3])
    #expect(
      result.problems.first?.message
        == "unterminated quoted field: the record runs to the end of the file without its closing quote"
    )
    #expect(result.statistics == ReadStatistics(recordsRead: 3, recordsRejected: 1, rowsSkipped: 0))
  }

  @Test("an unterminated quote on the last line rejects it")
  func unterminatedQuoteOnTheLastLine() throws {
    let result = try read(Self.header + "receipt,T1,1.00,A,\nreceipt,T2,2.00,\"B", mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T1"])
    #expect(result.problemLines == [3])
    #expect(result.statistics == ReadStatistics(recordsRead: 2, recordsRejected: 1, rowsSkipped: 0))
  }

  @Test(
    "a record longer than the limit is rejected, not held in memory; the rows after it are read")
  func overlongRecord() throws {
    var text = Self.header + "receipt,T0,1.00,\"never closed,\n"
    var ids: [String] = []
    var line = 3
    while text.utf8.count < CSVReader.maxRecordBytes + 256 * 1024 {
      ids.append("L\(line)")
      text += "receipt,L\(line),1.00,\(String(repeating: "n", count: 200)),\n"
      line += 1
    }
    let result = try read(text, mapping: mapping)
    #expect(result.problems.map(\.id) == ["F0006"])
    #expect(result.problemLines == [2])
    #expect(result.problems.first?.message.contains("longer than 4 MiB") == true)
    #expect(result.records.map(\.transactionID) == ids)
    #expect(
      result.statistics
        == ReadStatistics(recordsRead: ids.count + 1, recordsRejected: 1, rowsSkipped: 0))
  }

  /// The row's bytes are kept in a buffer that grows to the longest row and is then
  /// written over: a long row, then short ones, each with its own fields.
  @Test("rows longer than the row buffer, and the rows after them")
  func longRows() throws {
    let long = String(repeating: "x", count: 10_000) + "y"
    let longer = String(repeating: "z", count: 30_000)
    let text =
      Self.header + "receipt,T1,1.00,\(long),m1\n" + "receipt,T2,2.00,Bo,m2\n"
      + "receipt,T3,3.00,\"\(longer)\",\"m,3\"\n" + "receipt,T4,4.00,Al,\n"
    let result = try read(text, mapping: mapping)
    #expect(result.problems.isEmpty)
    let name = try #require(CanonicalSchema.id(named: "name"))
    let memo = try #require(CanonicalSchema.id(named: "memo_text"))
    #expect(
      result.records.map { $0[name] } == [
        .string(long), .string("Bo"), .string(longer), .string("Al"),
      ])
    #expect(
      result.records.map { $0[memo] } == [.string("m1"), .string("m2"), .string("m,3"), .missing])
    #expect(result.records.map(\.transactionID) == ["T1", "T2", "T3", "T4"])
  }

  @Test("a malformed header stops the read")
  func malformedHeader() throws {
    let error = try #require(throws: FilingError.self) {
      try read("kind,\"id\"x,amount\nreceipt,T1,1.00\n", mapping: mapping)
    }
    #expect(error.diagnostic.id == "F0006")
    #expect(error.diagnostic.line == 1)
  }

  @Test(
    "rows with another number of fields than the header are rejected; skipped rows may have any shape"
  )
  func raggedRows() throws {
    let text =
      Self.header
      + "receipt,T1,1.00\n"
      + "receipt,T2,2.00,A,,extra\n"
      + "receipt,T3,3.00,C,\n"
      + "TEXT,just some text\n"
    let result = try read(text, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T3"])
    #expect(result.problems.map(\.id) == ["F0007", "F0007"])
    #expect(result.problemLines == [2, 3])
    #expect(result.problems.first?.message == "expected 5 fields as in the header, found 3")
    #expect(result.statistics == ReadStatistics(recordsRead: 3, recordsRejected: 2, rowsSkipped: 1))
  }

  @Test("a missing required column stops the read with a did-you-mean hint")
  func missingColumn() throws {
    let path = try temporaryFile("kind,id,amout,name\nreceipt,T1,1.00,A\n")
    let error = try #require(throws: FilingError.self) { try read(path: path, mapping: mapping) }
    #expect(error.diagnostic.id == "F0004")
    #expect(error.diagnostic.message == "the header has no column \"amount\" (mapped to 'amount')")
    #expect(error.diagnostic.hint?.hasPrefix("did you mean 'amout'?") == true)
    #expect(error.diagnostic.line == 1)
    #expect(error.diagnostic.file == path)
  }

  /// A header cell with a byte that is no character of the file's encoding is shown with
  /// the byte as `\xFF`, never a replacement character (`did you mean 'amount�'?` hid
  /// which byte it was).
  @Test("a header's bad byte is shown as \\xNN in the hint")
  func headerBadByteShown() throws {
    let path = try temporaryFile(
      Array("kind,id,amount".utf8) + [0xFF] + Array(",name\nreceipt,T1,1.00,A\n".utf8))
    let error = try #require(throws: FilingError.self) { try read(path: path, mapping: mapping) }
    #expect(error.diagnostic.id == "F0004")
    let hint = try #require(error.diagnostic.hint)
    #expect(hint.contains("\"amount\\xFF\""), "\(hint)")
    #expect(!hint.unicodeScalars.contains("\u{FFFD}"))
  }

  @Test("every missing required column is named")
  func severalMissingColumns() throws {
    let error = try #require(throws: FilingError.self) {
      try read("type,ref,value\nreceipt,T1,1.00\n", mapping: mapping)
    }
    #expect(
      error.diagnostic.message
        == "the header has no column \"kind\" (mapped to the record kind); also missing: \"id\" ('transaction_id'), \"amount\" ('amount')"
    )
    #expect(
      error.diagnostic.hint?.contains("the header has 3 columns: \"type\", \"ref\", \"value\"")
        == true)
  }

  @Test("optional columns may be absent; header names are trimmed")
  func optionalColumns() throws {
    let result = try read(" kind , id ,amount\nreceipt,T1,1.00\n", mapping: mapping)
    #expect(result.problems.isEmpty)
    #expect(result.records.first?["name"] == .missing)
    #expect(result.records.first?["memo_text"] == .missing)
  }

  @Test("a mapped name twice in the header stops the read")
  func ambiguousColumn() throws {
    let error = try #require(throws: FilingError.self) {
      try read("kind,id,amount,id\nreceipt,T1,1.00,T2\n", mapping: mapping)
    }
    #expect(error.diagnostic.id == "F0005")
    #expect(error.diagnostic.message.contains("as columns #2, #4"))
  }

  @Test("unknown and empty kind values are rejected with the values expected")
  func unknownKind() throws {
    let result = try read(
      Self.header + "SC,T1,1.00,A,\n,T2,2.00,B,\nsa11ai,T3,3.00,C,\n", mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T3"])
    #expect(result.problems.map(\.id) == ["F0008", "F0008"])
    #expect(
      result.problems.first?.message
        == "column 1 \"kind\" has \"SC\", which the mapping does not list as a kind")
    #expect(
      result.problems.first?.hint
        == "the mapping lists receipt: receipt, SA11AI, R; disbursement: disbursement, SB; skipped: TEXT"
    )
    #expect(result.problems.last?.message.contains("is empty") == true)
    #expect(result.statistics == ReadStatistics(recordsRead: 3, recordsRejected: 2, rowsSkipped: 0))
  }

  @Test("rows whose kind is listed under skip are counted, not read")
  func skipped() throws {
    let result = try read(
      Self.header + "TEXT,,,,\nreceipt,T1,1.00,A,\n text ,x,y,z,w\n", mapping: mapping)
    #expect(result.problems.isEmpty)
    #expect(result.lines == [3])
    #expect(result.statistics == ReadStatistics(recordsRead: 1, recordsRejected: 0, rowsSkipped: 2))
  }

  @Test("each bad cell is one diagnostic; the row is one rejected record")
  func severalProblemsInARow() throws {
    let mapping = try cleanMapping(
      "[file]\ncurrency = USD\n[kind]\ncolumn = k\nreceipt = R\n[fields]\ntransaction_id = column id\namount = column amount\ndate = column date\n"
    )
    let result = try read(
      "k,id,amount,date\nR,T1,\"1,2,3\",2024-13-01\nX,T2,oops,2024-01-01\nR,T3,1,2024-01-02\n",
      mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T3"])
    #expect(result.problems.map(\.id) == ["F0009", "F0009", "F0008", "F0009"])
    #expect(result.problemLines == [2, 2, 3, 3])
    #expect(
      result.problems[1].message.hasPrefix("column 4 \"date\": expected a date like 2024-07-14"))
    #expect(result.statistics == ReadStatistics(recordsRead: 3, recordsRejected: 2, rowsSkipped: 0))
  }

  @Test(
    "declared encodings: Latin-1, Windows-1252 and detect; a byte that is not a character is reported with its line",
    arguments: [
      // ISO-8859-1 has control characters, not quotes, at 0x80–0x9F.
      ("latin-1", ["Café", "\u{91}x\u{92}", "\u{81}"], []),
      ("windows-1252", ["Café", "‘x’"], [4]),
      ("detect", ["Café", "‘x’", "Zoë"], [4]),
    ] as [(String, [String], [Int])])
  func encodings(_ encoding: String, _ names: [String], _ badLines: [Int]) throws {
    let mapping = try cleanMapping(
      testMappingText.replacingOccurrences(
        of: "currency = USD", with: "currency = USD\nencoding = \(encoding)"))
    // Windows-1252 bytes: é is 0xE9, ‘ and ’ are 0x91 and 0x92; 0x81 is not a character.
    // Line 5 holds UTF-8 (Zoë), which only `detect` reads as such.
    var bytes = Array("kind,id,amount,name,memo\n".utf8)
    bytes += Array("receipt,T1,1.00,Caf".utf8) + [0xE9] + Array(",\n".utf8)
    bytes += Array("receipt,T2,1.00,".utf8) + [0x91, 0x78, 0x92] + Array(",\n".utf8)
    bytes += Array("receipt,T3,1.00,".utf8) + [0x81] + Array(",\n".utf8)
    if encoding == "detect" { bytes += Array("receipt,T4,1.00,Zoë,\n".utf8) }
    let result = try read(bytes: bytes, mapping: mapping)
    #expect(result.records.map { $0["name"] } == names.map(Value.string))
    #expect(result.problemLines == badLines)
    if !badLines.isEmpty {
      #expect(
        result.problems.first?.message
          == "column 4 \"name\": byte 0x81 at position 1 is not a character in Windows-1252")
    }
  }

  @Test("quote = none: quotes are ordinary characters (FEC bulk files)")
  func noQuote() throws {
    let mapping = try cleanMapping(
      """
      [file]
      currency = USD
      header = no
      delimiter = "|"
      quote = none
      [kind]
      constant = receipt
      [fields]
      transaction_id = column #1
      name = column #2
      amount = column #3
      """)
    let bytes =
      Array("T1|SMITH, JOHN \"JACK\"|5\nT2|\"O|3\nT3|X".utf8) + [0] + Array("|4\nT4|Y|6\n".utf8)
    let result = try read(bytes: bytes, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T1", "T2", "T4"])
    #expect(result.records.first?["name"] == .string("SMITH, JOHN \"JACK\""))
    #expect(result.records[1]["name"] == .string("\"O"))
    #expect(result.problems.map(\.id) == ["F0006"])
    #expect(result.problems.first?.message.contains("NUL byte") == true)
    // The file has no quoting: a hint about quotes would send its reader astray.
    #expect(result.problems.first?.hint?.contains("quote") != true)
    #expect(result.problemLines == [3])
  }

  @Test("a mapped cell that is not UTF-8 rejects its row; unmapped cells are not decoded")
  func invalidUTF8() throws {
    var bytes =
      Array("kind,id,amount,name,note\nreceipt,T1,1.00,Caf".utf8) + [0xE9] + Array(",ok\n".utf8)
    bytes += Array("receipt,T2,2.00,B,caf".utf8) + [0xE9] + Array("\n".utf8)
    let result = try read(bytes: bytes, mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["T2"])
    #expect(result.problems.map(\.id) == ["F0010"])
    #expect(
      result.problems.first?.message
        == "column 4 \"name\": byte 0xE9 at position 4 is not a character in UTF-8")
    #expect(result.problemLines == [2])
  }

  @Test("without a header, columns are positions and short rows are rejected")
  func noHeader() throws {
    let mapping = try cleanMapping(
      """
      [file]
      currency = USD
      header = no
      delimiter = "|"
      [kind]
      constant = disbursement
      [fields]
      transaction_id = column #1
      amount = column #3
      purpose = column #5 optional
      """)
    let result = try read("D1|x|10.00\nD2|x|20.00|y|Signs\nD3\n", mapping: mapping)
    #expect(result.records.map(\.transactionID) == ["D1", "D2"])
    #expect(result.records.map(\.kind) == [.disbursement, .disbursement])
    #expect(result.records[0]["purpose"] == .missing)
    #expect(result.records[1]["purpose"] == .string("Signs"))
    #expect(result.problems.map(\.message) == ["expected at least 3 fields, found 1"])
    #expect(result.problemLines == [3])
    #expect(result.lines == [1, 2])
  }

  @Test("an empty file has no header")
  func emptyFile() throws {
    let error = try #require(throws: FilingError.self) { try read("\n\n", mapping: mapping) }
    #expect(error.diagnostic.id == "F0003")
  }

  @Test("a file with only a header has no records")
  func headerOnly() throws {
    let result = try read(Self.header, mapping: mapping)
    #expect(result.statistics == ReadStatistics())
  }

  @Test("a file that does not exist cannot be opened")
  func missingFile() throws {
    let error = try #require(throws: FilingError.self) {
      try read(path: "/nonexistent/filing.csv", mapping: mapping)
    }
    #expect(error.diagnostic.id == "F0001")
    #expect(
      error.diagnostic.rendered()
        == "/nonexistent/filing.csv: error[F0001]: cannot open the filing: No such file or directory"
    )
  }

  @Test("a directory cannot be read")
  func directory() throws {
    let error = try #require(throws: FilingError.self) {
      try read(path: scratchFolder.path, mapping: mapping)
    }
    #expect(["F0001", "F0002"].contains(error.diagnostic.id))
    #expect(error.diagnostic.message.contains("directory"))
  }

  @Test("the canonical sample reads through the bundled mapping; name is derived when absent")
  func canonicalSample() throws {
    let result = try read(path: fixture("csv/canonical-sample.csv"), mapping: .canonical)
    #expect(result.problems.isEmpty, "\(result.problems.map { $0.rendered() })")
    #expect(result.lines == [2, 3, 4, 6])
    #expect(result.records.map(\.kind) == [.receipt, .receipt, .disbursement, .receipt])
    let (t1, t2, t3, t4) = (
      result.records[0], result.records[1], result.records[2], result.records[3]
    )
    #expect(t1["name"] == .string("SMITH, JOHN Q JR"))
    #expect(t1["amount"] == .money(Money(units: 1000, currency: .usd)))
    #expect(t1["aggregate"] == .money(Money(units: 1500, currency: .usd)))
    #expect(t1["payment_method"] == .string("check"))
    #expect(t1["memo"] == .boolean(false))
    #expect(t1["date"] == CivilDate(year: 2024, month: 3, day: 1).map(Value.date))
    #expect(t2["name"] == .string("Sample Widgets, Inc."))
    #expect(t2["memo"] == .boolean(true))
    #expect(t2["memo_text"] == .string("in-kind: \"catering\""))
    #expect(t2["payment_method"] == .string("cash"))
    #expect(t3["amount"] == .money(Money(minorUnits: -7525, currency: .usd)))
    #expect(t3["purpose"] == .string("Yard signs\nand banners"))
    #expect(t3["received_date"] == .missing)
    #expect(t4["name"] == .string("DOE, JANE"))
    #expect(t4["amount"] == .money(Money(units: 3300, currency: .usd)))
  }

  @Test(
    "name is derived from the parts present",
    arguments: [
      ("ACME", "SMITH", "JOHN", "Q", "JR", "ACME"),
      ("", "SMITH", "JOHN", "Q", "JR", "SMITH, JOHN Q JR"),
      ("", "SMITH", "", "", "", "SMITH"),
      ("", "", "JOHN", "", "III", "JOHN III"),
      ("", "", "", "", "", ""),
      ("", "MÜLLER-LÜDENSCHEIDT", "JOSÉ", "", "", "MÜLLER-LÜDENSCHEIDT, JOSÉ"),
      ("", "", "JOHN", "Q", "", "JOHN Q"),
      ("", "DOE", "", "", "SR", "DOE, SR"),
    ])
  func derivedName(
    organization: String, last: String, first: String, middle: String, suffix: String,
    expected: String
  ) throws {
    let text =
      "kind,transaction_id,date,amount,organization_name,last_name,first_name,middle_name,suffix\n"
      + "receipt,T1,2024-01-01,1.00,\(organization),\(last),\(first),\(middle),\(suffix)\n"
    let result = try read(text, mapping: .canonical)
    #expect(result.records.first?["name"] == (expected.isEmpty ? .missing : .string(expected)))
  }

  /// A file over 200 KiB whose 64 KiB chunk boundaries fall inside a quoted field with a
  /// line break, inside a plain field, and (with CRLF) between the CR and the LF.
  static func generated(eol: String) -> (bytes: [UInt8], ids: [String], lines: [Int]) {
    var out = Array("kind,id,amount,name,memo\(eol)".utf8)
    var ids: [String] = []
    var lines: [Int] = []
    var line = 2
    var row = 0
    while out.count < 210_000 {
      row += 1
      let id = "L\(line)"
      let prefix = "receipt,\(id),\(row).00,"
      var name = "N\(row)" + String(repeating: "x", count: (row * 37) % 300)
      var memo = row % 11 == 0 ? "\"memo\(eol)with a break\"" : ""
      var height = row % 11 == 0 ? 2 : 1
      if let boundary = [65_536, 131_072, 196_608].first(where: { $0 > out.count }),
        boundary - out.count < 700
      {
        switch boundary {
        case 65_536:
          name = "N"
          memo =
            "\"" + String(repeating: "a", count: 1000) + eol + String(repeating: "b", count: 50)
            + "\""
          height = 2
        case 196_608 where eol == "\r\n":
          // The row's CR is the last byte of a chunk, its LF the first of the next.
          memo = ""
          height = 1
          name = String(repeating: "y", count: boundary - 1 - out.count - prefix.utf8.count - 1)
        default:
          name = "N" + String(repeating: "z", count: 1000)
        }
      }
      out += Array("\(prefix)\(name),\(memo)\(eol)".utf8)
      ids.append(id)
      lines.append(line)
      line += height
    }
    return (out, ids, lines)
  }

  @Test(
    "fields straddling 64 KiB chunk boundaries; line numbers stay exact", arguments: ["\n", "\r\n"])
  func chunkBoundaries(_ eol: String) throws {
    let (bytes, ids, lines) = Self.generated(eol: eol)
    #expect(bytes.count > 200 * 1024)
    #expect(CSVReader.chunkSize == 65_536)
    #expect(bytes[65_535] == UInt8(ascii: "a") && bytes[65_536] == UInt8(ascii: "a"))
    #expect(bytes[131_071] == UInt8(ascii: "z") && bytes[131_072] == UInt8(ascii: "z"))
    if eol == "\r\n" {
      #expect(bytes[196_607] == UInt8(ascii: "\r") && bytes[196_608] == UInt8(ascii: "\n"))
    } else {
      #expect(bytes[196_607] == UInt8(ascii: "z") && bytes[196_608] == UInt8(ascii: "z"))
    }
    let result = try read(bytes: bytes, mapping: mapping)
    #expect(result.problems.isEmpty, "\(result.problems.prefix(3).map { $0.rendered() })")
    #expect(result.records.count == ids.count)
    #expect(result.records.map(\.transactionID) == ids)
    #expect(result.lines == lines)
    // Each record's id names its own line.
    #expect(result.records.allSatisfy { $0.transactionID == "L\($0.provenance.line)" })
    #expect(
      result.statistics
        == ReadStatistics(recordsRead: ids.count, recordsRejected: 0, rowsSkipped: 0))
  }
}
