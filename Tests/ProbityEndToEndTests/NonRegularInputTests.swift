import Foundation
import ProbityTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Inputs that are not regular files: a pipe (`/dev/stdin` fed by `cat`), a FIFO, a
/// device. Probity reads a filing more than once (its first bytes to tell its format,
/// its records, then the records of the findings' trails), and such a file gives its
/// bytes once: it is refused as unreadable (F0002, exit 2), never read in part, never
/// waited on.
@Suite(.serialized) struct NonRegularInput {
  /// Runs probity with `input` on its standard input; gives up after `seconds`.
  func run(_ arguments: [String], input: Data? = nil, seconds: Double = 60) throws -> (
    status: Int32?, stderr: String, stdout: String
  ) {
    let process = Process()
    process.executableURL = try probityBinary()
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    let stdin = Pipe()
    process.standardInput = stdin
    let result = try runCapturingOutput(process) { process in
      if let input {
        // Written from another thread: the child may read none of it (and its exit must
        // not end this process with SIGPIPE).
        signal(SIGPIPE, SIG_IGN)
        let writer = stdin.fileHandleForWriting
        Thread.detachNewThread {
          try? writer.write(contentsOf: input)
          try? writer.close()
        }
      } else {
        try stdin.fileHandleForWriting.close()
      }
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning && Date() < deadline { usleep(20_000) }
      guard process.isRunning else { return process.terminationStatus }
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      return nil
    }
    return (result.status, result.stderr, result.stdout)
  }

  /// FEC bulk rows whose first 65,536 bytes (what format detection reads) end on a line
  /// break: read from a pipe, the rows after them alone were read, with no rejected row
  /// to show for the others (exit 0, 566 of 1,066 records silently lost).
  func bulkRows() -> Data {
    func row(_ index: Int, _ pad: String = "") -> String {
      [
        "C00999001", "N", "Q2", "P", "202401019000000001", "15", "IND", "DONOR\(index), ANN\(pad)",
        "DAYTON", "OH", "45402", "ACME", "ENGINEER", "03152024", "50", "", "T\(index)", "1", "", "",
        "\(100000 + index)",
      ].joined(separator: "|") + "\n"
    }
    var rows: [String] = []
    var size = 0
    var index = 0
    while size + row(index).utf8.count <= 65536 {
      rows.append(row(index))
      size += row(index).utf8.count
      index += 1
    }
    rows[rows.count - 1] = row(index - 1, String(repeating: "X", count: 65536 - size))
    for more in index..<(index + 500) { rows.append(row(more)) }
    return Data(rows.joined().utf8)
  }

  @Test func aPipeIsRefusedNotReadInPart() throws {
    let result = try run(
      ["check", "--rules", "Rules/us-federal", "/dev/stdin"], input: bulkRows())
    #expect(result.status == 2)
    #expect(
      result.stderr.contains("/dev/stdin: error[F0002]: cannot read the filing: it is a pipe"))
    #expect(result.stdout.contains("summary: 0 records read"))
  }

  @Test func aPipeIsRefusedWithItsFormatNamedToo() throws {
    // The trails of findings across records read the file again: from a pipe they
    // were silently left out.
    let input = try Data(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"))
    let result = try run(
      ["check", "--rules", "Rules/us-federal", "--input-format", "csv", "/dev/stdin"],
      input: input)
    #expect(result.status == 2)
    #expect(result.stderr.contains("error[F0002]"))
  }

  @Test func aFIFOIsNeverWaitedOn() throws {
    let directory = scratchFolder.appendingPathComponent("probity-fifo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let out = scratchFolder.appendingPathComponent("probity-fifo-out-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: directory)
      try? FileManager.default.removeItem(at: out)
    }
    let fifo = directory.appendingPathComponent("filing.csv").path
    #expect(mkfifo(fifo, 0o600) == 0)
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"),
      to: directory.appendingPathComponent("receipts.csv"))
    // Named, with its format or without; and found in a folder by audit.
    for arguments in [
      ["check", "--rules", "Rules/us-federal", fifo],
      ["check", "--rules", "Rules/us-federal", "--input-format", "csv", fifo],
      ["explain", "--rules", "Rules/us-federal", "--record", "1", fifo],
      [
        "audit", "--rules", "Rules/us-federal", "--out", out.path,
        directory.path,
      ],
    ] {
      let result = try run(arguments, seconds: 30)
      #expect(result.status == 2, "\(arguments)")
      #expect(result.stderr.contains("error[F0002]: cannot read the filing: it is a pipe"))
    }
  }
}
