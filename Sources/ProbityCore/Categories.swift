/// The finding categories shared across jurisdictions
/// (../shared/domain/compliance-rules.md, "A common vocabulary of finding categories").
public enum FindingCategory: String, CaseIterable, Sendable {
  case excessiveContribution = "excessive-contribution"
  case prohibitedSource = "prohibited-source"
  case cashOverLimit = "cash-over-limit"
  case anonymousOverLimit = "anonymous-over-limit"
  case missingDonorInformation = "missing-donor-information"
  case invalidDesignation = "invalid-designation"
  case lateNotice = "late-notice"
  case remedyOverdue = "remedy-overdue"
  case aggregateMismatch = "aggregate-mismatch"
  case dateInconsistency = "date-inconsistency"
  case reportingThreshold = "reporting-threshold"
  case dataQuality = "data-quality"
}

/// How serious a finding is. Ordered: info < warning < error.
public enum FindingSeverity: String, CaseIterable, Sendable, Comparable {
  case info
  case warning
  case error

  private var rank: Int {
    switch self {
    case .info: return 0
    case .warning: return 1
    case .error: return 2
    }
  }

  public static func < (a: FindingSeverity, b: FindingSeverity) -> Bool { a.rank < b.rank }
}
