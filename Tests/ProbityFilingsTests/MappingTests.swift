import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

/// A diagnostic expected from a mapping: its id, where its caret starts, and some
/// words of its hint.
struct ExpectedDiagnostic: Sendable, CustomStringConvertible {
  let id: String
  let line: Int
  let column: Int
  let hint: String?

  init(_ id: String, _ line: Int, _ column: Int, hint: String? = nil) {
    self.id = id
    self.line = line
    self.column = column
    self.hint = hint
  }

  var description: String { "\(id)@\(line):\(column)" }
}

struct MappingCase: Sendable, CustomTestStringConvertible {
  let label: String
  let text: String
  let expected: [ExpectedDiagnostic]

  var testDescription: String { label }

  /// Five valid lines ([file] currency, [kind] constant, [fields]); `lines` start on line 6.
  static func fields(_ label: String, _ lines: [String], _ expected: [ExpectedDiagnostic])
    -> MappingCase
  {
    let base = ["[file]", "currency = USD", "[kind]", "constant = receipt", "[fields]"]
    return MappingCase(
      label: label, text: (base + lines).joined(separator: "\n") + "\n", expected: expected)
  }
}

@Suite("Mapping files")
struct MappingTests {
  static let diagnosticCases: [MappingCase] = [
    .fields(
      "unknown field", ["amout = column amount"],
      [ExpectedDiagnostic("M0003", 6, 1, hint: "did you mean 'amount'?")]),
    .fields(
      "unknown parser", ["amount = column amount as mony"],
      [ExpectedDiagnostic("M0004", 6, 27, hint: "did you mean 'money'?")]),
    .fields(
      "parser type mismatch", ["name = column donor as money"],
      [ExpectedDiagnostic("M0005", 6, 24, hint: "use 'text'")]),
    .fields(
      "field mapped twice", ["amount = column a", "amount = column b"],
      [ExpectedDiagnostic("M0006", 7, 1, hint: "first mapped on line 6")]),
    .fields(
      "bad date layout", ["date = column d as date dd-mm-yyyy"],
      [
        ExpectedDiagnostic(
          "M0007", 6, 25, hint: "yyyy-mm-dd, yyyymmdd, mm/dd/yyyy, dd/mm/yyyy, mmddyyyy")
      ]),
    .fields(
      "unknown section", ["[feilds]"],
      [ExpectedDiagnostic("M0001", 6, 2, hint: "did you mean 'fields'?")]),
    .fields(
      "missing equals sign", ["amount column a"],
      [ExpectedDiagnostic("M0010", 6, 8, hint: "key = value")]),
    .fields(
      "constant that is not money", ["amount = constant abc"], [ExpectedDiagnostic("M0017", 6, 19)]),
    .fields(
      "unterminated quote", ["amount = column \"Amount"],
      [ExpectedDiagnostic("M0011", 6, 17, hint: "close it")]),
    .fields(
      "unquoted name with a space", ["amount = column Amount Paid"],
      [ExpectedDiagnostic("M0022", 6, 24, hint: "quote a name with spaces")]),
    .fields(
      "position zero", ["amount = column #0"],
      [ExpectedDiagnostic("M0015", 6, 17, hint: "#1 is the first")]),
    .fields(
      "text with a bad case", ["name = column n as text title"],
      [ExpectedDiagnostic("M0016", 6, 25)]),
    .fields(
      "flag without values", ["memo = column m as flag"],
      [ExpectedDiagnostic("M0016", 6, 20, hint: "as flag X")]),
    .fields(
      "unknown column form", ["amount = colunm a"],
      [ExpectedDiagnostic("M0010", 6, 10, hint: "did you mean 'column'?")]),
    MappingCase(
      label: "unknown key, so no currency",
      text: "[file]\ncurency = USD\n[kind]\nconstant = receipt\n[fields]\namount = column a\n",
      expected: [
        ExpectedDiagnostic("M0023", 1, 1, hint: "currency = USD"),
        ExpectedDiagnostic("M0002", 2, 1, hint: "did you mean 'currency'?"),
      ]),
    MappingCase(
      label: "invalid currency code", text: "[file]\ncurrency = US\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0009", 2, 12, hint: "ISO 4217")]),
    MappingCase(
      label: "missing [kind]", text: "[file]\ncurrency = USD\n[fields]\namount = column a\n",
      expected: [ExpectedDiagnostic("M0008", 3, 1, hint: "constant = receipt")]),
    MappingCase(
      label: "kind column without value lists",
      text: "[file]\ncurrency = USD\n[kind]\ncolumn = k\n",
      expected: [ExpectedDiagnostic("M0018", 4, 10, hint: "receipt = receipt")]),
    MappingCase(
      label: "kind value in two lists",
      text: "[file]\ncurrency = USD\n[kind]\ncolumn = k\nreceipt = R, SA\ndisbursement = SB, r\n",
      expected: [ExpectedDiagnostic("M0019", 6, 20)]),
    MappingCase(
      label: "named column without a header",
      text:
        "[file]\ncurrency = USD\nheader = no\n[kind]\nconstant = receipt\n[fields]\namount = column Amount\n",
      expected: [ExpectedDiagnostic("M0015", 7, 17, hint: "by position")]),
    MappingCase(
      label: "key before any section", text: "currency = USD\n[kind]\nconstant = receipt\n",
      expected: [
        ExpectedDiagnostic("M0010", 1, 1, hint: "start a section"),
        ExpectedDiagnostic("M0023", 1, 1),
      ]),
    MappingCase(
      label: "header neither yes nor no",
      text: "[file]\ncurrency = USD\nheader = maybe\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0013", 3, 10)]),
    MappingCase(
      label: "two-character delimiter",
      text: "[file]\ncurrency = USD\ndelimiter = \";;\"\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0014", 3, 13)]),
    MappingCase(
      label: "key given twice",
      text: "[file]\ncurrency = USD\ncurrency = GBP\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0012", 3, 1, hint: "line 2")]),
    .fields(
      "money takes only 'accounting'", ["amount = column a as money euro"],
      [ExpectedDiagnostic("M0016", 6, 28, hint: "accounting")]),
    .fields(
      "flag with 'false' and no false values", ["memo = column m as flag X false"],
      [ExpectedDiagnostic("M0016", 6, 20, hint: "as flag A false N T")]),
    .fields(
      "an element path in a CSV mapping", ["amount = element amount"],
      [ExpectedDiagnostic("M0026", 6, 18, hint: "format = xml")]),
    .fields(
      "a malformed element path", ["amount = element a//b"],
      [ExpectedDiagnostic("M0027", 6, 18)]),
    MappingCase(
      label: "unknown format, encoding and quote",
      text:
        "[file]\ncurrency = USD\nformat = json\nencoding = ebcdic\nquote = \"''\"\n[kind]\nconstant = receipt\n",
      expected: [
        ExpectedDiagnostic("M0025", 3, 10, hint: "csv"),
        ExpectedDiagnostic("M0025", 4, 12, hint: "windows-1252"),
        ExpectedDiagnostic("M0025", 5, 9, hint: "none"),
      ]),
    MappingCase(
      label: "a field count that is no count, and one beside a header",
      text:
        "[file]\ncurrency = USD\nheader = no\nfields = 2x\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0025", 4, 10, hint: "fields = 21")]),
    MappingCase(
      label: "a field count short of a mapped column",
      text:
        "[file]\ncurrency = USD\nheader = no\nfields = 3\n[kind]\nconstant = receipt\n[fields]\namount = column #5\n",
      expected: [ExpectedDiagnostic("M0025", 4, 10, hint: "at least 5")]),
    MappingCase(
      label: "a field count in an XML mapping: M0026 alone",
      text:
        "[file]\nformat = xml\ncurrency = USD\nfields = 3\n[kind]\nreceipt = /filing/receipt\n",
      expected: [ExpectedDiagnostic("M0026", 4, 1)]),
    MappingCase(
      label: "a field count beside a header",
      text: "[file]\ncurrency = USD\nfields = 3\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0025", 3, 10, hint: "header = no")]),
    MappingCase(
      label: "the quote is the delimiter",
      text:
        "[file]\ncurrency = USD\ndelimiter = \"|\"\nquote = \"|\"\n[kind]\nconstant = receipt\n",
      expected: [ExpectedDiagnostic("M0025", 4, 1)]),
    MappingCase(
      label: "CSV constructs in an XML mapping",
      text: """
        [file]
        format = xml
        currency = USD
        delimiter = ";"
        [kind]
        column = kind
        receipt = /filing/receipt
        [fields]
        amount = column amount
        """,
      expected: [
        ExpectedDiagnostic("M0026", 4, 1, hint: "remove"),
        ExpectedDiagnostic("M0026", 6, 1, hint: "receipt = /filing/receipt"),
        ExpectedDiagnostic("M0026", 9, 17, hint: "element amount"),
      ]),
    MappingCase(
      label:
        "XML record elements: relative, an attribute, nested; an absolute field inside a record",
      text: """
        [file]
        format = xml
        currency = USD
        [kind]
        receipt = filing/receipt, /filing/receipt/@id
        disbursement = /filing, /filing/disbursement
        [fields]
        amount = element /filing/disbursement/amount
        """,
      expected: [
        ExpectedDiagnostic("M0027", 4, 1),
        ExpectedDiagnostic("M0027", 5, 11), ExpectedDiagnostic("M0027", 5, 27),
        ExpectedDiagnostic("M0027", 8, 18, hint: "outside the records"),
      ]),
    MappingCase(
      label: "XML mapping without record elements",
      text: "[file]\nformat = xml\ncurrency = USD\n[kind]\nskip = /filing/text\n",
      expected: [ExpectedDiagnostic("M0018", 4, 1, hint: "receipt = /filing/receipt")]),
    MappingCase(
      label: "several problems at once",
      text: """
        [file]
        currency = usdollars
        date-format = dd.mm.yyyy
        [kind]
        constant = receipt
        [fields]
        amout = column Amount
        amount = column Amount as mony
        date = column Date as date yyyy/mm/dd
        amount = column Other
        name = column Donor as integer
        [extra]
        whatever = 1
        """,
      expected: [
        ExpectedDiagnostic("M0009", 2, 12), ExpectedDiagnostic("M0007", 3, 15),
        ExpectedDiagnostic("M0003", 7, 1, hint: "did you mean 'amount'?"),
        ExpectedDiagnostic("M0004", 8, 27, hint: "did you mean 'money'?"),
        ExpectedDiagnostic("M0007", 9, 28, hint: "dd/mm/yyyy"),
        ExpectedDiagnostic("M0006", 10, 1, hint: "line 8"),
        ExpectedDiagnostic("M0005", 11, 24),
        ExpectedDiagnostic("M0001", 12, 2),
      ]),
  ]

  @Test("mapping diagnostics", arguments: diagnosticCases)
  func diagnostics(_ testCase: MappingCase) {
    let source = SourceFile(path: "case.map", text: testCase.text)
    let (mapping, diagnostics) = Mapping.parse(source)
    #expect(mapping == nil)
    let found = diagnostics.sortedForDisplay().map { d in
      "\(d.id)@\(d.position.map { "\($0.line):\($0.column)" } ?? "?")"
    }
    #expect(
      found == testCase.expected.map(\.description),
      "\(diagnostics.map { $0.rendered() }.joined(separator: "\n"))")
    for expected in testCase.expected {
      #expect(diagnostics.contains { $0.id == expected.id && $0.source != nil && $0.range != nil })
      if let hint = expected.hint {
        #expect(
          diagnostics.contains { $0.id == expected.id && ($0.hint ?? "").contains(hint) },
          "hint of \(expected.id) should contain \"\(hint)\": \(diagnostics.map { $0.hint ?? "-" })"
        )
      }
    }
  }

  @Test("every diagnostic id comes from the catalogue")
  func idsFromCatalogue() {
    let ids = Set(FilingsCatalogue.allCases.map(\.id))
    #expect(ids.count == FilingsCatalogue.allCases.count)
    for testCase in MappingTests.diagnosticCases {
      for expected in testCase.expected { #expect(ids.contains(expected.id)) }
    }
  }

  @Test("a diagnostic renders with a caret under the span")
  func rendering() {
    let text =
      "[file]\ncurrency = USD\n[kind]\nconstant = receipt\n[fields]\namout = column amount\n"
    let (_, diagnostics) = Mapping.parse(SourceFile(path: "m.map", text: text))
    let rendered = diagnostics.first?.rendered() ?? ""
    #expect(
      rendered == """
        m.map:6:1: error[M0003]: unknown field 'amout'
         6 | amout = column amount
           | ^~~~~
           = help: did you mean 'amount'?
        """)
  }

  @Test("the bundled canonical mapping parses clean")
  func canonicalParsesClean() throws {
    let (mapping, diagnostics) = Mapping.parse(
      SourceFile(path: BundledMappings.canonicalPath, text: BundledMappings.canonicalText))
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    let canonical = try #require(mapping)
    #expect(canonical.name == "probity-canonical")
    #expect(canonical.currency == .usd)
    #expect(canonical.hasHeader)
    #expect(canonical.delimiter == UInt8(ascii: ","))
    #expect(canonical.dateFormat == .isoDate)
    #expect(Mapping.canonical.fields.count == CanonicalSchema.count)
  }

  @Test("the canonical mapping maps every field to a column of its own name; four are required")
  func canonicalColumns() throws {
    var required: [String] = []
    for (id, spec) in CanonicalSchema.fields.enumerated() {
      let fieldMapping = try #require(
        Mapping.canonical.mapping(for: id), "\(spec.name) is not mapped")
      guard case .column(let reference, let parser, let optional) = fieldMapping.source else {
        Issue.record("\(spec.name) is not a column")
        continue
      }
      #expect(reference == .name(spec.name))
      #expect(parser.outputType == spec.type)
      if !optional { required.append(spec.name) }
    }
    #expect(required == ["transaction_id", "date", "amount"])
    guard case .column(let kind) = Mapping.canonical.kind else {
      Issue.record("the canonical kind is not a column")
      return
    }
    #expect(kind.column == .name("kind"))
    #expect(kind.decision(for: " Receipt ") == .record(.receipt))
    #expect(kind.decision(for: "disbursement") == .record(.disbursement))
    #expect(kind.decision(for: "SA11AI") == nil)
  }

  @Test("the example mapping of docs/formats.md parses to what it says")
  func exampleMapping() throws {
    let mapping = try cleanMapping(
      """
      # Probity mapping: an example
      [file]
      name = example
      currency = usd            # ISO code
      header = yes
      delimiter = "\\t"
      date-format = yyyy-mm-dd

      [kind]
      column = kind
      receipt = receipt, SA11AI, SA11B, SA
      disbursement = disbursement, SB
      skip = TEXT, "memo, text"

      [fields]
      transaction_id = column tran_id
      amount = column amount as money
      date = column "Contribution Date" as date mm/dd/yyyy
      memo = column memo_code as flag X
      payment_method = column payment_method as text lower optional
      employer = column #7                       # by position
      committee_type = constant H
      city = column "Town # or city"
      aggregate = constant "$1,000.00"
      """)
    #expect(mapping.name == "example")
    #expect(mapping.currency == .usd)
    #expect(mapping.delimiter == UInt8(ascii: "\t"))
    guard case .column(let kind) = mapping.kind else {
      Issue.record("kind should be a column")
      return
    }
    #expect(kind.receiptValues == ["receipt", "SA11AI", "SA11B", "SA"])
    #expect(kind.skipValues == ["TEXT", "memo, text"])
    #expect(kind.decision(for: "sa11ai") == .record(.receipt))
    #expect(kind.decision(for: "text") == .skip)
    func source(_ name: String) -> FieldMapping.Source? {
      CanonicalSchema.id(named: name).flatMap { mapping.mapping(for: $0) }?.source
    }
    guard case .column(.name("Contribution Date"), .date(.usSlashes), false)? = source("date")
    else {
      Issue.record("date: \(String(describing: source("date")))")
      return
    }
    guard case .column(.position(7), .text(nil), false)? = source("employer") else {
      Issue.record("employer: \(String(describing: source("employer")))")
      return
    }
    guard case .column(.name("payment_method"), .text(.lower), true)? = source("payment_method")
    else {
      Issue.record("payment_method: \(String(describing: source("payment_method")))")
      return
    }
    guard case .column(.name("memo_code"), .flag(let flags), false)? = source("memo") else {
      Issue.record("memo: \(String(describing: source("memo")))")
      return
    }
    #expect(flags.written == ["X"])
    guard case .column(.name("Town # or city"), _, _)? = source("city") else {
      Issue.record("city: \(String(describing: source("city")))")
      return
    }
    guard case .constant(.string("H"))? = source("committee_type"),
      case .constant(.money(let limit))? = source("aggregate")
    else {
      Issue.record(
        "constants: \(String(describing: source("committee_type"))), \(String(describing: source("aggregate")))"
      )
      return
    }
    #expect(limit == Money(units: 1000, currency: .usd))
  }

  @Test(
    "delimiters",
    arguments: [
      ("\",\"", ","), ("\"\\t\"", "\t"), ("tab", "\t"), ("|", "|"), (",", ","), ("\";\"", ";"),
    ])
  func delimiters(written: String, expected: String) throws {
    let mapping = try cleanMapping(
      "[file]\ncurrency = GBP\ndelimiter = \(written)\n[kind]\nconstant = receipt\n")
    #expect(mapping.delimiter == Array(expected.utf8)[0])
    #expect(mapping.currency == .gbp)
  }

  @Test("a byte order mark before the first line is ignored")
  func byteOrderMark() throws {
    let mapping = try cleanMapping("\u{FEFF}[file]\ncurrency = EUR\n[kind]\nconstant = receipt\n")
    #expect(mapping.currency == .eur)
  }

  @Test("the UK register mapping fixture parses clean")
  func ukFixture() throws {
    let (mapping, diagnostics) = Mapping.load(path: fixture("mappings/uk-ec-donations.map"))
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    #expect(mapping?.currency == .gbp)
    #expect(mapping?.dateFormat == .ukSlashes)
  }

  @Test("a mapping file that cannot be read gives a diagnostic")
  func unreadable() {
    let (mapping, diagnostics) = Mapping.load(path: "/nonexistent/probity.map")
    #expect(mapping == nil)
    #expect(diagnostics.map(\.id) == ["M0024"])
    #expect(diagnostics.first?.message.contains("No such file") == true)
  }

  /// Opening a FIFO waits for a writer: a run given one as its mapping hung for good.
  /// Refused without opening it (no writer is started here: the test would hang if the
  /// file were opened).
  @Test("a mapping file that is a pipe is refused, never waited on (M0024)")
  func pipeRefused() {
    let path = scratchFolder.appendingPathComponent("probity-\(UUID().uuidString).map").path
    #expect(mkfifo(path, 0o600) == 0)
    defer { unlink(path) }
    let (mapping, diagnostics) = Mapping.load(path: path)
    #expect(mapping == nil)
    #expect(diagnostics.map(\.id) == ["M0024"])
    #expect(diagnostics.first?.message.contains("it is a pipe, not a regular file") == true)
  }

  @Test(
    "weird input never hangs and never crashes",
    arguments: [
      "", "\n\n\n", "[", "]", "=", "\"", "[file", "[file]]", "# only a comment", "#", "#1",
      "[fields]\n= = =",
      "[fields]\namount = column", "[fields]\namount = column \"a\" as", "[kind]\nreceipt = ,,,",
      "[kind]\nreceipt = a b",
      "\u{0}\u{1}[\u{7f}]", "[file]\ndelimiter = \"\\\"",
      "[fields]\namount = column #99999999999999999999999",
    ])
  func weirdInput(_ text: String) {
    let (mapping, diagnostics) = Mapping.parse(SourceFile(path: "weird.map", text: text))
    #expect(mapping == nil)
    #expect(!diagnostics.isEmpty)
    for diagnostic in diagnostics { #expect(!diagnostic.rendered().isEmpty) }
  }
}
