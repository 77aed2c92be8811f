import Foundation
import Testing

/// `probity test`, `probity fmt` and the lint of `probity rules check`, end to end; the
/// shipped packs' own tests and layout are checked here for every pack in Rules/.

/// Every rule pack shipped in Rules/.
let shippedPacks: [String] = {
  let folder = packageRoot.appendingPathComponent("Rules")
  let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
  return names.sorted().map { "Rules/" + $0 }
}()

/// A rule test file for the US federal pack, with one case per outcome.
let sampleTest = """
  format csv
  header kind,filer_id,committee_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code,payment_method

  case "passes"
    receipt,C1,H,T1,IND,"SMITH, JOHN",5 Pine Rd,Akron,OH,44308,Goodyear,Engineer,2024-03-15,250.00,250.00,P2024,cash => US-CASH-001

  case "expects a finding that does not come, and gets one it did not expect"
    receipt,C1,H,T2,IND,"LEE, GRACE",9 Birch Ln,Toledo,OH,43604,Self,Carpenter,2024-03-16,100.00,100.00,P2024,cash => US-CASH-001
    receipt,C1,H,T3,IND,"OKAFOR, CHIDI",8 Elm Ave,Columbus,OH,43215,Okafor Dental,Dentist,2024-03-17,300.00,300.00,P2024,cash
    receipt,C1,H,T4,IND,"RIVERA, ANA",1 Oak St,Dayton,OH,45402,Schools,Teacher,2024-03-18,50.00,50.00,P2024,check => US-CASH-01

  case "a row that cannot be read"
    receipt,C1,H,T5,IND,"DIAZ, ROSA",2 Elm St,Lorain,OH,44052,Bank,Teller,2024-02-30,50.00,50.00,P2024,check
  """

