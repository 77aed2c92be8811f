import Foundation
import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine
@testable import ProbityReports

/// A small pack: an error rule with a message full of characters CI formats escape, and
/// an info rule that fires on every gift.
let gatePack = """
  param limit: money = $100.00

  rule T-CASH-001 {
    title "Cash over $100, in currency"
    severity error
    category cash-over-limit
    citation "11 CFR 110.4(c)(2)"
    applies receipt
    when payment_method == "cash" and amount > limit
    message "{name} gave {amount}: 150% of it, in cash"
    remedy "return it"
  }

  rule T-INFO-001 {
    title "Any gift"
    severity info
    category data-quality
    citation "none"
    applies receipt
    when amount > $0.00
    message "a gift"
  }
  """

func compiledGatePack() throws -> CompiledRuleSet {
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "gate.probity", text: gatePack)
  ])
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  return try #require(ruleSet)
}

/// A cash receipt of `amount` dollars.
func cashGift(
  file: String = "filings/receipts.csv", line: Int, id: String?, name: String = "SMITH, JOHN",
  amount: String = "250.00", date: String = "2024-03-15", filer: String? = nil
) -> Record {
  var record = Record(kind: .receipt, provenance: Provenance(file: file, line: line))
  func set(_ field: String, _ value: Value) {
    if let fieldID = CanonicalSchema.id(named: field) { record[fieldID] = value }
  }
  if let id { set("transaction_id", .string(id)) }
  if let filer { set("filer_id", .string(filer)) }
  set("name", .string(name))
  set("payment_method", .string("cash"))
  if case .success(let money) = MoneyParser.parse(Substring(amount), currency: .usd) {
    set("amount", .money(money))
  }
  if case .success(let day) = DateFormat.isoDate.parse(Substring(date)) { set("date", .date(day)) }
  return record
}

func checkReport(_ records: [Record], asOf: CivilDate? = nil) throws -> CheckReport {
  var run = CheckRun(ruleSet: try compiledGatePack(), asOf: asOf)
  for record in records { run.evaluate(record) }
  run.finish()
  return CheckReport(
    rulePack: "gate.probity", inputs: ["filings/receipts.csv"], run: run, rejections: [],
    rejectionDiagnostics: 0, recordsRead: records.count, recordsRejected: 0, rowsSkipped: 0)
}

func day(_ text: String) -> CivilDate? { try? DateFormat.isoDate.parse(Substring(text)).get() }

