import ProbityCore
import ProbityLanguage

/// A rule that fired on a record: what the law says, where the record is, and the values
/// that made it fire.
public struct Finding: Sendable {
  public let ruleID: String
  public let title: String
  public let severity: FindingSeverity
  public let category: FindingCategory
  public let citation: String
  public let file: String
  public let line: Int
  public let transactionID: String?
  public let kind: RecordKind
  public let message: String
  public let remedy: String?
  /// The fields and parameters the condition read, with their values, in source order.
  public let values: [(name: String, value: Value)]
}

/// A rule that could not decide on a record because a value it needed was missing.
public struct Undetermined: Sendable {
  public let ruleID: String
  public let file: String
  public let line: Int
  public let transactionID: String?
  public let missingFields: [String]
}

/// A rule whose condition failed on a record (currency mismatch, overflow). Never
/// counted as passing.
public struct EvaluationProblem: Sendable {
  public let ruleID: String
  public let file: String
  public let line: Int
  public let transactionID: String?
  public let message: String
}

/// Per-rule counts for the summary.
public struct RuleTally: Sendable, Equatable {
  public var evaluated = 0
  public var fired = 0
  public var undetermined = 0
  public var failed = 0
  /// For undetermined records: how often each missing field was the cause.
  public var missingFieldCounts: [String: Int] = [:]

  public init(
    evaluated: Int = 0, fired: Int = 0, undetermined: Int = 0, failed: Int = 0,
    missingFieldCounts: [String: Int] = [:]
  ) {
    self.evaluated = evaluated
    self.fired = fired
    self.undetermined = undetermined
    self.failed = failed
    self.missingFieldCounts = missingFieldCounts
  }
}

/// Evaluates every applicable rule of a rule set on a stream of records.
///
/// Memory holds the findings and per-rule counts, never the records. Findings come out in
/// the order records are given, then in the order of the rules in the pack.
public struct CheckRun {
  /// How many undetermined records and evaluation problems are kept as examples per
  /// rule. Their counts are always exact (`tallies`); only the examples are capped, so
  /// memory does not grow with the number of records.
  public static let examplesPerRule = 20

  public let ruleSet: CompiledRuleSet
  private var evaluator: Evaluator
  public private(set) var findings: [Finding] = []
  /// Examples of undetermined outcomes, at most `examplesPerRule` per rule.
  public private(set) var undetermined: [Undetermined] = []
  /// Examples of evaluation problems, at most `examplesPerRule` per rule.
  public private(set) var problems: [EvaluationProblem] = []
  public private(set) var tallies: [RuleTally]
  public private(set) var recordsEvaluated = 0

  public init(ruleSet: CompiledRuleSet) {
    self.ruleSet = ruleSet
    self.evaluator = Evaluator(ruleSet: ruleSet)
    self.tallies = Array(repeating: RuleTally(), count: ruleSet.rules.count)
  }

  public mutating func evaluate(_ record: Record) {
    recordsEvaluated += 1
    for index in ruleSet.ruleIndices(for: record.kind) {
      let rule = ruleSet.rules[index]
      tallies[index].evaluated += 1
      let (result, trace) = evaluator.evaluate(rule.condition, on: record)
      switch result {
      case .success(.boolean(true)):
        tallies[index].fired += 1
        findings.append(
          Finding(
            ruleID: rule.id, title: rule.title, severity: rule.severity, category: rule.category,
            citation: rule.citation, file: record.provenance.file, line: record.provenance.line,
            transactionID: record.transactionID, kind: record.kind,
            message: evaluator.render(rule.message, on: record),
            remedy: rule.remedy.map { evaluator.render($0, on: record) }, values: trace.inputs))
      case .success(.boolean(false)):
        break
      case .success:
        tallies[index].undetermined += 1
        let missing = trace.missingFields
        for field in missing { tallies[index].missingFieldCounts[field, default: 0] += 1 }
        guard tallies[index].undetermined <= CheckRun.examplesPerRule else { continue }
        undetermined.append(
          Undetermined(
            ruleID: rule.id, file: record.provenance.file, line: record.provenance.line,
            transactionID: record.transactionID, missingFields: missing))
      case .failure(let failure):
        tallies[index].failed += 1
        guard tallies[index].failed <= CheckRun.examplesPerRule else { continue }
        problems.append(
          EvaluationProblem(
            ruleID: rule.id, file: record.provenance.file, line: record.provenance.line,
            transactionID: record.transactionID, message: failure.message))
      }
    }
  }
}
