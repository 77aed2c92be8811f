import Foundation
import ProbityTestSupport
import Testing

/// A report that cannot be written (a full disk: /dev/full) fails the run with exit 2
/// and says why: it exited 0, its JSON or SARIF lost, when nothing was found.
@Suite struct OutputFailure {
  @Test(arguments: [
    ["check", "--rules", "Rules/us-federal", "Fixtures/bad/header-only.csv"],
    ["check", "--rules", "Rules/us-federal", "--format", "json", "Fixtures/bad/header-only.csv"],
    [
      "check", "--rules", "Rules/us-federal", "--format", "sarif",
      "Fixtures/us-federal/receipts.csv",
    ],
    // Findings, streamed a piece at a time (the report stops at the first failed piece).
    ["check", "--rules", "Rules/us-federal", "Fixtures/us-federal/receipts.csv"],
    [
      "check", "--rules", "Rules/us-federal", "--format", "json",
      "Fixtures/us-federal/receipts.csv",
    ],
    [
      "check", "--rules", "Rules/us-federal", "--format", "junit",
      "Fixtures/us-federal/receipts.csv",
    ],
    ["rules", "list", "Rules/us-federal"],
  ])
  func aFullDiskFailsTheRun(_ arguments: [String]) throws {
    guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }
    let directory = scratchFolder.appendingPathComponent("probity-full-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let errURL = directory.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = try probityBinary()
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    process.standardOutput = full
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try err.close()
    #expect(process.terminationStatus == 2)
    let stderr = try String(contentsOf: errURL, encoding: .utf8)
    #expect(stderr.contains("error: cannot write the output: No space left on device"))
  }
}