func waiver(_ fingerprint: String, expires: String, rule: String? = nil) throws -> Waiver {
  Waiver(
    fingerprint: fingerprint, rule: rule, reviewer: "A. Examiner", reason: "reviewed",
    expires: try #require(day(expires)), file: "waivers.json", line: 3)
}

@Suite struct FingerprintTests {
  @Test func isFNV1a64OfThePartsEachEndedByAUnitSeparator() {
    #expect(Fingerprint.compute([]) == "cbf29ce484222325")
    #expect(Fingerprint.compute(["a"]) == "089be907b544fdc9")
    #expect(
      Fingerprint.compute(["probity/v2", "US-CASH-001", "filer:C00999001", "tid:T1", ""])
        == "0e086e9e10ba78c7")
  }

  /// A record with a filer id is the filer's, whatever file holds it: a report and its
  /// amendment (another file's name) give its findings the same fingerprints; two filers'
  /// records of one transaction id (a bulk file mixes committees) do not share one.
  @Test func aFilersRecordIsTheFilersInAnyFile() throws {
    let report = try checkReport([
      cashGift(file: "reports/1000.fec", line: 2, id: "SA.1", filer: "C001"),
      cashGift(file: "reports/1001.fec", line: 9, id: "SA.1", filer: "C001"),
      cashGift(file: "/elsewhere/1002.fec", line: 4, id: "SA.1", filer: "C001"),
      cashGift(file: "reports/1000.fec", line: 3, id: "SA.1", filer: "C002"),
    ])
    let cash = report.findings.filter { $0.ruleID == "T-CASH-001" }.map { Fingerprint.of($0) }
    #expect(cash.count == 4)
    #expect(cash[0] == cash[1] && cash[1] == cash[2], "one filer's transaction in any file")
    #expect(cash[0] != cash[3], "another filer's transaction of the same id")
  }

  /// A filer's transaction ids may start again in each report: a record that gives its
  /// report's period is told apart by it (an amendment keeps the period).
  @Test func aFilersReportsAreToldApartByTheirPeriods() throws {
    func gift(_ file: String, _ start: String, _ end: String) -> Record {
      var record = cashGift(file: file, line: 2, id: "SA11AI.1", filer: "C001")
      for (name, text) in [("report_period_start", start), ("report_period_end", end)] {
        record[CanonicalSchema.id(named: name)!] = day(text).map(Value.date) ?? .missing
      }
      return record
    }
    let report = try checkReport([
      gift("q1.fec", "2024-01-01", "2024-03-31"),
      gift("q1-amended.fec", "2024-01-01", "2024-03-31"),
      gift("q2.fec", "2024-04-01", "2024-06-30"),
    ])
    let cash = report.findings.filter { $0.ruleID == "T-CASH-001" }.map { Fingerprint.of($0) }
    #expect(cash.count == 3)
    #expect(cash[0] == cash[1], "a report and its amendment")
    #expect(cash[0] != cash[2], "the same id in the next report")
  }

  /// A record without a filer id is its file's: the path written one way, relative to
  /// the working directory when under it; files of one name in two folders are two.
  @Test func aRecordWithoutAFilerIsItsFilesWrittenOneWay() throws {
    let here = Fingerprint.currentDirectory.first ?? "/"
    let report = try checkReport([
      cashGift(line: 2, id: "T1"), cashGift(file: "./filings//receipts.csv", line: 40, id: "T1"),
      cashGift(file: here + "/filings/receipts.csv", line: 7, id: "T1"),
      cashGift(file: "filings/q1/../receipts.csv", line: 8, id: "T1"),
      cashGift(file: "/tmp/other/receipts.csv", line: 9, id: "T1"),
      cashGift(file: "/tmp/another/receipts.csv", line: 9, id: "T1"),
    ])
    let cash = report.findings.filter { $0.ruleID == "T-CASH-001" }.map { Fingerprint.of($0) }
    #expect(cash.count == 6)
    #expect(Set(cash[0...3]).count == 1, "one path, written four ways")
    #expect(cash[4] != cash[5], "two folders' receipts.csv")
    #expect(cash[0] != cash[4])
  }

  @Test func tellsRulesRecordsAndKeysApart() throws {
    let report = try checkReport([
      cashGift(line: 2, id: "T1"), cashGift(line: 3, id: "T2"), cashGift(line: 4, id: nil),
    ])
    let all = report.findings.map { Fingerprint.of($0, recordKey: "key") }
    #expect(Set(all).count == all.count)
    let anonymous = try #require(report.findings.first { $0.transactionID == nil })
    let record = cashGift(line: 4, id: nil)
    let key = Fingerprint.recordKey(of: record)
    #expect(key.contains("name=\"SMITH, JOHN\"") && key.contains("amount=$250.00"))
    #expect(!key.contains("line"))
    #expect(Fingerprint.of(anonymous, recordKey: key) != Fingerprint.of(anonymous, recordKey: nil))
  }

  @Test(
    "paths written one way",
    arguments: [
      ("./a/b.csv", "a/b.csv"), ("a//b.csv", "a/b.csv"), ("a/./b.csv", "a/b.csv"),
      ("a/x/../b.csv", "a/b.csv"), ("/work/a/b.csv", "a/b.csv"), ("/work//a/./b.csv", "a/b.csv"),
      ("/x/y/b.csv", "/x/y/b.csv"), ("/workshop/b.csv", "/workshop/b.csv"),
      ("../b.csv", "../b.csv"), ("a/../../b.csv", "../b.csv"), ("../../x/./b.csv", "../../x/b.csv"),
      ("/link/a/b.csv", "a/b.csv"), ("b.csv", "b.csv"),
      ("/\u{E9}t\u{E9}/x.csv", "/\u{E9}t\u{E9}/x.csv"),
    ])
  func pathPart(_ path: String, _ expected: String) {
    #expect(Fingerprint.pathPart(path, workingDirectory: ["/work", "/link"]) == expected)
  }

  /// The recipe as the docs give it: the parts made as strings, then hashed.
  static func referenceWhose(_ finding: Finding) -> String {
    if let filer = finding.filerID, !filer.isEmpty {
      return "filer:" + filer + (finding.reportPeriod.map { "\u{1E}report:" + $0 } ?? "")
    }
    return "path:" + Fingerprint.pathPart(finding.file)
  }

  @Test func fingerprintIsTheRecipesOnFindingsWithGroups() throws {
    let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(
        path: "g.probity",
        text: """
          rule T-GROUP-001 {
            title "t"
            severity error
            category excessive-contribution
            citation "c"
            applies receipt
            group by name, payment_method
            window calendar-year
            let total = sum(amount)
            when total > $300.00
            message "{total}"
          }
          """)
    ])
    #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
    var run = CheckRun(ruleSet: try #require(ruleSet))
    for record in [
      cashGift(line: 2, id: "T1"), cashGift(line: 3, id: "T2"),
      cashGift(file: "/tmp/x/receipts.csv", line: 4, id: nil, name: "DOE, JANE"),
      cashGift(file: "/tmp/x/receipts.csv", line: 5, id: nil, name: "DOE, JANE"),
    ] {
      run.evaluate(record)
    }
    run.finish()
    let findings = run.findings
    #expect(findings.count == 2)
    #expect(findings.allSatisfy { $0.group.count == 3 }, "\(findings.map(\.group))")
    for finding in findings {
      for key in [nil, "kind=receipt\u{1E}name=X"] as [String?] {
        let record = finding.transactionID.map { "tid:" + $0 } ?? "key:" + (key ?? "")
        let group = finding.group.map { "\($0.name)=\($0.value.description)" }
          .joined(separator: "\u{1E}")
        let expected = Fingerprint.compute([
          Fingerprint.sarifKey, finding.ruleID, Self.referenceWhose(finding), record, group,
        ])
        #expect(Fingerprint.of(finding, recordKey: key) == expected)
      }
    }
  }
}

