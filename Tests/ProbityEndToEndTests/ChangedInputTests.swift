import Foundation
import Testing

/// An input that changes between a run's two reads: the second read (the trails of its
/// findings, by path) read another file, or none. A file removed gave findings without
/// their trails and a file replaced another file's records in them, with no word and the
/// usual exit code. Now either is an input error (F0030, exit 2). The run pauses between
/// the reads for the test (`PROBITY_TEST_PAUSE_BEFORE_TRAILS`: docs/output.md).
@Suite(.serialized) struct ChangedInputs {
  final class Outcome: @unchecked Sendable {
    var result: RunResult?
  }

  /// Runs a check of `input` that pauses before its trails, applies `change` to the input
  /// there, and returns the run's result.
  static func check(
    _ input: URL, in folder: URL, arguments: [String]? = nil, change: (URL) throws -> Void
  ) throws
    -> RunResult
  {
    let marker = folder.appendingPathComponent("pause")
    try? FileManager.default.removeItem(at: marker)
    let binary = try probityBinary()
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      outcome.result = try? runExecutable(
        binary,
        arguments ?? [
          "check", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--format", "json",
          input.path,
        ], environment: ["PROBITY_TEST_PAUSE_BEFORE_TRAILS": marker.path])
      done.signal()
    }
    var waited = 0
    while !FileManager.default.fileExists(atPath: marker.path) && waited < 600 {
      usleep(100_000)
      waited += 1
    }
    #expect(waited < 600, "the run did not pause before its trails")
    try change(input)
    try FileManager.default.removeItem(at: marker)
    done.wait()
    return try #require(outcome.result)
  }

  @Test func anInputRemovedOrReplacedBetweenTheReadsIsAnInputError() throws {
    let folder = try scratchSubfolder("changed-input")
    defer { try? FileManager.default.removeItem(at: folder) }
    let fixture = packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv")
    let input = folder.appendingPathComponent("aggregates.csv")
    let changes: [(String, (URL) throws -> Void)] = [
      ("unchanged", { _ in }),
      ("removed", { try FileManager.default.removeItem(at: $0) }),
      (
        "replaced",
        { url in
          let other = folder.appendingPathComponent("other.csv")
          try FileManager.default.copyItem(
            at: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"), to: other)
          #expect(rename(other.path, url.path) == 0)
        }
      ),
    ]
    for (name, change) in changes {
      try? FileManager.default.removeItem(at: input)
      try FileManager.default.copyItem(at: fixture, to: input)
      let result = try Self.check(input, in: folder, change: change)
      let json = try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
      let errors = (json["input_errors"] as? [[String: Any]] ?? []).compactMap {
        $0["id"] as? String
      }
      if name == "unchanged" {
        #expect(result.status == 1, "\(result.stderr)")
        #expect(errors.isEmpty, "\(result.stderr)")
      } else {
        #expect(result.status == 2, "\(name): \(result.stderr)")
        #expect(errors == ["F0030"], "\(name)")
        #expect(
          result.stderr.contains(
            "error[F0030]: the file changed, was replaced or removed while it was read"),
          "\(name): \(result.stderr)")
      }
    }
  }

  /// audit says so in its own documents too: the file is unreadable in summary.txt and
  /// report.html (it said "1 checked", the error only in findings.json).
  @Test func auditNamesAnInputRemovedBetweenTheReads() throws {
    let folder = try scratchSubfolder("changed-input-audit")
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("aggregates.csv")
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"), to: input)
    let out = folder.appendingPathComponent("out")
    let result = try Self.check(
      input, in: folder,
      arguments: [
        "audit", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--out", out.path,
        input.path,
      ], change: { try FileManager.default.removeItem(at: $0) })
    #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
    let summary = try String(
      contentsOf: out.appendingPathComponent("summary.txt"), encoding: .utf8)
    #expect(summary.contains("1 unreadable"), "\(summary)")
    #expect(summary.contains("the file changed, was replaced or removed"), "\(summary)")
  }
}
