import Foundation
import ProbityCore
import ProbityFilings
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// Decoding only the fields a run reads (`CheckRun.fieldsRead`, `FilingReader.read(fields:)`)
/// leaves a run's output as it is: the same records accepted and rejected, with the same
/// messages, and the same findings, values, explanations, trails, counts and examples,
/// on fixtures and real filings of every format, with personal data shown or withheld.
@Suite("Decoding only the fields a run reads")
struct FieldProjectionTests {
  /// Everything a report shows of a run, and more.
  static func summary(_ run: CheckRun) -> [String] {
    run.findings.map { finding in
      [
        finding.ruleID, "\(finding.file):\(finding.line)", finding.transactionID ?? "-",
        finding.filerID ?? "-", finding.filerName ?? "-", finding.message, finding.remedy ?? "-",
        finding.values.map { "\($0.name)=\($0.value)" }.joined(separator: ","),
        "\(finding.explanation)", finding.group.map { "\($0.name)=\($0.value)" }.joined(),
        finding.trail.map { "\($0.line)/\($0.transactionID ?? "")/\($0.amount)/\($0.running)" }
          .joined(separator: ","),
        finding.deadline.map { "\($0)" } ?? "-", finding.remedyStatus?.rawValue ?? "-",
      ].joined(separator: " | ")
    } + PreparerTests.summary(run)
  }

  /// The records of a filing read with `fields` (nil: all), and what was said about
  /// the rows rejected.
  static func read(_ file: String, fields: FieldSet?) throws -> (
    records: [Record], problems: [String]
  ) {
    var records: [Record] = []
    var problems: [String] = []
    _ = try FilingReader.read(
      path: KernelDifferentialTests.path(file), format: nil, mapping: nil, fields: fields,
      onRecord: { records.append($0) }, onProblem: { problems.append($0.rendered()) })
    return (records, problems)
  }

  static let packs = ["Rules/us-federal", "Rules/uk-ppera"]

  /// Every filing of `../shared/data` Probity reads, and the fixtures, with their pack.
  static let filings: [(String, String)] = {
    let us = [
      "Fixtures/us-federal/receipts.csv", "Fixtures/us-federal/aggregates.csv",
      "Fixtures/us-federal/pac-receipts.csv", "Fixtures/us-federal/receipts-with-bad-rows.csv",
      "../shared/data/fec-bulk/agaiduk_itcont_random5000_2015_2018.txt",
      "../shared/data/fec-bulk/insight_itcont_2017_sample.txt",
    ]
    let fec =
      ((try? FileManager.default.contentsOfDirectory(
        atPath: KernelDifferentialTests.path("../shared/data/fec"))) ?? [])
      .filter { $0.hasSuffix(".fec") && $0 != "filing_invalid_version.fec" }.sorted()
      .map { "../shared/data/fec/\($0)" }
    let uk = [
      "Fixtures/uk-ppera/donations.csv", "../shared/data/uk/ec_donations_2025_2026.csv",
      "../shared/data/uk/ec_donations_impermissible_returned_forfeited_all_years.csv",
      "../shared/data/uk/legacy_pef_donations_2013_first400.csv",
    ]
    return (us + fec).map { ("Rules/us-federal", $0) } + uk.map { ("Rules/uk-ppera", $0) }
  }()

  @Test("the same output on fixtures and real filings", arguments: filings)
  func sameOutput(_ pack: String, _ file: String) throws {
    let ruleSet = try KernelDifferentialTests.load(pack)
    let all = try Self.read(file, fields: nil)
    // Some .fec filings hold only summaries: no record, but the same problems.
    #expect(!all.records.isEmpty || file.hasSuffix(".fec"))
    for withheld in [false, true] {
      var run = CheckRun(ruleSet: ruleSet)
      if withheld { run.personalData = PersonalDataPolicy(secret: "s") }
      let fields = run.fieldsRead
      let projected = try Self.read(file, fields: fields)
      #expect(projected.problems == all.problems)
      #expect(projected.records.count == all.records.count)
      let setUp: (inout CheckRun) -> Void = { run in
        if withheld { run.personalData = PersonalDataPolicy(secret: "s") }
      }
      let expected = Self.summary(check(ruleSet, all.records, setUp: setUp))
      let got = Self.summary(check(ruleSet, projected.records, setUp: setUp))
      #expect(got == expected, "personal data withheld: \(withheld)")
    }
  }