@Suite struct GateTests {
  @Test func waivedFindingsAreShownButDoNotCount() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1")])
    let cash = try #require(report.findings.first { $0.ruleID == "T-CASH-001" })
    let gate = GateResult(
      report: report, failLevel: .error,
      waivers: [try waiver(Fingerprint.of(cash), expires: "2024-03-15")], waiversPath: "w.json",
      toolVersion: "test")
    #expect(
      gate.review(of: cash, in: report)?.status == .waived, "the expiry day itself is still covered"
    )
    #expect(gate.failing == 0)
    #expect(gate.exitCode(report) == 0)
    #expect(
      gate.textLines(for: try #require(gate.review(of: cash, in: report))).contains(
        "waived by A. Examiner until 2024-03-15"))
  }

  @Test func anExpiredWaiverFailsTheRunWhateverTheSeverity() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1")])
    let info = try #require(report.findings.first { $0.ruleID == "T-INFO-001" })
    let gate = GateResult(
      report: report, failLevel: .error,
      waivers: [try waiver(Fingerprint.of(info), expires: "2024-03-14")], waiversPath: "w.json",
      toolVersion: "test")
    #expect(gate.review(of: info, in: report)?.status == .waiverExpired)
    #expect(gate.review(of: info, in: report)?.counts == true)
    #expect(gate.failing == 2)
    #expect(gate.summaryLine(report).contains("1 under an expired waiver"))
  }

  @Test func expiryIsJudgedAtTheAsOfDateNotToday() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1")], asOf: day("2030-01-01"))
    let cash = try #require(report.findings.first { $0.ruleID == "T-CASH-001" })
    let gate = GateResult(
      report: report, failLevel: .error,
      waivers: [try waiver(Fingerprint.of(cash), expires: "2029-12-31")], waiversPath: "w.json",
      toolVersion: "test")
    #expect(gate.review(of: cash, in: report)?.status == .waiverExpired)
  }

  @Test func aWaiverNamingAnotherRuleDoesNotApply() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1")])
    let cash = try #require(report.findings.first { $0.ruleID == "T-CASH-001" })
    let gate = GateResult(
      report: report, failLevel: .error,
      waivers: [try waiver(Fingerprint.of(cash), expires: "2025-01-01", rule: "T-OTHER-001")],
      waiversPath: "w.json", toolVersion: "test")
    #expect(gate.review(of: cash, in: report)?.status == .open)
    #expect(gate.unusedWaivers.count == 1)
  }

  @Test func aBaselineCoversAsManyFindingsAsItListsTimes() throws {
    // Two findings of one rule on one transaction id (a filing that repeats an id).
    let report = try checkReport([
      cashGift(line: 2, id: "T1"), cashGift(line: 3, id: "T1"), cashGift(line: 4, id: "T2"),
    ])
    let cash = report.findings.filter { $0.ruleID == "T-CASH-001" }
    let gate = GateResult(
      report: report, failLevel: .error, baseline: [Fingerprint.of(cash[0])],
      baselinePath: "base.json", toolVersion: "test")
    #expect(gate.reviews.filter(\.inBaseline).count == 1)
    #expect(gate.failing == 2, "the repeat and T2 are new")
  }

  @Test func eachFindingOfOneLineShowsItsOwnReview() throws {
    // Two records on one line (as XML's may be), each making a finding of one rule: the
    // baseline lists the second only. The reports show each finding with its own review,
    // not both with the first's (as when reviews were found by rule, file and line).
    var report = try checkReport([cashGift(line: 2, id: "T1"), cashGift(line: 2, id: "T2")])
    let cash = report.findings.filter { $0.ruleID == "T-CASH-001" }
    try #require(cash.count == 2)
    let gate = GateResult(
      report: report, failLevel: .error, baseline: [Fingerprint.of(cash[1])],
      baselinePath: "base.json", toolVersion: "test")
    report.gate = gate
    let reviewed = zip(report.findings, gate.reviews).filter { $0.0.ruleID == "T-CASH-001" }
    #expect(reviewed.map(\.0.transactionID) == ["T1", "T2"])
    #expect(reviewed.map(\.1.inBaseline) == [false, true])
    let json = ReportRenderer.render(report, as: .json)
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let findings = try #require(document["findings"] as? [[String: Any]])
    let inBaseline = findings.filter { $0["rule"] as? String == "T-CASH-001" }.map {
      ($0["record"] as? String, ($0["gate"] as? [String: Any])?["in_baseline"] as? Bool)
    }
    #expect(inBaseline.map(\.0) == ["T1", "T2"])
    #expect(inBaseline.map(\.1) == [false, true])
    let text = ReportRenderer.render(report, as: .text)
    let cashBlocks = text.components(separatedBy: "\n\n").filter {
      $0.hasPrefix("filings/receipts.csv:2: error[T-CASH-001]")
    }
    #expect(cashBlocks.count == 2)
    #expect(cashBlocks.map { $0.contains("baseline: in base.json") } == [false, true])
  }

  @Test func eachRecordHasItsOwnPseudonymEvenOnOneLine() throws {
    // The run makes a record's pseudonym once for all its traces; two records of one
    // place (made by hand, or two records on one line) must not share it.
    let policy = PersonalDataPolicy(secret: "s")
    var run = CheckRun(ruleSet: try compiledGatePack())
    run.personalData = policy
    let records = [
      cashGift(line: 2, id: "T1", name: "SMITH, JOHN"),
      cashGift(line: 2, id: "T2", name: "DOE, JANE"),
    ]
    for record in records { run.evaluate(record) }
    run.finish()
    let cash = run.findings.filter { $0.ruleID == "T-CASH-001" }
    try #require(cash.count == 2)
    for (finding, record) in zip(cash, records) {
      #expect(
        finding.message.hasPrefix(policy.pseudonym(for: record) + " gave"), "\(finding.message)")
    }
    #expect(policy.pseudonym(for: records[0]) != policy.pseudonym(for: records[1]))
  }

  @Test func failLevelDecidesWhatCounts() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1", amount: "50.00")])
    #expect(GateResult(report: report, failLevel: .error, toolVersion: "t").failing == 0)
    #expect(GateResult(report: report, failLevel: .warning, toolVersion: "t").failing == 0)
    #expect(GateResult(report: report, failLevel: .info, toolVersion: "t").failing == 1)
  }

  @Test func withoutAnAsOfDateWaiversAreNotApplied() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1", date: "")])
    let cash = try #require(report.findings.first { $0.ruleID == "T-CASH-001" })
    let gate = GateResult(
      report: report, failLevel: .error,
      waivers: [try waiver(Fingerprint.of(cash), expires: "2099-01-01")], waiversPath: "w.json",
      toolVersion: "test")
    #expect(report.asOf == nil)
    #expect(gate.review(of: cash, in: report)?.status == .waiverUnjudged)
    #expect(gate.failing == 1)
  }
}

