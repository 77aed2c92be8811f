import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// Rules across records that differ only in what they do once their condition holds
/// (US-EXCESS-001 and its overdue remedy, US-REMEDY-001) share their groups'
/// accumulators and condition values: the findings, trails, counts and examples are the
/// same as when each keeps its own.
@Suite("Twin rules")
struct TwinRuleTests {
  static func run(
    _ ruleSet: CompiledRuleSet, _ records: [Record], sharing: Bool, asOf: CivilDate?
  ) -> CheckRun {
    PreparerTests.everyOtherPrepared(
      CheckRun(ruleSet: ruleSet, asOf: asOf, sharingTwins: sharing), records)
  }

  @Test("the US pack's twins, shared or not", arguments: PreparerTests.filings)
  func packs(_ pack: String, _ file: String) throws {
    let ruleSet = try KernelDifferentialTests.load(pack)
    let records = try KernelDifferentialTests.records(
      KernelDifferentialTests.path(file), limit: 10_000)
    #expect(!records.isEmpty)
    // At the end of 2024 (the cure windows of 2024 closed) and before it (open).
    for asOf in [
      CivilDate(year: 2024, month: 12, day: 31), CivilDate(year: 2019, month: 1, day: 1),
    ] {
      let shared = Self.run(ruleSet, records, sharing: true, asOf: asOf)
      let own = Self.run(ruleSet, records, sharing: false, asOf: asOf)
      #expect(PreparerTests.summary(shared) == PreparerTests.summary(own))
    }
  }

  @Test("US-REMEDY-001 is the twin of US-EXCESS-001, and no rule of another condition is")
  func twins() throws {
    let ruleSet = try KernelDifferentialTests.load("Rules/us-federal")
    let run = CheckRun(ruleSet: ruleSet)
    let index = { (id: String) in ruleSet.rules.firstIndex { $0.id == id }! }
    let twins = run.plans.indices.filter { run.plans[$0].twin != nil }
    #expect(twins == [index("US-REMEDY-001")])
    #expect(run.plans[index("US-REMEDY-001")].twin == index("US-EXCESS-001"))
    #expect(run.plans[index("US-EXCESS-001")].hasFollowers)
    #expect(
      CheckRun(ruleSet: ruleSet, asOf: nil, sharingTwins: false).plans.allSatisfy {
        $0.twin == nil
      })
  }
}
