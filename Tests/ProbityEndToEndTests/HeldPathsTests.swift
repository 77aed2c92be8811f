import Foundation
import Testing

@testable import probity

/// Thousands of paths are held back from the argument parser (whose time grows with the
/// square of a list's length) and put back into the parsed command, in their order; the
/// command, and any error, are what the parser makes of the arguments as given.
@Suite struct HeldPathsTests {
  static let paths = (0..<100).map { "filings/report-\($0).fec" }

  @Test(
    arguments: [
      // A short list is given to the parser as it is.
      (["check", "--rules", "R", "a.csv", "b.csv"], nil),
      // The first of a run is kept (here an option's value), then the stand-in, the last.
      (["check", "--rules", "R"] + paths, ["check", "--rules", "R", "*", paths[99]]),
      (
        ["check", "a.csv", "--rules", "R"] + paths,
        ["check", "a.csv", "--rules", "R", "*", paths[99]]
      ),
      // A run may start with the subcommand's name, and options may follow.
      (
        ["check"] + paths + ["--rules", "R", "--format", "json"],
        ["check", "*", paths[99], "--rules", "R", "--format", "json"]
      ),
      // An argument starting with `-` ends a run: two short runs are not held.
      (["audit"] + paths[..<60] + ["-"] + paths[60...], nil),
    ] as [([String], [String]?)])
  func holdsTheMiddleOfALongRun(arguments: [String], expected: [String]?) {
    let (given, held) = HeldPaths.hold(arguments)
    let shown = given.map { $0 == HeldPaths.standIn ? "*" : $0 }
    #expect(shown == expected ?? arguments)
    #expect(held.isEmpty == (expected == nil))
    if expected != nil {
      #expect(held.count == arguments.count - given.count + 1)
      #expect(!held.contains(HeldPaths.standIn) && !held.contains { $0.hasPrefix("-") })
    }
  }

  @Test func everyPathComesBackInItsOrder() throws {
    let check = try #require(
      HeldPaths.parse(["check", "--rules", "R"] + Self.paths + ["--format", "json"])
        as? CheckCommand)
    #expect(check.files == Self.paths)
    #expect(check.rules == "R")
    let audit = try #require(
      HeldPaths.parse(["audit"] + Self.paths + ["--rules", "R"]) as? AuditCommand)
    #expect(audit.paths == Self.paths)
  }

  /// A command that takes no list of paths: the parser's own error, as without holding.
  @Test func aCommandWithoutPathsGetsTheParsersError() {
    let arguments = ["rules", "list"] + Self.paths
    var held = ""
    var given = ""
    do { _ = try HeldPaths.parse(arguments) } catch { held = Probity.fullMessage(for: error) }
    do { _ = try Probity.parseAsRoot(arguments) } catch {
      given = Probity.fullMessage(for: error)
    }
    #expect(!held.isEmpty && held == given)
    #expect(!held.contains(HeldPaths.standIn))
  }

  /// `--write-baseline` naming a filing held back is refused, as it is in a short list.
  @Test func aBaselineOverAHeldFilingIsRefused() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "probity-held-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let files = (0..<80).map { folder.appendingPathComponent("f\($0).csv").path }
    for file in files { try Data("x\n".utf8).write(to: URL(fileURLWithPath: file)) }
    let arguments = ["check", "--rules", "R", "--write-baseline", files[40]] + files
    #expect(!HeldPaths.hold(arguments).held.isEmpty)
    do {
      _ = try HeldPaths.parse(arguments)
      Issue.record("a baseline over a filing was accepted")
    } catch {
      #expect(Probity.fullMessage(for: error).contains("writing the baseline would replace it"))
    }
  }
}