@Suite struct GateFileTests {
  @Test func waiversFileParses() throws {
    let text = """
      {
        "version": 1,
        "waivers": [
          {
            "fingerprint": "0123456789abcdef",
            "rule": "US-CASH-001",
            "reviewer": "A. Examiner",
            "reason": "Returned on 2024-03-20 \\u2014 receipt on file",
            "expires": "2024-12-31"
          }
        ]
      }
      """
    let (waivers, diagnostics) = WaiverFile.parse(text, path: "w.json")
    #expect(diagnostics.isEmpty)
    let first = try #require(waivers?.first)
    #expect(first.reason == "Returned on 2024-03-20 \u{2014} receipt on file")
    #expect(first.line == 4)
    #expect(first.expires == day("2024-12-31"))
  }

  @Test func waiversFileErrorsSayWhereAndHow() {
    let text = """
      {"waivers": [
        {"fingerprint": "XYZ", "reviwer": "a", "reason": " ", "expires": "2024-02-30"},
        {"fingerprint": "0123456789abcdef", "reviewer": "b", "reason": "c", "expires": "2025-01-01"},
        {"fingerprint": "0123456789abcdef", "reviewer": "b", "reason": "c", "expires": "2025-01-01"}
      ]}
      """
    let (waivers, diagnostics) = WaiverFile.parse(text, path: "w.json")
    #expect(waivers == nil)
    let rendered = diagnostics.map { $0.rendered() }
    #expect(
      rendered.contains { $0.hasPrefix("w.json:2:") && $0.contains("did you mean 'reviewer'?") })
    #expect(rendered.contains { $0.contains("\"XYZ\" is not a fingerprint") })
    #expect(rendered.contains { $0.contains("\"reason\" is empty") })
    #expect(rendered.contains { $0.contains("no such day") })
    #expect(
      rendered.contains {
        $0.hasPrefix("w.json:4:") && $0.contains("waived twice (first on line 3)")
      })
  }

  @Test func jsonSyntaxErrorsHaveLineAndColumn() {
    for (text, expected) in [
      ("{\"waivers\": [1,]}", "w.json:1:16: error[G0001]: expected a value, found ']'"),
      ("{\"waivers\": []\n\"x\": 1}", "w.json:2:1: error[G0001]: expected ',' or '}', found '\"'"),
      ("{'waivers': []}", "w.json:1:2: error[G0001]: expected a key in double quotes"),
      ("{\"a\": 1, \"a\": 2}", "w.json:1:10: error[G0001]: key \"a\" is given twice"),
      ("{\"a\": \"b", "w.json:1:9: error[G0001]: unterminated string"),
      ("", "w.json:1:1: error[G0001]: expected a value, found the end of the file"),
    ] {
      let (_, diagnostics) = WaiverFile.parse(text, path: "w.json")
      #expect(
        diagnostics.first?.rendered().hasPrefix(expected) == true,
        "\(text): \(diagnostics.map { $0.rendered() })")
    }
  }

  @Test func jsonReaderReadsStringsNumbersAndNesting() throws {
    let text =
      "{\"s\": \"a\\\"b\\\\c\\n\\ud83d\\ude00\", \"n\": -12, \"l\": [true, false, null, {}]}"
    guard case .success(let root) = JSONReader.parse(text, path: "x", diagnosticID: "G0001") else {
      Issue.record("did not parse")
      return
    }
    #expect(root["s"]?.string == "a\"b\\c\n😀")
    #expect(root["n"]?.integer == -12)
    guard case .array(let items)? = root["l"]?.kind else {
      Issue.record("no array")
      return
    }
    #expect(items.count == 4)
  }

  @Test func baselineRoundTrips() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1"), cashGift(line: 3, id: "T2")])
    let gate = GateResult(report: report, failLevel: .error, toolVersion: "t")
    let text = BaselineFile.render(report, gate: gate)
    let (fingerprints, diagnostics) = BaselineFile.parse(text, path: "b.json")
    #expect(diagnostics.isEmpty)
    #expect(fingerprints == gate.reviews.map(\.fingerprint))
    let (_, bad) = BaselineFile.parse(
      "{\"probity_baseline\": 1, \"findings\": [{}]}", path: "b.json")
    #expect(bad.first?.rendered().hasPrefix("b.json:1:38: error[G0005]") == true)
  }

  /// A fingerprint a baseline holds is one Probity writes (16 lower-case hex digits),
  /// as for waivers (G0003): "3EAA0ED4BD1D83E6" or "zz" matched no finding, unsaid; nor do
  /// full-width digits and letters, which `Character.isHexDigit` takes.
  @Test(arguments: [
    "zz", "3EAA0ED4BD1D83E6", "3eaa0ed4bd1d83e", " 3eaa0ed4bd1d83e6", "",
    "\u{FF10}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}\u{FF17}\u{FF18}\u{FF19}\u{FF41}\u{FF42}\u{FF43}\u{FF44}\u{FF45}\u{FF46}",
  ])
  func aMalformedFingerprintIsAnError(_ fingerprint: String) {
    let (fingerprints, diagnostics) = BaselineFile.parse(
      "{\"probity_baseline\": 1, \"findings\": [{\"fingerprint\": \"\(fingerprint)\"}]}",
      path: "b.json")
    #expect(fingerprints == nil)
    #expect(
      diagnostics.first?.rendered().hasPrefix(
        "b.json:1:54: error[G0005]: \"\(fingerprint)\" is not a fingerprint") == true)
  }
}

