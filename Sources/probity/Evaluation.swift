import ArgumentParser
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityReports

/// What reading and evaluating the inputs gave: the run, and the reader's counts.
struct EvaluationOutcome {
  var run: CheckRun
  var rejections: [Diagnostic] = []
  var rejectionCount = 0
  var read = 0
  var rejected = 0
  var skipped = 0
  var skippedTypes: [String: Int] = [:]
  var unreadable = false
  /// Why each unreadable input could not be read.
  var inputErrors: [Diagnostic] = []
}

extension EvaluationOutcome {
  /// Takes one file's read: prints its problems (the first `ParallelReader.problemsKept`,
  /// then how many more there were) and why it could not be read, if so, on standard
  /// error; keeps the first `rejectionExamplesKept` problems of the run; counts them all.
  mutating func take(_ result: ParallelReader.FileResult, of file: String) {
    for problem in result.problems {
      printError(problem.rendered())
      if rejections.count < rejectionExamplesKept { rejections.append(problem) }
    }
    if result.problemCount > result.problems.count {
      printError(
        "\(file): ... and \(result.problemCount - result.problems.count) more problems (all are counted)"
      )
    }
    rejectionCount += result.problemCount
    read += result.statistics.recordsRead
    rejected += result.statistics.recordsRejected
    skipped += result.statistics.rowsSkipped
    skippedTypes.merge(result.statistics.skippedTypes, uniquingKeysWith: +)
    if let error = result.error {
      unreadable = true
      inputErrors.append(error.diagnostic)
      printError(error.diagnostic.rendered())
    }
  }

  /// Takes one file's second read (for the trails): a file that can no longer be read,
  /// or is no longer the file the first read read (`first`), is an input error (F0030):
  /// its findings' trails were left empty, or were another file's records.
  ///
  /// A file the trails read nothing of (`wanted`: the second read's lines) is not
  /// compared; one whose first read failed was said so already.
  /// Returns the error, when there is one.
  @discardableResult
  mutating func takeReplay(
    _ result: ParallelReader.FileResult, of file: String, first: FileIdentity?,
    wanted: [String: LineSelection]?
  ) -> Diagnostic? {
    guard wanted?[file]?.lines.isEmpty == false, inputErrors.allSatisfy({ $0.file != file }),
      result.error != nil || result.identity != first
    else { return nil }
    let error = FileIdentity.changed(file).diagnostic
    unreadable = true
    inputErrors.append(error)
    printError(error.rendered())
    return error
  }

  /// The report of the run over `inputs` (`check` and `audit` make it alike), without
  /// its gate.
  func report(rulePack: String, inputs: [String]) -> CheckReport {
    var report = CheckReport(
      rulePack: rulePack, inputs: inputs, run: run, rejections: rejections,
      rejectionDiagnostics: rejectionCount, recordsRead: read, recordsRejected: rejected,
      rowsSkipped: skipped)
    report.skippedTypes = skippedTypes
    return report
  }
}

/// How many rejection diagnostics are kept for reports; all are counted and all are
/// printed to standard error.
let rejectionExamplesKept = 1000

