import ProbityCore
import ProbityEngine
import ProbityLanguage

/// Everything a `probity check` run found, ready to render.
public struct CheckReport: Sendable {
  public struct RuleSummary: Sendable {
    public let id: String
    public let title: String
    public let severity: FindingSeverity
    public let category: FindingCategory
    public let citation: String
    public let tally: RuleTally
  }

  public var rulePack: String
  public var inputs: [String]
  public var findings: Findings
  public var undetermined: [Undetermined]
  public var problems: [EvaluationProblem]
  /// Problems with records that were rejected, as the readers reported them (the first
  /// `rejectionExamplesKept`; `rejectionDiagnostics` counts them all).
  public var rejections: [Diagnostic]
  public var rejectionDiagnostics: Int
  public var recordsRead: Int
  public var recordsEvaluated: Int
  public var recordsRejected: Int
  public var rowsSkipped: Int
  /// `rowsSkipped` of `.fec` filings by record type (`ReadStatistics.skippedTypes`).
  public var skippedTypes: [String: Int] = [:]
  public var rules: [RuleSummary]
  /// The date open windows were judged at, and whether `--as-of` gave it.
  public var asOf: CivilDate?
  public var asOfGiven: Bool
  /// What the CI gate made of the findings (fingerprints, waivers, baseline), when set:
  /// made from this report, after its findings are final (its reviews are one per
  /// finding, in order; the renderers read them so).
  public var gate: GateResult?
  /// Inputs given that were not read as given (`check`): a file given more than once,
  /// read once, and a `.fec` report that an amendment (or later copy) given beside it
  /// replaces, not read. In every format, so that no input is left out unsaid.
  public var setAside: [SetAsideInput] = []

  /// The skipped rows' types, as the summaries say them: `F3XN 1, HDR 1, SC/10 2`, by
  /// type; empty when none is known.
  public var skippedTypesText: String {
    guard !skippedTypes.isEmpty else { return "" }
    var parts = skippedTypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    // Rows of other formats a mapping skips, beside the `.fec` filings' (they add up).
    let others = rowsSkipped - skippedTypes.values.reduce(0, +)
    if others > 0 { parts.append("\(others) a mapping skips") }
    return parts.joined(separator: ", ")
  }

  public init(
    rulePack: String, inputs: [String], run: CheckRun, rejections: [Diagnostic],
    rejectionDiagnostics: Int,
    recordsRead: Int, recordsRejected: Int, rowsSkipped: Int
  ) {
    self.rulePack = rulePack
    self.inputs = inputs
    self.findings = run.findings
    self.undetermined = run.undetermined
    self.problems = run.problems
    self.rejections = rejections
    self.rejectionDiagnostics = rejectionDiagnostics
    self.recordsRead = recordsRead
    self.recordsEvaluated = run.recordsEvaluated
    self.recordsRejected = recordsRejected
    self.rowsSkipped = rowsSkipped
    self.asOf = run.asOf
    self.asOfGiven = run.givenAsOf != nil
    self.rules = zip(run.ruleSet.rules, run.tallies).map { rule, tally in
      RuleSummary(
        id: rule.id, title: rule.title, severity: rule.severity, category: rule.category,
        citation: rule.citation,
        tally: tally)
    }
  }

  /// How many findings there are at each severity.
  public func count(_ severity: FindingSeverity) -> Int {
    // Read from the findings' entries, none decoded.
    var count = 0
    for index in findings.indices where findings.severity(at: index) == severity { count += 1 }
    return count
  }

  public var evaluationFailures: Int { rules.reduce(0) { $0 + $1.tally.failed } }
}

/// An input the run did not read as given, and why (see `CheckReport.setAside`).
public struct SetAsideInput: Sendable, Equatable {
  public let file: String
  public let reason: String

  public init(file: String, reason: String) {
    self.file = file
    self.reason = reason
  }
}
