import ArgumentParser
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage
import ProbityReports

extension FindingSeverity: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check filings against a rule pack and print the findings.",
    discussion: """
      Every record of every FILE is either evaluated or rejected (a malformed row, an
      amount or date that cannot be read); rejected rows are reported on standard error
      with their line, and the summary counts both.

      Each rule's condition is true (a finding), false, or undetermined when a value it
      needs is missing; undetermined outcomes are counted per rule, with the fields that
      were missing, never taken as passing.

      Examples:
        probity check --rules Rules/us-federal Fixtures/us-federal/receipts.csv
        probity check --rules Rules/us-federal --format json filing.csv > findings.json
        probity check --rules my-pack --mapping my-layout.map --fail-level warning export.csv
      """
  )

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The rule pack: a directory of .probity files, or one file.", valueName: "pack"))
  var rules: String

  @Option(
    name: .long,
    help: ArgumentHelp(
      "How the CSV columns map to record fields (default: the bundled Probity canonical layout; see `probity mapping canonical`).",
      valueName: "file"))
  var mapping: String?

  @Option(name: .long, help: "Output format: text (compiler-style) or json (docs/output.md).")
  var format: ReportFormat = .text

  @Option(
    name: .long, help: "Exit 1 when a finding is at or above this severity: error, warning or info."
  )
  var failLevel: FindingSeverity = .error

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The date open windows are judged at (cure windows, deadlines), as YYYY-MM-DD. Default: the latest record date in the input.",
      valueName: "date"))
  var asOf: String?

  @Argument(help: ArgumentHelp("Filings to check (CSV).", valueName: "file"))
  var files: [String]

  /// How many rejection diagnostics are kept for the report; all are counted and all
  /// are printed to standard error.
  static let rejectionExamplesKept = 1000

  func validate() throws {
    if files.isEmpty { throw ValidationError("give at least one filing to check") }
    if let asOf, case .failure(let reason) = DateFormat.isoDate.parse(Substring(asOf)) {
      throw ValidationError("--as-of \(asOf): \(reason) (write it as YYYY-MM-DD)")
    }
  }

  /// Reads one filing, giving each record to `onRecord` and each rejected row's problem
  /// to `onProblem`.
  func readFiling(
    _ file: String, mapping: Mapping, onRecord: (Record) -> Void, onProblem: (Diagnostic) -> Void
  ) throws(FilingError) -> ReadStatistics {
    let reader = CSVReader(path: file, mapping: mapping)
    return try reader.read(onRecord: onRecord, onProblem: onProblem)
  }

  func run() throws {
    guard let ruleSet = loadRules(rules) else { throw Exit.unusable }
    guard let mapping = loadMapping(mapping) else { throw Exit.unusable }
    let asOfDate: CivilDate? = asOf.flatMap { try? DateFormat.isoDate.parse(Substring($0)).get() }
    var run = CheckRun(ruleSet: ruleSet, asOf: asOfDate)
    var rejections: [Diagnostic] = []
    var rejectionCount = 0
    var read = 0
    var rejected = 0
    var skipped = 0
    var unreadable = false
    for file in files {
      do {
        let statistics = try readFiling(
          file, mapping: mapping,
          onRecord: { record in run.evaluate(record) },
          onProblem: { diagnostic in
            rejectionCount += 1
            printError(diagnostic.rendered())
            if rejections.count < CheckCommand.rejectionExamplesKept {
              rejections.append(diagnostic)
            }
          })
        read += statistics.recordsRead
        rejected += statistics.recordsRejected
        skipped += statistics.rowsSkipped
      } catch {
        unreadable = true
        printError(error.diagnostic.rendered())
      }
    }
    run.finish()
    if run.needsReplay && !unreadable {
      // Second pass: the trails of the groups that fired (see CheckRun).
      for file in files {
        _ = try? readFiling(
          file, mapping: mapping, onRecord: { run.replay($0) }, onProblem: { _ in })
      }
      run.finishReplay()
    }
    let report = CheckReport(
      rulePack: rules, inputs: files, run: run, rejections: rejections,
      rejectionDiagnostics: rejectionCount,
      recordsRead: read, recordsRejected: rejected, rowsSkipped: skipped)
    print(ReportRenderer.render(report, as: format), terminator: "")
    if unreadable {
      printError("error: some input could not be read; the results above are incomplete")
      throw Exit.unusable
    }
    let failing = report.findings.contains { $0.severity >= failLevel }
    if failing || report.recordsRejected > 0 || report.evaluationFailures > 0 {
      throw Exit.findings
    }
  }
}