@Suite struct CIFormatTests {
  @Test func sarifIsCappedAndSaysSo() throws {
    let report = try checkReport((1...5).map { cashGift(line: $0 + 1, id: "T\($0)") })
    let gate = GateResult(report: report, failLevel: .error, toolVersion: "t")
    let (text, cap) = SARIFRenderer.render(report, gate: gate, maximumResults: 3)
    #expect(
      cap
        == SARIFRenderer.Cap(
          total: 10, reported: 3, reason: "GitHub accepts at most 3 results per run"))
    #expect(text.contains("\"truncated\": true"))
    #expect(text.contains("probity/results-capped"))
    // The findings that count (the errors) go first.
    #expect(text.components(separatedBy: "\"ruleId\": \"T-CASH-001\"").count == 4)
    let (small, bySize) = SARIFRenderer.render(report, gate: gate, maximumBytes: 8_000)
    #expect(small.utf8.count <= 8_000)
    #expect(bySize?.reason == "GitHub accepts SARIF files of at most 8000 bytes")
    let (_, both) = SARIFRenderer.render(report, gate: gate, maximumResults: 8, maximumBytes: 8_000)
    #expect(
      both?.reason
        == "GitHub accepts at most 8 results per run and SARIF files of at most 8000 bytes")
    let (whole, none) = SARIFRenderer.render(report, gate: gate)
    #expect(none == nil)
    #expect(whole.contains("\"truncated\": false"))
  }

  @Test func sarifURIs() {
    #expect(SARIFRenderer.uri("filings/2024 Q1/a#b.csv") == "filings/2024%20Q1/a%23b.csv")
    #expect(SARIFRenderer.uri("/srv/filings/a.csv") == "file:///srv/filings/a.csv")
    #expect(SARIFRenderer.uri("c:x/y.csv") == "c%3Ax/y.csv")
    #expect(SARIFRenderer.uri("donations-£.csv") == "donations-%C2%A3.csv")
  }

  @Test func githubAnnotationsAreEscapedAndCappedPerLevel() throws {
    let report = try checkReport((1...12).map { cashGift(line: $0 + 1, id: "T\($0)") })
    let gate = GateResult(report: report, failLevel: .error, toolVersion: "t")
    let out = GitHubAnnotations.render(report, gate: gate)
    let lines = out.split(separator: "\n")
    #expect(lines.count { $0.hasPrefix("::error ") } == 10)
    #expect(lines.count { $0.hasPrefix("::notice ") } == 10)
    #expect(out.contains("not annotated (GitHub shows 10 per level): 2 errors, 2 notices"))
    let first = try #require(lines.first)
    #expect(
      first.hasPrefix(
        "::error file=filings/receipts.csv,line=2,title=T-CASH-001 Cash over $100%2C in currency::SMITH, JOHN gave $250.00: 150%25 of it, in cash%0ARemedy: return it"
      ))
    #expect(GitHubAnnotations.escapeProperty("a:b,c%\n") == "a%3Ab%2Cc%25%0A")
    #expect(GitHubAnnotations.escapeData("a:b,c%\r\n") == "a:b,c%25%0D%0A")
  }

  @Test func junitEscapesAndCountsPerFileAndRule() throws {
    let report = try checkReport([cashGift(line: 2, id: "T1", name: "O'Neil <&> \"Co\"\u{1}")])
    let gate = GateResult(report: report, failLevel: .error, toolVersion: "t")
    let xml = JUnitRenderer.render(report, gate: gate)
    #expect(xml.contains("tests=\"3\" failures=\"1\" errors=\"0\""))
    #expect(xml.contains("O&apos;Neil &lt;&amp;&gt; &quot;Co&quot; gave"))
    #expect(!xml.contains("\u{1}"))
    #expect(xml.contains("<system-out>"), "the info finding is listed, not failed")
  }
}