/// Reads every file, evaluates every record, decides the findings of rules across
/// records and, when some fired, reads the files again to build their trails
/// (see `CheckRun`). Problems with rows are printed on standard error after each file
/// (the first `ParallelReader.problemsKept` of a file, then how many more there were).
/// `fields`: the fields decoded of each record (nil: all); `run.fieldsRead` leaves the
/// output as it is.
func evaluate(
  _ run: CheckRun, files: [String], format: InputFormat?, mapping: Mapping?,
  limits: ReaderLimits = .default, fields: FieldSet? = nil
) -> EvaluationOutcome {
  var outcome = EvaluationOutcome(run: run)
  // One thread reads (and parses) while this one evaluates: both cores work, and the
  // records still come in file order.
  let reader: FileRead = {
    path, lines, pool, onRecord, onProblem throws(FilingError) in
    try FilingReader.read(
      path: path, format: format, mapping: mapping, limits: limits, lines: lines,
      pool: pool, fields: fields, onRecord: onRecord, onProblem: onProblem)
  }
  outcome.run.indexForReplay()
  let preparer = outcome.run.preparerSource()
  var identities: [FileIdentity?] = Array(repeating: nil, count: files.count)
  ParallelReader(files: files, threads: 1, preparer: { preparer.make() }, read: reader).run(
    consume: { outcome.run.evaluate($0) }, lookAhead: { outcome.run.lookAhead(&$0, near: $1) },
    finished: { index, result in
      identities[index] = result.identity
      outcome.take(result, of: files[index])
    })
  outcome.run.finish()
  // The trails are built when an input could not be read too (a file that stops half
  // way gives the same records again): `probity audit` builds them, and its
  // findings.json is this run's document.
  if outcome.run.needsReplay {
    TestSeam.pauseBeforeTrails()
    let lines = outcome.run.replaySelection()
    ParallelReader(
      files: files, threads: 1, preparer: { preparer.make() }, lines: lines, read: reader
    ).run(
      consume: { outcome.run.replay($0) },
      finished: { index, result in
        outcome.takeReplay(result, of: files[index], first: identities[index], wanted: lines)
      })
    outcome.run.finishReplay()
  }
  return outcome
}

/// What `check`, `explain` and `audit` share: the compiled pack (exit 2 when it has
/// errors), the user's mapping (nil: each file's format brings its own), and a run
/// judged at `--as-of` and withholding personal data when asked.
func prepareRun(rules: String, mapping path: String?, asOf: String?, withholdPersonalData: Bool)
  throws -> (
    run: CheckRun, mapping: Mapping?
  )
{
  guard let ruleSet = loadRules(rules) else { throw Exit.unusable }
  let mapping: Mapping? = try path.map { path in
    guard let loaded = loadMapping(path) else { throw Exit.unusable }
    return loaded
  }
  let asOfDate: CivilDate? = asOf.flatMap { try? DateFormat.isoDate.parse(Substring($0)).get() }
  var run = CheckRun(ruleSet: ruleSet, asOf: asOfDate)
  run.personalData = personalDataPolicy(withholdPersonalData)
  return (run, mapping)
}

/// `--withhold-personal-data`: the policy, with the secret from the environment.
func personalDataPolicy(_ withhold: Bool) -> PersonalDataPolicy? {
  guard withhold else { return nil }
  let secret = ProcessInfoEnvironment.value("PROBITY_PSEUDONYM_SECRET")
  if secret == nil {
    printError(
      "note: PROBITY_PSEUDONYM_SECRET is not set: pseudonyms can be reversed by guessing names; set it before publishing"
    )
  }
  return PersonalDataPolicy(secret: secret ?? "")
}

enum ProcessInfoEnvironment {
  static func value(_ name: String) -> String? {
    let value = ProcessInfo.processInfo.environment[name]
    return value?.isEmpty == false ? value : nil
  }
}

/// Refuses an `--as-of` date that is not a civil date written YYYY-MM-DD (check, explain
/// and audit share the option and its message).
func validateAsOf(_ asOf: String?) throws {
  if let asOf, case .failure(let reason) = DateFormat.isoDate.parse(Substring(asOf)) {
    throw ValidationError("--as-of \(asOf): \(reason) (write it as YYYY-MM-DD)")
  }
}

/// A pause for the tests between a run's two reads: with `PROBITY_TEST_PAUSE_BEFORE_TRAILS`
/// set to a path, the run writes that file before it reads its inputs again for the
/// trails, and waits (at most a minute) until it is removed, so that a test can change an
/// input between the reads (F0030). Nothing happens without the variable.
enum TestSeam {
  static func pauseBeforeTrails() {
    guard let marker = ProcessInfoEnvironment.value("PROBITY_TEST_PAUSE_BEFORE_TRAILS") else {
      return
    }
    guard FileManager.default.createFile(atPath: marker, contents: Data()) else { return }
    for _ in 0..<600 where FileManager.default.fileExists(atPath: marker) {
      usleep(100_000)
    }
  }
}
