import Foundation
import ProbityTestSupport
import Testing

/// What the US pack's messages say, where the rule tests (`probity test`, which names
/// the rules that fire) cannot look: the limit a gift was held to, and what was over the
/// itemization threshold. Each case is a record of a real filing the messages misread.
@Suite struct USPackMessageTests {
  /// The messages of `probity check --format json` on `rows`, as "RULE record: message".
  static func messages(_ rows: [String], format: String) throws -> [String] {
    let file = scratchFolder.appendingPathComponent("messages-\(UUID().uuidString).txt")
    try rows.joined(separator: "\n").write(to: file, atomically: false, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--input-format", format, "--as-of",
      "2026-12-01", "--format", "json", file.path,
    ])
    return try findings(result.stdout).findings.map {
      "\($0["rule"] ?? "") \($0["record"] ?? ""): \($0["message"] ?? "")"
    }
  }

  /// 1544132.fec line 2385: $3,100 given in 2021 for P2024 is over the 2021-2022 limit.
  @Test("a gift made before its election's cycle is held to the limit then in force")
  func earlyGiftLimit() throws {
    let found = try Self.messages(
      [
        "kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code",
        "receipt,C00431353,H,SA11AI,W1,IND,\"Walter, H. William\",5229 Morgan Ave S,Minneapolis,MN,554191026,Heartland Realty Investors,Owner,2021-09-24,3100.00,3100.00,P2024",
      ], format: "csv")
    #expect(
      found == [
        "US-EXCESS-001 W1: Walter, H. William gave $3,100.00 for the P2024 election before its election cycle began, over the $2,900.00 limit then in force",
        "US-REMEDY-001 W1: Walter, H. William's P2024 contributions made before its election cycle began went over the $2,900.00 limit then in force on 2021-09-24 and were not brought within it by 2021-11-23",
      ])
  }

  /// An excess refunded after its 60 days is a finding marked cured late: its remedy
  /// must not tell the committee to refund an excess it has already refunded (it read
  /// "refund the excess now" beside "passed, cured late").
  @Test("US-REMEDY-001's remedy is true of an excess cured late")
  func curedLateRemedy() throws {
    let file = scratchFolder.appendingPathComponent("late-\(UUID().uuidString).csv")
    try [
      "kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code",
      "receipt,C00999001,H,SA11AI,F1,IND,\"FOSTER, SAM\",2 Main St,Lorain,OH,44052,Lorain Bank,Teller,2024-01-20,3500.00,3500.00,P2024",
      "disbursement,C00999001,H,SB20A,FR,IND,\"FOSTER, SAM\",2 Main St,Lorain,OH,44052,,,2024-05-01,200.00,,P2024",
    ].joined(separator: "\n").write(to: file, atomically: false, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--as-of", "2026-12-01", "--format", "json",
      file.path,
    ])
    let remedies = try findings(result.stdout).findings.map {
      "\($0["rule"] ?? "") \($0["remedy_status"] ?? ""): \($0["remedy"] ?? "")"
    }
    #expect(
      remedies == [
        "US-REMEDY-001 cured-late: refund any part of the excess not yet refunded, and amend the report; the 60-day window closed on 2024-03-20"
      ])
  }

  /// 27789.fec line 1408: $29.63 of a filed aggregate of $348.70 is itemized by the
  /// aggregate, not by the amount; a gift over $200 by itself says so, with the filed
  /// aggregate where there is one.
  @Test("US-BESTEFF-001 and -002 say what is over the itemization threshold")
  func itemizedByWhat() throws {
    let found = try Self.messages(
      [
        "kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code",
        "receipt,C00097485,Q,SA11AI,M1,IND,\"Martino, Paul\",28 East 6th Street,Jim Thorpe,PA,182291822,,,2001-08-01,29.63,348.70,",
        "receipt,C00999001,H,SA11AI,M2,IND,\"Civan, Raffi\",1 Oak St,Dayton,OH,45402,,,2024-05-01,250.00,250.00,P2024",
        "receipt,C00999001,H,SA11AI,M3,IND,\"Travis, Russell\",,Dayton,OH,45402,Dayton Clinic,Nurse,2024-05-01,250.00,,P2024",
        // No amount: itemized by the filed aggregate, and the message still says why.
        "receipt,C00999001,H,SA11AI,M4,IND,\"Doe, Jane\",1 Main St,Erie,PA,16501,,,2024-03-01,,300.00,P2024",
      ], format: "csv")
    #expect(
      found == [
        "US-BESTEFF-001 M1: Martino, Paul gave $29.63, and the filed aggregate of $348.70 is over the $200.00 itemization threshold, but the employer or occupation is blank (employer: missing; occupation: missing)",
        "US-BESTEFF-001 M2: Civan, Raffi gave $250.00 (filed aggregate: $250.00), over the $200.00 itemization threshold, but the employer or occupation is blank (employer: missing; occupation: missing)",
        "US-BESTEFF-002 M3: Travis, Russell gave $250.00, over the $200.00 itemization threshold, but the mailing address is incomplete",
        "US-BESTEFF-001 M4: Doe, Jane gave an amount not given, and the filed aggregate of $300.00 is over the $200.00 itemization threshold, but the employer or occupation is blank (employer: missing; occupation: missing)",
      ])
  }

  /// FEC bulk files have no aggregate column: the message does not speak of one
  /// (agaiduk_itcont_random5000_2015_2018.txt line 66 read "filed aggregate: missing").
  @Test("on a bulk row, the itemization messages name no filed aggregate")
  func bulkRowsHaveNoAggregate() throws {
    let found = try Self.messages(
      [
        "C00401224|N|M11|P|201711219087000001|15|IND|SIEBRING, ALEXA|SACO|ME|04072|||10042017|363||B1|1192286|||4121320171000000001"
      ], format: "fec-bulk")
    #expect(
      found == [
        "US-BESTEFF-001 B1: SIEBRING, ALEXA gave $363.00, over the $200.00 itemization threshold, but the employer or occupation is blank (employer: missing; occupation: missing)"
      ])
  }
}
