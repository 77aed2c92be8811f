import ArgumentParser
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityReports

/// The CI gate of `probity check`: waivers, baselines and the exit code (docs/ci.md).
struct GateOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "A waivers file: reviewed findings (by fingerprint) that do not fail the run until their expiry date, judged at the as-of date (docs/ci.md).",
      valueName: "file"))
  var waivers: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A baseline written by --write-baseline: only findings not in it fail the run.",
      valueName: "file"))
  var baseline: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write every finding's fingerprint to this baseline file; this run then gates as if given --baseline with it.",
      valueName: "file"))
  var writeBaseline: String?

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Exit 1 also when a rule at or above the fail level is undetermined on a record (a value it needs is missing, such as a column the filing left out): a filing the gate cannot judge does not pass. Off by default: some formats lack a field for good (a .fec filing has no payment method)."
    ))
  var failOnUndetermined = false

  /// The waivers, or nil without `--waivers`; a file that cannot be read or has errors
  /// ends the run with exit 2.
  func loadWaivers() throws -> [Waiver]? {
    guard let path = waivers else { return nil }
    let text = try readGateFile(path, what: "waivers file")
    let (waivers, diagnostics) = WaiverFile.parse(text, path: path)
    for diagnostic in diagnostics { printError(diagnostic.rendered()) }
    guard let waivers else {
      printError("\(diagnostics.count) error\(diagnostics.count == 1 ? "" : "s") in \(path)")
      throw Exit.unusable
    }
    return waivers
  }

  /// The baseline's fingerprints, or nil without `--baseline`.
  func loadBaseline() throws -> [String]? {
    guard let path = baseline else { return nil }
    let text = try readGateFile(path, what: "baseline")
    let (fingerprints, diagnostics) = BaselineFile.parse(text, path: path)
    for diagnostic in diagnostics { printError(diagnostic.rendered()) }
    guard let fingerprints else { throw Exit.unusable }
    return fingerprints
  }

  private func readGateFile(_ path: String, what: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      printError(
        Diagnostic(
          id: "G0001", message: "cannot read the \(what)", file: path,
          hint: FileManager.default.fileExists(atPath: path)
            ? "check its permissions" : "no such file; check the path"
        ).rendered())
      throw Exit.unusable
    }
    guard let text = String(data: data, encoding: .utf8) else {
      printError(
        Diagnostic(id: "G0001", message: "the \(what) is not UTF-8 text", file: path).rendered())
      throw Exit.unusable
    }
    return text
  }
}

/// The keys of the records without a transaction id that findings are raised on, by
/// their place (`Fingerprint.place`: file, line and XML element path), for their
/// fingerprints (`Fingerprint.recordKey`): a second read, only when there are such
/// findings. It decodes every field: the key's fields (`Fingerprint.keyFields`) are not
/// among those the check decoded (`CheckRun.fieldsRead`). `format` gives each file's
/// format (nil: told from it).
func findingRecordKeys(
  _ report: CheckReport, format: (String) -> InputFormat?, mapping: Mapping?,
  limits: ReaderLimits
) -> [String: String] {
  // One pass, keeping the places and files alone (what identifies each finding is read,
  // its texts are not decoded).
  var needed: Set<String> = []
  var files: Set<String> = []
  for index in report.findings.indices {
    let finding = report.findings.identity(at: index)
    guard finding.transactionID == nil else { continue }
    needed.insert(
      Fingerprint.place(file: finding.file, line: finding.line, locator: finding.locator))
    files.insert(finding.file)
  }
  guard !needed.isEmpty else { return [:] }
  var keys: [String: String] = [:]
  for file in files.sorted() {
    _ = try? FilingReader.read(
      path: file, format: format(file), mapping: mapping, limits: limits,
      onRecord: { record in
        let key = Fingerprint.place(
          file: record.provenance.file, line: record.provenance.line,
          locator: record.provenance.locator)
        if needed.contains(key) && keys[key] == nil {
          keys[key] = Fingerprint.recordKey(of: record)
        }
      }, onProblem: { _ in })
  }
  return keys
}