@Suite(.serialized) struct RulePackTools {
  @Test(arguments: shippedPacks)
  func everyShippedPackPassesItsTestsAndCoversEveryRule(_ pack: String) throws {
    let result = try runProbity(["test", "--strict", pack])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains(" 0 failed"))
    #expect(!result.stdout.contains("NEVER"), "\(result.stdout)")
  }

  @Test(arguments: shippedPacks)
  func everyShippedPackIsFormattedAndLintClean(_ pack: String) throws {
    let fmt = try runProbity(["fmt", "--check", pack])
    #expect(fmt.status == 0, "\(fmt.stdout)\(fmt.stderr)")
    let check = try runProbity(["rules", "check", pack])
    #expect(check.status == 0)
    #expect(check.stderr.isEmpty, "\(check.stderr)")
  }

  @Test func ukCoverageReport() throws {
    let result = try runProbity(["test", "--coverage", "Rules/uk-ppera"])
    #expect(result.status == 0)
    try assertGolden(result.stdout, "test-uk-coverage.txt")
  }

  @Test func failingCasesShowWhatDiffers() throws {
    let folder = try scratchSubfolder("ruletest")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("sample.probity-test")
    try sampleTest.write(to: file, atomically: true, encoding: .utf8)
    let result = try runProbity(["test", "Rules/us-federal", file.path])
    #expect(result.status == 1)
    let out = result.stdout.replacingOccurrences(of: folder.path, with: "TMP")
    #expect(out.contains("  ok   passes (line 4)"))
    #expect(
      out.contains(
        "  FAIL expects a finding that does not come, and gets one it did not expect (line 7)"))
    #expect(out.contains("line 8: expected US-CASH-001, which did not fire"))
    #expect(
      out.contains(
        "line 10: expected US-CASH-01, which did not fire (no rule US-CASH-01 in the pack; did you mean 'US-CASH-001'?)"
      ))
    #expect(
      out.contains("line 9: US-CASH-001 fired, not expected: OKAFOR, CHIDI gave $300.00 in cash"))
    #expect(out.contains("line 13: the record was rejected"))
    #expect(out.contains("cases: 1 passed, 2 failed"))
  }

  /// `=> evaluation-error RULE-ID` expects an evaluation error, not a finding: met, it
  /// passes; not met, or an error not expected, it fails.
  @Test func expectedEvaluationErrors() throws {
    let folder = try scratchSubfolder("ruletest-errors")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("order.probity-test")
    // A gift over the limit, and a refund to the donor without a zip code, which cannot
    // be placed: the gift's limit rules are evaluation errors (the refund may have cured
    // them). Without the refund, the gift's findings.
    let over =
      "receipt,C1,H,SA11AI,T1,IND,\"SMITH, JOHN\",1 Elm St,Akron,OH,44308,Self,Writer,2024-06-01,4000.00,4000.00,P2024,check"
    let refund =
      "disbursement,C1,H,SB20A,T2,IND,\"SMITH, JOHN\",1 Elm St,Akron,OH,,,,2024-06-10,700.00,,P2024,check"
    try """
    format csv
    header kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code,payment_method
    as-of 2024-12-31

    case "met"
      \(over) => evaluation-error US-EXCESS-001, evaluation-error US-REMEDY-001
      \(refund)

    case "not expected"
      \(over) => evaluation-error US-EXCESS-001
      \(refund)

    case "expected and not met"
      \(over) => evaluation-error US-EXCESS-001, evaluation-error US-REMEDY-001

    case "no rule after the word"
      \(over) => evaluation-error
    """.write(to: file, atomically: true, encoding: .utf8)
    let broken = try runProbity(["test", "Rules/us-federal", file.path])
    #expect(broken.status == 2)
    #expect(
      broken.stderr.contains("\(file.path):17: error[T0001]: 'evaluation-error' names no rule"))
    // Without the last case: the others run.
    try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n").dropLast(2)
      .joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let result = try runProbity(["test", "Rules/us-federal", file.path])
    #expect(result.status == 1)
    let out = result.stdout
    #expect(out.contains("  ok   met (line 5)"), "\(out)")
    #expect(
      out.contains(
        "line 10: US-REMEDY-001 could not be evaluated: not judged: line 3, which takes $700.00"))
    #expect(
      out.contains("line 14: expected US-EXCESS-001 to be an evaluation error, which it was not"))
    #expect(out.contains("line 14: US-EXCESS-001 fired, not expected"))
    #expect(out.contains("cases: 1 passed, 2 failed"))
  }

  @Test func brokenTestFilesExitTwo() throws {
    let folder = try scratchSubfolder("ruletest-broken")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("broken.probity-test")
    try "format cvs\nheader a,b\nreceipt,1\ncase unquoted\n".write(
      to: file, atomically: true, encoding: .utf8)
    let result = try runProbity(["test", "Rules/us-federal", file.path])
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    #expect(
      result.stderr.contains(
        "\(file.path):1: error[T0001]: unknown format 'cvs'\n  = help: did you mean 'csv'?"))
    #expect(result.stderr.contains("\(file.path):3: error[T0001]: a record outside a case"))
    #expect(
      result.stderr.contains("\(file.path):4: error[T0001]: a case is named in double quotes"))
    // A pack without tests, and a broken pack.
    let noTests = try runProbity(["test", "Fixtures/rules-with-errors"])
    #expect(noTests.status == 2)
    let pack = try scratchSubfolder("ruletest-pack")
    defer { try? FileManager.default.removeItem(at: pack) }
    try "param a: money = $1.00\n".write(
      to: pack.appendingPathComponent("p.probity"), atomically: true, encoding: .utf8)
    let empty = try runProbity(["test", pack.path])
    #expect(empty.status == 2)
    #expect(empty.stderr.contains("error[T0002]: no test files in \(pack.path)/tests"))
  }

  @Test func fmtRewritesChecksAndRefuses() throws {
    let folder = try scratchSubfolder("fmt")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("rules.probity")
    try "param  a:money=$1.00 # dollars\nparam b: money = $2.00\n".write(
      to: file, atomically: true, encoding: .utf8)
    let check = try runProbity(["fmt", "--check", folder.path])
    #expect(check.status == 1)
    #expect(check.stdout.contains("rules.probity: would be reformatted"))
    #expect(
      try String(contentsOf: file, encoding: .utf8).hasPrefix("param  a"), "--check changes nothing"
    )
    let fmt = try runProbity(["fmt", folder.path])
    #expect(fmt.status == 0)
    #expect(
      try String(contentsOf: file, encoding: .utf8)
        == "param a: money = $1.00  # dollars\n\nparam b: money = $2.00\n")
    #expect(try runProbity(["fmt", "--check", file.path]).status == 0)
    let broken = folder.appendingPathComponent("broken.probity")
    try "rule X {\n  when amount && 1\n}\n".write(to: broken, atomically: true, encoding: .utf8)
    let refused = try runProbity(["fmt", broken.path])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("error[P0001]"))
    #expect(try String(contentsOf: broken, encoding: .utf8) == "rule X {\n  when amount && 1\n}\n")
  }

  @Test func rulesCheckWarnsButPasses() throws {
    let result = try runProbity(["rules", "check", "Fixtures/rules-with-warnings"])
    #expect(result.status == 0)
    try assertGolden(result.stdout + "== stderr\n" + result.stderr, "rules-with-warnings.txt")
    for id in ["W0001", "W0002", "W0003", "W0004"] {
      #expect(result.stderr.contains("warning[\(id)]"), "\(id)")
    }
  }
}
