import Foundation
import Testing

/// End-to-end tests: run the built `probity` binary on the bundled fixtures and compare
/// its output with golden files in Tests/ProbityEndToEndTests/golden.
///
/// Re-record the golden files with `PROBITY_RECORD_GOLDEN=1 scripts/test` and review
/// the diff before committing.

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent()
  .deletingLastPathComponent()
let goldenDirectory = packageRoot.appendingPathComponent("Tests/ProbityEndToEndTests/golden")

/// The `probity` executable built beside this test bundle.
func probityBinary() throws -> URL {
  var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    .deletingLastPathComponent()
  if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
    directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
  }
  for candidate in [directory, directory.deletingLastPathComponent()] {
    let binary = candidate.appendingPathComponent("probity")
    if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
  }
  throw CocoaError(
    .fileNoSuchFile,
    userInfo: [NSFilePathErrorKey: directory.appendingPathComponent("probity").path])
}

struct RunResult {
  let status: Int32
  let stdout: String
  let stderr: String
}

/// Runs probity from the package root, so the paths in its output are relative and
/// the same on every machine.
func runProbity(_ arguments: [String]) throws -> RunResult {
  let process = Process()
  process.executableURL = try probityBinary()
  process.arguments = arguments
  process.currentDirectoryURL = packageRoot
  var environment = ProcessInfo.processInfo.environment
  environment["COLUMNS"] = "100"
  process.environment = environment
  // Output goes to files, so a large output can never block the child on a full pipe.
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "probity-e2e-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  let outURL = directory.appendingPathComponent("stdout")
  let errURL = directory.appendingPathComponent("stderr")
  FileManager.default.createFile(atPath: outURL.path, contents: nil)
  FileManager.default.createFile(atPath: errURL.path, contents: nil)
  let out = try FileHandle(forWritingTo: outURL)
  let err = try FileHandle(forWritingTo: errURL)
  process.standardOutput = out
  process.standardError = err
  try process.run()
  process.waitUntilExit()
  try out.close()
  try err.close()
  return RunResult(
    status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
    stderr: try String(contentsOf: errURL, encoding: .utf8))
}

/// Compares `actual` with the golden file `name`, or records it when
/// PROBITY_RECORD_GOLDEN is set.
func assertGolden(
  _ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let url = goldenDirectory.appendingPathComponent(name)
  if ProcessInfo.processInfo.environment["PROBITY_RECORD_GOLDEN"] != nil {
    try FileManager.default.createDirectory(at: goldenDirectory, withIntermediateDirectories: true)
    try actual.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
    Issue.record(
      "missing golden file \(name): run PROBITY_RECORD_GOLDEN=1 scripts/test",
      sourceLocation: sourceLocation)
    return
  }
  #expect(actual == expected, "output differs from golden/\(name)", sourceLocation: sourceLocation)
}