extension CheckCommand {
  func recordKeys(_ report: CheckReport, mapping: Mapping?) -> [String: String] {
    findingRecordKeys(
      report, format: { _ in inputFormat }, mapping: mapping, limits: limitOptions.limits)
  }

  /// Reviews the findings: fingerprints, waivers, the baseline (and writes one when
  /// asked).
  func makeGate(
    _ report: CheckReport, waivers: [Waiver]?, baseline: [String]?, mapping: Mapping?,
    inputErrors: [Diagnostic]
  ) throws -> GateResult {
    let keys = recordKeys(report, mapping: mapping)
    var gate = GateResult(
      report: report, failLevel: failLevel, waivers: waivers, waiversPath: gateOptions.waivers,
      baseline: baseline, baselinePath: gateOptions.baseline, recordKeys: keys,
      inputErrors: inputErrors, toolVersion: Probity.version)
    gate.failOnUndetermined = gateOptions.failOnUndetermined
    if let path = gateOptions.writeBaseline {
      // A run that could not read an input has not seen its findings: a baseline of it
      // would be taken for the whole filing's. Not written (the run exits 2).
      guard inputErrors.isEmpty else {
        printError(
          Diagnostic(
            id: "G0006",
            message:
              "the baseline is not written: \(inputErrors.count) input\(inputErrors.count == 1 ? "" : "s") could not be read, and their findings would be missing from it",
            file: path, hint: "make every input readable, then write the baseline"
          ).rendered())
        return gate
      }
      gate = GateResult(
        report: report, failLevel: failLevel, waivers: waivers, waiversPath: gateOptions.waivers,
        baseline: gate.reviews.map(\.fingerprint), baselinePath: path, recordKeys: keys,
        inputErrors: inputErrors, toolVersion: Probity.version)
      gate.failOnUndetermined = gateOptions.failOnUndetermined
      do {
        try BaselineFile.render(report, gate: gate).write(
          toFile: path, atomically: true, encoding: .utf8)
      } catch {
        printError(
          Diagnostic(
            id: "G0006", message: "cannot write the baseline: \(error.localizedDescription)",
            file: path, hint: "check that its folder exists and can be written"
          ).rendered())
        throw Exit.unusable
      }
    }
    return gate
  }

  /// Notes on standard error, then the exit code: 2 for unreadable input, 1 when the
  /// gate fails, 0 otherwise. `sarifCap`: what the SARIF output left out, if anything.
  func finish(_ report: CheckReport, gate: GateResult, sarifCap: SARIFRenderer.Cap?) throws {
    // The findings with a waiver only (zipped with the reviews, every finding was copied).
    for (index, review) in gate.reviews.enumerated() {
      guard let waiver = review.waiver else { continue }
      let finding = report.findings[index]
      if review.status == .waiverExpired {
        printError(
          "\(waiver.file):\(waiver.line): error: the waiver of \(finding.ruleID) at \(finding.file):\(finding.line) expired on \(waiver.expires) (as of \(report.asOf?.description ?? "-")): the finding fails the run again\n  = help: review the finding; renew the waiver with a new expiry date, or fix the filing"
        )
      }
    }
    if gate.reviews.contains(where: { $0.status == .waiverUnjudged }) {
      printError(
        "warning: the run has no as-of date (no record has a date), so no waiver can be judged: waivers are not applied\n  = help: give --as-of YYYY-MM-DD"
      )
    }
    for waiver in gate.unusedWaivers {
      printError(
        "\(waiver.file):\(waiver.line): note: the waiver of \(waiver.fingerprint)\(waiver.rule.map { " (\($0))" } ?? "") matches no finding; remove it when it is no longer needed"
      )
    }
    if let cap = sarifCap {
      printError(
        "warning: the SARIF output holds \(cap.reported) of \(cap.total) findings: \(cap.reason); the run's properties say so too"
      )
    }
    if !gate.inputErrors.isEmpty {
      printError("error: some input could not be read; the results above are incomplete")
      throw Exit.unusable
    }
    if gate.fails(report) { throw Exit.findings }
  }
}
