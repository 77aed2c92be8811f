import Foundation
import ProbityCore
import Testing

@testable import ProbityFilings

func readFiling(path: String, format: InputFormat? = nil, mapping: Mapping? = nil)
  throws(FilingError) -> ReadResult
{
  var result = ReadResult()
  result.statistics = try FilingReader.read(
    path: path, format: format, mapping: mapping, onRecord: { result.records.append($0) },
    onProblem: { result.problems.append($0) })
  return result
}

@Suite("Format detection and the one entry point")
struct FilingReaderTests {
  @Test(
    "the format is told from the content",
    arguments: [
      ("HDR\u{1C}FEC\u{1C}8.3\u{1C}x\n", InputFormat.fec),
      ("\u{FEFF}\"HDR\",\"FEC\",\"3.00\"\n", .fec),
      ("\n  /* Header\nFEC_Ver_# = 2.02\n", .fec),
      ("<?xml version=\"1.0\"?>\n<filing/>", .xml),
      ("  <filing/>", .xml),
      ("index,ECRef,RegulatedEntityName,Value\n", .ukEC),
      ("\"EC reference\",\"Entity name\",\"Value\"\r\n", .ukPEF),
      ("kind,transaction_id,date,amount\n", .csv),
      ("amount,date,transaction_id,kind\n", .csv),
      (
        "C00401224|A|M9|P|201711039084161359|24T|IND|HEWLETT, MARY|DOWNINGTOWN|PA|19335|NOT EMPLOYED|NOT EMPLOYED|08242017|15|C00573261|SA11AI_89379681|1190206||EARMARKED|4121120171485507768\n",
        .fecBulk
      ),
      ("", .csv),
    ] as [(String, InputFormat)])
  func detection(_ text: String, _ expected: InputFormat) throws {
    #expect(try FilingReader.detectFormat(path: try temporaryFile(text)) == expected)
  }