/// `probity check --format junit` writes the document as it is made, in pieces of about a
/// megabyte, each finding's description added as it is decoded: many pieces, none much
/// over the size asked, the same document.
@Test func theJUnitReportIsWrittenAsItIsMade() throws {
  let records = (0..<300).map { cashGift(line: $0 + 2, id: "T\($0)", name: "DONOR, N\($0)") }
  let report = try checkReport(records)
  let gate = GateResult(report: report, failLevel: .error, toolVersion: "test")
  var pieces: [String] = []
  JUnitRenderer.write(report, gate: gate, pieceBytes: 4_000) { pieces.append($0) }
  let whole = JUnitRenderer.render(report, gate: gate)
  #expect(pieces.joined() == whole)
  #expect(whole.utf8.count > 40_000)
  #expect(pieces.count >= whole.utf8.count / 5_000)
  #expect(pieces.allSatisfy { $0.utf8.count < 6_000 }, "\(pieces.map(\.utf8.count).max() ?? 0)")
  #expect(whole.hasPrefix("<?xml") && whole.hasSuffix("</testsuites>\n"))
}

/// A report of `gifts` cash gifts from as many donors (two findings each), with its gate.
private func gatedReport(gifts: Int) throws -> CheckReport {
  let records = (0..<gifts).map { cashGift(line: $0 + 2, id: "T\($0)", name: "DONOR, N\($0)") }
  var report = try checkReport(records)
  report.gate = GateResult(report: report, failLevel: .error, toolVersion: "test")
  return report
}

