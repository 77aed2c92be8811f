import ArgumentParser
import CMalloc
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage
import ProbityReports

@main
struct Probity: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "probity",
    abstract: "Check electoral-finance filings against compliance rules written as code.",
    discussion: """
      Probity reads filings (CSV, XML, FEC .fec files, FEC bulk files, the UK Electoral \
      Commission's exports), evaluates a rule pack on every receipt and disbursement, \
      and reports each finding with its rule, its legal citation, the record's file and \
      line, and the values that made it fire.

      Start here:
        probity check --rules Rules/us-federal Fixtures/us-federal/receipts.csv
        probity rules check Rules/us-federal
        probity rules list Rules/us-federal
        probity test Rules/us-federal          # the pack's own test cases
        probity fmt --check Rules/us-federal   # layout, for CI

      In CI (docs/ci.md): probity check --format sarif|junit|github, with --waivers \
      and --baseline.

      Exit codes (check and audit; docs/ci.md gives every command's):
        0  nothing at or above the fail level
        1  findings at or above the fail level, or records that could not be judged
           (rejected rows, rule evaluation errors)
        2  usage error, unreadable input, errors in the rules, the mapping, the
           waivers or the baseline, or output that could not be written
      probity explain exits 0 when it explained the record, never 1. probity test
      exits 1 when a case fails (or, with --strict, a rule lacks a case that
      fires or one that stays silent); probity fmt --check exits 1 when a file
      would change. Each exits 2 as above.
      """,
    version: version,
    subcommands: [
      CheckCommand.self, ExplainCommand.self, AuditCommand.self, RulesCommand.self,
      MappingCommand.self,
      TestCommand.self, FmtCommand.self,
    ],
    defaultSubcommand: nil
  )

  /// Runs the command; a usage error exits 2 (documented), not ArgumentParser's 64.
  static func main() {
    // Before any large array is made (see the shim).
    probity_keep_large_blocks_unmapped()
    var failure: (any Error)? = nil
    do {
      // Thousands of paths (a shell's `*.fec`) held back from the parser: see HeldPaths.
      var command = try HeldPaths.parse(Array(CommandLine.arguments.dropFirst()))
      try command.run()
    } catch {
      failure = error
    }
    // A report that could not be written (a full disk, a closed standard output) is
    // lost: the run cannot pass, whatever it found.
    if probity_standard_output_failed() != 0 {
      printError("error: cannot write the output: \(String(cString: strerror(errno)))")
      Foundation.exit(Exit.unusable.rawValue)
    }
    if let error = failure {
      if exitCode(for: error).rawValue == 64 {
        printError(fullMessage(for: error))
        Foundation.exit(Exit.unusable.rawValue)
      }
      exit(withError: error)
    }
  }
}

/// A write to standard output failed (a full disk, a closed pipe): what is left of a
/// report streamed there is not made. `main` reports it, from the stream's error flag,
/// as it reports a failure found only at the end ("cannot write the output", exit 2).
struct OutputLost: Error {
  /// Throws when a write to standard output has failed so far.
  static func check() throws(OutputLost) {
    if probity_standard_output_erred() != 0 { throw OutputLost() }
  }
}

/// Process exit codes, as documented in `probity --help` and docs/output.md.
enum Exit {
  static let clean = ExitCode(0)
  static let findings = ExitCode(1)
  static let unusable = ExitCode(2)
}

/// Writes to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((noWorkflowCommands(terminalSafe(text)) + "\n").utf8))
}

/// Loads a rule pack, printing its diagnostics; nil when it has errors.
func loadRules(_ path: String) -> CompiledRuleSet? {
  let (ruleSet, diagnostics) = RulePackLoader.load(
    path: path,
    listLoader: { path, column in
      ReferenceLists.read(path: path, column: column).mapError {
        ListLoadError(reason: $0.reason, hint: $0.hint)
      }
    })
  for diagnostic in diagnostics { printError(diagnostic.rendered()) }
  if diagnostics.hasErrors {
    let count = diagnostics.count { $0.severity == .error }
    printError("\(count) error\(count == 1 ? "" : "s") in rule pack \(path)")
  }
  return ruleSet
}

/// Loads a mapping file, or the bundled canonical mapping when `path` is nil.
func loadMapping(_ path: String?) -> Mapping? {
  guard let path else { return Mapping.canonical }
  let (mapping, diagnostics) = Mapping.load(path: path)
  for diagnostic in diagnostics { printError(diagnostic.rendered()) }
  return diagnostics.hasErrors ? nil : mapping
}
