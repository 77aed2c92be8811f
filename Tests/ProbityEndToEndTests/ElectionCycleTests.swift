import Foundation
import ProbityTestSupport
import Testing

/// A candidate committee's election cycle ends with its general election
/// (`cycle_date` in Rules/us-federal/definitions.probity): gifts on either side of it are
/// two cycles' (11 CFR 100.3(b), 110.1(b)(2)(ii)). Checked by `probity check`, whose
/// run computes each record's window once and lends it to the other rules with the same
/// one (`probity test` traces every expression and takes the long way).
@Suite struct ElectionCycleTests {
  static let header =
    "kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code"

  @Test("gifts on both sides of the general election are judged in their own cycles")
  func straddling() throws {
    let rows = [
      // Undesignated: $6,600 before the 2024 general (the cycle's two limits), then
      // $3,500 after it and $3,600 in 2025: over the 2026 cycle's $7,000 on the last.
      "receipt,C00999001,H,SA11AI,K1,IND,\"KIM, AVA\",10 Ash St,Canton,OH,44702,Mills,Manager,2024-03-01,3300.00,3300.00,",
      "receipt,C00999001,H,SA11AI,K2,IND,\"KIM, AVA\",10 Ash St,Canton,OH,44702,Mills,Manager,2024-09-01,3300.00,6600.00,",
      "receipt,C00999001,H,SA11AI,K3,IND,\"KIM, AVA\",10 Ash St,Canton,OH,44702,Mills,Manager,2024-12-01,3500.00,3500.00,",
      "receipt,C00999001,H,SA11AI,K4,IND,\"KIM, AVA\",10 Ash St,Canton,OH,44702,Mills,Manager,2025-02-01,3600.00,7100.00,",
      // $150 on each side, no employer: under $200 in each cycle, and the filed
      // aggregate restarts with the new cycle.
      "receipt,C00999001,H,SA11AI,N1,IND,\"NGUYEN, BAO\",3 Fir St,Dayton,OH,45402,,,2024-10-01,150.00,150.00,G2024",
      "receipt,C00999001,H,SA11AI,N2,IND,\"NGUYEN, BAO\",3 Fir St,Dayton,OH,45402,,,2024-12-01,150.00,150.00,P2026",
    ]
    let file = scratchFolder.appendingPathComponent("cycles-\(UUID().uuidString).csv")
    try ([Self.header] + rows).joined(separator: "\n").write(
      to: file, atomically: false, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", file.path,
    ])
    let (found, _) = try findings(result.stdout)
    let seen = found.map { "\($0["rule"] ?? "") \($0["record"] ?? "")" }
    #expect(seen == ["US-EXCESS-003 K4"], "\(result.stderr)")
    #expect(
      found.first?["message"] as? String
        == "KIM, AVA gave $7,100.00 without designation in the 2025-2026 cycle, over $7,000.00, the limits of a primary and a general together: an excess unless the candidate also ran in a runoff that cycle"
    )
  }
}
