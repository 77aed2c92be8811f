import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

let sharedFECPresent = FileManager.default.fileExists(
  atPath: sharedFile("data/fec/1229017.fec"))
let sharedAbsentMessage: Comment =
  "../shared/data is absent: the real-data tests need the shared folder next to the package"

func readFEC(path: String) throws(FilingError) -> ReadResult {
  var result = ReadResult()
  result.statistics = try FECReader(path: path).read(
    onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
  return result
}

func readFEC(_ text: String) throws -> ReadResult {
  try readFEC(path: try temporaryFile(text, suffix: ".fec"))
}

/// ASCII 28, the field separator of .fec versions 6 and later.
let fs = "\u{1C}"

func fecLine(_ fields: [String]) -> String { fields.joined(separator: fs) + "\n" }

/// A version 8.3 filing's header and F3N cover (a House committee's Q1 2024 report), for
/// records after them.
let smithCover =
  fecLine(["HDR", "FEC", "8.3", "Soft", "1.0", "", "", ""])
  + fecLine([
    "F3N", "C00123456", "Smith for Congress", "", "1 Main", "", "Salem", "OR", "97301", "OR",
    "04", "Q1", "P2024", "", "", "20240101", "20240331",
  ])

/// A version 8.3 receipt of John Smith's, its first 25 fields (of its layout's 45).
let smithReceipt = [
  "SA11AI", "C00123456", "SA11AI.1", "", "", "IND", "", "Smith", "John", "", "", "",
  "1 Main St", "", "Springfield", "OR", "97477", "P2024", "", "20240301", "250.00",
  "500.00", "", "Acme", "Engineer",
]

@Suite("FEC .fec reader")
struct FECReaderTests {
  @Test(
    "version strings: supported ones normalised, others refused",
    arguments: [
      ("8.3", "8.3"), ("8.5", "8.5"), ("6.1", "6.1"), ("7.0", "7.0"), ("5.00", "5.0"),
      ("5.3", "5.3"), ("3.00", "3"), ("2.02", "2"), ("1", "1"), (" 8.2 ", "8.2"),
      ("180.5", nil), ("4.0", nil), ("6.0", nil), ("8.6", nil), ("8.35", nil), ("P3.4", nil),
      ("", nil), ("8.", nil), ("8.3.1", nil), ("x", nil),
      // Versions 1 to 3 by the minors filed only (2.99 was read as 2).
      ("1.00", "1"), ("1.0", "1"), ("2.00", "2"), ("2.01", "2"), ("2.0", "2"), ("3.0", "3"),
      ("2.99", nil), ("2.03", nil), ("2.2", nil), ("2.10", nil), ("3.5", nil), ("1.1", nil),
      ("3.01", nil), ("2.001", nil), ("2.0002", nil),
      // Minors as decimals: trailing zeros mean nothing.
      ("2.010", "2"), ("2.020", "2"), ("1.000", "1"), ("3.000", "3"),
    ] as [(String, String?)])
  func versions(_ text: String, _ key: String?) {
    #expect(FECVersion(text)?.key == key)
  }

  @Test(
    "every form pattern of the generated tables compiles, and every version has HDR, SA and SB where expected"
  )
  func tables() throws {
    for entry in FECLayoutTable.forms {
      #expect((try? Regex(entry.pattern)) != nil, "\(entry.pattern)")
      #expect(entry.layouts.count == FECLayoutTable.versions.count)
      #expect(entry.layouts.allSatisfy { $0 < FECLayoutTable.layouts.count })
    }
    for key in FECLayoutTable.versions {
      let finder = FECLayoutFinder(version: try #require(FECVersion(key)))
      #expect(finder.layout(for: "SA11AI")?.role == .receipt, "\(key)")
      #expect(finder.layout(for: "SB17")?.role == .disbursement, "\(key)")
      #expect(finder.layout(for: "sa11ai")?.role == .receipt, "form types are matched in any case")
      #expect(finder.layout(for: "SA3L")?.role != .receipt, "lobbyist bundling is not a receipt")
      #expect(finder.layout(for: "ZZ9") == nil)
    }
  }

  /// The patterns are matched once per form type in the process, whatever the filing
  /// or thread: every version's finder, made anew, finds the layout the tables give,
  /// each pattern tried in order (the first that matches and that the version has).
  @Test func layoutsAreSharedByEveryFilingsFinder() throws {
    let formTypes = [
      "HDR", "SA11AI", "sa17", "SB23", "SA3L", "F3XN", "F3A", "SC/10", "TEXT", "ZZ9",
    ]
    for key in FECLayoutTable.versions {
      let version = try #require(FECVersion(key))
      for formType in formTypes {
        // What the tables say, pattern by pattern, without any cache.
        var expected: (index: Int, role: FECRole)?
        for entry in FECLayoutTable.forms {
          let regex = try Regex(entry.pattern).ignoresCase()
          guard formType.lowercased().contains(regex), entry.layouts[version.index] >= 0 else {
            continue
          }
          expected = (entry.layouts[version.index], FECLayoutFinder.role(of: entry.pattern))
          break
        }
        let first = FECLayoutFinder(version: version).layout(for: formType)
        let again = FECLayoutFinder(version: version).layout(for: formType)
        #expect(first?.id == expected?.index && first?.role == expected?.role, "\(key) \(formType)")
        #expect(again?.id == first?.id && again?.columns == first?.columns)
      }
    }
  }

  @Test("an unknown version is a clear error, never a guess")
  func unknownVersion() throws {
    let text = fecLine(["HDR", "FEC", "180.5", "X", "1"]) + fecLine(["SA11AI", "C00000001", "T1"])
    do {
      _ = try readFEC(text)
      Issue.record("version 180.5 was read")
    } catch let error as FilingError {
      #expect(error.diagnostic.id == "F0015")
      #expect(error.diagnostic.message.contains("\"180.5\""))
      #expect(error.diagnostic.line == 1)
    }
    // In a '/* Header' block, at the line that gives it (as an unknown Date_Fmat).
    for (block, line) in [
      ("/* Header\nForm_Name = F3N\nFEC_Ver_# = 2.99\n/* End Header\n", 3),
      ("/* Header\nFEC_Ver_# = 2.02\nDate_Fmat = YYDDMM\n/* End Header\n", 3),
    ] {
      do {
        _ = try readFEC(block)
        Issue.record("read \(block)")
      } catch let error as FilingError {
        #expect(error.diagnostic.line == line, "\(error.diagnostic.rendered())")
      }
    }
  }

  @Test(
    "not a .fec filing: no HDR, an empty file, a header block never ended",
    arguments: [
      "kind,transaction_id\n", "", "\n\n", "/* Header\nFEC_Ver_# = 2.02\n",
      "/* Header\nSoft_Name = X\n/* End Header\n",
    ])
  func notFEC(_ text: String) throws {
    do {
      _ = try readFEC(text)
      Issue.record("\(text.debugDescription) was read")
    } catch let error as FilingError {
      #expect(error.diagnostic.id == "F0014")
    }
  }

  @Test("version 8: schedules A and B become records; the cover record gives the report")
  func version8() throws {
    let sa = [
      "SA11AI", "C00123456", "SA11AI.1", "", "", "IND", "", "Smith", "John", "Q", "", "",
      "1 Main St", "", "Springfield", "OR", "97477", "P2024", "", "20240301", "250.00",
      "500.00", "", "Acme", "Engineer", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
      "", "", "", "X", "note", "",
    ]
    let sb =
      [
        "SB17", "C00123456", "SB17.1", "", "", "ORG", "Print Co", "", "", "", "", "", "2 Elm",
        "", "Salem", "OR", "97301", "", "", "20240305", "75.25", "", "Printing",
      ] + Array(repeating: "", count: 21)
    let text =
      fecLine(["HDR", "FEC", "8.3", "Soft", "1.0", "", "", ""])
      + fecLine([
        "F3A", "C00123456", "Smith for Congress", "", "1 Main", "", "Salem", "OR", "97301",
        "OR", "04", "Q1", "P2024", "", "", "20240101", "20240331",
      ])
      + fecLine(sa) + fecLine(sb)
      + fecLine(["TEXT", "C00123456", "T9", "SA11AI.1", "SA11AI", "hi"])
      + fecLine(["SC/10", "C00123456", "SC.1"])
    let result = try readFEC(text)
    #expect(result.problems.isEmpty, "\(result.problems.map { $0.rendered() })")
    #expect(
      result.statistics
        == ReadStatistics(
          recordsRead: 2, recordsRejected: 0, rowsSkipped: 3,
          recordTypes: ["HDR": 1, "F3A": 1, "SA11AI": 1, "SB17": 1, "TEXT": 1, "SC/10": 1],
          skippedTypes: ["F3A": 1, "TEXT": 1, "SC/10": 1]))
    #expect(result.lines == [3, 4])
    let receipt = try #require(result.records.first)
    #expect(receipt.kind == .receipt)
    #expect(receipt.transactionID == "SA11AI.1")
    #expect(receipt["name"] == .string("Smith, John Q"))
    #expect(receipt["amount"] == .money(Money(minorUnits: 25_000, currency: .usd)))
    #expect(receipt["aggregate"] == .money(Money(minorUnits: 50_000, currency: .usd)))
    #expect(receipt["date"] == CivilDate(year: 2024, month: 3, day: 1).map(Value.date))
    #expect(receipt["memo"] == .boolean(true))
    #expect(receipt["memo_text"] == .string("note"))
    #expect(receipt["employer"] == .string("Acme"))
    #expect(receipt["election_code"] == .string("P2024"))
    #expect(receipt["filer_name"] == .string("Smith for Congress"))
    #expect(receipt["report_form"] == .string("F3"))
    #expect(receipt["amendment"] == .boolean(true))
    #expect(receipt["report_type"] == .string("Q1"))
    #expect(receipt["committee_type"] == .string("H"))
    #expect(
      receipt["report_period_start"] == CivilDate(year: 2024, month: 1, day: 1).map(Value.date))
    #expect(
      receipt["report_period_end"] == CivilDate(year: 2024, month: 3, day: 31).map(Value.date))
    let disbursement = try #require(result.records.last)
    #expect(disbursement.kind == .disbursement)
    #expect(disbursement.transactionID == "SB17.1")
    #expect(disbursement["name"] == .string("Print Co"))
    #expect(disbursement["purpose"] == .string("Printing"))
    #expect(disbursement["memo"] == .boolean(false))
    #expect(disbursement["amount"] == .money(Money(minorUnits: 7_525, currency: .usd)))
  }

  /// Some filing software quotes the fields between the separators (CMDI's, in
  /// 20180616.zip's 1238403.fec: `"Wright, Williams & Associates"`, `""` for an empty
  /// one). A field that starts and ends with a quote is what lies between, as FastFEC
  /// reads it: the same record as unquoted (a donor's name was `"Smith"`, quotes and all,
  /// an empty field the text `""`, and a quoted amount or memo code was rejected).
  @Test("fields quoted between the separators are read without their quotes")
  func quotedFields() throws {
    let sa = [
      "SA11AI", "C00123456", "SA11AI.1", "", "", "IND", "", "Smith", "John", "Q", "", "",
      "1 Main St", "", "Springfield", "OR", "97477", "P2024", "", "20240301", "250.00",
      "500.00", "", "Acme, \"Inc\"", "Engineer", "", "", "", "", "", "", "", "", "", "", "", "",
      "", "", "", "", "", "X", "note", "",
    ]
    func filing(_ line: [String]) -> String {
      smithCover + fecLine(line)
    }
    let plain = try readFEC(filing(sa))
    let quoted = try readFEC(filing(sa.map { "\"\($0)\"" }))
    #expect(quoted.problems.isEmpty, "\(quoted.problems.map { $0.rendered() })")
    let expected = try #require(plain.records.first)
    let record = try #require(quoted.records.first)
    #expect(record.values == expected.values)
    #expect(record["name"] == .string("Smith, John Q"))
    #expect(record["employer"] == .string("Acme, \"Inc\""))
    #expect(record["amount"] == .money(Money(minorUnits: 25_000, currency: .usd)))
    #expect(record["memo"] == .boolean(true))
    #expect(record["organization_name"] == .missing)
  }

  /// The reader knows a record type in any case; its codes are given in upper case, as
  /// the rules compare them (`sa11ai` was a receipt on a form line no rule knew, `ind` an
  /// entity type that was no individual's: a donor's excess went unseen).
  @Test("codes are read in upper case whatever case the filing writes them in")
  func codesInUpperCase() throws {
    let sa = [
      "sa11ai", "C00123456", "sa11ai.1", "", "", "ind", "", "Smith", "John", "", "", "",
      "1 Main St", "", "Springfield", "OR", "97477", "p2024", "", "20240301", "250.00",
      "500.00", "", "Acme", "Engineer",
    ]
    let text =
      smithCover + fecLine(sa)
    let record = try #require(try readFEC(text).records.first)
    #expect(record["form_type"] == .string("SA11AI"))
    #expect(record["entity_type"] == .string("IND"))
    #expect(record["election_code"] == .string("P2024"))
    #expect(record["employer"] == .string("Acme"), "text that is no code keeps its case")
    #expect(record.transactionID == "sa11ai.1", "an id keeps its case")
  }

  /// A version 8 line cut by a line break inside a field (an address on two lines): the
  /// first part stops before its date and amount, and is rejected at its line (it was
  /// read as a receipt of no date and no amount, counted as evaluated); the rest is the
  /// next line, of no known type.
  @Test("a line that stops before its date and amount is rejected, not half read")
  func lineCutInTwo() throws {
    let sa = smithReceipt
    let cut = sa[..<13].joined(separator: fs) + "\n" + sa[13...].joined(separator: fs) + "\n"
    let text =
      smithCover + cut + fecLine(sa)
    let result = try readFEC(text)
    #expect(result.problems.map(\.id) == ["F0007", "F0016"])
    #expect(result.problemLines == [3, 4])
    #expect(
      result.problems.first?.message.contains("stops before the record's date and amount") == true)
    #expect(result.lines == [5], "the whole line after it is read")
    #expect(
      result.problems.last?.hint?.contains("the record on line 3 is rejected too") == true,
      "\(result.problems.map(\.hint))")
    // Cut after its amount, before its employer and memo code. As it is read, the first
    // part cannot be told from a line of a program that leaves out empty last fields
    // (the benchmark's .fec), so it is held back until the next line: that line, its
    // rest, rejects it too, rather than it being read with its memo code and employer
    // empty (a memo entry counted as money received).
    var wide = sa + Array(repeating: "", count: 20)
    wide[42] = "X"
    let late = wide[..<23].joined(separator: fs) + "\n" + wide[23...].joined(separator: fs) + "\n"
    for after in ["", fecLine(wide)] {
      let lateResult = try readFEC(smithCover + late + after)
      #expect(lateResult.problems.map(\.id) == ["F0007", "F0016"])
      #expect(lateResult.problemLines == [3, 4])
      #expect(
        lateResult.problems.first?.message.contains(
          "expected 45 fields in this line's record of version 8.3, found 23, and the next line is its rest"
        ) == true, "\(lateResult.problems.map(\.message))")
      #expect(
        lateResult.problems.last?.message.contains(
          "the record on line 3 before it has 23 of its 45 fields: a line break inside one of its fields may have cut it in two"
        )
          == true, "\(lateResult.problems.map(\.message))")
      #expect(lateResult.lines == (after.isEmpty ? [] : [5]))
      #expect(lateResult.statistics.recordsRead == (after.isEmpty ? 2 : 3))
      #expect(lateResult.statistics.recordsRejected == 2)
    }
    // Whole, the same line gives its memo code and employer.
    let whole = try #require(try readFEC(smithCover + fecLine(wide)).records.first)
    #expect(whole["memo"] == .boolean(true))
    #expect(whole["employer"] == .string("Acme"))
  }

  /// The rest of a line cut after its amount, whatever it begins with: a type as
  /// written (`LP`, `SE`) without the filer's committee id after it, past blank lines,
  /// with an empty field more. Both lines are rejected: read, the record was a memo entry
  /// counted as money (a false excess), its later fields missing (review).
  @Test("the rest of a line cut after its amount is found whatever it begins with")
  func restAfterTheAmount() throws {
    var memo = smithReceipt + Array(repeating: "", count: 20)
    memo[42] = "X"
    var after = smithReceipt
    after[2] = "B"
    /// The filing: the cover, `first` and `rest` as two lines (`between` them: the cut
    /// field's line break), then a whole receipt B.
    func cut(_ first: ArraySlice<String>, _ rest: [String], between: String = "\n") throws
      -> ReadResult
    {
      try readFEC(
        smithCover + first.joined(separator: fs) + between + rest.joined(separator: fs) + "\n"
          + fecLine(after))
    }
    // An employer cut before "LP" ("Blackstone" / "LP"): the rest's second field is the
    // occupation.
    memo[23] = "Blackstone"
    let lp = try cut(memo[..<24], ["LP"] + memo[24...])
    #expect(lp.records.map(\.transactionID) == ["B"])
    #expect(lp.problems.map(\.id) == ["F0007", "F0016"])
    #expect(lp.problemLines == [3, 4])
    // An occupation cut before "LP", then the donor committee's id, not the filer's.
    var occupation = memo
    occupation[24] = "GENERAL PARTNER"
    occupation[25] = "C00401224"
    let cutOccupation = try cut(occupation[..<25], ["LP"] + occupation[25...])
    #expect(cutOccupation.records.map(\.transactionID) == ["B"])
    #expect(cutOccupation.problems.map(\.id) == ["F0007", "F0016"])
    // A rest that reads as a type this version knows (`SE`, a quarter of Washington after
    // a street), with no committee id after it: not the record read and the rest passed
    // over as a Schedule E, with no diagnostic at all.
    let se = ["SE", ""] + memo[25...]
    let cutStreet = try cut(memo[..<24], se)
    #expect(cutStreet.records.map(\.transactionID) == ["B"])
    #expect(cutStreet.problems.map(\.id) == ["F0007", "F0007"])
    #expect(cutStreet.problemLines == [3, 4])
    // A program that ends every line with one empty field more (46 of 45, as two filings
    // of 20180616.zip do): the rest has it too.
    let cutExtra = try cut(memo[..<24], se + [""])
    #expect(cutExtra.records.map(\.transactionID) == ["B"])
    #expect(cutExtra.problems.map(\.id) == ["F0007", "F0007"])
    // A cut field holding a blank line ("\n\n"): the blank line parts nothing.
    let cutBlank = try cut(memo[..<24], se, between: "\n\n  \n")
    #expect(cutBlank.records.map(\.transactionID) == ["B"])
    #expect(cutBlank.problemLines == [3, 6])
  }

  /// A line short of its layout is held back until the next line is known (`held`):
  /// records keep their order whatever follows it (another short line, a blank line, a
  /// text block, the end of the file, a second header that stops the read), and a line
  /// after it that is no rest of it leaves it read.
  @Test("a short line held back is handed on in its place when the next line is no rest of it")
  func shortLineHandedOn() throws {
    let sa = smithReceipt
    func line(_ id: String) -> String {
      var fields = sa
      fields[2] = id
      return fecLine(fields)
    }
    let text =
      smithCover + line("A") + line("B") + "\n" + line("C")
      + fecLine(["[BEGINTEXT]"]) + "note\n" + fecLine(["[ENDTEXT]"]) + line("D")
      + fecLine(["ZZ9"] + Array(repeating: "x", count: 29)) + line("E")
    let result = try readFEC(text)
    #expect(result.records.map(\.transactionID) == ["A", "B", "C", "D", "E"])
    #expect(result.lines == [3, 4, 6, 10, 12])
    #expect(result.problems.map(\.id) == ["F0016"], "an unknown type too long to be a rest")
    #expect(result.problems.first?.hint == "its columns are not known, so it is not read")
    // An unknown type written as the FEC writes types (`SI`, a schedule version 8.3's
    // tables lack), with a committee id after it, is a record of its own, however short:
    // the line before it is read.
    let typed = try readFEC(smithCover + line("A") + fecLine(["SI", "C00123456", "X"]) + line("B"))
    #expect(typed.records.map(\.transactionID) == ["A", "B"])
    #expect(typed.problems.map(\.id) == ["F0016"])
    #expect(typed.problems.first?.hint == "its columns are not known, so it is not read")
    // A second header stops the read after the record held back is handed on.
    let joined = smithCover + line("A") + smithCover
    do {
      _ = try readFEC(joined)
      Issue.record("read two filings joined as one")
    } catch let error as FilingError {
      #expect(error.diagnostic.id == "F0025")
      #expect(error.statistics.recordsRead == 1)
    }
    var records: [String?] = []
    do {
      _ = try FECReader(path: try temporaryFile(joined, suffix: ".fec")).read(
        onRecord: { records.append($0.transactionID) }, onProblem: { _ in })
    } catch {}
    #expect(records == ["A"])
  }

  /// The rest of a cut line may begin with text that reads as a record type: "Seattle
  /// Towing" as SE (a schedule not read: skipped, silently), "SB Towing" as a
  /// disbursement of no date and no amount (a record more than the filing held). Short
  /// of its layout, and with the cut record making one record's fields, it is rejected
  /// as that record's rest. Two lines each short, but too long to be halves of one, are
  /// both read.
  @Test("the rest of a cut line is rejected whatever type its first field reads as")
  func restOfACutLine() throws {
    var wide = [
      "SA11AI", "C00123456", "SA11AI.1", "", "", "IND", "", "Smith", "John", "", "", "",
      "1 Main St", "", "Springfield", "OR", "97477", "P2024", "", "20240301", "250.00",
      "500.00", "", "Parker Towing", "Engineer",
    ]
    wide += Array(repeating: "", count: 45 - wide.count)
    for rest in ["Seattle Towing", "SB Towing", "TEXT Towing", "SEATTLE", "Sacramento", "TEXTILES"]
    {
      let first = wide[..<23] + ["Parker"]
      let second = [rest] + wide[24...]
      let text =
        smithCover + first.joined(separator: fs) + "\n" + second.joined(separator: fs) + "\n"
        + fecLine(wide)
      let result = try readFEC(text)
      #expect(result.problems.map(\.id) == ["F0007", "F0007"], "\(rest)")
      #expect(result.problemLines == [3, 4], "\(rest)")
      #expect(
        result.problems.last?.message.contains(
          "the record on line 3 before it has 24 of its 45 fields: a line break inside one of its fields may have cut it in two, and this line be its rest"
        ) == true, "\(result.problems.map(\.message))")
      #expect(result.lines == [5], "\(rest)")
      #expect(result.statistics.recordsRead == 3)
      #expect(result.statistics.recordsRejected == 2)
    }
    // Each short, too long to be one record's halves: both read.
    let short = Array(wide[..<30])
    let both = try readFEC(smithCover + fecLine(short) + fecLine(short))
    #expect(both.problems.isEmpty)
    #expect(both.lines == [3, 4])
  }

  @Test(
    "the committee type the cover form implies",
    arguments: [
      ("F3N", "04", "H"), ("F3A", "", "S"), ("F3N", "00", nil), ("F3T", "X1", nil),
      ("F3PN", "", "P"), ("F3XN", "", nil), ("F99", "", nil),
    ] as [(String, String, String?)])
  func committeeType(_ form: String, _ district: String, _ expected: String?) {
    #expect(
      FECCover.committeeType(form: FECCover.baseForm(form).form, district: district) == expected)
  }

  @Test("rows that cannot be read are rejected at their line; the others are read")
  func rejections() throws {
    let header = fecLine(["HDR", "FEC", "8.3", "Soft", "1.0"]) + fecLine(["F3XN", "C00000001"])
    let saPrefix = ["SA11AI", "C00000001", "T1", "", "", "IND", "", "Doe", "Jane"]
    let text =
      header
      + fecLine(saPrefix + ["", "", "", "", "", "", "", "", "", "", "2024-03-01", "10.00"])
      + fecLine(saPrefix + ["", "", "", "", "", "", "", "", "", "", "20240301", "1e3"])
      + fecLine(["ZZ9", "C00000001"])
      + fecLine(["SB17"] + Array(repeating: "", count: 50) + ["surplus"])
      + fecLine(saPrefix + ["", "", "", "", "", "", "", "", "", "", "20240301", "10.00"])
    let result = try readFEC(text)
    #expect(result.problems.map(\.id) == ["F0009", "F0009", "F0016", "F0007"])
    #expect(result.problemLines == [3, 4, 5, 6])
    #expect(result.lines == [7])
    #expect(result.statistics.recordsRead == 5)
    #expect(result.statistics.recordsRejected == 4)
    #expect(result.problems[2].message.contains("\"ZZ9\""))
  }

  @Test("a byte that is not a character rejects its row only when the reader uses the cell")
  func encodings() throws {
    let header = Array((fecLine(["HDR", "FEC", "8.3", "S", "1"]) + fecLine(["F3XN", "C1"])).utf8)
    // `unread`: donor_committee_name, a column the reader does not read.
    func sa(name: [UInt8], unread: [UInt8]) -> [UInt8] {
      Array("SA11AI\u{1C}C1\u{1C}T\u{1C}\u{1C}\u{1C}IND\u{1C}\u{1C}".utf8) + name
        + Array(
          "\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}20240301\u{1C}5.00\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}\u{1C}"
            .utf8)
        + unread + Array("\n".utf8)
    }
    // Windows-1252 é (0xE9), UTF-8 é, and 0x81 (not a character in Windows-1252).
    let bytes =
      header + sa(name: Array("Ren".utf8) + [0xE9], unread: [])
      + sa(name: Array("Zoë".utf8), unread: [])
      + sa(name: [0x81], unread: []) + sa(name: Array("Ok".utf8), unread: [0x81])
    let result = try readFEC(path: try temporaryFile(bytes, suffix: ".fec"))
    #expect(
      result.records.map { $0["last_name"] } == [.string("René"), .string("Zoë"), .string("Ok")])
    #expect(result.problems.map(\.id) == ["F0010"])
    #expect(result.problems.first?.message.contains("0x81") == true)
    #expect(result.problemLines == [5])
  }

  @Test("version 3: quoted comma-separated records, names as LAST^FIRST MIDDLE^PREFIX^SUFFIX")
  func version3() throws {
    let text = """
      "HDR","FEC","3.00","Soft","1","","FEC-1","1",""
      "F3XN","C00097485","PAC","1 Main","","Washington","DC","20004","","X","YE","","","","20010701","20011231"
      "SA11A1","C00097485","IND","Aaland^Lyla L^Ms^","19017 Baldwin","","Elk River","MN","55330","","","Merck","VP","260.00","20010801","20.00","","","","","","","","","","","","","","","","","","R103544","",""
      "SB21B","C00097485","","First Union ""National"" Bank","1420 Irving","","Rahway","NJ","07065","","Fees","","","20010716","9.00","","","","","","","","","","","","","","","","D2624","",""
      "SA11A1","C00097485","IND","Broken^Quote","x"y","","","","","","","","","1.00","20010801","1.00"

      """
    let result = try readFEC(text)
    #expect(result.problems.map(\.id) == ["F0006"])
    #expect(result.problemLines == [5])
    #expect(result.records.count == 2)
    let receipt = try #require(result.records.first)
    #expect(receipt["last_name"] == .string("Aaland"))
    #expect(receipt["first_name"] == .string("Lyla"))
    #expect(receipt["middle_name"] == .string("L"))
    #expect(receipt["prefix"] == .string("Ms"))
    #expect(receipt["name"] == .string("Aaland, Lyla L"))
    #expect(receipt["aggregate"] == .money(Money(units: 260, currency: .usd)))
    #expect(receipt["amount"] == .money(Money(units: 20, currency: .usd)))
    #expect(receipt.transactionID == "R103544")
    // Before version 5 the election code is a letter without its year: not read.
    #expect(receipt["election_code"] == .missing)
    #expect(receipt["report_form"] == .string("F3X"))
    #expect(receipt["amendment"] == .boolean(false))
    #expect(receipt["report_type"] == .string("YE"))
    let disbursement = try #require(result.records.last)
    #expect(disbursement["name"] == .string("First Union \"National\" Bank"))
    #expect(disbursement["purpose"] == .string("Fees"))
    #expect(disbursement.transactionID == "D2624")
  }

  @Test("CRLF, LF and CR line endings give the same lines", arguments: ["\n", "\r\n", "\r"])
  func lineEndings(_ eol: String) throws {
    // Whole SB17 records (a line of version 8 that stops before its date and amount is
    // rejected: `lineCutInTwo`).
    func sb17(_ id: String) -> [String] {
      [
        "SB17", "C1", id, "", "", "ORG", "Print Co", "", "", "", "", "", "2 Elm", "", "Salem",
        "OR", "97301", "", "", "20240305", "75.25", "", "Printing",
      ]
    }
    let text =
      [
        ["HDR", "FEC", "8.3", "S", "1"], ["F3XN", "C1"], sb17("T1"), [], sb17("T2"),
      ].map { $0.joined(separator: fs) }.joined(separator: eol) + eol
    let result = try readFEC(text)
    #expect(result.problems.isEmpty)
    #expect(result.lines == [3, 5])
    #expect(result.records.map(\.transactionID) == ["T1", "T2"])
  }

  @Test("F99 text blocks are counted once and never read as records")
  func f99Text() throws {
    let text =
      fecLine(["HDR", "FEC", "8.3", "S", "1"]) + fecLine(["F99", "C1", "Committee"]) + "\n"
      + "[BEGINTEXT]\nSA11AI\(fs)looks like a record\n  [END TEXT]  \n" + fecLine(["TEXT", "C1"])
    let result = try readFEC(text)
    #expect(result.problems.isEmpty)
    #expect(result.records.isEmpty)
    #expect(
      result.statistics
        == ReadStatistics(
          recordsRead: 0, rowsSkipped: 3,
          recordTypes: ["HDR": 1, "F99": 1, "[BEGINTEXT]": 1, "TEXT": 1],
          skippedTypes: ["F99": 1, "[BEGINTEXT]": 1, "TEXT": 1]))
  }

  /// A second header that cannot be read (its quoting malformed, or its line too long)
  /// still starts another filing: rejected as a row, its filing's records would be read
  /// under the first one's cover, and an audit would supersede the file unseen.
  @Test("a second header that cannot be read still stops the read (F0025)")
  func unreadableSecondHeaderStops() throws {
    let v3Header = #""HDR","FEC","3.00","x","1""# + "\n"
    let v3Cover = #""F3XN","C00000001","Example PAC""# + "\n"
    let v3Receipt =
      #""SA11A1","C00000001","IND","SMITH^JOHN","5 Pine Rd","","Akron","OH","44308","","","Acme","Engineer","25.00","20240215","25.00","","","","","","","","","","","","","","","","","","SA.1","","","""#
      + "\n"
    let malformed =
      v3Header + v3Cover + v3Receipt + #""HDR","FEC","3.00","x"y,"1""# + "\n"
      + v3Cover.replacingOccurrences(of: "C00000001", with: "C00000002") + v3Receipt
    let header = fecLine(["HDR", "FEC", "8.3", "x", "1"])
    let cover = fecLine(["F3XN", "C00000001", "Example PAC"])
    let long =
      header + cover + fecLine(["HDR", "FEC", "8.3", String(repeating: "x", count: 2_000)])
      + cover.replacingOccurrences(of: "C00000001", with: "C00000002")
    for (text, line) in [(malformed, 4), (long, 3)] {
      let path = try temporaryFile(text, suffix: ".fec")
      do throws(FilingError) {
        _ = try FECReader(path: path, limits: ReaderLimits(maxRecordBytes: 1_000)).read(
          onRecord: { _ in }, onProblem: { _ in })
        Issue.record("read on past a second header: \(text.prefix(200))")
      } catch {
        #expect(error.diagnostic.id == "F0025", "\(error.diagnostic.rendered())")
        #expect(error.diagnostic.line == line)
        #expect(error.statistics.recordsRejected == 0)
      }
    }
  }

  /// Filings of versions with different separators joined (3 with commas, 8 with FS):
  /// the second header, split at the first filing's separator, is one field, an unknown
  /// record type; its filing's lines rejected one by one, an audit superseded the file
  /// with its joined filing unchecked.
  @Test("a second header with the other separator still stops the read (F0025)")
  func secondHeaderOfAnotherSeparatorStops() throws {
    let v3 = #""HDR","FEC","3.00","x","1""# + "\n" + #""F3XN","C00000001","Example PAC""# + "\n"
    let v8 =
      fecLine(["HDR", "FEC", "8.3", "x", "1"]) + fecLine(["F3XN", "C00000002", "Second PAC"])
    for (text, line) in [(v3 + v8, 3), (v8 + v3, 3)] {
      let path = try temporaryFile(text, suffix: ".fec")
      do throws(FilingError) {
        _ = try readFEC(path: path)
        Issue.record("read on past a second header: \(text)")
      } catch {
        #expect(error.diagnostic.id == "F0025", "\(error.diagnostic.rendered())")
        #expect(error.diagnostic.line == line)
        #expect(error.statistics.recordsRejected == 0)
      }
    }
  }

  @Test("a header line inside a text block is text, not a second filing")
  func headerInTextBlock() throws {
    let text =
      fecLine(["HDR", "FEC", "8.3", "x", "1"]) + fecLine(["F99", "C00000001", "Example PAC"])
      + "[BEGINTEXT]\n" + fecLine(["HDR", "FEC", "8.3", "x", "1"]) + "/* Header\n[ENDTEXT]\n"
    let result = try readFEC(text)
    #expect(result.problems.isEmpty)
    #expect(result.statistics.recordTypes["[BEGINTEXT]"] == 1)
  }
}

