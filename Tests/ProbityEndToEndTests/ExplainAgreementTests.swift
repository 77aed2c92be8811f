import Foundation
import ProbityTestSupport
import Testing

/// `probity explain` says of every record what `probity check` concluded, on whole filings.
///
/// Each filing is checked once (JSON), then every line of it explained (JSON), and for each
/// rule: explain says `fired` on exactly the records check raises a finding on; a finding
/// explain names on another record of the group is one check raises; the records explain
/// calls `cured` are as many as the crossings check counts cured, and those it calls
/// `fired` as many as check's findings; a record explain calls undetermined, an evaluation
/// error or pending belongs to a rule check counts some of those for. (explain once called a
/// crossing cured in time "part of a group whose finding is raised" on a later crossing of
/// the same group, where check counted it cured.)
@Suite struct ExplainAgreement {
  struct Filing: CustomStringConvertible, Sendable {
    let path: String
    let rules: String
    var description: String { (path as NSString).lastPathComponent }
  }

  static var filings: [Filing] {
    var filings = [
      "Fixtures/us-federal/aggregates.csv", "Fixtures/us-federal/receipts.csv",
      "Fixtures/us-federal/pac-receipts.csv", "Fixtures/us-federal/receipts-with-bad-rows.csv",
    ].map { Filing(path: $0, rules: "Rules/us-federal") }
    filings.append(Filing(path: "Fixtures/uk-ppera/donations.csv", rules: "Rules/uk-ppera"))
    filings.append(Filing(path: curedThenOver().path, rules: "Rules/us-federal"))
    if sharedDataPresent {
      filings.append(
        Filing(
          path: sharedData.appendingPathComponent("fec/1550548.fec").path, rules: "Rules/us-federal"
        ))
    }
    return filings
  }

  /// A donor over the limit on Jan 10, cured by a refund on Jan 20, over again on Jun 1
  /// and never refunded: one crossing cured, one finding, in one group.
  static func curedThenOver() -> URL {
    let header = try! String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"),
      encoding: .utf8
    ).split(separator: "\n")[0]
    let person = "IND,,\"ALVAREZ, MARIA\",1 Oak St,Dayton,OH,45402"
    let rows = [
      "receipt,C00999001,H,SA11AI,A.1,,\(person),Dayton Clinic,Nurse,2024-01-10,3500.00,3500.00,P2024,,,",
      "disbursement,C00999001,H,SB20A,A.R,A.1,\(person),,,2024-01-20,300.00,,P2024,,refund,",
      "receipt,C00999001,H,SA11AI,A.2,,\(person),Dayton Clinic,Nurse,2024-06-01,500.00,3700.00,P2024,,,",
    ]
    let url = scratchFolder.appendingPathComponent("explain-agreement-cured-then-over.csv")
    try! ([String(header)] + rows).joined(separator: "\n").appending("\n")
      .write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test(arguments: filings)
  func explainSaysWhatCheckConcluded(_ filing: Filing) throws {
    let asOf = ["--as-of", "2026-12-31"]
    let checked = try runProbity(
      ["check", "--rules", filing.rules, "--format", "json"] + asOf + [filing.path])
    let check = try Self.json(checked.stdout)
    var findings: [String: Set<String>] = [:]
    for finding in check["findings"] as? [[String: Any]] ?? [] {
      let rule = finding["rule"] as! String
      findings[rule, default: []].insert("\(finding["file"]!):\(finding["line"]!)")
    }
    let summary = check["summary"] as! [String: Any]
    var tallies: [String: [String: Int]] = [:]
    for rule in summary["rules"] as! [[String: Any]] {
      tallies[rule["rule"] as! String] = rule.compactMapValues { $0 as? Int }
    }
    let lines = try String(contentsOfFile: filing.path, encoding: .isoLatin1)
      .split(separator: "\n", omittingEmptySubsequences: false).count
    var said: [String: [String: Int]] = [:]
    var explained = 0
    for line in 1...lines {
      let result = try runProbity(
        [
          "explain", "--rules", filing.rules, "--format", "json", "--record",
          "\(filing.path):\(line)",
        ]
          + asOf + [filing.path])
      guard result.status != 2 else { continue }  // No record on that line.
      explained += 1
      let explain = try Self.json(result.stdout)
      let record = explain["record"] as! [String: Any]
      let here = "\(record["file"]!):\(record["line"]!)"
      for verdict in explain["rules"] as! [[String: Any]] {
        let rule = verdict["rule"] as! String
        let status = verdict["status"] as! String
        said[rule, default: [:]][status, default: 0] += 1
        let raised = findings[rule]?.contains(here) ?? false
        #expect(
          (status == "fired") == raised, "\(here) \(rule): explain \(status), check \(raised)")
        if status == "fired-on-another-record" {
          let finding = try #require(verdict["finding"] as? [String: Any])
          #expect(
            findings[rule]?.contains("\(finding["file"]!):\(finding["line"]!)") == true,
            "\(here) \(rule): the finding explain names is not check's")
        }
        let counted = [
          "undetermined": "undetermined", "evaluation-error": "evaluation_errors",
          "pending": "pending", "cured": "cured",
        ]
        if let key = counted[status] {
          #expect((tallies[rule]?[key] ?? 0) > 0, "\(here) \(rule): explain \(status), check none")
        }
      }
    }
    #expect(explained > 0)
    for (rule, tally) in tallies {
      #expect(said[rule]?["cured", default: 0] ?? 0 == tally["cured"], "\(rule) cured")
      #expect(said[rule]?["fired", default: 0] ?? 0 == tally["fired"], "\(rule) fired")
    }
  }
}
