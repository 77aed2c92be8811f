import Foundation
import ProbityTestSupport
import Testing

/// The CI gate end to end: SARIF validated against the SARIF 2.1.0 schema, JUnit and
/// GitHub annotations, exit codes, fingerprints, waivers and baselines (docs/ci.md).

let sarifSchema = packageRoot.deletingLastPathComponent().appendingPathComponent(
  "shared/data/spec/sarif-schema-2.1.0.json")

/// Whether python3 with the jsonschema package can run (scripts/test installs it).
let jsonSchemaValidatorAvailable: Bool = {
  guard let python = try? pythonExecutable() else { return false }
  return (try? runExecutable(python, ["-c", "import jsonschema"]).status) == 0
}()

func pythonExecutable() throws -> URL {
  for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
  {
    let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("python3")
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
  }
  throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "python3"])
}

/// A fresh folder for one test.
func scratchSubfolder(_ name: String) throws -> URL {
  let url = scratchFolder.appendingPathComponent(
    "probity-\(name)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Validates a SARIF document against the schema with python3's jsonschema; "" when
/// valid, else the validator's message.
func validateSARIF(_ document: String) throws -> String {
  let folder = try scratchSubfolder("sarif")
  defer { try? FileManager.default.removeItem(at: folder) }
  let file = folder.appendingPathComponent("out.sarif")
  try document.write(to: file, atomically: true, encoding: .utf8)
  let script = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    document = json.load(open(sys.argv[2]))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    for error in errors[:5]:
        print("/".join(str(p) for p in error.path), error.message)
    sys.exit(1 if errors else 0)
    """
  let result = try runExecutable(
    try pythonExecutable(), ["-c", script, sarifSchema.path, file.path])
  return result.status == 0 ? "" : result.stdout + result.stderr
}

/// Fingerprints of a SARIF document's results, in order.
func sarifResults(_ document: String) throws -> [[String: Any]] {
  let json = try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any]
  let run = (json?["runs"] as? [[String: Any]])?.first
  return run?["results"] as? [[String: Any]] ?? []
}

func fingerprint(_ result: [String: Any]) -> String? {
  (result["partialFingerprints"] as? [String: String])?["probity/v2"]
}

/// A row of Fixtures/us-federal/receipts.csv made into another donor's gift, as an
/// amendment adds one: a new transaction id and name.
func amendedRow(_ row: String, _ id: String) -> String {
  let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  var changed = fields
  changed[3] = id + "A"
  changed[6] = "Amended"
  changed[7] = "Donor " + id
  return changed.joined(separator: ",")
}

@Suite(.serialized) struct CIGate {
  /// Records without a transaction id are fingerprinted by their key fields, found by
  /// their place: two XML records on one line are told apart by their element path.
  @Test func recordsOnOneLineHaveFingerprintsOfTheirOwn() throws {
    let folder = try scratchSubfolder("one-line")
    defer { try? FileManager.default.removeItem(at: folder) }
    let mapping = """
      [file]
      format = xml
      currency = USD
      date-format = yyyy-mm-dd
      [kind]
      receipt = /export/donation
      [fields]
      filer_id = element /export/@filer
      amount = element value as money
      date = element accepted
      name = element donor optional
      """
    let pack = """
      rule BIG {
        title "t"
        severity error
        category data-quality
        citation "c"
        applies receipt
        when amount > $100.00
        message "{amount}"
      }
      """
    let filing = """
      <?xml version="1.0"?>
      <export filer="C1"><donation><value>60000.00</value><accepted>2024-01-02</accepted><donor>Alice A</donor></donation><donation><value>70000.00</value><accepted>2024-01-03</accepted><donor>Bob B</donor></donation></export>
      """
    for (name, text) in [("x.map", mapping), ("r.probity", pack), ("f.xml", filing)] {
      try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let result = try runProbity([
      "check", "--rules", folder.appendingPathComponent("r.probity").path, "--mapping",
      folder.appendingPathComponent("x.map").path, "--format", "sarif",
      folder.appendingPathComponent("f.xml").path,
    ])
    #expect(result.status == 1, "\(result.stderr)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let results = try #require(
      (json["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
    let fingerprints = results.compactMap {
      ($0["partialFingerprints"] as? [String: String])?["probity/v2"]
    }
    #expect(fingerprints.count == 2)
    #expect(Set(fingerprints).count == 2)
  }

  @Test func sarifSchemaValidatorIsThereInCI() {
    // .ci/run sets PROBITY_REQUIRE_JSONSCHEMA: there the validation below must not be skipped.
    if ProcessInfo.processInfo.environment["PROBITY_REQUIRE_JSONSCHEMA"] != nil {
      #expect(jsonSchemaValidatorAvailable, "python3 with jsonschema is required in CI")
      #expect(FileManager.default.fileExists(atPath: sarifSchema.path), "\(sarifSchema.path)")
    }
  }

  @Test(
    .enabled(
      if: jsonSchemaValidatorAvailable && FileManager.default.fileExists(atPath: sarifSchema.path),
      "needs python3 with jsonschema (scripts/test installs it) and ../shared/data/spec"))
  func sarifValidatesAgainstTheSchema() throws {
    for arguments in [
      ["Fixtures/us-federal/receipts.csv"],
      ["--as-of", "2024-12-31", "Fixtures/us-federal/aggregates.csv"],
      ["Fixtures/us-federal/receipts-with-bad-rows.csv", "Fixtures/does-not-exist.csv"],
      ["Fixtures/xml/receipts.xml"],
    ] {
      let result = try runProbity(
        ["check", "--rules", "Rules/us-federal", "--format", "sarif"] + arguments)
      #expect(try validateSARIF(result.stdout) == "", "\(arguments)")
    }
    let uk = try runProbity([
      "check", "--rules", "Rules/uk-ppera", "--input-format", "uk-ec", "--format", "sarif",
      "Fixtures/uk-ppera/donations.csv",
    ])
    #expect(try validateSARIF(uk.stdout) == "")
  }

  /// More problems with rejected records than a report lists (the first 1,000): SARIF
  /// says how many more, so that its notifications are not taken for all of them.
  @Test func sarifSaysHowManyRejectionsItDoesNotList() throws {
    let folder = try scratchSubfolder("many-rejected")
    defer { try? FileManager.default.removeItem(at: folder) }
    let rows = (1...1_005).map { "receipt,T\($0),2024-01-01,not-an-amount" }
    let filing = folder.appendingPathComponent("bad.csv")
    try (["kind,transaction_id,date,amount"] + rows + [""]).joined(separator: "\n").write(
      to: filing, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "sarif", filing.path,
    ])
    let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let invocation =
      ((json?["runs"] as? [[String: Any]])?.first?["invocations"] as? [[String: Any]])?
      .first
    let notifications = try #require(
      invocation?["toolExecutionNotifications"] as? [[String: Any]])
    let ids = notifications.map { ($0["descriptor"] as? [String: Any])?["id"] as? String }
    #expect(ids.count(where: { $0 == "F0009" }) == 1_000)
    let more = try #require(
      notifications.first {
        ($0["descriptor"] as? [String: Any])?["id"] as? String == "probity/rejections-not-listed"
      })
    #expect(
      ((more["message"] as? [String: Any])?["text"] as? String)?.hasPrefix(
        "5 more problems with rejected records are not listed here (the first 1000 are; 1005 records were rejected in all"
      ) == true, "\(more)")
    if jsonSchemaValidatorAvailable && FileManager.default.fileExists(atPath: sarifSchema.path) {
      #expect(try validateSARIF(result.stdout) == "")
    }
  }

  @Test func sarifCarriesRulesLocationsTrailsAndFingerprints() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "sarif", "--as-of", "2024-12-31",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 1)
    try assertGolden(result.stdout, "aggregates.sarif")
    let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    #expect(json?["version"] as? String == "2.1.0")
    let run = (json?["runs"] as? [[String: Any]])?.first
    let rules =
      ((run?["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]]
    #expect(rules?.count == 21)
    let excess = try sarifResults(result.stdout).first {
      $0["ruleId"] as? String == "US-EXCESS-001"
    }
    let location =
      (excess?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
    #expect(
      (location?["artifactLocation"] as? [String: Any])?["uri"] as? String
        == "Fixtures/us-federal/aggregates.csv")
    #expect((location?["region"] as? [String: Any])?["startLine"] as? Int == 7)
    #expect((excess?["relatedLocations"] as? [Any])?.count == 3, "the trail of three gifts")
    #expect(excess.map(fingerprint)??.count == 16)
  }

  @Test func fingerprintsSurviveReruns() throws {
    // The same filing in two folders (absolute paths), then amended: two rows put before
    // the rest shift every line, and one new violation is added.
    let one = try scratchSubfolder("fp1")
    let two = try scratchSubfolder("fp2")
    defer {
      try? FileManager.default.removeItem(at: one)
      try? FileManager.default.removeItem(at: two)
    }
    let original = try String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"),
      encoding: .utf8)
    var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    try original.write(
      to: one.appendingPathComponent("receipts.csv"), atomically: true, encoding: .utf8)
    lines.insert(
      contentsOf: [amendedRow(lines[1], "SA11AI.0001"), amendedRow(lines[3], "SA11AI.0003")], at: 1)
    try lines.joined(separator: "\n").write(
      to: two.appendingPathComponent("receipts.csv"), atomically: true, encoding: .utf8)
    func fingerprints(_ folder: URL) throws -> [String: Int] {
      let result = try runProbity([
        "check", "--rules", "Rules/us-federal", "--format", "sarif",
        folder.appendingPathComponent("receipts.csv").path,
      ])
      var byFingerprint: [String: Int] = [:]
      for result in try sarifResults(result.stdout) {
        let line =
          (((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?[
            "region"]
          as? [String: Any])?["startLine"] as? Int
        byFingerprint[fingerprint(result) ?? ""] = line
      }
      return byFingerprint
    }
    let before = try fingerprints(one)
    #expect(try fingerprints(one) == before, "the same on a second run")
    let relative = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "sarif",
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(Set(try sarifResults(relative.stdout).compactMap(fingerprint)).count == before.count)
    let after = try fingerprints(two)
    #expect(after.count == before.count + 1, "one new finding")
    for (key, line) in before {
      #expect(after[key] == line + 2, "\(key) moved two lines down and kept its fingerprint")
    }
  }

  @Test func sarifStaysUnderGitHubsTenMegabytes() throws {
    // 1,100 findings of about 10 KB each: over 10 MB, so the run is capped.
    let folder = try scratchSubfolder("big")
    defer { try? FileManager.default.removeItem(at: folder) }
    let filler = String(repeating: "x", count: 100)
    let holes = String(repeating: "{filler}", count: 100)
    try """
    param filler: string = "\(filler)"
    rule BIG-001 {
      title "Every gift"
      severity error
      category data-quality
      citation "none"
      applies receipt
      when amount > $0.00
      message "\(holes)"
    }

    """.write(to: folder.appendingPathComponent("big.probity"), atomically: true, encoding: .utf8)
    let rows = (1...1_100).map { "receipt,T\($0),2024-03-15,10.00" }
    let filing = folder.appendingPathComponent("gifts.csv")
    try (["kind,transaction_id,date,amount"] + rows).joined(separator: "\n").write(
      to: filing, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", folder.appendingPathComponent("big.probity").path, "--format", "sarif",
      filing.path,
    ])
    #expect(result.status == 1)
    #expect(result.stdout.utf8.count <= 10_000_000)
    let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let run = (json?["runs"] as? [[String: Any]])?.first
    let properties = (run?["properties"] as? [String: Any])?["probity"] as? [String: Any]
    #expect(properties?["truncated"] as? Bool == true)
    #expect(
      properties?["truncation_reason"] as? String == "GitHub accepts SARIF files of at most 10 MB")
    let reported = try #require(properties?["results_reported"] as? Int)
    #expect(reported > 800 && reported < 1_100)
    #expect(try sarifResults(result.stdout).count == reported)
    #expect(result.stdout.contains("probity/results-capped"))
    #expect(result.stderr.contains("the SARIF output holds \(reported) of 1100 findings"))
  }

  @Test func junitHasATestcasePerRulePerFile() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "junit",
      "Fixtures/us-federal/receipts.csv",
      "Fixtures/us-federal/pac-receipts.csv",
    ])
    #expect(result.status == 1)
    try assertGolden(result.stdout, "receipts.junit.xml")
    #expect(result.stdout.components(separatedBy: "<testsuite ").count == 3)
    #expect(result.stdout.components(separatedBy: "<testcase ").count == 1 + 2 * 22)
    if jsonSchemaValidatorAvailable {
      let folder = try scratchSubfolder("junit")
      defer { try? FileManager.default.removeItem(at: folder) }
      let file = folder.appendingPathComponent("out.xml")
      try result.stdout.write(to: file, atomically: true, encoding: .utf8)
      let parsed = try runExecutable(
        try pythonExecutable(),
        ["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])", file.path])
      #expect(parsed.status == 0, "\(parsed.stderr)")
    }
  }

  @Test func githubAnnotations() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "github",
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 1)
    try assertGolden(result.stdout, "aggregates.github.txt")
    #expect(
      result.stdout.hasPrefix(
        "::error file=Fixtures/us-federal/aggregates.csv,line=7,title=US-EXCESS-001 "))
  }

  @Test func githubAnnotationsStopAtTenPerLevel() throws {
    let folder = try scratchSubfolder("gh")
    defer { try? FileManager.default.removeItem(at: folder) }
    let header = "kind,transaction_id,name,date,amount,payment_method,memo"
    let rows = (1...12).map { "receipt,T\($0),Donor \($0),2024-03-\(10 + $0),250.00,cash," }
    let file = folder.appendingPathComponent("cash.csv")
    try ([header] + rows).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "github", file.path,
    ])
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count { $0.hasPrefix("::error ") } == 10)
    #expect(result.stdout.contains("not annotated (GitHub shows 10 per level): 2 errors"))
    #expect(
      result.stdout.contains(
        "probity: gate: 12 findings count at fail level error; the run fails (exit 1)"))
  }

  @Test func exitCodes() throws {
    let receipts = "Fixtures/us-federal/receipts.csv"
    func status(_ arguments: [String]) throws -> Int32 {
      try runProbity(["check", "--rules", "Rules/us-federal"] + arguments).status
    }
    #expect(try status([receipts]) == 1)
    #expect(try status(["--fail-level", "info", receipts]) == 1)
    // Only warnings and infos in the PAC fixture's clean part: 0 at error, 1 at warning.
    let folder = try scratchSubfolder("exit")
    defer { try? FileManager.default.removeItem(at: folder) }
    let lines = try String(
      contentsOf: packageRoot.appendingPathComponent(receipts), encoding: .utf8
    )
    .split(separator: "\n")
    let warningOnly = folder.appendingPathComponent("warning.csv")
    try ([lines[0], lines[6]].joined(separator: "\n") + "\n").write(
      to: warningOnly, atomically: true, encoding: .utf8)
    #expect(try status([warningOnly.path]) == 0)
    #expect(try status(["--fail-level", "warning", warningOnly.path]) == 1)
    // Unreadable input, in any format, never exits 0.
    for format in ["text", "json", "sarif", "junit", "github"] {
      let missing = try runProbity([
        "check", "--rules", "Rules/us-federal", "--format", format, "nope.csv",
      ])
      #expect(missing.status == 2, "\(format)")
      #expect(missing.stderr.contains("nope.csv"))
    }
    let noPack = try runProbity(["check", "--rules", "Rules/nope", "--format", "sarif", receipts])
    #expect(noPack.status == 2)
    #expect(noPack.stdout.isEmpty)
  }

  @Test func waiversWaiveUntilTheyExpire() throws {
    let folder = try scratchSubfolder("waivers")
    defer { try? FileManager.default.removeItem(at: folder) }
    let receipts = "Fixtures/us-federal/receipts.csv"
    let json = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", receipts,
    ])
    let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let findings = document?["findings"] as? [[String: Any]] ?? []
    let errors = findings.filter { $0["severity"] as? String == "error" }
    #expect(errors.count == 3)
    // Waive every error until the as-of date (2024-06-10, the latest record date).
    func waivers(expiring date: String) -> String {
      let entries = errors.map { finding in
        """
            {
              "fingerprint": "\(finding["fingerprint"] as? String ?? "")",
              "rule": "\(finding["rule"] as? String ?? "")",
              "reviewer": "A. Examiner",
              "reason": "reviewed with the treasurer",
              "expires": "\(date)"
            }
        """
      }
      return "{\n  \"waivers\": [\n" + entries.joined(separator: ",\n") + "\n  ]\n}\n"
    }
    let file = folder.appendingPathComponent("waivers.json")
    try waivers(expiring: "2024-06-10").write(to: file, atomically: true, encoding: .utf8)
    let waived = try runProbity([
      "check", "--rules", "Rules/us-federal", "--waivers", file.path, receipts,
    ])
    #expect(waived.status == 0, "\(waived.stdout)")
    #expect(
      waived.stdout.components(separatedBy: "  waiver:   waived by A. Examiner until 2024-06-10")
        .count == 4)
    #expect(
      waived.stdout.contains(
        "gate: 0 findings count at fail level error (3 waived); the run passes (exit 0)"))
    // Judged at --as-of, never at today's date.
    let later = try runProbity([
      "check", "--rules", "Rules/us-federal", "--waivers", file.path, "--as-of", "2024-06-11",
      "--format", "junit", receipts,
    ])
    #expect(later.status == 1)
    #expect(later.stderr.contains("expired on 2024-06-10 (as of 2024-06-11)"))
    #expect(later.stdout.contains("EXPIRED on 2024-06-10"))
    // SARIF marks waived results as suppressed.
    let sarif = try runProbity([
      "check", "--rules", "Rules/us-federal", "--waivers", file.path, "--format", "sarif", receipts,
    ])
    #expect(sarif.status == 0)
    #expect(try sarifResults(sarif.stdout).count { $0["suppressions"] != nil } == 3)
  }

  @Test func junitListsTheRejectedRecordsOfAFilingThatStopped() throws {
    // A rejected record (a receipt dated 20240230), then a second header that stops the
    // read (F0025): "records are readable" is an error, and still lists the rejection.
    let folder = try scratchSubfolder("junit-stopped")
    defer { try? FileManager.default.removeItem(at: folder) }
    let bad = try String(
      contentsOfFile: packageRoot.appendingPathComponent("Fixtures/bad/bad-date.fec").path,
      encoding: .utf8)
    let file = folder.appendingPathComponent("stopped.fec")
    try (bad + bad.prefix { $0 != "\n" } + "\n").write(to: file, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "junit", file.path,
    ])
    #expect(result.status == 2)
    #expect(result.stdout.contains("error[F0025]"))
    #expect(result.stdout.contains("stopped.fec:4: error[F0009]"), "\(result.stdout)")
  }

  @Test func malformedGateFilesExitTwoWithTheirLine() throws {
    let folder = try scratchSubfolder("malformed")
    defer { try? FileManager.default.removeItem(at: folder) }
    let waivers = folder.appendingPathComponent("waivers.json")
    try
      "{\n  \"waivers\": [\n    {\"fingerprint\": \"0123456789abcdef\", \"reviewer\": \"x\" \"reason\": \"y\"}\n  ]\n}\n"
      .write(to: waivers, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--waivers", waivers.path,
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty, "nothing is checked with a broken waivers file")
    #expect(result.stderr.contains("\(waivers.path):3:57: error[G0001]: expected ',' or '}'"))
    let baseline = folder.appendingPathComponent("baseline.json")
    try "{\"findings\": \"all\"}\n".write(to: baseline, atomically: true, encoding: .utf8)
    let bad = try runProbity([
      "check", "--rules", "Rules/us-federal", "--baseline", baseline.path,
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("\(baseline.path):1:14: error[G0005]"))
    let absent = try runProbity([
      "check", "--rules", "Rules/us-federal", "--baseline",
      folder.appendingPathComponent("none.json").path,
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(absent.status == 2)
    #expect(absent.stderr.contains("cannot read the baseline"))
  }

  @Test func aBaselineGatesOnlyNewFindings() throws {
    let folder = try scratchSubfolder("baseline")
    defer { try? FileManager.default.removeItem(at: folder) }
    let filing = folder.appendingPathComponent("receipts.csv")
    let original = try String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"),
      encoding: .utf8)
    try original.write(to: filing, atomically: true, encoding: .utf8)
    let baseline = folder.appendingPathComponent("baseline.json")
    let written = try runProbity([
      "check", "--rules", "Rules/us-federal", "--write-baseline", baseline.path, filing.path,
    ])
    #expect(written.status == 0, "writing a baseline accepts what it holds")
    #expect(
      written.stdout.contains("gate: 0 findings count at fail level error (7 in the baseline)"))
    let same = try runProbity([
      "check", "--rules", "Rules/us-federal", "--baseline", baseline.path, filing.path,
    ])
    #expect(same.status == 0)
    // The filing is amended: a row is added at the top and one new cash violation.
    var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines.insert(amendedRow(lines[3], "SA11AI.0003"), at: 1)
    try lines.joined(separator: "\n").write(to: filing, atomically: true, encoding: .utf8)
    let amended = try runProbity([
      "check", "--rules", "Rules/us-federal", "--baseline", baseline.path, "--format", "sarif",
      filing.path,
    ])
    #expect(amended.status == 1)
    let states = try sarifResults(amended.stdout).map {
      "\($0["ruleId"] ?? "") \($0["baselineState"] ?? "")"
    }
    #expect(states.filter { $0.hasSuffix(" new") } == ["US-CASH-001 new"])
    #expect(states.count { $0.hasSuffix(" unchanged") } == 7)
    // The baseline read may be written again.
    let rewritten = try runProbity([
      "check", "--rules", "Rules/us-federal", "--baseline", baseline.path, "--write-baseline",
      baseline.path, filing.path,
    ])
    #expect(rewritten.status == 0)
  }

  /// A filing's text never starts a line of Probity's output a CI runner would obey: the
  /// runner takes a line of standard output or error starting with `::`, after any
  /// blanks, for a workflow command. A cell holding a line break and `::stop-commands::`
  /// was echoed whole in its rejection, and a donor's name with `::error::` in the text
  /// report; a file's name may hold one too. Indenting such a line was not enough (the
  /// runner trims the blanks): it is prefixed with `| `. And `##[add-mask]` anywhere in a
  /// line is a command of the runner's older syntax: its bracket is written otherwise.
  @Test func aFilingsTextNeverStartsAWorkflowCommand() throws {
    let folder = try scratchSubfolder("workflow-commands")
    defer { try? FileManager.default.removeItem(at: folder) }
    let filing = folder.appendingPathComponent("inj\n::stop-commands::tok.csv")
    try """
    kind,transaction_id,date,amount,name,zip,payment_method
    receipt,T1,2024-03-01,"1
    ::stop-commands::zz
    ",X,44308,cash
    receipt,T2,2024-03-01,250.00,"ROE
     ::error::forged",44308,cash
    receipt,T3,2024-03-01,250.00,"DOE ##[add-mask]US-CASH-001",44308,cash

    """.write(to: filing, atomically: true, encoding: .utf8)
    func commands(_ text: String) -> [Substring] {
      text.split(separator: "\n").filter { $0.drop(while: { $0.isWhitespace }).hasPrefix("::") }
    }
    for format in ["text", "junit", "github", "json", "sarif"] {
      let result = try runProbity([
        "check", "--rules", "Rules/us-federal", "--format", format, filing.path,
      ])
      #expect(result.status == 1, "\(format)")
      #expect(commands(result.stderr).isEmpty, "\(format): \(result.stderr)")
      let own = commands(result.stdout).filter {
        format == "github"
          && ($0.hasPrefix("::error ") || $0.hasPrefix("::warning ") || $0.hasPrefix("::notice "))
      }
      #expect(commands(result.stdout).count == own.count, "\(format): \(result.stdout)")
      // The runner's older syntax, `##[...]`, is a command anywhere in a line: broken in
      // every output, the annotations of `--format github` too (a line the runner did not
      // take for an annotation would be read for it).
      #expect(!result.stderr.contains("##["), "\(format): \(result.stderr)")
      #expect(!result.stdout.contains("##["), "\(format): \(result.stdout)")
      #expect(result.stdout.contains("DOE ##"), "\(format)")
      #expect(result.stderr.contains("found \"1\\n::stop-commands::zz\""), "\(result.stderr)")
    }
  }

  /// A filing without the columns the rules read: every rule undetermined. It passes the
  /// gate by default (the findings it could not judge are counted, not passed), and fails
  /// it with --fail-on-undetermined, which says so in the text, JSON and JUnit reports;
  /// only rules at or above the fail level count.
  @Test func failOnUndeterminedFailsAFilingTheRulesCannotJudge() throws {
    let folder = try scratchSubfolder("undetermined")
    defer { try? FileManager.default.removeItem(at: folder) }
    let filing = folder.appendingPathComponent("bare.csv")
    try "kind,filer_id,transaction_id,amount,date\nreceipt,C1,T1,5000,2024-01-01\n".write(
      to: filing, atomically: true, encoding: .utf8)
    let base = ["check", "--rules", "Rules/us-federal"]
    #expect(try runProbity(base + [filing.path]).status == 0)
    let text = try runProbity(base + ["--fail-on-undetermined", filing.path])
    #expect(text.status == 1)
    #expect(
      text.stdout.contains(
        "gate: 0 findings count at fail level error, and 10 undetermined (a rule at that level on a record; --fail-on-undetermined); the run fails (exit 1)"
      ), "\(text.stdout)")
    let json = try runProbity(base + ["--fail-on-undetermined", "--format", "json", filing.path])
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let gate = try #require((document["summary"] as? [String: Any])?["gate"] as? [String: Any])
    #expect(gate["undetermined_counting"] as? Int == 10)
    #expect(gate["exit_code"] as? Int == 1)
    let junit = try runProbity(base + ["--fail-on-undetermined", "--format", "junit", filing.path])
    #expect(junit.stdout.contains("<failure type=\"undetermined\" message=\"10 undetermined"))
    #expect(junit.stdout.contains("US-CASH-001: 1 undetermined (missing: payment_method"))
    // At fail level info, the warnings' and infos' undetermined count too.
    let info = try runProbity(
      base + ["--fail-on-undetermined", "--fail-level", "info", "--format", "json", filing.path])
    let infoGate = try #require(
      ((try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?[
        "summary"] as? [String: Any])?["gate"] as? [String: Any])
    #expect((infoGate["undetermined_counting"] as? Int ?? 0) > 10)
  }

  /// A rule with an evaluation error and a finding that counts in one file: the JUnit
  /// testcase is an error, and the finding is in it too (message and details), so that a
  /// reviewer sees it and its fingerprint: it was left out of the report.
  @Test func junitKeepsTheFindingsOfARuleWithAnEvaluationError() throws {
    let folder = try scratchSubfolder("junit-errors")
    defer { try? FileManager.default.removeItem(at: folder) }
    let filing = folder.appendingPathComponent("ev.csv")
    try """
    kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code
    receipt,C00999001,H,SA11AI,N11.1,IND,"FOSTER, SAM",5 Pine Rd,Akron,OH,44308,Goodyear,Engineer,2024-03-01,3500.00,3500.00,P2024
    disbursement,C00999001,H,SB20A,N11.2,IND,"FOSTER, SAM",5 Pine Rd,Akron,OH,,,,2024-03-15,200.00,,P2024
    receipt,C00999001,H,SA11AI,N11.3,IND,"LEE, ANN",2 Birch Ln,Toledo,OH,43604,Self,Carpenter,2024-03-01,3500.00,3500.00,P2024

    """.write(to: filing, atomically: true, encoding: .utf8)
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--as-of", "2024-12-31", "--format", "junit",
      filing.path,
    ])
    #expect(result.status == 1)
    let excess = try #require(
      result.stdout.components(separatedBy: "<testcase").first {
        $0.contains("US-EXCESS-001")
      })
    #expect(
      excess.contains(
        "message=\"1 record could not be evaluated, and 1 finding at fail level error"),
      "\(excess)")
    #expect(excess.contains("LEE, ANN"), "\(excess)")
    #expect(excess.contains("fingerprint: "), "\(excess)")
  }

  /// --write-baseline naming a file the run reads (the filing, the waivers file, the
  /// mapping, a rule file, any file of the pack's folder) is a usage error, and the file is left as it was: it was
  /// replaced by the baseline, and the run exited 0.
  @Test func aBaselineNeverReplacesWhatTheRunReads() throws {
    let folder = try scratchSubfolder("baseline-target")
    defer { try? FileManager.default.removeItem(at: folder) }
    let filing = folder.appendingPathComponent("receipts.csv")
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"), to: filing)
    let waivers = folder.appendingPathComponent("waivers.json")
    try "{\"version\": 1, \"waivers\": []}\n".write(to: waivers, atomically: true, encoding: .utf8)
    let pack = folder.appendingPathComponent("pack")
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Rules/us-federal"), to: pack)
    let rule = pack.appendingPathComponent("receipts.probity")
    // A reference list the pack loads: replaced, every later run failed (L0004).
    let list = pack.appendingPathComponent("lists/federal-contractors.csv")
    for (target, spelling) in [
      (filing, folder.path + "/./receipts.csv"), (waivers, waivers.path), (rule, rule.path),
      (list, list.path),
    ] {
      let before = try Data(contentsOf: target)
      let result = try runProbity([
        "check", "--rules", pack.path, "--waivers", waivers.path, "--write-baseline", spelling,
        filing.path,
      ])
      #expect(result.status == 2, "\(spelling)")
      #expect(result.stderr.contains("--write-baseline \(spelling) is "))
      #expect(try Data(contentsOf: target) == before, "\(spelling) was replaced")
    }
    // Files not there yet: a rule file (it broke the pack), any file in the pack's
    // folder; and a pipe, which writing replaced with a regular file.
    let fifo = folder.appendingPathComponent("baseline.fifo")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    for target in [
      folder.appendingPathComponent("new.probity"), pack.appendingPathComponent("lists/new.json"),
      fifo,
    ] {
      let result = try runProbity([
        "check", "--rules", pack.path, "--write-baseline", target.path, filing.path,
      ])
      #expect(result.status == 2, "\(target.path)")
      #expect(result.stderr.contains("--write-baseline \(target.path) is "), "\(result.stderr)")
    }
    #expect(
      !FileManager.default.fileExists(atPath: pack.appendingPathComponent("lists/new.json").path))
    var status = stat()
    #expect(stat(fifo.path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
  }

  /// A run that could not read an input has not seen its findings: its baseline would be
  /// taken for the whole filing's. Not written (G0006, exit 2).
  @Test func noBaselineOfARunWithAnUnreadableInput() throws {
    let folder = try scratchSubfolder("baseline-unread")
    defer { try? FileManager.default.removeItem(at: folder) }
    let baseline = folder.appendingPathComponent("baseline.json")
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--write-baseline", baseline.path,
      "Fixtures/us-federal/receipts.csv", folder.appendingPathComponent("missing.csv").path,
    ])
    #expect(result.status == 2)
    #expect(
      result.stderr.contains("error[G0006]: the baseline is not written: 1 input could not be read")
    )
    #expect(!FileManager.default.fileExists(atPath: baseline.path))
  }
}
