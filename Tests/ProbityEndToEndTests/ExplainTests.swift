import Foundation
import ProbityTestSupport
import Testing

/// `probity explain`: golden explanations of each kind of rule, built from traces.
@Suite(.serialized) struct Explain {
  struct Case: CustomStringConvertible, Sendable {
    let name: String
    let arguments: [String]
    /// Statuses the explanation must give, by rule.
    let expected: [String: String]
    var description: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "per-record",
      arguments: ["--record", "SA11AI.0003", "Fixtures/us-federal/receipts.csv"],
      expected: [
        "US-CASH-001": "FINDING", "US-ANON-001": "did not fire", "US-PROHIB-001": "did not fire",
      ]),
    Case(
      name: "aggregate",
      arguments: ["--record", "B.3", "Fixtures/us-federal/aggregates.csv"],
      expected: ["US-EXCESS-001": "FINDING", "US-REMEDY-001": "not flagged yet: cure window open"]),
    Case(
      name: "windowed",
      arguments: ["--record", "P.2", "Fixtures/us-federal/pac-receipts.csv"],
      expected: ["US-PAC-001": "did not fire", "US-EXCESS-001": "not applicable"]),
    Case(
      name: "cured",
      arguments: ["--record", "A.2", "Fixtures/us-federal/aggregates.csv"],
      expected: ["US-REMEDY-001": "cured", "US-EXCESS-001": "did not fire"]),
    Case(
      name: "not-applicable",
      arguments: ["--record", "aggregates.csv:9", "Fixtures/us-federal/aggregates.csv"],
      expected: ["US-EXCESS-001": "not applicable", "US-CASH-001": "did not fire"]),
    Case(
      name: "on-another-record",
      arguments: ["--record", "B.1", "Fixtures/us-federal/aggregates.csv"],
      expected: ["US-EXCESS-001": "finding on another record of the group"]),
  ]

  @Test("explanations", arguments: cases)
  func explanation(_ testCase: Case) throws {
    let result = try runProbity(["explain", "--rules", "Rules/us-federal"] + testCase.arguments)
    #expect(result.status == 0, "\(result.stderr)")
    try assertGolden(result.stdout, "explain-\(testCase.name).txt")
    for (rule, status) in testCase.expected {
      #expect(
        result.stdout.split(separator: "\n").contains {
          $0.contains(" \(rule), ") && $0.hasSuffix(": \(status)")
        },
        "\(rule) should be '\(status)'")
    }
  }

  /// `explain` reads every field of the filing, not only those the pack reads: the
  /// record's summary shows the donor's address and employer under a rule that reads
  /// the amount alone.
  /// FILE:LINE names the input whatever its spelling (`./`, an absolute path): it was
  /// "no record has ... line" (exit 2) unless spelt as on the command line.
  @Test(arguments: [
    "./Fixtures/us-federal/receipts.csv:4",
    packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv").path + ":4",
  ])
  func fileLineInAnotherSpelling(_ selector: String) throws {
    let result = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", selector,
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.hasPrefix(
        "Record Fixtures/us-federal/receipts.csv:4, transaction SA11AI.0003 (receipt)"))
  }

  @Test func theRecordIsShownWholeWhateverThePackReads() throws {
    let pack = scratchFolder.appendingPathComponent(
      "probity-explain-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: pack, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: pack) }
    try """
    rule BIG-001 {
      title "A large receipt"
      severity info
      category data-quality
      citation "none"
      applies receipt
      when amount > $100.00
      message "{amount}"
    }
    """.write(to: pack.appendingPathComponent("r.probity"), atomically: true, encoding: .utf8)
    let result = try runProbity([
      "explain", "--rules", pack.path, "--record", "SA11AI.0002",
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    for shown in ["88 Elm Ave", "Columbus", "43215", "Okafor Dental", "Dentist", "G2024"] {
      #expect(result.stdout.contains(shown), "\(shown)")
    }
  }

  /// `--rule` keeps the letter to the rules named, in the order the letter gives them;
  /// their verdicts are the same as in the whole letter. A rule the pack does not have
  /// is a usage error with the near name, before the filings are read.
  @Test func onlyTheRulesAskedAbout() throws {
    let whole = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3", "--format", "json",
      "Fixtures/us-federal/aggregates.csv",
    ])
    let some = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3", "--format", "json",
      "--rule", "US-CASH-001", "--rule", "US-EXCESS-001", "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(some.status == 0, "\(some.stderr)")
    func rules(_ text: String) -> [[String: Any]] {
      ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["rules"]
        as? [[String: Any]] ?? []
    }
    let shown = rules(some.stdout)
    #expect(shown.map { $0["rule"] as? String } == ["US-EXCESS-001", "US-CASH-001"])
    for rule in shown {
      let same = rules(whole.stdout).first { $0["rule"] as? String == rule["rule"] as? String }
      #expect(same?["status"] as? String == rule["status"] as? String)
      #expect(same?["reason"] as? String == rule["reason"] as? String)
    }
    let text = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3", "--rule", "US-EXCESS-001",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(text.stdout.contains("\n1. US-EXCESS-001, "))
    #expect(!text.stdout.contains("\n2. "))
    let unknown = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3", "--rule", "US-EXCES-001",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(unknown.status == 2)
    #expect(unknown.stdout.isEmpty)
    #expect(
      unknown.stderr
        == "error: the rule pack Rules/us-federal has no rule US-EXCES-001\n  = help: did you mean 'US-EXCESS-001'?\n"
    )
  }

  /// Judged as of the latest record date, a rule that reads `as_of` sees it missing: the
  /// letter says so, so that "Judged as of 2025-04-30" beside "as_of = missing" in the
  /// trace does not read as a contradiction. With --as-of, or a pack that does not read
  /// it, nothing is said.
  @Test func aRulesMissingAsOfIsExplained() throws {
    let note = "A rule's as_of is the --as-of date alone: without one it is missing"
    let uk = ["explain", "--rules", "Rules/uk-ppera", "--input-format", "uk-ec", "--record", "2"]
    let without = try runProbity(uk + ["Fixtures/uk-ppera/donations.csv"])
    #expect(without.status == 0, "\(without.stderr)")
    #expect(without.stdout.contains(note), "\(without.stdout)")
    let with = try runProbity(uk + ["--as-of", "2025-12-31", "Fixtures/uk-ppera/donations.csv"])
    #expect(!with.stdout.contains(note))
    let us = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(!us.stdout.contains(note))
  }

  @Test func jsonCarriesTheSameStructure() throws {
    let result = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "E.2", "--format", "json",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 0)
    try assertGolden(result.stdout, "explain-uncured.json")
    let document =
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let rules = document?["rules"] as? [[String: Any]] ?? []
    let remedy = rules.first { $0["rule"] as? String == "US-REMEDY-001" }
    #expect(remedy?["status"] as? String == "fired")
    let finding = remedy?["finding"] as? [String: Any]
    #expect(finding?["remedy_status"] as? String == "uncured")
    #expect(finding?["deadline"] as? String == "2024-05-09")
    #expect((finding?["trail"] as? [Any])?.count == 2)
    // Its fingerprint is check's, so that a finding explained can be waived.
    let check = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json",
      "Fixtures/us-federal/aggregates.csv",
    ])
    let checked =
      (try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?[
        "findings"] as? [[String: Any]] ?? []
    let same = checked.first {
      $0["rule"] as? String == "US-REMEDY-001" && $0["record"] as? String == "E.2"
    }
    #expect(finding?["fingerprint"] as? String != nil)
    #expect(finding?["fingerprint"] as? String == same?["fingerprint"] as? String)
    // The condition is a disjunction (the election's limit, or the previous cycle's for
    // gifts made before the election's cycle): its parts follow the "any of:" line.
    let condition = remedy?["condition"] as? [[String: Any]] ?? []
    #expect(condition.first?["text"] as? String == "any of:")
    #expect(
      condition.contains {
        $0["text"] as? String
          == "total = sum(net_amount) = $4,000.00 > limit = individual_limit[2024] = $3,300.00"
      })
  }

  @Test func personalDataIsWithheld() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--withhold-personal-data",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 1)
    try assertGolden(result.stdout, "aggregates-withheld.txt")
    for personal in ["SMITH", "Smith", "EVANS", "Pine Rd", "Goodyear", "45402"] {
      #expect(!result.stdout.contains(personal), "\(personal) is shown")
    }
    // One donor, three spellings: one pseudonym.
    let pseudonyms = Set(
      result.stdout.split(separator: "\n").filter { $0.contains("aggregates.csv:7:") }
        .compactMap { line in
          line.range(of: "Donor [0-9A-F]{8}", options: .regularExpression).map { String(line[$0]) }
        }
    )
    #expect(pseudonyms.count == 1)
    // Stable: the same pseudonyms on another run.
    let again = try runProbity([
      "check", "--rules", "Rules/us-federal", "--withhold-personal-data",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(again.stdout == result.stdout)
  }

  /// A refund in another file than the gift it cures: the explanation names that file
  /// (a line number alone pointed at an unrelated record of the gift's own file).
  @Test func aCureInAnotherFileIsNamedWithItsFile() throws {
    let lines = try String(contentsOfFile: "Fixtures/us-federal/aggregates.csv", encoding: .utf8)
      .split(separator: "\n")
    let header = lines[0]
    let gifts = scratchFolder.appendingPathComponent("gifts-\(UUID().uuidString).csv").path
    let refunds = scratchFolder.appendingPathComponent("refunds-\(UUID().uuidString).csv").path
    // ALVAREZ: $3,000 and $500 for P2024 in one file, the $200 refund in the other.
    try ([header, lines[1], lines[2]].joined(separator: "\n") + "\n")
      .write(toFile: gifts, atomically: true, encoding: .utf8)
    try ([header, lines[3]].joined(separator: "\n") + "\n")
      .write(toFile: refunds, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "A.2", gifts, refunds,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.contains(
        "cured: the record on line 2 of \(refunds) (A.R, 2024-03-01) brought the group back within the condition in time"
      ), "\(result.stdout)")
    #expect(
      result.stdout.contains(
        "netted: the record on line 2 of \(refunds) (A.R, 2024-03-01) brought the group back within the condition"
      ), "\(result.stdout)")
    // In one file, the line alone.
    let one = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "A.2",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(one.stdout.contains("cured: the record on line 4 (A.R, 2024-03-01)"), "\(one.stdout)")
  }

  /// A field the input's format does not have at all (aggregates.csv has no
  /// payment_method column; a .fec receipt has none either) is named as such, as
  /// `check`'s summary names it: "missing" alone reads as a filer that left it out.
  @Test func aFieldTheFormatLacksIsNamedSo() throws {
    let text = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(
      text.stdout.contains("   Missing:      payment_method (not in the format)\n"),
      "\(text.stdout)")
    let json = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "B.3", "--format", "json",
      "Fixtures/us-federal/aggregates.csv",
    ])
    let document =
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let rules = document?["rules"] as? [[String: Any]] ?? []
    let cash = rules.first { $0["rule"] as? String == "US-CASH-001" }
    #expect(cash?["missing_fields"] as? [String] == ["payment_method (not in the format)"])
  }

  /// A record given after the gift that took the group over the limit: no finding
  /// stands because a later record brought the group back within it (or the cure
  /// window is open). The explanation says so and names both records, rather than "the
  /// condition holds" under "did not fire" with nothing to reconcile the two.
  @Test func aRecordAfterTheCrossingSaysWhyNoFindingStands() throws {
    let header = try String(
      contentsOfFile: "Fixtures/us-federal/aggregates.csv", encoding: .utf8
    ).split(separator: "\n")[0]
    let gift = "receipt,C00999001,H,SA11AI"
    let donor = "IND,,\"ALVAREZ, MARIA\",1 Oak St,Dayton,OH,45402"
    let rows = [
      "\(gift),A.1,,\(donor),Dayton Clinic,Nurse,2024-01-10,3000.00,3000.00,P2024,,,",
      "\(gift),A.2,,\(donor),Dayton Clinic,Nurse,2024-02-01,500.00,3500.00,P2024,,,",
      "\(gift),A.3,,\(donor),Dayton Clinic,Nurse,2024-02-05,100.00,3600.00,P2024,,,",
      "disbursement,C00999001,H,SB20A,A.R,A.2,\(donor),,,2024-03-01,300.00,,P2024,,refund,",
    ]
    let file = scratchFolder.appendingPathComponent("after-\(UUID().uuidString).csv").path
    try ([String(header)] + rows).joined(separator: "\n").appending("\n")
      .write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let netted = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "A.3", "--as-of", "2026-12-01", file,
    ])
    #expect(netted.status == 0, "\(netted.stderr)")
    #expect(!netted.stdout.contains("the condition holds, as it did before this record"))
    #expect(
      netted.stdout.contains(
        "netted: the group went over the condition on line 3, before this record, and the record on line 5 (A.R, 2024-03-01) brought it back within the condition"
      ), "\(netted.stdout)")
    #expect(
      netted.stdout.contains(
        "cured: the group went over the condition on line 3, before this record, and the record on line 5 (A.R, 2024-03-01) brought it back within the condition in time"
      ), "\(netted.stdout)")
    // Without the refund, at a date within the 60 days: the window is still open.
    try ([String(header)] + rows.dropLast()).joined(separator: "\n").appending("\n")
      .write(toFile: file, atomically: true, encoding: .utf8)
    let open = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "A.3", "--as-of", "2024-02-15", file,
    ])
    #expect(open.status == 0, "\(open.stderr)")
    #expect(
      open.stdout.contains(
        "US-REMEDY-001, Excessive contribution not refunded, redesignated or reattributed within 60 days: not flagged yet: cure window open\n"
          + "   Why:          not flagged: the group went over the condition on line 3, before this record, and the cure window is still open at the as-of date 2024-02-15"
      ), "\(open.stdout)")
  }

  /// A line the reader rejected is named as such, not as a line with no record (which
  /// sent the reader looking for a wrong line number).
  @Test func aRejectedLineIsNamedAsRejected() throws {
    let result = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "3",
      "Fixtures/us-federal/receipts-with-bad-rows.csv",
    ])
    #expect(result.status == 2)
    #expect(
      result.stderr.contains(
        "error: line 3 of Fixtures/us-federal/receipts-with-bad-rows.csv could not be read as a record (F0009, above): no rule judged it"
      ), "\(result.stderr)")
  }

  @Test func unknownRecordExitsTwo() throws {
    let result = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "NO.SUCH",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("NO.SUCH"))
  }
}