/// `probity audit` writes report.html as it is made, the table of findings a wave of rows
/// at a time, each wave in parts on all the cores: the same page whatever the waves.
@Test func theAuditPageIsWrittenAsItIsMade() throws {
  let count = ReportRenderer.findingsWrittenInParts + 100
  let check = try gatedReport(gifts: count / 2)
  let audit = AuditReport(
    check: check,
    files: [
      .init(
        path: "filings/receipts.csv", format: "csv", status: .checked, note: nil, records: count / 2
      )
    ])
  let whole = ReportRenderer.auditHTML(audit)
  for perWave in [1, 7, 2_050] {
    var pieces: [String] = []
    ReportRenderer.writeAuditHTML(audit, title: "Probity audit", perWave: perWave) {
      pieces.append($0)
    }
    #expect(pieces.joined() == whole, "waves of \(perWave)")
    #expect(pieces.count == 2 + (check.findings.count + perWave - 1) / perWave)
  }
  #expect(whole.components(separatedBy: "<tr class=\"finding\"").count == check.findings.count + 1)
  #expect(whole.hasSuffix("</html>\n"))
}

/// `probity check --format json` writes the report as it is made, a wave of findings at a
/// time: the same bytes as the report made whole, handed out in several pieces before
/// the end (a report of 174,000 findings was 202 MB kept whole).
@Test func theJSONReportIsWrittenAsItIsMadeTheSameBytes() throws {
  // Over the count written in parts, in waves of 500 (16,000 in a run).
  let count = ReportRenderer.findingsWrittenInParts + 100
  let report = try gatedReport(gifts: count / 2)
  #expect(report.findings.count >= count)
  var pieces: [[UInt8]] = []
  ReportRenderer.writeJSON(report, perWave: 500) { pieces.append($0) }
  #expect(Array(pieces.joined()) == ReportRenderer.jsonBytes(report))
  // Each wave's text is handed out as it is made: the writer keeps none of it.
  var writer = JSONWriter()
  writer.beginArray()
  var emitted = 0
  ReportRenderer.writeFindings(report, to: &writer, perWave: 500) { writer in
    emitted += writer.takeChunks().count
  }
  #expect(emitted > 0 && writer.takeChunks().isEmpty)
}

/// A piece that cannot be written (a full disk, a closed pipe) stops the writing of every
/// streamed document (the audit's and `probity check`'s): the error comes out of the
/// renderer, and nothing more is made after it.
@Test func aFailedPieceStopsTheDocument() throws {
  struct Full: Error {}
  // Over two pieces of the CSV's rows and of the text's (4,096 findings each, the most a
  // piece holds of the five).
  let count = 2 * ReportRenderer.csvRowsPerPiece + 100
  let report = try gatedReport(gifts: count / 2)
  let audit = AuditReport(
    check: report,
    files: [
      .init(path: "receipts.csv", format: "csv", status: .checked, note: nil, records: count / 2)
    ])
  // Each renderer hands out several pieces when none fails; the second one fails.
  let renderers: [(String, (_ emit: () throws -> Void) throws -> Void)] = [
    ("json", { emit in try ReportRenderer.writeJSON(report, perWave: 500) { _ in try emit() } }),
    ("csv", { emit in try ReportRenderer.writeFindingsCSV(report) { _ in try emit() } }),
    ("text", { emit in try ReportRenderer.writeText(report) { _ in try emit() } }),
    (
      "junit",
      { emit in
        try JUnitRenderer.write(report, gate: report.gate!, pieceBytes: 1 << 16) {
          (_: String) throws(any Error) in try emit()
        }
      }
    ),
    (
      "html",
      { emit in
        try ReportRenderer.writeAuditHTML(audit, title: "t", perWave: 500) { _ in try emit() }
      }
    ),
  ]
  for (name, render) in renderers {
    var pieces = 0
    try render { pieces += 1 }
    #expect(pieces > 2, "\(name)")
    pieces = 0
    #expect(throws: Full.self, "\(name)") {
      try render {
        pieces += 1
        if pieces == 2 { throw Full() }
      }
    }
    #expect(pieces == 2, "\(name): pieces made after the failed one")
  }
}