  @Test(
    "a format that cannot be told is an error that asks for --input-format, never a guess",
    arguments: [
      "name,amount\nA,1\n", "a|b|c\n", "just some text",
      // Cut at a CR, or not, it is never 21 fields.
      "a|b\rc|d\n", "a|b|c|d|e|f|g|h|i|j\r|k|l|m|n|o|p|q|r|s|t|u|v\n",
      // A bulk row whose memo holds a CR: its first line is not 21 fields (and the reader
      // would take the CR for the file's line ending: docs/formats.md, "Line numbers").
      "C00401224|A|M9|P|201711039084161359|24T|IND|HEWLETT, MARY|DOWNINGTOWN|PA|19335|NOT EMPLOYED|NOT EMPLOYED|08242017|15|C00573261|SA11AI_89379681|1190206||IN-KIND\rPRINTING|4121120171485507768\n",
    ])
  func undetectable(_ text: String) throws {
    let path = try temporaryFile(text)
    do {
      _ = try FilingReader.detectFormat(path: path)
      Issue.record("guessed a format for \(text.debugDescription)")
    } catch {
      #expect(error.diagnostic.id == "F0013")
      #expect(
        error.diagnostic.hint?.contains("--input-format csv|fec|fec-bulk|uk-ec|uk-pef|xml") == true)
    }
  }

  @Test(
    "a delimited or .fec file in UTF-16 is said to be UTF-16, not taken for XML or a header of NULs",
    arguments: [nil, InputFormat.csv, .fec, .fecBulk, .ukEC])
  func utf16Text(_ format: InputFormat?) throws {
    for bigEndian in [false, true] {
      var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
      for unit in "kind,transaction_id,date,amount\nreceipt,T1,2024-01-01,10.00\n".utf16 {
        let pair = [UInt8(unit & 0xFF), UInt8(unit >> 8)]
        bytes += bigEndian ? pair.reversed() : pair
      }
      let path = try temporaryFile(bytes)
      do {
        let result = try readFiling(path: path, format: format)
        Issue.record("read UTF-16 as \(format?.rawValue ?? "detected"): \(result.statistics)")
      } catch {
        #expect(error.diagnostic.id == "F0002")
        #expect(error.diagnostic.line == 1)
        #expect(
          error.diagnostic.message.contains(
            "it is in UTF-16\(bigEndian ? "BE" : "LE") (it starts with a UTF-16\(bigEndian ? "BE" : "LE") byte order mark)"
          ))
        #expect(!error.diagnostic.message.contains("XML"))
      }
    }
    // UTF-16 XML is still the XML reader's to refuse (F0017).
    var xml: [UInt8] = [0xFF, 0xFE]
    for unit in " <filing/>".utf16 { xml += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
    #expect(try FilingReader.detectFormat(path: try temporaryFile(xml, suffix: ".xml")) == .xml)
  }

  /// A zip archive (the Electoral Commission's exports come zipped), a compressed file,
  /// a spreadsheet, a PDF, UTF-16 text without a byte order mark: said as what it is,
  /// with what to do, whether the format is told or named; never shown as a first line
  /// of control characters, or read as rows of them.
  @Test(
    "a file that holds a filing but is no text (zip, gzip, a spreadsheet, UTF-16) is said as what it is",
    arguments: [
      (
        [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array(repeating: 0, count: 20) + [8, 0, 0, 0]
          + Array("data.csv".utf8), "a zip archive", "unzip it"
      ),
      (
        [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array(repeating: 0, count: 20) + [19, 0, 0, 0]
          + Array("[Content_Types].xml".utf8), "an Office document", "save or export it as CSV"
      ),
      (
        [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array(repeating: 0, count: 20) + [8, 0, 0, 0]
          + Array("mimetypeapplication/vnd.oasis.opendocument.spreadsheet".utf8),
        "an Office document", "save or export it as CSV"
      ),
      ([0x1F, 0x8B, 0x08, 0x08, 0x00], "compressed with gzip", "gunzip -k FILE"),
      (Array("BZh91AY&SY".utf8), "compressed with bzip2", "bunzip2 -k FILE"),
      ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00], "compressed with xz", "unxz -k FILE"),
      ([0x28, 0xB5, 0x2F, 0xFD, 0x00], "compressed with zstd", "unzstd FILE"),
      (Array("%PDF-1.7\n".utf8), "a PDF document", "get the filing's data"),
      ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0x00], "older binary kind", "as CSV"),
      (
        Array("kind,transaction_id\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
        "text in UTF-16LE without a byte order mark", "iconv -f UTF-16LE -t UTF-8 FILE"
      ),
      (
        Array("HDR\u{1C}FEC\u{1C}8.3\n".utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }),
        "text in UTF-16BE without a byte order mark", "iconv -f UTF-16BE -t UTF-8 FILE"
      ),
    ] as [([UInt8], String, String)])
  func packaged(_ bytes: [UInt8], _ what: String, _ hint: String) throws {
    let path = try temporaryFile(bytes)
    for format in [nil, InputFormat.csv, .fec, .xml, .ukEC] {
      do {
        let result = try readFiling(path: path, format: format)
        Issue.record("read \(what) as \(format?.rawValue ?? "detected"): \(result.statistics)")
      } catch {
        #expect(error.diagnostic.id == "F0013")
        #expect(error.diagnostic.line == 1)
        #expect(error.diagnostic.message.contains("cannot read the filing: it is "))
        #expect(error.diagnostic.message.contains(what), "\(error.diagnostic.message)")
        #expect(error.diagnostic.hint?.contains(hint) == true, "\(error.diagnostic.hint ?? "")")
      }
    }
    #expect(FilingReader.packaging(path: path)?.contains(what) == true)
  }

  @Test("text that only looks odd is not taken for a zip, a compressed file or UTF-16")
  func notPackaged() throws {
    for text in [
      "PK,amount\n", "BZh,x\n", "BZh9,kind,transaction_id\n", "%PDF,x\n", "a\u{0}b,c\n",
      "kind,transaction_id\n",
    ] {
      #expect(Packaging.of(Array(text.utf8)[...]) == nil, "\(text.debugDescription)")
    }
  }

  @Test("every bundled mapping parses clean")
  func bundled() {
    for (format, text) in BundledMappings.texts {
      let (mapping, diagnostics) = Mapping.parse(
        SourceFile(path: BundledMappings.path(of: format), text: text))
      #expect(diagnostics.isEmpty, "\(format): \(diagnostics.map { $0.rendered() })")
      #expect(mapping != nil)
      #expect(InputFormat(rawValue: format)?.bundledMapping?.name == mapping?.name)
    }
  }

  @Test("a named format wins over the content; a mapping of one's own must fit it")
  func namedFormat() throws {
    let csv = try temporaryFile("kind,transaction_id,date,amount\nreceipt,T1,2024-01-01,5\n")
    #expect(try readFiling(path: csv).records.count == 1)
    // Read as an XML file, the CSV is not well-formed.
    #expect(throws: FilingError.self) { try readFiling(path: csv, format: .xml) }
    let mapping = try cleanMapping(
      "[file]\ncurrency = USD\n[kind]\nconstant = receipt\n[fields]\ntransaction_id = column transaction_id\n"
    )
    #expect(try readFiling(path: csv, mapping: mapping).records.first?.transactionID == "T1")
    do {
      _ = try readFiling(path: csv, format: .fec, mapping: mapping)
      Issue.record("a CSV mapping was used for .fec input")
    } catch {
      #expect(error.diagnostic.id == "F0012")
    }
    // An XML mapping given for a file without --input-format reads it as XML.
    let xml = try temporaryFile(
      "<r><x id=\"1\"><v>2</v></x></r>", suffix: ".xml")
    let xmlMapping = try cleanMapping(
      "[file]\nformat = xml\ncurrency = USD\n[kind]\nreceipt = /r/x\n[fields]\ntransaction_id = element @id\namount = element v\n"
    )
    #expect(
      try readFiling(path: xml, mapping: xmlMapping).records.first?["amount"]
        == .money(Money(units: 2, currency: .usd)))
    // An XML mapping for a file that is not XML: the mapping does not fit (F0012), not
    // "the XML is not well-formed" (F0017). (A delimited file may start with `<`: a
    // delimited mapping is not overruled.)
    let plain = try temporaryFile("id,amt\nT1,5.00\n")
    for (path, mapping, said) in [
      (plain, xmlMapping, "reads XML, but the file is not XML"),
      (csv, xmlMapping, "reads XML, but the file is not XML"),
    ] {
      do {
        _ = try readFiling(path: path, mapping: mapping)
        Issue.record("read through a mapping of the other kind: \(said)")
      } catch {
        #expect(error.diagnostic.id == "F0012", "\(error.diagnostic.rendered())")
        #expect(error.diagnostic.message.contains(said), "\(error.diagnostic.message)")
      }
    }
  }

  @Test("the canonical sample reads through detection as before")
  func canonical() throws {
    let result = try readFiling(path: fixture("csv/canonical-sample.csv"))
    #expect(result.problems.isEmpty)
    #expect(result.records.count == 4)
  }
}