/// The real filings in ../shared/data/fec, and every filing of 20180616.zip.
@Suite(
  "Real data: FEC filings",
  .enabled(if: sharedFECPresent, sharedAbsentMessage),
  .enabled(if: python3 != nil, "python3 is not installed: it counts the records independently"))
struct FECRealDataTests {
  /// Every .fec file of ../shared/data/fec and of its zip, with its records counted by
  /// type by Tests/scripts/fec_counts.py (Python's csv module, not Probity's reader).
  static func independentCounts() throws -> [String: [String: Int]] {
    let directory = sharedRoot.appendingPathComponent("data/fec")
    let inputs = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
      .filter { $0.hasSuffix(".fec") || $0.hasSuffix(".zip") }
      .map { directory.appendingPathComponent($0).path }
    let extractTo =
      scratchFolder
      .appendingPathComponent("probity-fec-\(UUID().uuidString)").path
    let output = try runPython(
      [packageRoot.appendingPathComponent("Tests/scripts/fec_counts.py").path, extractTo] + inputs)
    return try JSONDecoder().decode([String: [String: Int]].self, from: output)
  }

  @Test("every filing reads, with the same record counts per type as an independent count")
  func everyFiling() throws {
    let counts = try FECRealDataTests.independentCounts()
    #expect(counts.count >= 60, "the shared folder has 11 filings and about 50 in the zip")
    var receipts = 0
    var disbursements = 0
    for (path, expected) in counts.sorted(by: { $0.key < $1.key }) {
      if path.hasSuffix("filing_invalid_version.fec") {
        #expect(throws: FilingError.self) { try readFEC(path: path) }
        continue
      }
      let result = try readFEC(path: path)
      #expect(result.statistics.recordTypes == expected, "\(path)")
      #expect(
        result.problems.isEmpty, "\(path): \(result.problems.prefix(3).map { $0.rendered() })")
      let scheduleAB = expected.filter { $0.key.hasPrefix("SA") || $0.key.hasPrefix("SB") }
        .values.reduce(0, +)
      let header = expected["HDR"] ?? 0
      let total = expected.values.reduce(0, +)
      #expect(result.statistics.recordsRead == scheduleAB, "\(path)")
      #expect(result.statistics.rowsSkipped == total - scheduleAB - header, "\(path)")
      receipts += result.records.count { $0.kind == .receipt }
      disbursements += result.records.count { $0.kind == .disbursement }
    }
    // Counted the same way (line prefixes SA / SB) over all the filings but the refused one.
    #expect(receipts > 10_000)
    #expect(disbursements > 2_000)
  }

  /// A filing whose header line alone ends in a lone CR (the rest in LF, or CR LF): read
  /// as the whole filing is, on the same lines. An LF did not end a line once the first
  /// line ended in a CR: the whole filing was its cover line, skipped, 0 records, exit 0.
  @Test("a header ending in a lone CR: LF and CRLF still end the lines after it")
  func headerEndingInALoneCR() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/1229017.fec")))
    let bytes = Array(data)
    let whole = try readFEC(path: sharedFile("data/fec/1229017.fec"))
    let firstLF = try #require(bytes.firstIndex(of: 0x0A))
    var lone = bytes
    lone[firstLF] = 0x0D
    var crlf: [UInt8] = []
    for (index, byte) in lone.enumerated() {
      if byte == 0x0A && index > firstLF { crlf.append(0x0D) }
      crlf.append(byte)
    }
    for variant in [lone, crlf] {
      let result = try readFEC(path: try temporaryFile(variant, suffix: ".fec"))
      #expect(result.statistics == whole.statistics)
      #expect(result.lines == whole.lines)
      #expect(result.problems.isEmpty, "\(result.problems.map { $0.rendered() })")
    }
    #expect(whole.statistics.recordsRead > 200)
  }

  /// Every record type of the real filings is one "as written" (the rest of a cut line is
  /// told by its first field's not being one); words a line break may cut from a field
  /// are not.
  @Test("record types as the FEC writes them, and words that only begin like them")
  func recordTypesAsWritten() throws {
    let types = Set(try FECRealDataTests.independentCounts().values.flatMap(\.keys))
    #expect(types.count > 20)
    for type in types where !type.hasPrefix("/*") && !type.hasPrefix("[") {
      #expect(FECRecordPlan.isRecordTypeAsWritten(type), "\(type)")
    }
    for word in ["SEATTLE", "SELF", "TEXTILES", "SACRAMENTO", "SB TOWING", "SEATTLE TOWING", ""] {
      #expect(!FECRecordPlan.isRecordTypeAsWritten(word), "\(word)")
    }
  }

  /// The read of `path` stops with F0024 (cut short), its message holding `text`.
  static func expectCutShort(_ path: String, _ text: String) {
    do {
      _ = try readFEC(path: path)
      Issue.record("read a filing cut short: \(path)")
    } catch {
      #expect(error.diagnostic.id == "F0024")
      #expect(error.diagnostic.message.contains(text), "\(error.diagnostic.message)")
    }
  }

  /// The first `count` bytes of a real filing, as a file of their own.
  static func cut(_ name: String, bytes count: Int) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/\(name)")))
    return try temporaryFile(Array(data.prefix(count)), suffix: ".fec")
  }

  /// Version 3 filings write election designations with their year (27789.fec: P2002,
  /// G2002, O2001 on 209 lines), version 2 a letter alone (13360.fec: P, G): the first are
  /// read, the second left missing (they were missing in both).
  @Test("election codes before version 5: designations read, letters alone left missing")
  func electionCodesBeforeVersion5() throws {
    let three = try readFEC(path: sharedFile("data/fec/27789.fec"))
    let codes = three.records.compactMap { $0["election_code"].stringValue }
    #expect(codes.count == 209)
    #expect(codes.allSatisfy { FECRecordPlan.isDesignation($0) })
    #expect(Set(codes).isSuperset(of: ["P2002", "G2002", "O2001"]))
    let two = try readFEC(path: sharedFile("data/fec/13360.fec"))
    #expect(two.records.allSatisfy { $0["election_code"] == .missing })
    // Those that gave a letter have no code in the format (a rule on designations is
    // undetermined on them, rather than take them for records that gave none).
    let election = try #require(CanonicalSchema.id(named: "election_code"))
    #expect(two.records.filter { $0.unavailable.contains(election) }.count == 11)
  }

  @Test("a filing cut inside a record: the short last line is rejected, not read as a whole record")
  func cutInsideRecord() throws {
    // 1544132.fec (version 8.3): line 10, an SA11AI of $50.00, cut in its amount.
    let path = try FECRealDataTests.cut("1544132.fec", bytes: 2476)
    let result = try readFEC(path: path)
    #expect(result.problems.map(\.id) == ["F0007"])
    #expect(result.problemLines == [10])
    #expect(result.problems.first?.message.contains("ends without a line break") == true)
    #expect(result.lines == Array(3...9))
    #expect(result.statistics.recordsRejected == 1)
    // The same line whole, with its break: read, and its amount is the filed one.
    let whole = try readFEC(path: sharedFile("data/fec/1544132.fec"))
    let line10 = try #require(whole.records.first { $0.provenance.line == 10 })
    #expect(line10["amount"] == .money(Money(units: 50, currency: .usd)))
  }

  @Test("a filing cut after its header, before any cover record, is refused (F0024)")
  func cutAfterHeader() throws {
    let path = try FECRealDataTests.cut("1550126.fec", bytes: 40)
    Self.expectCutShort(path, "without a cover record")
  }

  @Test("a version 2 filing with fewer lines than its Schedule_Counts declares is refused (F0024)")
  func cutBelowScheduleCounts() throws {
    // 13360.fec declares 139 SA11A1, 1 SA17, 8 SB23 and 3 SB29 lines (151): its first
    // 100 lines hold 82 of the SA11A1 and none of the others.
    let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/13360.fec")))
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let first100 = lines.prefix(100).map { Array($0) + [UInt8(ascii: "\n")] }.joined()
    let path = try temporaryFile(Array(first100), suffix: ".fec")
    do {
      _ = try readFEC(path: path)
      Issue.record("read a filing short of its Schedule_Counts")
    } catch {
      #expect(error.diagnostic.id == "F0024")
      #expect(
        error.diagnostic.message
          == "the header's Schedule_Counts declares 139 SA11A1 lines, the filing holds 82 (and 3 more record types are short)"
      )
      #expect(error.statistics.recordsRead == 82)
    }
    // The whole filing holds what it declares.
    #expect(try readFEC(path: sharedFile("data/fec/13360.fec")).statistics.recordsRead == 151)
  }

  @Test("a whole filing without a final line break is read whole, in every version")
  func noFinalLineBreak() throws {
    // 13360.fec (version 2): its last line, an SB29, has 31 of its layout's 34 fields, as
    // every SB29 before it; 1544132.fec (version 8.3) ends in a whole SB record.
    for name in ["13360.fec", "1544132.fec"] {
      let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/\(name)")))
      #expect(data.last == UInt8(ascii: "\n"))
      let path = try temporaryFile(Array(data.dropLast()), suffix: ".fec")
      let whole = try readFEC(path: sharedFile("data/fec/\(name)"))
      let cut = try readFEC(path: path)
      #expect(cut.problems.isEmpty, "\(name): \(cut.problems.map { $0.rendered() })")
      #expect(cut.statistics == whole.statistics, "\(name)")
    }
  }

  @Test("version 8: a record cut short, the first of its layout, is rejected by the layout")
  func cutFirstOfItsLayout() throws {
    // 1229017.fec (8.3): its HDR and cover lines, then its first SB line cut after 30
    // bytes (an amount of $908.80 could be read as $9).
    let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/1229017.fec")))
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let firstSB = try #require(lines.firstIndex { $0.starts(with: Array("SB".utf8)) })
    let kept = lines[0..<2].map { Array($0) + [UInt8(ascii: "\n")] }.joined()
    let path = try temporaryFile(Array(kept) + Array(lines[firstSB].prefix(30)), suffix: ".fec")
    let result = try readFEC(path: path)
    #expect(result.problems.map(\.id) == ["F0007"])
    #expect(result.records.isEmpty)
    #expect(result.problems.first?.message.contains("on the file's last line") == true)
  }

  @Test("a text block never closed stops the read (F0024): the lines after it are not lost unseen")
  func textBlockNeverClosed() throws {
    // 1229017.fec with a [BEGINTEXT] line after its cover and no [ENDTEXT]: its 233
    // records would all be passed over.
    let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/1229017.fec")))
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var opened = lines.map { Array($0) }
    opened.insert(Array("[BEGINTEXT]".utf8), at: 2)
    let path = try temporaryFile(
      Array(opened.map { $0 + [UInt8(ascii: "\n")] }.joined().dropLast()), suffix: ".fec")
    Self.expectCutShort(path, "ends inside a text block")
  }

  @Test(
    "two filings joined in one file stop the read at the second header (F0025), in every version"
  )
  func secondHeaderStops() throws {
    // A second filing's records would otherwise take the first one's cover: its filer,
    // committee type, report and amendment flag (1550548.fec, a PAC's F3XA, read as
    // 1229017.fec's House committee, raised US-PROHIB-001 on its gifts).
    for (first, second, lines, read) in [
      ("1229017.fec", "1550548.fec", 235, 233), ("27789.fec", "27789.fec", 2839, 2837),
      ("13360.fec", "13360.fec", 169, 151),
    ] {
      let one = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/\(first)")))
      let two = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/\(second)")))
      let path = try temporaryFile(Array(one) + Array(two), suffix: ".fec")
      do {
        _ = try readFEC(path: path)
        Issue.record("read two filings joined as one: \(first) and \(second)")
      } catch {
        #expect(error.diagnostic.id == "F0025", "\(first)")
        #expect(error.diagnostic.line == lines + 1, "\(first)")
        #expect(error.diagnostic.message.contains("a second header"), "\(error.diagnostic.message)")
        #expect(error.statistics.recordsRead == read, "\(first)")
        #expect(error.statistics.recordsRejected == 0, "\(first)")
      }
    }
  }

  /// A second cover record without a second header (another report's cover and records
  /// pasted in), or a receipt before the cover: the records would be read under a cover
  /// that is not theirs, or under none (a PAC's gift under a House committee's cover was
  /// an excess of an individual's limit). The read stops there (F0031); the records
  /// before are checked.
  @Test("a second cover record, or a receipt before the cover, stops the read (F0031)")
  func coverOutOfPlaceStops() throws {
    let one = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/1229017.fec")))
    let two = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/1550548.fec")))
    // 1550548.fec without its header line: its F3XA cover and its records.
    let withoutHeader = Array(two.drop(while: { $0 != 0x0A }).dropFirst())
    var lines = Array(one).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    // The cover (line 2) after the first record (line 3).
    lines.swapAt(1, 2)
    let swapped = Array(lines.joined(separator: [0x0A]))
    for (bytes, line, read, message) in [
      (
        Array(one) + withoutHeader, 236, 233,
        "a second cover record (F3XA) after the filing's own (F3N)"
      ),
      (swapped, 2, 0, "a receipt or disbursement (SA11AI) before the filing's cover record"),
    ] {
      let path = try temporaryFile(bytes, suffix: ".fec")
      do {
        _ = try readFEC(path: path)
        Issue.record("read records under a cover not theirs: \(message)")
      } catch {
        #expect(error.diagnostic.id == "F0031", "\(error.diagnostic.rendered())")
        #expect(error.diagnostic.line == line)
        #expect(error.diagnostic.message.contains(message), "\(error.diagnostic.message)")
        #expect(error.statistics.recordsRead == read)
      }
    }
  }

  @Test("a line too long is counted by the start of its type, never kept whole")
  func longLineTypeIsBounded() throws {
    let header = "HDR\u{1C}FEC\u{1C}8.3\u{1C}x\u{1C}1\nF3XN\u{1C}C00000001\n"
    let long = String(repeating: "Z", count: 5_000)
    var result = ReadResult()
    result.statistics = try FECReader(
      path: try temporaryFile(header + long + "\n", suffix: ".fec"),
      limits: ReaderLimits(maxRecordBytes: 1_000)
    ).read(onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
    #expect(result.problems.map(\.id) == ["F0021"])
    #expect(result.statistics.recordTypes.keys.allSatisfy { $0.count <= 33 })
    #expect(result.statistics.recordTypes[String(repeating: "Z", count: 32) + "…"] == 1)
  }

  @Test("a filing cut inside its cover record is refused (F0024)")
  func cutInsideCover() throws {
    // 1229017.fec's HDR line and the first 60 bytes of its F3N cover record.
    let data = try Data(contentsOf: URL(fileURLWithPath: sharedFile("data/fec/1229017.fec")))
    let hdrEnd = try #require(data.firstIndex(of: UInt8(ascii: "\n")))
    let path = try temporaryFile(Array(data.prefix(hdrEnd + 1 + 60)), suffix: ".fec")
    Self.expectCutShort(path, "ends inside its cover record")
  }

  @Test(
    "Schedule_Counts too large to add up is capped, never a crash; a line too long still counts")
  func scheduleCountsEdges() throws {
    let text = try String(contentsOfFile: sharedFile("data/fec/13360.fec"), encoding: .isoLatin1)
    let huge = text.replacingOccurrences(
      of: "Schedule_Counts:\n",
      with: "Schedule_Counts:\nSA11A1 = 9223372036854775807\nSA11A1 = 9223372036854775807\n")
    let hugePath = try temporaryFile(Array(huge.utf8), suffix: ".fec")
    Self.expectCutShort(hugePath, "declares at least 1000000000 SA11A1 lines")
    // Digits too many for a number: a count past the cap too (it was left out, and the
    // check with it).
    let digits = text.replacingOccurrences(
      of: "SA11A1    = 00139", with: "SA11A1    = 99999999999999999999999")
    Self.expectCutShort(
      try temporaryFile(Array(digits.utf8), suffix: ".fec"),
      "declares at least 1000000000 SA11A1 lines")
    // A count that is no number is a header error, not a count left out (a filing cut
    // short of it passed).
    for bad in ["00139.", "0013x", "-1"] {
      let broken = text.replacingOccurrences(of: "SA11A1    = 00139", with: "SA11A1    = \(bad)")
      let brokenPath = try temporaryFile(Array(broken.utf8), suffix: ".fec")
      do {
        _ = try readFEC(path: brokenPath)
        Issue.record("read a Schedule_Counts of \(bad)")
      } catch {
        #expect(error.diagnostic.id == "F0014", "\(bad)")
        #expect(error.diagnostic.message.contains("lines of SA11A1: expected a number of lines"))
        #expect(error.diagnostic.line == 13)
      }
    }
    // Another key among the counts, or a count left empty, declares nothing (as before).
    let other = text.replacingOccurrences(
      of: "SA17      = 00001", with: "SA17      =\nControl_# = K245592Q\nSoft_Name = X")
    let read = try readFEC(path: try temporaryFile(Array(other.utf8), suffix: ".fec"))
    #expect(read.statistics.recordsRead == 151)
    // Lines over the record limit are rejected, and counted by type all the same: no
    // line is missing, so no F0024.
    var result = ReadResult()
    result.statistics = try FECReader(
      path: sharedFile("data/fec/13360.fec"), limits: ReaderLimits(maxRecordBytes: 185)
    ).read(onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
    #expect(result.problems.map(\.id) == ["F0021", "F0021", "F0021"])
    #expect(result.statistics.recordTypes["SA11A1"] == 139)
  }

  @Test("the invalid version filing is refused with its version and line")
  func invalidVersion() throws {
    do {
      _ = try readFEC(path: sharedFile("data/fec/filing_invalid_version.fec"))
      Issue.record("read a filing of version 180.5")
    } catch {
      #expect(error.diagnostic.id == "F0015")
      #expect(
        error.diagnostic.message
          == "unsupported .fec version \"180.5\": Probity reads versions \(FECVersion.supportedText)"
      )
      #expect(error.diagnostic.line == 1)
    }
  }

  @Test("version 8.2: DeFazio for Congress, F3N 12P, House district 04")
  func defazio() throws {
    let result = try readFEC(path: sharedFile("data/fec/1229017.fec"))
    let first = try #require(result.records.first)
    #expect(first.provenance.line == 3)
    #expect(first["filer_id"] == .string("C00215905"))
    #expect(first["filer_name"] == .string("DeFazio for Congress"))
    #expect(first["committee_type"] == .string("H"))
    #expect(first["report_form"] == .string("F3"))
    #expect(first["amendment"] == .boolean(false))
    #expect(first["report_type"] == .string("12P"))
    #expect(first["report_period_start"] == CivilDate(year: 2018, month: 4, day: 1).map(Value.date))
    #expect(first["report_period_end"] == CivilDate(year: 2018, month: 4, day: 25).map(Value.date))
  }

  @Test("version 2.02: the legacy header block, names split at ^, an amended F3X")
  func legacy() throws {
    let result = try readFEC(path: sharedFile("data/fec/13360.fec"))
    let first = try #require(result.records.first)
    #expect(first.provenance.line == 19)
    #expect(first.transactionID == "SA11A1.7430")
    #expect(first["last_name"] == .string("Kellner"))
    #expect(first["first_name"] == .string("Lawrence"))
    #expect(first["name"] == .string("Kellner, Lawrence"))
    #expect(first["amount"] == .money(Money(units: 5000, currency: .usd)))
    #expect(first["date"] == CivilDate(year: 2000, month: 5, day: 10).map(Value.date))
    #expect(first["report_form"] == .string("F3X"))
    #expect(first["amendment"] == .boolean(true))
    #expect(first["report_type"] == .string("M6"))
    #expect(first["filer_name"] != .missing)
    let disbursement = try #require(result.records.first { $0.transactionID == "SB23.5135" })
    #expect(disbursement.kind == .disbursement)
    #expect(disbursement["name"] == .string("FRIENDS OF CONRAD BURNS - 2000"))
    #expect(disbursement["organization_name"] == .string("FRIENDS OF CONRAD BURNS - 2000"))
    #expect(disbursement["election_code"] == .missing, "the filed code is \"G\", without a year")
  }

  @Test("Senate and presidential committees; an amended F3 with loans")
  func committees() throws {
    let klobuchar = try readFEC(path: sharedFile("data/fec/1544132.fec"))
    #expect(klobuchar.records.first?["committee_type"] == .string("S"))
    let biden = try readFEC(path: sharedFile("data/fec/1527862.fec"))
    #expect(biden.records.first?["committee_type"] == .string("P"))
    #expect(biden.records.first?["report_form"] == .string("F3P"))
    let amended = try readFEC(path: sharedFile("data/fec/1550126.fec"))
    #expect(amended.records.first?["amendment"] == .boolean(true))
    #expect(amended.statistics.recordTypes["SC/10"] == 2)
  }
}