/// With enough findings in a piece, the text report's findings are made on all the cores,
/// in parts, and put back in order: the same text as made one finding at a time.
@Test func theTextReportMadeInPartsIsTheSameText() throws {
  let count = ReportRenderer.findingsWrittenInParts + 100
  let report = try gatedReport(gifts: count / 2)
  #expect(report.findings.count >= count)
  var inParts: [String] = []
  ReportRenderer.writeText(report, perPiece: ReportRenderer.textFindingsPerPiece) {
    inParts.append($0)
  }
  var oneByOne: [String] = []
  ReportRenderer.writeText(report, perPiece: 1) { oneByOne.append($0) }
  #expect(inParts.count == 1 && oneByOne.count == report.findings.count)
  #expect(inParts.joined() == oneByOne.joined())
  #expect(inParts.joined().components(separatedBy: "\n  rule:     ").count == count / 2 * 2 + 1)
}

/// The trail table, its columns as wide as their widest cell counted in characters
/// (non-ASCII names, a CR LF, cells wider than the padding kept ready): as the table was
/// made before it was made faster (the reference below).
@Test func theTrailTableCountsCharacters() {
  func reference(_ trail: [TrailEntry], indent: String?) -> String {
    let rows = trail.map { entry in
      [
        entry.date?.description ?? "-", entry.amount.plainText, entry.running.plainText,
        "\(entry.file):\(entry.line)" + (entry.transactionID.map { " \($0)" } ?? ""),
      ]
    }
    let header = ["date", "amount", "running", "record"]
    var widths = header.map(\.count)
    for row in rows {
      for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
    }
    func line(_ cells: [String], marker: String) -> String {
      var text = marker
      for (column, cell) in cells.enumerated() {
        let pad = String(repeating: " ", count: widths[column] - cell.count)
        text +=
          column == 1 || column == 2 ? pad + cell : cell + (column == cells.count - 1 ? "" : pad)
        if column < cells.count - 1 { text += "  " }
      }
      return text + "\n"
    }
    var out = (indent ?? "  trail:    ") + line(header, marker: "  ")
    for (entry, row) in zip(trail, rows) {
      out += (indent ?? "            ") + line(row, marker: entry.raisedHere ? "→ " : "  ")
    }
    return out
  }
  func money(_ minor: Int64) -> Value { .money(Money(minorUnits: minor, currency: .usd)) }
  let files = [
    "a.csv", "données/caf\u{E9}.csv", "cafe\u{301}.csv", String(repeating: "long/", count: 30),
  ]
  let ids: [String?] = [nil, "T1", "Zo\u{EB}", "A\r\nB", String(repeating: "x", count: 90)]
  var trail: [TrailEntry] = []
  for index in 0..<20 {
    trail.append(
      TrailEntry(
        file: files[index % files.count], line: index * 37, transactionID: ids[index % ids.count],
        date: index % 3 == 0 ? nil : CivilDate(year: 2024, month: 1, day: index % 28 + 1),
        amount: index % 4 == 0 ? .missing : money(Int64(index) * 1_234_567),
        running: money(Int64(index) * 99_999_999), raisedHere: index == 7))
  }
  for length in [1, 2, 5, 20] {
    for indent in [nil, "  ", "     "] {
      let part = Array(trail.prefix(length))
      #expect(
        ReportRenderer.trailText(part, indent: indent) == reference(part, indent: indent),
        "\(length) entries, indent \(indent ?? "nil")")
    }
  }
}

/// `probity check` writes its text report as it is made, some findings at a time: the
/// same text as the report made whole, in pieces that each end at a line's end (each is
/// made safe for a terminal on its own). (The text itself is held to what it was by the
/// end-to-end golden files.)
@Test func theTextReportIsWrittenAsItIsMadeTheSameText() throws {
  let records = (0..<150).map { cashGift(line: $0 + 2, id: "T\($0)", name: "DONOR, N\($0)") }
  var report = try checkReport(records)
  report.gate = GateResult(report: report, failLevel: .error, toolVersion: "test")
  #expect(report.findings.count >= 250)
  var pieces: [String] = []
  ReportRenderer.writeText(report, perPiece: 100) { pieces.append($0) }
  #expect(pieces.joined() == ReportRenderer.text(report))
  #expect(pieces.count == (report.findings.count + 99) / 100)
  #expect(pieces.allSatisfy { $0.hasSuffix("\n") })
}

/// The skipped rows' types add up to the rows skipped: a `.fec` filing's by type, the
/// rows of other formats a mapping skips after them.
@Test func skippedRowsAreToldByType() throws {
  var report = try checkReport([cashGift(line: 2, id: "T1")])
  #expect(report.skippedTypesText == "")
  report.rowsSkipped = 5
  report.skippedTypes = ["SC/10": 2, "F3N": 1]
  #expect(report.skippedTypesText == "F3N 1, SC/10 2, 2 a mapping skips")
  report.rowsSkipped = 3
  #expect(report.skippedTypesText == "F3N 1, SC/10 2")
}
