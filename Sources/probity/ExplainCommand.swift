import ArgumentParser
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage
import ProbityReports

extension ExplainCommand {
  enum Format: String, CaseIterable, ExpressibleByArgument {
    case text
    case json
  }
}

struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain why one record was flagged, or why it was not.",
    discussion: """
      Runs the rule pack over the filings (rules across records need every record of \
      the donor), then says, for the one record named by --record, what every rule \
      made of it: a finding (with the regulation, the values behind it, the donor's \
      transactions and running total, the remedy and its deadline), or did not fire, \
      was not applicable, was undetermined, was cured, or is waiting on an open cure \
      window, each with the condition shown part by part with the values it took.

      --record takes a transaction id (SA11AI.0003), a line (7) or FILE:LINE. --rule \
      keeps the letter to the rules named (all are still run: a rule's verdict does not \
      depend on which are shown).

      Examples:
        probity explain --rules Rules/us-federal --record B.3 Fixtures/us-federal/aggregates.csv
        probity explain --rules Rules/us-federal --record receipts.csv:7 --format json receipts.csv
        probity explain --rules Rules/us-federal --record 4 --withhold-personal-data receipts.csv
        probity explain --rules Rules/us-federal --record B.3 --rule US-EXCESS-001 Fixtures/us-federal/aggregates.csv
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
      "The record to explain: a transaction id, a line, or FILE:LINE.", valueName: "id-or-line"))
  var record: String

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Say only what this rule made of the record (repeat it for more): its id, like US-EXCESS-001. Default: every rule.",
      valueName: "id"))
  var rule: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp(
      "How the CSV columns or XML elements map to record fields.", valueName: "file"))
  var mapping: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The input format: csv, fec, fec-bulk, uk-ec, uk-pef or xml (default: told from each file's content).",
      valueName: "format"))
  var inputFormat: InputFormat?

  @Option(name: .long, help: "Output format: text (a letter) or json (docs/output.md).")
  var format: Format = .text

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The date open windows are judged at, as YYYY-MM-DD. Default: the latest record date.",
      valueName: "date"))
  var asOf: String?

  @Flag(
    name: .long,
    help: "Show donors' names as stable pseudonyms and withhold their addresses and employers.")
  var withholdPersonalData = false

  @OptionGroup var limitOptions: LimitOptions

  @Argument(
    help: ArgumentHelp(
      "The filings the record is in (and the rest of its donor's gifts).", valueName: "file"))
  var files: [String]

  func validate() throws {
    if files.isEmpty { throw ValidationError("give the filing the record is in") }
    try validateAsOf(asOf)
  }

  /// `FILE:LINE` with FILE spelt another way than on the command line (`./a.csv` for
  /// `a.csv`, an absolute path, a link): the input it names, as given, told by device
  /// and inode; records carry the path as given.
  func inputSpelling(_ selector: RecordSelector) -> RecordSelector {
    guard let file = selector.file, let line = selector.line, !files.contains(file) else {
      return selector
    }
    func identity(_ path: String) -> String? {
      var status = stat()
      return stat(path, &status) == 0 ? "\(status.st_dev):\(status.st_ino)" : nil
    }
    guard let named = identity(file), let given = files.first(where: { identity($0) == named })
    else { return selector }
    return RecordSelector("\(given):\(line)")
  }

  func run() throws {
    var (run, mapping) = try prepareRun(
      rules: rules, mapping: self.mapping, asOf: asOf, withholdPersonalData: withholdPersonalData)
    let policy = run.personalData
    // A rule the pack does not have is said before the filings are read.
    let known = run.ruleSet.rules.map(\.id)
    for id in rule where !known.contains(id) {
      printError(
        "error: the rule pack \(rules) has no rule \(id)\n"
          + "  = help: \(NearNames.hint(for: id, among: Set(known)) ?? "its rules: \(known.joined(separator: ", "))")"
      )
      throw Exit.unusable
    }
    let selector = inputSpelling(RecordSelector(record))
    run.target = selector
    // The files `check` would read (a file given twice once, a report an amendment given
    // beside it replaces not at all), so that the verdicts explained are check's.
    let (read, setAside, joined) = inputsToRead(files, format: inputFormat, mapping: mapping)
    // Every field is decoded: the record's summary shows fields the rules may not read.
    let outcome = evaluate(
      run, files: read, format: inputFormat, mapping: mapping, limits: limitOptions.limits,
      fields: nil)
    if outcome.unreadable || !joined.isEmpty {
      printError("error: some input could not be read")
      throw Exit.unusable
    }
    guard let target = outcome.run.targetRecord else {
      // A line the reader rejected (its problem printed above) is no record: say so.
      if let line = selector.line,
        let rejection = outcome.rejections.first(where: { rejection in
          rejection.line == line
            && (selector.file.map { rejection.file == $0 || rejection.file.hasSuffix("/" + $0) }
              ?? true)
        })
      {
        printError(
          "error: line \(line) of \(rejection.file) could not be read as a record (\(rejection.id), above): no rule judged it\n"
            + "  = help: correct the row, or name another record")
        throw Exit.unusable
      }
      // A record of a file set aside (a report its amendment replaces): not searched.
      if let file = selector.file, let aside = setAside.first(where: { $0.file == file }),
        !read.contains(file)
      {
        printError(
          "error: \(file) was not read: \(aside.reason)\n"
            + "  = help: to explain a record of it, give it without the report that replaces it")
        throw Exit.unusable
      }
      printError(
        "error: no record has the transaction id or line '\(record)' in \(read.joined(separator: ", "))\n"
          + "  = help: give a transaction id as filed, a line number, or FILE:LINE")
      throw Exit.unusable
    }
    let report = ExplainReport(
      rulePack: rules, run: outcome.run, record: target,
      recordFields: RecordSummary.fields(of: target, withholding: policy), onlyRules: rule)
    switch format {
    case .text:
      print(noWorkflowCommands(terminalSafe(ReportRenderer.explainText(report))), terminator: "")
    case .json: print(ReportRenderer.explainJSON(report), terminator: "")
    }
  }
}
