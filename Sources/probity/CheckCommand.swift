import ArgumentParser
import CMalloc
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage
import ProbityReports

extension FindingSeverity: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}
extension InputFormat: ExpressibleByArgument {}

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check filings against a rule pack and print the findings.",
    discussion: """
      Every record of every FILE is either evaluated or rejected (a malformed row, an \
      amount or date that cannot be read); rejected rows are reported on standard error \
      with their line, and the summary counts both.

      Each rule's condition is true (a finding), false, or undetermined when a value it \
      needs is missing; undetermined outcomes are counted per rule, with the fields that \
      were missing, never taken as passing: they do not change the exit code unless \
      --fail-on-undetermined is given (a gate that must judge every record: a filing \
      that leaves out a column a rule reads then fails).

      In CI (docs/ci.md): --format sarif, junit or github; every finding has a \
      fingerprint that survives amendments, so a reviewed finding can be waived until a \
      date (--waivers; judged at the as-of date, an expired waiver fails the run again), \
      and --baseline fails only on findings that are new.

      Exit codes: 0 no finding at or above the fail level (waived and baseline findings \
      aside), no rejected record, no evaluation error (and, with --fail-on-undetermined, \
      no rule at that level undetermined); 1 otherwise, or under an expired \
      waiver; 2 a usage error, or a filing, the rules, the mapping, the waivers or the \
      baseline cannot be read, or the output cannot be written.

      Examples:
        probity check --rules Rules/us-federal Fixtures/us-federal/receipts.csv
        probity check --rules Rules/us-federal --format json filing.csv > findings.json
        probity check --rules my-pack --mapping my-layout.map --fail-level warning export.csv
        probity check --rules Rules/us-federal --input-format fec-bulk itcont.txt
        probity check --rules PACK --format sarif --waivers waivers.json filings/*.csv > out.sarif
        probity check --rules PACK --write-baseline baseline.json filings/*.csv
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
      "How the CSV columns or XML elements map to record fields (default: the bundled mapping of the input format; see `probity mapping canonical`).",
      valueName: "file"))
  var mapping: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The input format: csv, fec, fec-bulk, uk-ec, uk-pef or xml (default: told from each file's content; docs/formats.md).",
      valueName: "format"))
  var inputFormat: InputFormat?

  @Option(
    name: .long,
    help:
      "Output format: text (compiler-style), json (docs/output.md); for CI: sarif (code scanning), junit (test reports) or github (workflow annotations), see docs/ci.md."
  )
  var format: ReportFormat = .text

  @Option(
    name: .long, help: "Exit 1 when a finding is at or above this severity: error, warning or info."
  )
  var failLevel: FindingSeverity = .error

  @OptionGroup var gateOptions: GateOptions

  @OptionGroup var limitOptions: LimitOptions

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The date open windows are judged at (cure windows, deadlines), as YYYY-MM-DD. Default: the latest record date in the input.",
      valueName: "date"))
  var asOf: String?

  @Flag(
    name: .long,
    help:
      "Show donors' names as stable pseudonyms and withhold their addresses and employers (for findings published in CI logs or shared reports; set PROBITY_PSEUDONYM_SECRET)."
  )
  var withholdPersonalData = false

  @Argument(
    help: ArgumentHelp(
      "Filings to check (CSV, .fec, FEC bulk, UK register exports, XML).", valueName: "file"))
  var files: [String]

  func validate() throws {
    if files.isEmpty { throw ValidationError("give at least one filing to check") }
    try validateAsOf(asOf)
    try validateBaselineTarget()
  }

  /// `--write-baseline` must not name a file the run reads (a filing, the waivers, the
  /// mapping), a rule file or a rule test file: `--write-baseline filing.csv filing.csv`
  /// replaced the filing with a baseline, and exited 0. Told by device and inode, whatever
  /// the spelling. The baseline read with `--baseline` may be written again.
  func validateBaselineTarget() throws {
    guard let target = gateOptions.writeBaseline else { return }
    func identity(_ path: String) -> String? {
      var status = stat()
      return stat(path, &status) == 0 ? "\(status.st_dev):\(status.st_ino)" : nil
    }
    if let written = identity(target) {
      var read: [(path: String, what: String)] = files.map { ($0, "a filing this run checks") }
      if let waivers = gateOptions.waivers { read.append((waivers, "the waivers file")) }
      if let mapping { read.append((mapping, "the mapping")) }
      read.append((rules, "the rule pack"))
      for (path, what) in read where identity(path) == written {
        throw ValidationError(
          "--write-baseline \(target) is \(what) (\(path)): writing the baseline would replace it"
        )
      }
      // A pipe, a socket or a device: written as a file is (to a new file, renamed over
      // it), it was replaced by a regular file.
      var status = stat()
      if stat(target, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw ValidationError(
          "--write-baseline \(target) is not a regular file: writing the baseline would replace it"
        )
      }
    }
    // A new file too: a rule file written into a pack broke it.
    if target.hasSuffix(".probity") || target.hasSuffix(".probity-test") {
      let kind = target.hasSuffix(".probity") ? "a rule file" : "a rule test file"
      throw ValidationError(
        "--write-baseline \(target) is \(kind): writing the baseline would replace it")
    }
    // Any file in the pack's folder (a reference list the pack loads, its tests).
    func real(_ path: String) -> String? {
      guard let resolved = realpath(path, nil) else { return nil }
      defer { free(resolved) }
      return String(cString: resolved)
    }
    // The target's folder, for a file not written yet.
    let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
    let file =
      real(target) ?? real(folder).map { $0 + "/" + URL(fileURLWithPath: target).lastPathComponent }
    if let pack = real(rules), let file, file.hasPrefix(pack + "/") {
      throw ValidationError(
        "--write-baseline \(target) is in the rule pack's folder (\(rules)): writing the baseline would replace a file of the pack"
      )
    }
  }

  func run() throws {
    let (run, mapping) = try prepareRun(
      rules: rules, mapping: self.mapping, asOf: asOf, withholdPersonalData: withholdPersonalData)
    let waivers = try gateOptions.loadWaivers()
    let baseline = try gateOptions.loadBaseline()
    let (read, setAside, joined) = inputsToRead(files, format: inputFormat, mapping: mapping)
    // Only the fields the run reads are decoded; the output is the same.
    var outcome = evaluate(
      run, files: read, format: inputFormat, mapping: mapping, limits: limitOptions.limits,
      fields: run.fieldsRead)
    outcome.inputErrors = joined + outcome.inputErrors
    outcome.unreadable = outcome.unreadable || !joined.isEmpty
    var report = outcome.report(rulePack: rules, inputs: read)
    report.setAside = setAside
    let gate = try makeGate(
      report, waivers: waivers, baseline: baseline, mapping: mapping,
      inputErrors: outcome.inputErrors)
    report.gate = gate
    // Records of XML filings carry their element path (`Finding.locator`). SARIF's cap
    // is noted on standard error too, so the document is kept with it: rendering it again
    // for the note cost as much as the first time (a second on 1 GB, where it is capped).
    let text: String
    var sarifCap: SARIFRenderer.Cap?
    if format == .json {
      // Written as the bytes it is made of (a report of 48,622 findings is 110 MB). It
      // holds no control a terminal would act on: the JSON writer escapes every one in
      // its strings (C0, DEL and C1: `JSONWriter.quote`), and writes nothing else but
      // its own punctuation, digits, keys of its own and line breaks. (Checked in debug
      // builds, which the tests run; scanned in every run, the 110 MB cost 5% of it.)
      // Written in the pieces it is made in, as they are made (a wave of findings at a
      // time), not joined into one array first nor kept whole.
      // A piece that could not be written stops the report there (`OutputLost`).
      try ReportRenderer.writeJSON(report) { chunk in
        assert(!chunk.withUnsafeBufferPointer({ hasControl($0) }), "a control in the JSON report")
        chunk.withUnsafeBufferPointer { probity_write_standard_output($0.baseAddress, $0.count) }
        try OutputLost.check()
      }
      try finish(report, gate: gate, sarifCap: nil)
      return
    } else if format == .text {
      // Written as it is made, a few thousand findings at a time. Each piece ends at a
      // line's end and `terminalSafe` works byte by byte, so the pieces made safe one by
      // one are the whole report made safe.
      var guardian = WorkflowCommandGuard()
      try ReportRenderer.writeText(report) {
        print(guardian.apply(terminalSafe($0)), terminator: "")
        try OutputLost.check()
      }
      try finish(report, gate: gate, sarifCap: nil)
      return
    } else if format == .junit {
      // Written as it is made too, a megabyte or so at a time. Each piece is whole
      // characters and `terminalSafe` replaces each control on its own, so the pieces
      // made safe one by one are the whole made safe.
      var guardian = WorkflowCommandGuard(bracket: "&#91;")
      try JUnitRenderer.write(report, gate: gate) { (piece: String) throws(OutputLost) in
        print(guardian.apply(terminalSafe(piece)), terminator: "")
        try OutputLost.check()
      }
      try finish(report, gate: gate, sarifCap: nil)
      return
    } else if format == .sarif {
      (text, sarifCap) = SARIFRenderer.render(report, gate: gate)
    } else {
      text = ReportRenderer.render(report, as: format)
    }
    // GitHub annotations are workflow commands, and escape what they carry (`%0A`); a
    // JSON document (SARIF) has no line that starts with `::` and its writer escapes a
    // filing's `##[` (`JSONWriter.quote`): neither is split into lines for the guard.
    print(
      format == .github || format == .sarif
        ? terminalSafe(text) : noWorkflowCommands(terminalSafe(text)),
      terminator: "")
    try finish(report, gate: gate, sarifCap: sarifCap)
  }
}

/// The files `check` and `explain` read, each once, and those set aside: a file given
/// more than once is read once (its records counted twice made one donor's gifts an
/// excess that is none), and a `.fec` report that an amendment (or later copy) given
/// beside it replaces is not read, as `probity audit` does (what both report would be
/// counted twice). Each is said on standard error, and `check` says it in the report too,
/// in every format (`CheckReport.setAside`), so that `explain` judges what `check` does.
///
/// `joined`: a replaced report's file that holds another filing after its own (F0025,
/// printed here): its own filing is not read, and the one joined to it cannot be checked
/// under its cover, so the input could not be read (exit 2), as in `audit`; set aside
/// silently, the filing joined to it went unchecked and the run passed.
func inputsToRead(_ files: [String], format inputFormat: InputFormat?, mapping: Mapping?) -> (
  read: [String], setAside: [SetAsideInput], joined: [Diagnostic]
) {
  let selection = InputSelection(files, mapping: mapping) { path in
    if let mapping { return mapping.format == .xml ? .xml : .csv }
    return inputFormat ?? (try? FilingReader.detectFormat(path: path))
  }
  var setAside: [SetAsideInput] = []
  func setAsideInput(_ path: String, _ reason: String, help: String) {
    printError("warning: \(path): \(reason)\n  = help: \(help)")
    setAside.append(SetAsideInput(file: path, reason: reason))
  }
  for (path, first) in selection.repeats {
    let spelling = first == path ? "" : " (as \(first) too)"
    setAsideInput(path, "given more than once\(spelling): read once", help: "give each file once")
  }
  for (path, by, _) in selection.replaced {
    setAsideInput(
      path, replacedReason(by: by),
      help:
        "to check this report itself, check it alone; probity audit leaves out the reports amendments replace too"
    )
  }
  for (path, within) in selection.contained {
    setAsideInput(
      path, OverlappingInputs.containedReason(within: within),
      help: "give each donation once: the whole register, or exports that do not overlap")
  }
  for (path, within) in selection.copies {
    setAsideInput(
      path, OverlappingInputs.containedReason(within: within, kind: .reportParts),
      help: "give each file of a report once")
  }
  for (path, error) in selection.overlapping {
    setAsideInput(
      path, "\(error.message) (\(error.id)): not read",
      help: error.hint ?? "give each record once")
  }
  let joined = selection.replaced.compactMap(\.joined) + selection.overlapping.map(\.error)
  for stop in joined { printError(stop.rendered()) }
  return (selection.read, setAside, joined)
}

/// Which of the paths given a run reads, for `check`, `explain` and `audit` alike, each
/// saying it in its own way: one file reached by two paths (two spellings, a link, a hard
/// link: told by device and inode, or by path when it cannot be opened) is read once, and
/// a `.fec` report that another given beside it replaces (`Amendments.superseded`) is not
/// read; a replaced file that holds another filing after its own is unreadable (F0025),
/// as the filing joined to it cannot be checked under its cover.
struct InputSelection {
  /// The paths read, in the order given.
  let read: [String]
  /// Each later path to a file already given, with the first that named it.
  let repeats: [(path: String, first: String)]
  /// Each replaced report, by path, with the report that replaces it and, when its file
  /// holds another filing after its own, the reader's stop (F0025).
  let replaced: [(path: String, by: String, joined: Diagnostic?)]
  /// Electoral Commission exports another export given holds whole (`OverlappingInputs`).
  let contained: [(path: String, within: String)]
  /// CSV or XML files of a report another file of the same report holds whole
  /// (`OverlappingInputs`, `reportParts`): copies.
  let copies: [(path: String, within: String)]
  /// Exports that hold some of another's donations and some of their own (F0027), and
  /// files of one report that share some of its transactions (F0028): not read, and the
  /// run cannot be judged.
  let overlapping: [(path: String, error: Diagnostic)]

  /// `format`: a path's format (nil: not told). Amendments count among `.fec`, CSV and
  /// XML reports (`Amendments.superseded`), CSV and XML read through `mapping` when given.
  init(_ paths: [String], mapping: Mapping?, format: (String) -> InputFormat?) {
    var given: [String: String] = [:]
    var distinct: [String] = []
    var repeats: [(path: String, first: String)] = []
    for path in paths {
      var status = stat()
      let key = stat(path, &status) == 0 ? "\(status.st_dev):\(status.st_ino)" : "path:" + path
      if let first = given[key] {
        repeats.append((path, first))
      } else {
        given[key] = path
        distinct.append(path)
      }
    }
    var formats: [String: InputFormat] = [:]
    if distinct.count > 1 {
      for path in distinct { formats[path] = format(path) }
    }
    let reports = distinct.filter { [.fec, .csv, .xml].contains(formats[$0]) }
    let reading =
      reports.count > 1
      ? Amendments.superseded(reports, format: { formats[$0] }, mapping: mapping)
      : Amendments.Reading()
    let superseded = reading.replaced
    let replaced = superseded.sorted(by: { $0.key < $1.key })
    // Only a `.fec` file can hold a second filing after its own.
    let stops = Amendments.anotherFilings(replaced.map(\.key).filter { formats[$0] == .fec })
    var stopOf: [String: Diagnostic] = [:]
    for (path, stop) in zip(replaced.map(\.key).filter { formats[$0] == .fec }, stops) {
      stopOf[path] = stop
    }
    let kept = distinct.filter { superseded[$0] == nil }
    let exports = kept.compactMap { path in
      formats[path].flatMap { [.ukEC, .ukPEF].contains($0) ? (path, $0) : nil }
    }
    let overlap = mapping == nil ? OverlappingInputs.overlaps(exports) : .init()
    // The files of one report no amendment replaced: its parts, or copies of it.
    var copies: [(path: String, within: String)] = []
    var overlapping = overlap.overlapping
    for parts in reading.parts {
      let outcome = OverlappingInputs.overlaps(
        parts.compactMap { path in formats[path].map { (path, $0) } }, mapping: mapping,
        kind: .reportParts)
      copies += outcome.contained
      overlapping += outcome.overlapping
    }
    let left = Set(overlap.contained.map(\.path) + copies.map(\.path) + overlapping.map(\.path))
    self.read = kept.filter { !left.contains($0) }
    self.repeats = repeats
    self.replaced = replaced.map { ($0.key, $0.value, stopOf[$0.key]) }
    self.contained = overlap.contained
    self.copies = copies.sorted { $0.path < $1.path }
    self.overlapping = overlapping
  }
}

/// Why a report is not read: the report that replaces it (see `Amendments.superseded`).
func replacedReason(by: String) -> String {
  "replaced by \(by), an amendment or a later copy of the same report: not read, so that what both report is not counted twice"
}
