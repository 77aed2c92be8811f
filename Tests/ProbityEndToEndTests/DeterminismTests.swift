import Foundation
import ProbityTestSupport
import Testing

/// The same audit gives the same bytes whatever the number of threads, the order the
/// files are named in, the order they were written to their folder, and whether records
/// are prepared ahead on the readers' threads.
@Suite(.serialized) struct Determinism {
  static let outputs = ["summary.txt", "findings.json", "findings.csv", "report.html"]

  /// One donor's gifts in two files: which of them crosses the limit depends on the
  /// order the files are read in.
  static func splitDonor(in folder: URL) throws -> [URL] {
    let lines = try String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"),
      encoding: .utf8
    ).split(separator: "\n").map(String.init)
    let smith = lines.filter { $0.contains(",B.") && $0.hasPrefix("receipt") }
    #expect(smith.count == 3)
    let files = [
      folder.appendingPathComponent("split-1.csv"), folder.appendingPathComponent("split-2.csv"),
    ]
    try ([lines[0]] + smith.suffix(1)).joined(separator: "\n").write(
      to: files[0], atomically: true, encoding: .utf8)
    try ([lines[0]] + smith.prefix(2)).joined(separator: "\n").write(
      to: files[1], atomically: true, encoding: .utf8)
    return files
  }

  /// Filings of every format, some with rejected rows and one that stops half way,
  /// and real .fec filings when ../shared is there.
  static func filings() -> [URL] {
    let fixtures = [
      "us-federal/aggregates.csv", "us-federal/pac-receipts.csv", "us-federal/receipts.csv",
      "us-federal/receipts-with-bad-rows.csv", "uk-ppera/donations.csv", "csv/canonical-sample.csv",
      "xml/receipts.xml", "xml/windows-1252.xml", "xml/bad-records.xml", "bad/amounts.csv",
      "bad/truncated.xml", "bad/bad-date.fec",
    ].map { packageRoot.appendingPathComponent("Fixtures/\($0)") }
    let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/fec")
    let real = ["1550126.fec", "1229017.fec", "13360.fec", "1550548.fec"].map {
      shared.appendingPathComponent($0)
    }.filter { FileManager.default.fileExists(atPath: $0.path) }
    return fixtures + real
  }

  /// A folder holding `filings/` with the files, written in the given order, under names
  /// that keep them apart.
  static func folder(writing files: [URL]) throws -> URL {
    let folder = scratchFolder.appendingPathComponent(
      "probity-determinism-\(UUID().uuidString)")
    let inputs = folder.appendingPathComponent("filings")
    try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
    for file in files {
      let name = file.deletingLastPathComponent().lastPathComponent + "-" + file.lastPathComponent
      try FileManager.default.copyItem(at: file, to: inputs.appendingPathComponent(name))
    }
    return folder
  }

  static func names(_ files: [URL]) -> [String] {
    files.map {
      "filings/" + $0.deletingLastPathComponent().lastPathComponent + "-" + $0.lastPathComponent
    }
  }

  /// `prepare`: who computes what depends on a record alone (`PROBITY_PREPARE`: the
  /// reader's thread always, never, or while the run is the slower, the default).
  func audit(
    in folder: URL, jobs: Int, out: String, _ inputs: [String], prepare: String = "adaptive"
  ) throws -> [String] {
    let rules = packageRoot.appendingPathComponent("Rules/us-federal").path
    let result = try runExecutable(
      try probityBinary(), ["audit", "--rules", rules, "--jobs", "\(jobs)", "--out", out] + inputs,
      in: folder, environment: ["PROBITY_PREPARE": prepare])
    #expect(result.status == 2, "a file stops half way: \(result.stderr.suffix(500))")
    return try Self.outputs.map {
      try String(
        contentsOf: folder.appendingPathComponent(out).appendingPathComponent($0), encoding: .utf8)
    }
  }

  @Test func theSameBytesWhateverTheThreadsAndTheOrder() throws {
    let sources = scratchFolder.appendingPathComponent(
      "probity-determinism-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: sources) }
    let files = Self.filings() + (try Self.splitDonor(in: sources))
    var generator = SeededGenerator(seed: 20_261_122)
    let shuffled = files.shuffled(using: &generator)
    let first = try Self.folder(writing: files)
    let second = try Self.folder(writing: files.reversed())
    defer {
      try? FileManager.default.removeItem(at: first)
      try? FileManager.default.removeItem(at: second)
    }
    let reference = try audit(in: first, jobs: 1, out: "out", Self.names(files))
    let runs = [
      (
        "2 threads, the files named in another order",
        try audit(in: second, jobs: 2, out: "out", Self.names(shuffled))
      ),
      (
        "1 thread, the files named backwards",
        try audit(in: second, jobs: 1, out: "out-1", Self.names(files.reversed()))
      ),
      (
        "2 threads, the folder written backwards",
        try audit(in: second, jobs: 2, out: "out-2", ["filings"])
      ),
      (
        "2 threads, the folder, and one file named twice",
        try audit(in: first, jobs: 2, out: "out-3", ["filings", Self.names(files)[0]])
      ),
      (
        "every record prepared ahead on the readers' threads",
        try audit(in: first, jobs: 2, out: "out-4", Self.names(files), prepare: "always")
      ),
      (
        "no record prepared ahead, 1 thread",
        try audit(in: second, jobs: 1, out: "out-5", Self.names(shuffled), prepare: "never")
      ),
    ]
    #expect(reference[1].contains("\"records_read\""))
    for (what, outputs) in runs {
      for (index, name) in Self.outputs.enumerated() {
        #expect(outputs[index] == reference[index], "\(name) differs: \(what)")
      }
    }
  }
}