@Suite(.serialized) struct EndToEnd {
  @Test func sampleFilingTextFindsThePlantedViolations() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 1)
    #expect(result.stderr.isEmpty, "\(result.stderr)")
    try assertGolden(result.stdout, "receipts.txt")
    // The planted violations, and only they, by rule and transaction.
    let fired = result.stdout.split(separator: "\n").filter {
      $0.contains("error[") || $0.contains("warning[")
    }
    .map { line -> String in
      let rule = line.split(separator: "[")[1].split(separator: "]")[0]
      let location = line.split(separator: ":").prefix(2).joined(separator: ":")
      return "\(location) \(rule)"
    }
    #expect(
      fired == [
        "Fixtures/us-federal/receipts.csv:4 US-CASH-001",
        "Fixtures/us-federal/receipts.csv:6 US-ANON-001",
        "Fixtures/us-federal/receipts.csv:7 US-PROHIB-001",
        "Fixtures/us-federal/receipts.csv:9 US-BESTEFF-001",
        "Fixtures/us-federal/receipts.csv:11 US-DESIG-001",
        "Fixtures/us-federal/receipts.csv:12 US-DESIG-002",
        "Fixtures/us-federal/receipts.csv:17 US-BESTEFF-002",
      ])
  }

  @Test func sampleFilingJSON() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json",
      "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 1)
    try assertGolden(result.stdout, "receipts.json")
    let document =
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let summary = document?["summary"] as? [String: Any]
    #expect(summary?["records_read"] as? Int == 16)
    #expect(summary?["records_evaluated"] as? Int == 16)
    #expect(summary?["records_rejected"] as? Int == 0)
    let findings = document?["findings"] as? [[String: Any]] ?? []
    #expect(findings.count == 7)
    let cash = findings.first { $0["rule"] as? String == "US-CASH-001" }
    #expect(cash?["record"] as? String == "SA11AI.0003")
    #expect(cash?["line"] as? Int == 4)
    #expect(cash?["citation"] as? String == "11 CFR 110.4(c)(2)")
    let values = cash?["values"] as? [String: Any]
    #expect((values?["amount"] as? [String: String]) == ["amount": "250.00", "currency": "USD"])
  }

  @Test func badRowsAreReportedCountedAndTheRestGoesOn() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "Fixtures/us-federal/receipts-with-bad-rows.csv",
    ])
    #expect(result.status == 1)
    try assertGolden("== stdout\n" + result.stdout + "== stderr\n" + result.stderr, "bad-rows.txt")
    #expect(result.stdout.contains("9 records read"))
  }

  @Test func rulePackErrorsAreAllReportedAtOnce() throws {
    let result = try runProbity(["rules", "check", "Fixtures/rules-with-errors"])
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    try assertGolden(result.stderr, "rules-with-errors.txt")
    for id in ["C0001", "P0014", "P0015", "C0005", "C0003", "C0007", "C0006", "C0014"] {
      #expect(result.stderr.contains("[\(id)]"), "expected \(id)")
    }
  }

  @Test func bundledPackChecksClean() throws {
    let result = try runProbity(["rules", "check", "Rules/us-federal"])
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty)
  }

  @Test func checkWithBrokenRulesExitsTwo() throws {
    let result = try runProbity([
      "check", "--rules", "Fixtures/rules-with-errors", "Fixtures/us-federal/receipts.csv",
    ])
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
  }

  @Test func unreadableInputExitsTwo() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "Fixtures/does-not-exist.csv",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("Fixtures/does-not-exist.csv"))
  }

  @Test func usageErrorExitsTwo() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--fail-level", "fatal", "x.csv",
    ])
    #expect(result.status == 2)
  }

  @Test func failLevelDecidesTheExitCode() throws {
    // Only warnings in this slice of the sample: exit 0 at the default level, 1 at warning.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "probity-warnings-\(getpid()).csv")
    let sample = try String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"),
      encoding: .utf8)
    let lines = sample.split(separator: "\n", omittingEmptySubsequences: false)
    try ([lines[0], lines[6]].joined(separator: "\n") + "\n").write(
      to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let atError = try runProbity(["check", "--rules", "Rules/us-federal", file.path])
    #expect(atError.status == 0, "\(atError.stdout)")
    #expect(atError.stdout.contains("warning[US-PROHIB-001]"))
    let atWarning = try runProbity([
      "check", "--rules", "Rules/us-federal", "--fail-level", "warning", file.path,
    ])
    #expect(atWarning.status == 1)
  }

  @Test func outputIsDeterministic() throws {
    let arguments = [
      "check", "--rules", "Rules/us-federal", "--format", "json",
      "Fixtures/us-federal/receipts.csv",
    ]
    let first = try runProbity(arguments)
    let second = try runProbity(arguments)
    #expect(first.stdout == second.stdout)
  }

  @Test func helpTeaches() throws {
    let result = try runProbity(["check", "--help"])
    #expect(result.status == 0)
    try assertGolden(result.stdout, "check-help.txt")
  }
}