  /// Rules that read few fields (Fixtures/narrow-pack), where what the run and the
  /// readers read of their own shows: a pseudonym for a last name (from the name,
  /// derived from its parts, and the postal code), an election window (from the date and
  /// election code), deadlines and the latest date (from the date), an organisation's
  /// name told by its entity type.
  @Test(
    "the same output from rules that read few fields",
    arguments: [
      "Fixtures/us-federal/receipts.csv", "Fixtures/us-federal/aggregates.csv",
      "../shared/data/fec/1544132.fec",
      "../shared/data/fec-bulk/agaiduk_itcont_random5000_2015_2018.txt",
      // Versions 2 and 3: combined names, an organisation's told by its entity type.
      "../shared/data/fec/13360.fec", "../shared/data/fec/27789.fec",
    ])
  func narrow(_ file: String) throws {
    let ruleSet = try KernelDifferentialTests.load("Fixtures/narrow-pack")
    let all = try Self.read(file, fields: nil)
    #expect(!all.records.isEmpty)
    for withheld in [false, true] {
      let setUp: (inout CheckRun) -> Void = { run in
        if withheld { run.personalData = PersonalDataPolicy(secret: "s") }
      }
      var run = CheckRun(ruleSet: ruleSet)
      setUp(&run)
      let projected = try Self.read(file, fields: run.fieldsRead)
      #expect(projected.problems == all.problems)
      let expected = Self.summary(check(ruleSet, all.records, setUp: setUp))
      #expect(expected.contains { $0.hasPrefix("A ") })
      if file.contains("/fec/") {
        #expect(expected.contains { $0.hasPrefix("C ") })
      } else {
        #expect(expected.contains { $0.hasPrefix("B ") })
      }
      #expect(
        Self.summary(check(ruleSet, projected.records, setUp: setUp)) == expected,
        "personal data withheld: \(withheld)")
    }
  }

  /// The pack's fields, and what the run adds: the report's period (a finding's
  /// fingerprint), the dates of receipt, acceptance and report (the latest record date),
  /// an election code only for a rule grouped by election, a name and postal code only
  /// when personal data is withheld.
  @Test("the fields a run reads")
  func fieldsRead() throws {
    let pack = try ProjectionMemoTests.rule("employer != \"x\"", when: "amount > $100.00")
    var run = CheckRun(ruleSet: pack)
    let names = { (set: FieldSet) in
      CanonicalSchema.fields.indices.filter(set.contains).map { CanonicalSchema.spec($0).name }
    }
    #expect(names(pack.fieldsRead) == ["amount", "employer"].sorted(by: Self.schemaOrder))
    #expect(
      names(run.fieldsRead)
        == [
          "amount", "date", "employer", "filer_id", "filer_name", "transaction_id",
          "report_period_start", "report_period_end", "received_date", "accepted_date",
          "reported_date",
        ]
        .sorted(by: Self.schemaOrder))
    run.personalData = PersonalDataPolicy(secret: "s")
    #expect(names(run.fieldsRead).contains("name") && names(run.fieldsRead).contains("zip"))
    let us = try KernelDifferentialTests.load("Rules/us-federal")
    #expect(names(CheckRun(ruleSet: us).fieldsRead).contains("election_code"))
  }

  static func schemaOrder(_ a: String, _ b: String) -> Bool {
    (CanonicalSchema.id(named: a) ?? 0) < (CanonicalSchema.id(named: b) ?? 0)
  }

  /// Every part of a rule is searched for fields: `where`, condition, `let`, `define`,
  /// group keys, the window's date, aggregates, message and remedy.
  @Test(
    "fields are found in every part of a rule",
    arguments: [
      ("where employer != \"x\"", "employer"),
      ("let big = aggregate > $10.00", "aggregate"),
      ("message \"{occupation}\"", "occupation"),
      ("remedy \"{city}\"", "city"),
    ])
  func everyPart(_ clause: String, _ field: String) throws {
    let text =
      "define state_of_donor = upper(state)\n"
      + ProjectionMemoTests.ruleText(
        nil,
        when: "sum(amount) > $100.00 and state_of_donor == \"OH\""
          + (clause.hasPrefix("let") ? " and big" : ""),
        clauses: [
          "group by person_key(name), zip5(zip)", "window calendar-year on received_date", clause,
        ])
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "r.probity", text: text)
    ])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    let fields = try #require(compiled).fieldsRead
    for name in ["name", "zip", "received_date", "amount", "state", field] {
      #expect(fields.contains(try #require(CanonicalSchema.id(named: name))), "\(name)")
    }
    #expect(!fields.contains(try #require(CanonicalSchema.id(named: "street1"))))
  }
}
