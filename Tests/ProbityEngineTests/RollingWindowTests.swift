import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// A rule with a rolling window and every kind of aggregate: a sum and a count, a
/// minimum and a maximum of amounts, the latest date.
private func rollingPlan(days: Int) throws -> RulePlan {
  let text = ProjectionMemoTests.ruleText(
    nil, when: "total > $3,000.00 and gifts > 1 and least < most",
    clauses: [
      "group by person_key(name)", "window rolling \(days) days", "let total = sum(amount)",
      "let gifts = count()", "let least = min(amount)", "let most = max(amount)",
      "let last = max(date)", "message \"{total} by {last}\"",
    ])
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "r.probity", text: text)
  ])
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let run = CheckRun(ruleSet: try #require(ruleSet))
  let plan = try #require(run.plans.first)
  #expect(plan.aggregateFunctions == [.sum, .count, .min, .max, .max])
  return plan
}

/// A small deterministic generator (a linear congruential one): the same records on
/// every run.
private struct Dice {
  var state: UInt64
  mutating func roll(_ sides: Int) -> Int {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int((state >> 33) % UInt64(sides))
  }
}

private func describe(_ accumulator: Accumulator) -> String {
  switch accumulator {
  case .empty: "empty"
  case .missing: "missing"
  case .value(let value): "\(value)"
  }
}

/// How records of one group fall: `back` in 1,000 are dated before the latest (out of
/// date order), `missing` in 1,000 have no amount, `huge` in 1,000 an amount no sum
/// may be taken out of exactly, `pounds` in 1,000 are in another currency (a failure).
struct Mix: Sendable {
  let back: Int
  let missing: Int
  let huge: Int
  let pounds: Int
}

/// Adds `count` records of one group to two copies of its aggregates, one folding the
/// window again at each record (as before the twenty-seventh round), one taking the
/// records leaving out; after each record both hold the same values and report the same
/// failure. Returns how many records took the quick way (checked by the callers, so
/// that the comparison cannot pass by never taking it).
private func compare(days: Int, count: Int, mix: Mix, seed: UInt64) throws -> Int {
  let plan = try rollingPlan(days: days)
  let slots = plan.aggregateFunctions.count
  var dice = Dice(state: seed)
  var refolded = (AccumulatorStore(compact: true, count: slots), RollingWindow())
  var quick = (AccumulatorStore(compact: true, count: slots), RollingWindow())
  var day = CivilDate(year: 2024, month: 1, day: 1)!.dayNumber
  var quickWay = 0
  for step in 0..<count {
    var date = day
    if dice.roll(1000) < mix.back {
      date -= 1 + dice.roll(2 * days)
    } else {
      day += dice.roll(4)
      date = day
    }
    let amount: Value
    if dice.roll(1000) < mix.missing {
      amount = .missing
    } else {
      var units = Int64(100 + dice.roll(50_000))
      if dice.roll(1000) < mix.huge { units = 1 << 41 }
      if dice.roll(10) == 0 { units = -units }
      let currency: Currency = dice.roll(1000) < mix.pounds ? .gbp : .usd
      amount = .money(Money(minorUnits: units, currency: currency))
    }
    let civil = try #require(CivilDate(dayNumber: date))
    let arguments: [Value] = [amount, .integer(1), amount, amount, .date(civil)]
    if quick.1.exact && date >= quick.1.latest { quickWay += 1 }
    let slow = CheckRun.accumulate(
      arguments, into: &refolded.0, at: 0, rolling: &refolded.1, date: civil, plan,
      incremental: false)
    let fast = CheckRun.accumulate(
      arguments, into: &quick.0, at: 0, rolling: &quick.1, date: civil, plan)
    #expect(slow == fast, "record \(step)")
    let before = (0..<slots).map { describe(refolded.0[$0]) }
    let after = (0..<slots).map { describe(quick.0[$0]) }
    #expect(before == after, "record \(step), dated \(civil)")
    #expect(refolded.1.active.map(\.day) == quick.1.active.map(\.day), "record \(step)")
    if before != after { break }
  }
  return quickWay
}

@Test(arguments: [
  (days: 30, mix: Mix(back: 0, missing: 0, huge: 0, pounds: 0)),
  (days: 30, mix: Mix(back: 20, missing: 0, huge: 0, pounds: 0)),
  (days: 7, mix: Mix(back: 0, missing: 30, huge: 0, pounds: 0)),
  (days: 365, mix: Mix(back: 10, missing: 10, huge: 5, pounds: 0)),
  (days: 1, mix: Mix(back: 5, missing: 5, huge: 0, pounds: 0)),
  (days: 60, mix: Mix(back: 10, missing: 10, huge: 5, pounds: 3)),
])
func aRollingWindowTakenOutAsItMovesMatchesOneFoldedAgain(days: Int, mix: Mix) throws {
  for seed: UInt64 in [1, 2] {
    let quickWay = try compare(days: days, count: 2000, mix: mix, seed: seed)
    // Records in date order take the quick way but the first; others while no record out
    // of order, huge or failing is inside the window (a year's window holds some 240).
    let clean = mix.back + mix.missing + mix.huge + mix.pounds == 0
    #expect(clean ? quickWay == 1999 : quickWay > 200, "seed \(seed): \(quickWay)")
  }
}

/// One donor's gifts in date order under a year's rolling window: a record's cost does
/// not grow with the records inside the window (it did: 20,000 gifts took 11 s).
@Test func aBigGroupInsideOneRollingWindowIsNotFoldedAgainAtEachRecord() throws {
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window rolling 365 days", when: "total > $3,000.00")
  var gifts: [Record] = []
  for k in 0..<4000 {
    let date = CivilDate(dayNumber: CivilDate(year: 2024, month: 1, day: 1)!.dayNumber + k / 12)!
    gifts.append(gift("\(date)", "1.00", line: k + 2))
  }
  var run = CheckRun(ruleSet: ruleSet)
  for record in gifts { run.evaluate(record) }
  let window = try #require(run.tables[0].rolling.values.first)
  #expect(window.exact)
  #expect(window.count == 4000)
  run.finish()
  #expect(run.findings.map(\.line) == [3002])
}
