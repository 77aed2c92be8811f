import Foundation
import ProbityTestSupport
import Testing

/// `probity check` on every input format: the reader is picked from the content or named
/// with --input-format, and records keep their provenance through to the findings.

let sharedData = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
let sharedDataPresent = FileManager.default.fileExists(atPath: sharedData.path)

func findings(_ json: String) throws -> (findings: [[String: Any]], summary: [String: Any]) {
  let document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
  return (
    document?["findings"] as? [[String: Any]] ?? [], document?["summary"] as? [String: Any] ?? [:]
  )
}

@Suite(.serialized) struct FormatsEndToEnd {
  @Test func xmlFindingsCarryTheirElementPath() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", "Fixtures/xml/receipts.xml",
    ])
    #expect(result.status == 1, "\(result.stderr)")
    try assertGolden(result.stdout, "xml-receipts.json")
    let (found, summary) = try findings(result.stdout)
    #expect(summary["records_read"] as? Int == 6)
    #expect(
      found.map { "\($0["rule"] ?? "") \($0["line"] ?? "") \($0["path"] ?? "")" } == [
        "US-CASH-001 25 /filing/receipt[2]", "US-PROHIB-001 44 /filing/receipt[3]",
        "US-DESIG-001 54 /filing/receipt[4]",
      ])
  }

  @Test func theSummaryNamesWhatLeftARuleUndetermined() throws {
    // US-AGG-001's condition reads aggregates only: a missing filed aggregate is named by
    // the aggregate's text.
    let xml = try runProbity([
      "check", "--rules", "Rules/us-federal", "Fixtures/xml/receipts.xml",
    ])
    #expect(xml.stdout.contains("1 undetermined (missing: max(aggregate) in 1)"), "\(xml.stdout)")
    // A table with no entry for the key is named by its text, and so is a function
    // giving missing on a value that is there; no empty list is ever printed.
    let pack = scratchFolder.appendingPathComponent(
      "probity-no-entry-\(UUID().uuidString).probity")
    defer { try? FileManager.default.removeItem(at: pack) }
    try """
    param far_limit: money by year {
      2030..2031: $1.00
    }

    rule FAR-001 {
      title "Over a limit of years to come"
      severity error
      category excessive-contribution
      citation "none"
      applies receipt
      when amount > far_limit[year(date)]
      message "{amount}"
    }

    rule CODE-001 {
      title "A transaction id read as an election code"
      severity error
      category excessive-contribution
      citation "none"
      applies receipt
      when election_year(transaction_id) > 2000
      message "{transaction_id}"
    }
    """.write(to: pack, atomically: true, encoding: .utf8)
    let csv = try runProbity(["check", "--rules", pack.path, "Fixtures/us-federal/receipts.csv"])
    #expect(
      csv.stdout.contains("15 undetermined (missing: far_limit[year(date)] in 15)"),
      "\(csv.stdout)")
    #expect(
      csv.stdout.contains("15 undetermined (missing: election_year(transaction_id) in 15)"),
      "\(csv.stdout)")
    #expect(!csv.stdout.contains("(missing: )"), "\(csv.stdout)")
  }

  /// A field an XML mapping of one's own does not map is not in the format: "blank"
  /// there is no answer, so a rule over it is undetermined on every record rather than
  /// accusing each one (it fired on all of them until the XML reader said so).
  @Test func aFieldAnXMLMappingDoesNotMapIsNotInTheFormat() throws {
    let folder = scratchFolder.appendingPathComponent("probity-unmapped-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let mapping = folder.appendingPathComponent("gifts.map")
    try """
    [file]
    format = xml
    currency = USD
    date-format = yyyy-mm-dd
    [kind]
    receipt = /export/gift
    [fields]
    transaction_id = element @id
    amount = element amount
    date = element date
    name = element donor optional
    occupation = element occupation optional
    """.write(to: mapping, atomically: true, encoding: .utf8)
    let filing = folder.appendingPathComponent("gifts.xml")
    try """
    <export>
      <gift id="G1"><amount>250.00</amount><date>2024-03-01</date><donor>A Person</donor></gift>
      <gift id="G2"><amount>300.00</amount><date>2024-03-02</date><donor>B Person</donor></gift>
    </export>
    """.write(to: filing, atomically: true, encoding: .utf8)
    let pack = folder.appendingPathComponent("pack.probity")
    try """
    rule EMP-001 {
      title "Itemized gift without employer"
      severity warning
      category missing-donor-information
      citation "none"
      applies receipt
      when amount > $200.00 and blank(employer)
      message "{transaction_id}"
    }

    rule OCC-001 {
      title "Itemized gift without occupation"
      severity warning
      category missing-donor-information
      citation "none"
      applies receipt
      when amount > $200.00 and blank(occupation)
      message "{transaction_id}"
    }
    """.write(to: pack, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", pack.path, "--mapping", mapping.path, "--as-of", "2024-12-31",
      filing.path,
    ])
    #expect(
      result.stdout.contains(
        "EMP-001  0 fired, 2 evaluated, 2 undetermined (missing: employer (not in the format) in 2)"
      ), "\(result.stdout)")
    // A mapped optional element that is absent is a blank cell: that finding stands.
    #expect(result.stdout.contains("OCC-001  2 fired, 2 evaluated"), "\(result.stdout)")
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test func csvFindingsHaveNoPath() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json",
      "Fixtures/us-federal/receipts.csv",
    ])
    let (found, _) = try findings(result.stdout)
    #expect(!found.isEmpty)
    #expect(found.allSatisfy { $0["path"] is NSNull })
  }

  @Test func namedFormatOverridesTheContent() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--input-format", "xml",
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("error[F0017]"))
  }

  @Test func aFormatThatCannotBeToldExitsTwo() throws {
    let path =
      scratchFolder
      .appendingPathComponent("probity-unknown-\(UUID().uuidString).txt")
    try "name,amount\nA,1\n".write(to: path, atomically: true, encoding: .utf8)
    let result = try runProbity(["check", "--rules", "Rules/us-federal", path.path])
    #expect(result.status == 2)
    #expect(result.stderr.contains("error[F0013]"))
    #expect(result.stderr.contains("--input-format"))
  }

  @Test func aMappingOfOnesOwnIsForCSVOrXML() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--input-format", "fec", "--mapping",
      "Fixtures/mappings/uk-ec-donations.map", "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("error[F0012]"))
  }

  @Test func anXXEFileIsRefusedAndLeaksNothing() throws {
    let directory = scratchFolder
    let secret = "TOP-SECRET-\(UUID().uuidString)"
    let secretFile = directory.appendingPathComponent("probity-secret-\(UUID().uuidString)")
    try secret.write(to: secretFile, atomically: true, encoding: .utf8)
    let xml = directory.appendingPathComponent("probity-xxe-\(UUID().uuidString).xml")
    try """
    <?xml version="1.0"?>
    <!DOCTYPE filing [<!ENTITY s SYSTEM "file://\(secretFile.path)">]>
    <filing><receipt id="x"><date>2024-01-01</date><amount>1</amount><memo-text>&s;</memo-text></receipt></filing>
    """.write(to: xml, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", xml.path,
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("error[F0018]"))
    #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
  }

  @Test(.enabled(if: sharedDataPresent, "../shared/data is absent"))
  func fecFilingsAndTheInvalidVersion() throws {
    let fec = sharedData.appendingPathComponent("fec")
    let good = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json",
      fec.appendingPathComponent("1229017.fec").path,
    ])
    let (_, summary) = try findings(good.stdout)
    // 166 SA11AI + 19 SA11C + 1 SA14 receipts, 45 SB17 + 1 SB20A + 1 SB21 disbursements;
    // the F3N cover record is skipped.
    #expect(summary["records_read"] as? Int == 233)
    #expect(summary["records_rejected"] as? Int == 0)
    #expect(summary["rows_skipped"] as? Int == 1)
    #expect(summary["rows_skipped_by_type"] as? [String: Int] == ["F3N": 1])
    let text = try runProbity([
      "check", "--rules", "Rules/us-federal", fec.appendingPathComponent("1229017.fec").path,
    ])
    #expect(
      text.stdout.contains(
        "summary: 233 records read, 233 evaluated, 0 rejected, 1 other row skipped (not receipts or disbursements read: F3N 1)"
      ))
    let bad = try runProbity([
      "check", "--rules", "Rules/us-federal",
      fec.appendingPathComponent("filing_invalid_version.fec").path,
    ])
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("error[F0015]: unsupported .fec version \"180.5\""))
  }

  @Test(.enabled(if: sharedDataPresent, "../shared/data is absent"))
  func bulkAndPEFAreToldFromTheirContent() throws {
    for (file, records) in [
      ("fec-bulk/insight_itcont_2017_sample.txt", 699),
      ("uk/legacy_pef_donations_2013_first400.csv", 394),
    ] {
      let result = try runProbity([
        "check", "--rules", "Rules/uk-ppera", "--format", "json",
        sharedData.appendingPathComponent(file).path,
      ])
      let (_, summary) = try findings(result.stdout)
      #expect(summary["records_read"] as? Int == records, "\(file)")
      #expect(summary["records_rejected"] as? Int == 0, "\(file)")
    }
  }

  /// A register row whose DonationType is "Total value of donations not reported
  /// individually" (a third party's or permitted participant's total of the donations
  /// its statement of relevant donations need not list one by one, PPERA Sch 11 and Sch
  /// 15: 109 rows in the whole register, 106 over £500) is no donation from one donor: it has no donor, no
  /// donor status and no dates. No rule applies to it; it was undetermined on
  /// UK-IMPERM-001 and -002 for want of a donor status no such row can have.
  @Test func ukTotalsOfDonationsNotReportedIndividuallyAreNoDonation() throws {
    let folder = try scratchSubfolder("uk-totals")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("register.csv")
    // Rows TV0036257 and TV0036263 of the whole register, as exported; then a party's
    // cash donation, still judged.
    let header =
      "index,ECRef,RegulatedEntityName,RegulatedEntityType,Value,AcceptedDate,AccountingUnitName,"
      + "DonorName,AccountingUnitsAsCentralParty,IsSponsorship,DonorStatus,RegulatedDoneeType,"
      + "CompanyRegistrationNumber,Postcode,DonationType,NatureOfDonation,PurposeOfVisit,"
      + "DonationAction,ReceivedDate,ReportedDate,IsReportedPrePoll,ReportingPeriodName,IsBequest,"
      + "IsAggregation,RegulatedEntityId,AccountingUnitId,DonorId,CampaigningName,RegisterName,"
      + "IsIrishSource"
    let rows = [
      "87001,TV0036257,British Declaration Of Independence [The],Third Party,\"£1,500.00\",,,,"
        + "False,False,,,,,Total value of donations not reported individually,,,,,05/09/2001,"
        + "False,UK Parliament general election 07/06/2001,False,False,911,,,,,",
      "87007,TV0036263,Hope not Hate Ltd,Third Party,\"£15,750.00\",,,,False,False,,,,,"
        + "Total value of donations not reported individually,,,,,27/07/2005,False,"
        + "Combined election periods European 10/06/2004 and UK 05/05/2005,False,False,922,,,,,",
      "1,C0000002,Example Party,Political Party,\"£1,000.00\",20/02/2025,Central Party,"
        + "Ms Late Acceptance,False,False,Individual,,,AB1 2CD,Cash,,,,10/01/2025,30/04/2025,"
        + "False,Q1 2025,False,False,9001,,608.0,,,False",
    ]
    try ([header] + rows).joined(separator: "\n").appending("\n").write(
      to: file, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/uk-ppera", "--format", "json", file.path,
    ])
    let (found, summary) = try findings(result.stdout)
    #expect(summary["records_evaluated"] as? Int == 3, "\(result.stderr)")
    #expect(found.map { "\($0["rule"] ?? "") \($0["record"] ?? "")" } == ["UK-DATE-001 C0000002"])
    for rule in summary["rules"] as? [[String: Any]] ?? [] {
      #expect(rule["undetermined"] as? Int == 0, "\(rule)")
      #expect(rule["evaluation_errors"] as? Int == 0, "\(rule)")
    }
    let imperm = (summary["rules"] as? [[String: Any]] ?? []).first {
      $0["rule"] as? String == "UK-IMPERM-001"
    }
    #expect(imperm?["not_applicable"] as? Int == 2, "\(String(describing: imperm))")
  }

  /// The whole UK register through the UK pack: every row read, none rejected.
  @Test(
    .enabled(
      if: FileManager.default.fileExists(
        atPath: sharedData.appendingPathComponent("uk/ec_donations_all_2001_2026.zip").path),
      "../shared/data/uk is absent"),
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "no python3 to unzip"))
  func wholeUKRegisterThroughTheUKPack() throws {
    let directory =
      scratchFolder
      .appendingPathComponent("probity-uk-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let unzip = Process()
    unzip.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    unzip.arguments = [
      "-m", "zipfile", "-e",
      sharedData.appendingPathComponent("uk/ec_donations_all_2001_2026.zip").path, directory.path,
    ]
    try unzip.run()
    unzip.waitUntilExit()
    let result = try runProbity([
      "check", "--rules", "Rules/uk-ppera", "--format", "json",
      directory.appendingPathComponent("Donations_accepted_by_political_parties.csv").path,
    ])
    let (found, summary) = try findings(result.stdout)
    #expect(summary["records_read"] as? Int == 91_341)
    #expect(summary["records_evaluated"] as? Int == 91_341)
    #expect(summary["records_rejected"] as? Int == 0)
    #expect(!found.isEmpty)
    #expect(result.status == 1)
  }
}
