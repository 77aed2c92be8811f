import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// Records of one donor for aggregation tests: (date, amount, kind, election code).
func gift(
  _ date: String, _ amount: String, name: String = "SMITH, JOHN", zip: String = "45402",
  kind: RecordKind = .receipt,
  election: String? = "P2024", memo: Bool = false, line: Int
) -> Record {
  var fields: [String: Value] = [
    "date": ProbityEngineTests.date(date), "amount": usd(amount), "name": .string(name),
    "zip": .string(zip),
    "entity_type": .string("IND"), "memo": .boolean(memo), "transaction_id": .string("T\(line)"),
  ]
  if let election { fields["election_code"] = .string(election) }
  var record = Record(kind: kind, provenance: Provenance(file: "f.csv", line: line))
  for (name, value) in fields {
    if let id = CanonicalSchema.id(named: name) { record[id] = value }
  }
  return record
}

/// Compiles one grouped rule with the given clauses.
func groupedRuleSet(_ clauses: String, when condition: String, fires: String = "") throws
  -> CompiledRuleSet
{
  let text = """
    param limit: money by year {
      2023..2024: $3,300.00
    }
    rule R {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt, disbursement
      \(clauses)
      let total = sum(if kind == "receipt" then amount else -amount)
      when \(condition)
      \(fires)
      message "{total}"
    }
    """
  let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "r.probity", text: text)
  ])
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  return try #require(ruleSet)
}

/// Runs both passes over the records (`setUp` may change the run before the first).
func check(
  _ ruleSet: CompiledRuleSet, _ records: [Record], asOf: String? = nil,
  setUp: (inout CheckRun) -> Void = { _ in }
) -> CheckRun {
  let asOfDate: CivilDate? = asOf.flatMap { try? DateFormat.isoDate.parse(Substring($0)).get() }
  var run = CheckRun(ruleSet: ruleSet, asOf: asOfDate)
  setUp(&run)
  for record in records { run.evaluate(record) }
  run.finish()
  if run.needsReplay {
    for record in records { run.replay(record) }
    run.finishReplay()
  }
  return run
}

/// The first pass alone (no replay, the second read), finished.
func firstPass(_ ruleSet: CompiledRuleSet, _ records: [Record], asOf: String) -> CheckRun {
  var run = CheckRun(
    ruleSet: ruleSet, asOf: try? DateFormat.isoDate.parse(Substring(asOf)).get())
  for record in records { run.evaluate(record) }
  run.finish()
  return run
}

let electionRule = """
  where not memo
    group by person_key(name), zip5(zip)
    window election
  """

@Test func crossingRaisesOnTheRecordThatCrossesWithTheWholeTrail() throws {
  let ruleSet = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let run = check(
    ruleSet,
    [
      gift("2024-01-05", "1000.00", line: 2),
      gift("2024-02-05", "2000.00", name: "Smith, John A.", line: 3),
      gift("2024-03-05", "600.00", name: "JOHN SMITH", zip: "45402-1234", line: 4),
      gift("2024-03-06", "50.00", line: 5),
    ])
  #expect(run.findings.count == 1)
  let finding = try #require(run.findings.first)
  #expect(finding.line == 4)
  #expect(finding.message == "$3,600.00")
  #expect(finding.trail.map(\.line) == [2, 3, 4, 5])
  #expect(finding.trail.map(\.raisedHere) == [false, false, true, false])
  #expect(
    finding.trail.map(\.running) == [
      usd("1000.00"), usd("3000.00"), usd("3600.00"), usd("3650.00"),
    ])
  #expect(finding.group.map(\.name) == ["person_key(name)", "zip5(zip)", "window"])
  #expect(finding.values.map(\.name) == ["total", "limit[2024]", "election_code"])
}

@Test func electionsAreSeparateAndMemosDoNotCount() throws {
  let ruleSet = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let run = check(
    ruleSet,
    [
      gift("2024-01-05", "3300.00", line: 2),
      gift("2024-06-05", "3300.00", election: "G2024", line: 3),
      gift("2024-06-06", "1000.00", memo: true, line: 4),
    ])
  #expect(run.findings.isEmpty)
  #expect(run.tallies[0].notApplicable == 1)
}

@Test func aRefundNetsTheExcessAway() throws {
  let ruleSet = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let run = check(
    ruleSet,
    [
      gift("2024-01-05", "3500.00", line: 2),
      gift("2024-02-05", "200.00", kind: .disbursement, line: 3),
    ])
  #expect(run.findings.isEmpty)
}

/// A refund the rule's `where` admits but that cannot be placed in a group (its zip code
/// is missing) may be the group's: the excess it could have netted is not judged (an
/// evaluation error on the record the finding was raised on), not left standing.
@Test func aRefundThatCannotBePlacedLeavesTheGroupsItMayNetUnjudged() throws {
  let ruleSet = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  var refund = gift("2024-02-05", "200.00", kind: .disbursement, line: 3)
  refund[CanonicalSchema.id(named: "zip")!] = .missing
  let records = [
    gift("2024-01-05", "3500.00", line: 2), refund,
    gift("2024-01-06", "3500.00", name: "DOE, JANE", line: 4),
  ]
  for rules in [ruleSet, cure] {
    let run = check(rules, records, asOf: "2024-12-31")
    // Jane Doe's excess stands; John Smith's is not judged.
    #expect(run.findings.map(\.line) == [4])
    #expect(run.tallies[0].fired == 1)
    #expect(run.tallies[0].failed == 1)
    #expect(run.tallies[0].undetermined == 1)
    #expect(run.problems.map(\.line) == [2])
    #expect(
      run.problems.first?.message.hasPrefix(
        "not judged: line 3, which takes $200.00 from a total of this rule, may be this group's but could not be placed in a group (missing: zip)"
      ) == true)
    let watched = check(rules, records, asOf: "2024-12-31") { $0.target = RecordSelector("2") }
    #expect(watched.finalVerdicts().first?.status == .failed)
  }
  // A gift that cannot be placed takes nothing: the excess stands.
  var unplacedGift = gift("2024-02-05", "200.00", line: 3)
  unplacedGift[CanonicalSchema.id(named: "zip")!] = .missing
  let gifts = check(ruleSet, [gift("2024-01-05", "3500.00", line: 2), unplacedGift])
  #expect(gifts.findings.map(\.line) == [2])
  #expect(gifts.problems.isEmpty)
  // A refund of another donor, unplaced, leaves this one's excess standing.
  var otherRefund = gift("2024-02-05", "200.00", name: "ROE, AL", kind: .disbursement, line: 3)
  otherRefund[CanonicalSchema.id(named: "zip")!] = .missing
  let other = check(ruleSet, [gift("2024-01-05", "3500.00", line: 2), otherRefund])
  #expect(other.findings.map(\.line) == [2])
  // A refund without a name may be anyone's: no excess of the rule stands.
  var nameless = gift("2024-02-05", "200.00", kind: .disbursement, line: 3)
  nameless[CanonicalSchema.id(named: "name")!] = .missing
  let anyone = check(ruleSet, [gift("2024-01-05", "3500.00", line: 2), nameless])
  #expect(anyone.findings.isEmpty)
  #expect(anyone.tallies[0].failed == 1)
}

/// Groups judged again in date order take no place among the evaluation errors listed: a
/// refund that could not be placed still has its error listed when more groups than
/// `examplesPerRule` came out of date order (each an evaluation error until the replay
/// judges it again).
@Test func groupsJudgedAgainLeaveTheOtherEvaluationErrorsListed() throws {
  let ruleSet = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  var records: [Record] = []
  var line = 2
  for donor in 0...CheckRun.examplesPerRule {
    let name = "DONOR\(donor), ANN"
    records.append(gift("2024-06-01", "2000.00", name: name, line: line))
    records.append(gift("2024-01-10", "2000.00", name: name, line: line + 1))
    line += 2
  }
  records.append(gift("2024-01-05", "3500.00", line: line))
  var refund = gift("2024-02-05", "200.00", kind: .disbursement, line: line + 1)
  refund[CanonicalSchema.id(named: "zip")!] = .missing
  records.append(refund)
  let run = check(ruleSet, records)
  #expect(run.findings.count == CheckRun.examplesPerRule + 1)
  #expect(run.tallies[0].failed == 1)
  #expect(run.problems.map(\.line) == [line])
  #expect(run.problems.first?.message.hasPrefix("not judged: line \(line + 1)") == true)
}

@Test func cureWindowsInTimeLateOpenAndClosed() throws {
  let ruleSet = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  // Cured in time: no finding.
  let inTime = check(
    ruleSet,
    [
      gift("2024-01-05", "3500.00", line: 2),
      gift("2024-02-05", "200.00", kind: .disbursement, line: 3),
    ])
  #expect(inTime.findings.isEmpty)
  #expect(inTime.tallies[0].cured == 1)
  // Cured late: a finding marked cured-late.
  let late = check(
    ruleSet,
    [
      gift("2024-01-05", "3500.00", line: 2),
      gift("2024-04-05", "200.00", kind: .disbursement, line: 3),
    ])
  #expect(late.findings.map(\.remedyStatus) == [.curedLate])
  #expect(late.findings.first?.deadline?.description == "2024-03-05")
  // Not cured, window still open at the as-of date: not flagged.
  let open = check(ruleSet, [gift("2024-01-05", "3500.00", line: 2)], asOf: "2024-02-01")
  #expect(open.findings.isEmpty)
  #expect(open.tallies[0].pending == 1)
  // Not cured, window closed: flagged as uncured.
  let closed = check(ruleSet, [gift("2024-01-05", "3500.00", line: 2)], asOf: "2024-06-01")
  #expect(closed.findings.map(\.remedyStatus) == [.uncured])
}

/// A cure window is judged no later than the last day the filer's reports in the input
/// cover (`report_period_end`): a refund after a report's end is in the next report.
@Test func cureWindowsJudgedWithinWhatTheFilersReportsCover() throws {
  let ruleSet = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  func filed(_ record: Record, by filer: String, through end: String?) -> Record {
    var record = record
    record[CanonicalSchema.filerField] = .string(filer)
    if let end { record[CanonicalSchema.reportEndField] = ProbityEngineTests.date(end) }
    return record
  }
  let excess = gift("2024-03-20", "3500.00", line: 2)
  // The window closes on 2024-05-19, after the report's end: open, whatever the as-of.
  let alone = check(ruleSet, [filed(excess, by: "C1", through: "2024-03-31")], asOf: "2026-12-01")
  #expect(alone.findings.isEmpty)
  #expect(alone.tallies[0].pending == 1)
  #expect(alone.judgementDate(filer: "C1")?.description == "2024-03-31")
  #expect(alone.judgementDate(filer: "C2")?.description == "2026-12-01")
  // The filer's next report in the input, without a refund: uncured.
  let next = filed(
    gift("2024-05-02", "10.00", name: "DOE, JANE", line: 3), by: "C1", through: "2024-06-30")
  let both = check(
    ruleSet, [filed(excess, by: "C1", through: "2024-03-31"), next], asOf: "2026-12-01")
  #expect(both.findings.map(\.remedyStatus) == [.uncured])
  // Another filer's later report says nothing of this one's.
  let other = filed(
    gift("2024-05-02", "10.00", name: "DOE, JANE", line: 3), by: "C2", through: "2024-06-30")
  let apart = check(
    ruleSet, [filed(excess, by: "C1", through: "2024-03-31"), other], asOf: "2026-12-01")
  #expect(apart.findings.isEmpty)
  // A record of the filer that does not say what its report covers (a CSV beside a
  // .fec report): the input reaches at least to its date. Dated after both windows
  // close (2024-05-19, 2024-09-18), both are judged; dated between, only the first.
  let late = filed(gift("2024-07-20", "3500.00", name: "ROE, AL", line: 4), by: "C1", through: nil)
  let later = filed(
    gift("2024-10-01", "10.00", name: "DOE, JANE", line: 5), by: "C1", through: nil)
  let mixed = check(
    ruleSet, [filed(excess, by: "C1", through: "2024-03-31"), late, later], asOf: "2026-12-01")
  #expect(mixed.findings.map(\.line) == [2, 4])
  #expect(mixed.findings.map(\.remedyStatus) == [.uncured, .uncured])
  #expect(mixed.judgementDate(filer: "C1")?.description == "2024-10-01")
  let between = filed(
    gift("2024-06-01", "10.00", name: "DOE, JANE", line: 4), by: "C1", through: nil)
  let partly = check(
    ruleSet, [filed(excess, by: "C1", through: "2024-03-31"), between], asOf: "2026-12-01")
  #expect(partly.findings.map(\.remedyStatus) == [.uncured])
  #expect(partly.judgementDate(filer: "C1")?.description == "2024-06-01")
  // Without report ends, the as-of date alone decides, as before.
  let undated = check(ruleSet, [filed(excess, by: "C1", through: nil)], asOf: "2026-12-01")
  #expect(undated.findings.map(\.remedyStatus) == [.uncured])
  // The as-of date still bounds it when it is the earlier.
  let early = check(ruleSet, [filed(excess, by: "C1", through: "2024-06-30")], asOf: "2024-04-01")
  #expect(early.findings.isEmpty)
}

/// A group out of date order that never went over in input order but took from its sum
/// (a refund listed before the gifts it followed) is judged again in date order: there it
/// went over, and the refund came after the 60 days (cured late). Until the replay, and
/// without one, it stands as judged: no evaluation error, nothing raised. A group that only
/// added is not judged again (no second read is needed for it).
@Test func aRefundListedBeforeTheGiftsItFollowedIsJudgedInDateOrder() throws {
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  // By date: $2,000 on Jan 10, $2,000 on Jun 1 (over: the window to Jul 31), a refund of
  // $700 on Sep 15 (late). Listed refund first: -700, 1,300, 3,300, never over.
  let listed = [
    gift("2024-09-15", "700.00", kind: .disbursement, line: 2),
    gift("2024-01-10", "2000.00", line: 3), gift("2024-06-01", "2000.00", line: 4),
  ]
  let judged = check(cure, listed, asOf: "2024-12-31")
  #expect(judged.findings.map(\.line) == [4])
  #expect(judged.findings.first?.remedyStatus == .curedLate)
  #expect(judged.tallies[0].failed == 0)
  #expect(judged.problems.isEmpty)
  // Without the replay: as judged in input order, and no evaluation error.
  let first = firstPass(cure, listed, asOf: "2024-12-31")
  #expect(first.needsReplay)
  #expect(first.findings.isEmpty)
  #expect(first.tallies[0].failed == 0)
  #expect(first.problems.isEmpty)
  // Gifts alone out of date order, never over: nothing to judge again.
  let added = firstPass(
    cure, [gift("2024-06-01", "1000.00", line: 2), gift("2024-01-10", "1000.00", line: 3)],
    asOf: "2024-12-31")
  #expect(!added.needsReplay)
}

/// A rolling window out of date order can go over by date though its records only added
/// and it never went over in input order: a record listed after a later one no longer sees
/// the gifts that fell out of the later one's window. Such a group is judged again in date
/// order (quietly, as one that took from a sum), or a finding by date is missed.
@Test func aRollingWindowOutOfDateOrderIsJudgedInDateOrder() throws {
  let rolling = try groupedRuleSet(
    "group by person_key(name)\n  window rolling 30 days", when: "total > $3,000.00",
    fires: "fires on each")
  // By date: $2,000 on Jan 1, $2,000 on Jan 20 (over: $4,000 in the 30 days), $2,000 on
  // Mar 1 (alone in its 30 days). Listed Jan 1, Mar 1, Jan 20: Mar 1's gift drops Jan 1's,
  // and Jan 20's sees neither: never over in input order.
  let listed = [
    gift("2024-01-01", "2000.00", line: 2), gift("2024-03-01", "2000.00", line: 3),
    gift("2024-01-20", "2000.00", line: 4),
  ]
  let byDate = check(rolling, [listed[0], listed[2], listed[1]])
  #expect(byDate.findings.map(\.line) == [4])
  let judged = check(rolling, listed)
  #expect(judged.findings.map(\.line) == [4])
  #expect(judged.tallies[0].failed == 0)
  #expect(judged.problems.isEmpty)
  // Without the replay: as judged in input order, and no evaluation error.
  let first = firstPass(rolling, listed, asOf: "2024-12-31")
  #expect(first.needsReplay)
  #expect(first.findings.isEmpty)
  #expect(first.tallies[0].failed == 0)
  #expect(first.problems.isEmpty)
}

/// A rule whose verdict depends on the order of a group's records (a cure window opens on
/// the record that crossed; a rule that fires on each record reads the totals as they
/// stand after it) judges a group whose records are not in date order, and on which it
/// concluded something in input order, again in date order from the replay's records
/// (`rejudgeInDateOrder`); without a replay, the group is one outcome that could not be
/// evaluated, named on the record that came out of order.
@Test func groupsOutOfDateOrderAreJudgedInDateOrder() throws {
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  // By date: $2,000 on Jan 10, $2,000 on Jun 1 (over: the window opens, to Jul 31), a
  // refund of $700 on Jul 15 (in time). With Jun 1's gift listed first, the window opened
  // on Jan 10's, closed on Mar 10, and the refund was judged late: a false accusation.
  let listed = [
    gift("2024-06-01", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3),
    gift("2024-07-15", "700.00", kind: .disbursement, line: 4),
  ]
  let disordered = check(cure, listed, asOf: "2024-12-31")
  #expect(disordered.findings.isEmpty)
  #expect(disordered.tallies[0].cured == 1)
  #expect(disordered.tallies[0].failed == 0)
  #expect(disordered.problems.isEmpty)
  // `probity explain` says what date order gives: Jun 1's gift went over and was cured.
  let statuses: [RuleVerdict.Status] = [.cured, .notFired, .notFired]
  for (line, status) in zip([2, 3, 4], statuses) {
    let watched = check(cure, listed, asOf: "2024-12-31") { $0.target = RecordSelector("\(line)") }
    let verdict = try #require(watched.finalVerdicts().first)
    #expect(verdict.status == status, "\(line): \(verdict.reason)")
    #expect(
      verdict.reason.hasSuffix(
        "(its group's records, not in date order in the input, judged in date order)"))
  }
  // Without the replay (the second read), the group stands not judged.
  let first = firstPass(cure, listed, asOf: "2024-12-31")
  #expect(first.needsReplay)
  #expect(first.findings.isEmpty)
  #expect(first.tallies[0].failed == 1)
  #expect(first.tallies[0].cured == 0)
  #expect(first.problems.map(\.line) == [3])
  #expect(
    first.problems.first?.message.contains(
      "dated 2024-01-10, comes after a record of its group dated 2024-06-01") == true)
  // In date order in the input: the same.
  let ordered = check(
    cure,
    [
      gift("2024-01-10", "2000.00", line: 2), gift("2024-06-01", "2000.00", line: 3),
      gift("2024-07-15", "700.00", kind: .disbursement, line: 4),
    ], asOf: "2024-12-31")
  #expect(ordered.findings.isEmpty)
  #expect(ordered.tallies[0].cured == 1)
  #expect(ordered.tallies[0].failed == 0)
  // Refunded late, out of order: cured late, raised on Jun 1's gift, the 60 days from it,
  // the trail in date order.
  let late = check(
    cure,
    [
      gift("2024-06-01", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3),
      gift("2024-09-15", "700.00", kind: .disbursement, line: 4),
    ], asOf: "2024-12-31")
  #expect(late.findings.map(\.line) == [2])
  #expect(late.findings.map(\.remedyStatus) == [.curedLate])
  #expect(late.findings.first?.deadline?.description == "2024-07-31")
  #expect(late.findings.first?.trail.map(\.line) == [3, 2, 4])
  #expect(late.findings.first?.trail.map(\.raisedHere) == [false, true, false])
  #expect(late.tallies[0].fired == 1)
  #expect(late.tallies[0].failed == 0)
  // Never refunded, out of order: uncured, from Jun 1.
  let uncured = check(
    cure, [gift("2024-06-01", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3)],
    asOf: "2024-12-31")
  #expect(uncured.findings.map(\.line) == [2])
  #expect(uncured.findings.map(\.remedyStatus) == [.uncured])
  #expect(uncured.tallies[0].failed == 0)
  // Out of order, but never over the condition in input order: it stands as judged.
  let under = check(
    cure, [gift("2024-06-01", "1000.00", line: 2), gift("2024-01-10", "1000.00", line: 3)],
    asOf: "2024-12-31")
  #expect(under.tallies[0].failed == 0)
  #expect(under.problems.isEmpty)
  // Two donors, one out of order: each judged, the findings in input order.
  let others = check(
    cure,
    [
      gift("2024-01-05", "3500.00", line: 2),
      gift("2024-06-01", "3400.00", name: "DOE, JANE", line: 3),
      gift("2024-05-01", "10.00", name: "DOE, JANE", line: 4),
    ], asOf: "2024-12-31")
  #expect(others.findings.map(\.line) == [2, 3])
  #expect(others.findings.map(\.remedyStatus) == [.uncured, .uncured])
  #expect(others.tallies[0].fired == 2)
  #expect(others.tallies[0].failed == 0)
  // A rule that fires on each record: in input order, Jan 5's $100 made $250 with Mar 5's
  // $150 listed first; by date, the $250 was reached on Mar 5.
  let each = try groupedRuleSet(
    "group by person_key(name)\n  window cycle", when: "total > $200.00 and blank(street1)",
    fires: "fires on each")
  let eachRun = check(
    each, [gift("2024-03-05", "150.00", line: 2), gift("2024-01-05", "100.00", line: 3)])
  #expect(eachRun.findings.map(\.line) == [2])
  #expect(eachRun.tallies[0].fired == 1)
  #expect(eachRun.tallies[0].failed == 0)
  // A rule without either reaches the same verdict in any order (its totals'), but its
  // finding is judged again too: raised on the gift that went over by date (Jun 1), with
  // the deadline from it, not on Jan 10's gift listed after it.
  let plain = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let plainRun = check(
    plain, [gift("2024-06-01", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3)])
  #expect(plainRun.findings.map(\.line) == [2])
  #expect(plainRun.findings.first?.trail.map(\.line) == [3, 2])
  #expect(plainRun.tallies[0].fired == 1)
  #expect(plainRun.tallies[0].failed == 0)
  // Netted back within the condition by the end: no finding in either order.
  let netted = check(
    plain,
    [
      gift("2024-06-01", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3),
      gift("2024-03-01", "700.00", kind: .disbursement, line: 4),
    ])
  #expect(netted.findings.isEmpty)
  #expect(netted.problems.isEmpty)
}

/// `probity explain` on a group judged again in date order says what became of the
/// record it was asked about, not of another record its selector also matches: the
/// same line of another file (a Q2 report given before Q1), which comes first by date.
/// Nor does a group judged again that only holds such a record speak for the watched one.
@Test func explainOnAGroupJudgedAgainWatchesTheRecordAskedAbout() throws {
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  func moved(_ record: Record, to file: String) -> Record {
    Record(
      kind: record.kind, provenance: Provenance(file: file, line: record.provenance.line),
      values: record.values)
  }
  // Q2's report (Jun 1: over the limit by date, refunded in time on Jul 15) given before
  // Q1's (Jan 10), each gift on line 2 of its file.
  let reports = [
    moved(gift("2024-06-01", "2000.00", line: 2), to: "q2.csv"),
    moved(gift("2024-01-10", "2000.00", line: 2), to: "q1.csv"),
    moved(gift("2024-07-15", "700.00", kind: .disbursement, line: 2), to: "q3.csv"),
  ]
  for (selector, status) in [("2", RuleVerdict.Status.cured), ("q1.csv:2", .notFired)] {
    let watched = check(cure, reports, asOf: "2024-12-31") { $0.target = RecordSelector(selector) }
    #expect(watched.targetRecord?.provenance.file == (selector == "2" ? "q2.csv" : "q1.csv"))
    let verdict = try #require(watched.finalVerdicts().first)
    #expect(verdict.status == status, "\(selector): \(verdict.reason)")
  }
  // Another donor's excess, in date order and cured in time, on line 2 of the first file;
  // line 2 of the second is a gift of a group judged again.
  let others = [
    moved(gift("2024-01-05", "3500.00", name: "DOE, JANE", line: 2), to: "a.csv"),
    moved(
      gift("2024-01-20", "300.00", name: "DOE, JANE", kind: .disbursement, line: 3), to: "a.csv"),
    moved(gift("2024-06-01", "2000.00", line: 2), to: "b.csv"),
    moved(gift("2024-01-10", "2000.00", line: 3), to: "b.csv"),
  ]
  let watched = check(cure, others, asOf: "2024-12-31") { $0.target = RecordSelector("2") }
  #expect(watched.findings.map(\.file) == ["b.csv"])
  #expect(watched.targetRecord?.provenance.file == "a.csv")
  let verdict = try #require(watched.finalVerdicts().first)
  #expect(verdict.status == .cured, "\(verdict.reason)")
  #expect(!verdict.reason.contains("judged in date order"), "\(verdict.reason)")
}

/// A group judged again in date order, whose refund cannot be placed (no zip code): the
/// refund may be the one that cured it in time, so no finding stands on it, and `explain`
/// says why, as when the records come in date order.
@Test func aGroupJudgedAgainKeepsToARefundThatCannotBePlaced() throws {
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  var refund = gift("2024-07-15", "700.00", kind: .disbursement, line: 4)
  refund[CanonicalSchema.id(named: "zip")!] = .missing
  for listed in [
    [gift("2024-06-01", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3), refund],
    [gift("2024-01-10", "2000.00", line: 2), gift("2024-06-01", "2000.00", line: 3), refund],
  ] {
    let run = check(cure, listed, asOf: "2024-12-31")
    #expect(run.findings.isEmpty, "\(run.findings.map(\.message))")
    #expect(run.tallies[0].fired == 0)
    #expect(run.tallies[0].failed == 1)
    #expect(run.problems.count == 1)
    #expect(run.problems.first?.message.contains("could not be placed in a group") == true)
    let gone = listed.first { $0[CanonicalSchema.dateField] == date("2024-06-01") }!
    let watched = check(cure, listed, asOf: "2024-12-31") {
      $0.target = RecordSelector("\(gone.provenance.line)")
    }
    let verdict = try #require(watched.finalVerdicts().first)
    #expect(verdict.status == .failed, "\(verdict.reason)")
    #expect(verdict.reason.contains("could not be placed in a group"), "\(verdict.reason)")
  }
}

/// Whether a group's records are in date order is a rule's own: a record its `where`
/// leaves out, placed by another rule of the same keys and window (the same class of
/// groups), is no record of its group. An organisation's gift of the donor's name, dated
/// before the individual's last, left an individual's excess never refunded unjudged,
/// with an evaluation error naming the organisation's gift as "a record of its group".
@Test func aRecordAnotherRuleAdmitsDoesNotPutAGroupOutOfOrder() throws {
  func rule(_ id: String, _ entity: String, _ clauses: String) -> String {
    """
    rule \(id) {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt, disbursement
      where entity_type == "\(entity)"
      group by person_key(name), zip5(zip)
      window election
      let total = sum(amount)
      when total > $3,300.00
      \(clauses)
      message "{total}"
    }
    """
  }
  let text = [
    rule("CURE", "IND", "cure within 60 days"), rule("ORG", "ORG", ""),
  ].joined(separator: "\n")
  let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "r.probity", text: text)
  ])
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() })")
  let ruleSet = try #require(compiled)
  var organisation = gift("2024-03-01", "100.00", line: 4)
  organisation[CanonicalSchema.id(named: "entity_type")!] = .string("ORG")
  let records = [
    gift("2024-01-10", "2000.00", line: 2), gift("2024-06-01", "2000.00", line: 3),
    organisation,
  ]
  let run = check(ruleSet, records, asOf: "2024-12-31")
  // The individual's gifts are in date order: over on Jun 1, never refunded.
  #expect(run.findings.map(\.ruleID) == ["CURE"])
  #expect(run.findings.map(\.line) == [3])
  #expect(run.findings.map(\.remedyStatus) == [.uncured])
  #expect(run.problems.isEmpty, "\(run.problems.map(\.message))")
  #expect(run.tallies[0].failed == 0)
  // A gift of the individual out of date order puts the group out of order: judged
  // again in date order, over on Jun 1 all the same.
  let both = check(
    ruleSet, records + [gift("2024-02-01", "10.00", line: 5)], asOf: "2024-12-31")
  #expect(both.findings.map(\.line) == [3])
  #expect(both.findings.first?.trail.map(\.line) == [2, 5, 3])
  #expect(both.problems.isEmpty)
}

@Test func windowsSplitGroups() throws {
  let gifts = [
    gift("2023-12-20", "2000.00", line: 2), gift("2024-01-10", "2000.00", line: 3),
    gift("2024-04-10", "2000.00", line: 4),
  ]
  let calendar = try groupedRuleSet(
    "group by person_key(name)\n  window calendar-year", when: "total > $3,000.00")
  #expect(check(calendar, gifts).findings.map(\.line) == [4])
  let quarter = try groupedRuleSet(
    "group by person_key(name)\n  window quarter", when: "total > $3,000.00")
  #expect(check(quarter, gifts).findings.isEmpty)
  let cycle = try groupedRuleSet(
    "group by person_key(name)\n  window cycle", when: "total > $3,000.00")
  #expect(check(cycle, gifts).findings.map(\.line) == [3])
  let rolling = try groupedRuleSet(
    "group by person_key(name)\n  window rolling 30 days", when: "total > $3,000.00")
  #expect(check(rolling, gifts).findings.map(\.line) == [3])
  let rolling10 = try groupedRuleSet(
    "group by person_key(name)\n  window rolling 10 days", when: "total > $3,000.00")
  #expect(check(rolling10, gifts).findings.isEmpty)
}

@Test func firesOnEachRecordWhileTheConditionHolds() throws {
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window cycle", when: "total > $200.00 and blank(street1)",
    fires: "fires on each")
  let run = check(
    ruleSet,
    [
      gift("2024-01-05", "150.00", line: 2), gift("2024-02-05", "100.00", line: 3),
      gift("2024-03-05", "20.00", line: 4),
    ])
  #expect(run.findings.map(\.line) == [3, 4])
}

/// With traces observed (`probity test`'s coverage), the keys are evaluated one by one,
/// each traced, rather than through `RulePlan.collectKeys`: the outcome is the same.
@Test(arguments: [false, true])
func missingKeysAndMissingAmountsAreUndetermined(tracesObserved: Bool) throws {
  let ruleSet = try groupedRuleSet(
    "group by person_key(name), zip5(zip)\n  window election",
    when: "total > limit[election_year(election_code)]")
  var noZip = gift("2024-01-05", "3500.00", line: 2)
  noZip[CanonicalSchema.id(named: "zip")!] = .missing
  let run = check(ruleSet, [noZip]) {
    if tracesObserved { $0.observeTraces(ConditionCoverage()) }
  }
  #expect(run.findings.isEmpty)
  #expect(run.tallies[0].undetermined == 1)
  #expect(run.tallies[0].missingFieldCounts == ["zip": 1])
}

@Test func missingAggregatesAreNamedByTheirText() throws {
  // No gift has a filed aggregate: `max(aggregate)` is missing for the group, and the
  // undetermined outcome names it (a field read outside the aggregates is named too, in
  // the order of the condition).
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window cycle",
    when: "max(aggregate) < sum(amount) or payment_method == \"cash\"")
  let run = check(
    ruleSet, [gift("2024-01-05", "50.00", line: 2), gift("2024-02-05", "100.00", line: 3)])
  #expect(run.findings.isEmpty)
  #expect(run.tallies[0].undetermined == 2)
  #expect(run.tallies[0].missingFieldCounts == ["max(aggregate)": 2, "payment_method": 2])
  #expect(
    run.undetermined.map(\.missingFields)
      == Array(repeating: ["max(aggregate)", "payment_method"], count: 2))
  // The second record took the quick path (the condition was undetermined on the
  // first): its collecting kernel computed the value and named what was missing.
  #expect(run.conditionsCollected == 1)
  // The second record (another donor's, its aggregate filed and below the sum) takes
  // the quick path too, and is decided by it (it fires); the third, after a decided
  // one, is computed by the kernel first, then named.
  var decided = gift("2024-02-05", "100.00", name: "DOE, JANE", line: 3)
  decided[CanonicalSchema.id(named: "aggregate")!] = usd("10.00")
  decided[CanonicalSchema.id(named: "payment_method")!] = .string("check")
  var mixed = CheckRun(ruleSet: ruleSet)
  for record in [
    gift("2024-01-05", "50.00", line: 2), decided, gift("2024-03-05", "10.00", line: 4),
  ] {
    mixed.evaluate(record)
  }
  #expect(mixed.conditionsCollected == 1)
  mixed.finish()
  #expect(mixed.tallies[0].undetermined == 2)
  #expect(mixed.unsortedFindingCount == 1)
  #expect(
    mixed.undetermined.map(\.missingFields)
      == Array(repeating: ["max(aggregate)", "payment_method"], count: 2))
  // A format with no aggregate column (FEC bulk rows): said so, as for a field.
  var bulk = gift("2024-01-05", "50.00", line: 2)
  bulk.unavailable = FieldSet([CanonicalSchema.id(named: "aggregate")!])
  #expect(
    check(ruleSet, [bulk]).tallies[0].missingFieldCounts
      == ["max(aggregate) (not in the format)": 1, "payment_method": 1])
  // With the aggregate filed and not below the sum, only the field is left to name.
  var filed = gift("2024-01-05", "50.00", line: 2)
  filed[CanonicalSchema.id(named: "aggregate")!] = usd("200.00")
  let named = check(ruleSet, [filed])
  #expect(named.tallies[0].undetermined == 1)
  #expect(named.undetermined.map(\.missingFields) == [["payment_method"]])
  // Filed below the sum: the condition is true whatever the method.
  filed[CanonicalSchema.id(named: "aggregate")!] = usd("20.00")
  #expect(check(ruleSet, [filed]).findings.map(\.line) == [2])
}

@Test func aConditionUndeterminedBeforeIsDecidedAsAnyOther() throws {
  // After an undetermined record, a rule's condition runs through its collecting kernel
  // (see `evaluateGrouped`): the next record must still fire, be decided, or name what
  // it misses, as it would have.
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window cycle",
    when: "max(aggregate) < sum(amount) or payment_method == \"cash\"")
  func paid(_ method: String?, _ record: Record) -> Record {
    var record = record
    if let method { record[CanonicalSchema.id(named: "payment_method")!] = .string(method) }
    return record
  }
  let run = check(
    ruleSet,
    [
      paid(nil, gift("2024-01-05", "50.00", line: 2)),
      paid("cash", gift("2024-02-05", "100.00", line: 3)),
      paid(nil, gift("2024-03-05", "100.00", name: "DOE, JANE", line: 4)),
      paid("check", gift("2024-03-06", "100.00", name: "DOE, JANE", line: 5)),
      paid("cash", gift("2024-03-07", "100.00", name: "ROE, RICHARD", line: 6)),
    ])
  #expect(run.findings.map(\.line) == [3, 6])
  #expect(run.tallies[0].undetermined == 3)
  #expect(
    run.undetermined.map(\.line) == [2, 4, 5]
      && run.undetermined.map(\.missingFields)
        == [
          ["max(aggregate)", "payment_method"], ["max(aggregate)", "payment_method"],
          ["max(aggregate)"],
        ]
  )
}

@Test func aNameWrittenOverLinesIsGivenOnOne() throws {
  // In a summary line and as a JSON key, the text of an expression written over two
  // lines is on one.
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window cycle",
    when: "max(\n      aggregate) < sum(amount) or payment_method == \"cash\"")
  let run = check(ruleSet, [gift("2024-01-05", "50.00", line: 2)])
  #expect(run.tallies[0].missingFieldCounts == ["max( aggregate)": 1, "payment_method": 1])
}

@Test func aNameWrittenOverLinesLeavesItsCommentsOut() throws {
  // A comment inside the expression is not part of its name; a # in a string is.
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window cycle",
    when:
      "max( # the filed one\n      aggregate) < sum(amount)\n"
      + "  or election_year(\"#\" # a mark\n    ) == 2024")
  let run = check(ruleSet, [gift("2024-01-05", "50.00", line: 2)]) {
    $0.target = RecordSelector("2")
  }
  #expect(
    run.tallies[0].missingFieldCounts == ["max( aggregate)": 1, "election_year(\"#\" )": 1])
  // `probity explain` shows the condition a part a line, without the comments.
  let verdict = try #require(run.finalVerdicts().first)
  #expect(verdict.missingFields == ["max( aggregate)", "election_year(\"#\" )"])
  #expect(
    verdict.condition.map(\.text) == [
      "any of:", "max( aggregate) = missing < sum(amount) = $50.00",
      "election_year(\"#\" ) = missing == 2024",
    ])
}

/// What an undetermined outcome names: the deepest cause, a field, a function that gave
/// missing on a value that is there, or a table with no entry for the key.
@Test(
  "an undetermined outcome names its deepest cause",
  arguments: [
    // A zip code of three digits has no five-digit form: the group key is missing.
    ("P2024", "454", ["zip5(zip)": 1]),
    // A code that gives no year: the call is named, not the table it was the key of.
    ("2024P", "45402", ["election_year(election_code)": 1]),
    // 2030: no entry in the table.
    ("P2030", "45402", ["limit[election_year(election_code)]": 1]),
    // No election code: the field is named, not the table.
    (nil, "45402", ["election_code": 1]),
  ] as [(String?, String, [String: Int])])
func undeterminedNamesItsDeepestCause(
  _ election: String?, _ zip: String, _ expected: [String: Int]
) throws {
  let ruleSet = try groupedRuleSet(
    "group by person_key(name), zip5(zip)\n  window election",
    when: "total > limit[election_year(election_code)]")
  let run = check(ruleSet, [gift("2024-01-05", "3500.00", zip: zip, election: election, line: 2)])
  #expect(run.tallies[0].undetermined == 1)
  #expect(run.tallies[0].missingFieldCounts == expected)
}

@Test func minMaxAndCount() throws {
  let ruleSet = try groupedRuleSet(
    "group by person_key(name)\n  window cycle",
    when: "count() >= 3 and max(amount) - min(amount) > $100.00")
  let run = check(
    ruleSet,
    [
      gift("2024-01-05", "50.00", line: 2), gift("2024-02-05", "100.00", line: 3),
      gift("2024-03-05", "200.00", line: 4),
    ])
  #expect(run.findings.map(\.line) == [4])
}

@Test func groupStateDoesNotGrowWithRecords() throws {
  // Many records, few donors: the first pass keeps one small state per group, with no
  // trail; the replay rebuilds trails for the groups that fired only.
  let ruleSet = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  var run = CheckRun(ruleSet: ruleSet)
  for i in 0..<3000 {
    run.evaluate(gift("2024-01-05", "1.00", name: "DONOR, NUMBER\(i % 3)", line: i + 2))
  }
  #expect(run.tables[0].rows.count == 3)
  #expect(run.tables[0].crossings.isEmpty && run.tables[0].rolling.isEmpty)
  #expect(run.tallies[0].evaluated == 3000)
  run.finish()
  #expect(!run.needsReplay)
}

/// Rules with windows of different kinds, or taken on different dates, side by side in
/// one pack: each record's window is computed once per kind and date and lent to the
/// rules with the same one (`Frame.windows`), never to another's.
@Suite("Windows of several kinds in one pack")
struct WindowsSideBySide {
  static func rule(
    _ id: String, _ window: String, when condition: String = "sum(amount) > $3,000.00"
  ) -> String {
    ruleText(
      id,
      """
      group by person_key(name), zip5(zip)
        window \(window)
        when \(condition)
      """)
  }

  static func fired(_ ruleSet: CompiledRuleSet, _ records: [Record]) -> [String] {
    check(ruleSet, records).findings.map { "\($0.ruleID) \($0.line)" }
  }

  @Test("each rule groups by its own window, whatever the order of the rules")
  func ownWindows() throws {
    // Two gifts in the same year and cycle, in two quarters; shifted 280 days on, the
    // first stays in the 2023-2024 cycle and the second is in the next.
    let records = [gift("2024-03-15", "2000.00", line: 1), gift("2024-05-01", "2000.00", line: 2)]
    let rules = [
      ("YEAR", "calendar-year", true), ("QUARTER", "quarter", false),
      ("SHIFTED", "cycle on add_days(date, 280)", false), ("CYCLE", "cycle", true),
      ("CYCLE0", "cycle on add_days(date, 0)", true),
      ("YEAR280", "calendar-year on add_days(date, 280)", false),
    ]
    for order in [rules, rules.reversed()] {
      let ruleSet = try compiledPack(order.map { Self.rule($0.0, $0.1) }.joined(separator: "\n"))
      let expected = order.filter(\.2).map { "\($0.0) 2" }
      #expect(Set(Self.fired(ruleSet, records)) == Set(expected), "\(order.map(\.0))")
    }
  }

  @Test("an undesignated gift's election window is not the cycle's")
  func undesignatedElection() throws {
    let records = [
      gift("2024-03-15", "2000.00", election: nil, line: 1),
      gift("2024-05-01", "2000.00", election: nil, line: 2),
    ]
    let pack =
      Self.rule("CYCLE", "cycle") + "\n"
      + ruleText(
        "ELECTION",
        """
        group by person_key(name), zip5(zip)
          window election
          when sum(amount) > $3,000.00
        """)
    let findings = check(try compiledPack(pack), records).findings
    #expect(findings.map(\.ruleID) == ["CYCLE", "ELECTION"])
    let windows = findings.map { $0.group.first { $0.name == "window" }?.value }
    #expect(windows == [.string("2023-2024"), .string("undesignated, cycle 2023-2024")])
  }
}

/// A group that went over, was cured in time, and went over again later (never cured):
/// `check` counts the first crossing cured and raises the second. `explain` on the record
/// of the first crossing says it was cured, and names the later finding, as check counts
/// it; it said only "part of a group whose finding is raised" on the later record.
@Test func explainSaysCuredWhereALaterCrossingOfTheGroupFired() throws {
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  let listed = [
    gift("2024-01-10", "3500.00", line: 2),
    gift("2024-01-20", "300.00", kind: .disbursement, line: 3),
    gift("2024-06-01", "500.00", line: 4),
  ]
  let run = check(cure, listed, asOf: "2024-12-31")
  #expect(run.findings.map(\.line) == [4])
  #expect(run.tallies[0].cured == 1)
  #expect(run.tallies[0].fired == 1)
  let expected: [(Int, RuleVerdict.Status, String)] = [
    (
      2, .cured,
      "cured: the record on line 3 (T3, 2024-01-20) brought the group back within the condition in time (the group's finding on line 4 is of another time it went over)"
    ),
    (
      3, .firedOnAnotherRecord,
      "this record is part of a group whose finding is raised on line 4; this record brought the group back within the condition, which it went over on line 2 (T2), by its deadline of 2024-03-10: cured in time"
    ),
    (4, .fired, "fired: the condition holds on this record"),
  ]
  for (line, status, reason) in expected {
    let watched = check(cure, listed, asOf: "2024-12-31") { $0.target = RecordSelector("\(line)") }
    let verdict = try #require(watched.finalVerdicts().first)
    #expect(verdict.status == status, "\(line): \(verdict.reason)")
    #expect(verdict.reason == reason, "\(line)")
  }
}

/// The record that brought a group back within its condition says so, and names the
/// crossing it undid and what came of it: it said only "the condition is false after
/// this record" (docs/output.md says a record after the crossing names it).
@Test func explainOnTheRecordThatBroughtTheGroupBack() throws {
  let netting = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  func reason(_ ruleSet: CompiledRuleSet, refund date: String) throws -> (
    RuleVerdict.Status, String
  ) {
    let listed = [
      gift("2024-01-10", "3500.00", line: 2),
      gift(date, "300.00", kind: .disbursement, line: 3),
    ]
    let watched = check(ruleSet, listed, asOf: "2024-12-31") { $0.target = RecordSelector("3") }
    let verdict = try #require(watched.finalVerdicts().first)
    return (verdict.status, verdict.reason)
  }
  #expect(
    try reason(netting, refund: "2024-01-20") == (
      .notFired,
      "did not fire: this record brought the group back within the condition, which it went over on line 2 (T2): netted"
    ))
  #expect(
    try reason(cure, refund: "2024-05-01") == (
      .firedOnAnotherRecord,
      "this record is part of a group whose finding is raised on line 2; this record brought the group back within the condition, which it went over on line 2 (T2), after its deadline of 2024-03-10: cured late, a finding on that record"
    ))
}

/// A record of `gift`'s with another transaction id and file.
private func filed(_ record: Record, id: String, file: String = "f.csv") -> Record {
  var moved = Record(
    kind: record.kind, provenance: Provenance(file: file, line: record.provenance.line),
    values: record.values)
  moved[CanonicalSchema.id(named: "transaction_id")!] = .string(id)
  return moved
}

/// A group that fired, whose records hold one transaction id twice in one file: one gift
/// filed twice would be counted twice, so its finding does not stand; the group is one
/// outcome that could not be evaluated, said on the second record, and `explain` says
/// why. Another group's finding stands. Records in date order or not (the group judged
/// again in date order) alike.
@Test func aTransactionTwiceInAFiredGroupLeavesItUnjudged() throws {
  let rules = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let cure = try groupedRuleSet(
    electionRule + "\n  cure within 60 days", when: "total > limit[election_year(election_code)]")
  let inOrder = [
    filed(gift("2024-01-05", "2000.00", line: 2), id: "A.1"),
    filed(gift("2024-02-05", "1000.00", line: 3), id: "A.2"),
    filed(gift("2024-02-05", "1000.00", line: 4), id: "A.2"),
    filed(gift("2024-01-06", "3500.00", name: "DOE, JANE", line: 5), id: "B.1"),
  ]
  let outOfOrder = [inOrder[1], inOrder[0], inOrder[2], inOrder[3]]
  for (rules, records) in [
    (rules, inOrder), (cure, inOrder), (rules, outOfOrder), (cure, outOfOrder),
  ] {
    let run = check(rules, records, asOf: "2024-12-31")
    #expect(run.findings.map(\.line) == [5])
    #expect(run.tallies[0].fired == 1)
    #expect(run.tallies[0].failed == 1)
    #expect(run.problems.map(\.line) == [4])
    #expect(run.problems.map(\.transactionID) == ["A.2"])
    #expect(
      run.problems.first?.message
        == "not judged: transaction A.2 is in f.csv twice (lines 3 and 4), and both are counted in this group's total; if it is one gift filed twice, the total is overstated. Correct the filing, or make sure they are two gifts, and check again"
    )
    let watched = check(rules, records, asOf: "2024-12-31") { $0.target = RecordSelector("2") }
    let verdict = try #require(watched.finalVerdicts().first)
    #expect(verdict.status == .failed)
    #expect(
      verdict.reason.hasPrefix("not judged: transaction A.2 is in f.csv twice"), "\(verdict.reason)"
    )
  }
}

/// One transaction id in two files (two filings), or on a receipt and a disbursement of
/// one file, is no gift filed twice: the finding stands. So does a group that never went
/// over, whatever its ids: it accuses no one.
@Test func aTransactionIdSharedAcrossFilesOrKindsLeavesTheFindingStanding() throws {
  let rules = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  let twoFiles = [
    filed(gift("2024-01-05", "3000.00", line: 2), id: "A.1", file: "a.csv"),
    filed(gift("2024-02-05", "1000.00", line: 2), id: "A.1", file: "b.csv"),
  ]
  let twoKinds = [
    filed(gift("2024-01-05", "4000.00", line: 2), id: "A.1"),
    filed(gift("2024-02-05", "100.00", kind: .disbursement, line: 3), id: "A.1"),
  ]
  for records in [twoFiles, twoKinds] {
    let run = check(rules, records, asOf: "2024-12-31")
    #expect(run.findings.count == 1)
    #expect(run.tallies[0].failed == 0)
    #expect(run.problems.isEmpty)
  }
  let under = [
    filed(gift("2024-01-05", "1000.00", line: 2), id: "A.1"),
    filed(gift("2024-02-05", "1000.00", line: 3), id: "A.1"),
  ]
  let run = check(rules, under, asOf: "2024-12-31")
  #expect(run.findings.isEmpty)
  #expect(run.tallies[0].failed == 0)
  #expect(run.problems.isEmpty)
}

/// A group keyed by `person_key(name)` whose names tell two people apart (middle names
/// of other initials, a man's title and a woman's, in the name or in its prefix field) is
/// not judged: one total of two people's gifts may be no one's excess. Names that agree,
/// or leave the middle name or title out, are one donor as before.
@Test func namesOfTwoPeopleUnderOneKeyLeaveTheGroupUnjudged() throws {
  let rules = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  func prefixed(_ record: Record, _ prefix: String) -> Record {
    var record = record
    record[CanonicalSchema.id(named: "prefix")!] = .string(prefix)
    return record
  }
  let twoPeople: [([Record], String)] = [
    (
      [
        gift("2024-01-05", "2000.00", name: "JONES, MARY ANN", line: 2),
        gift("2024-02-05", "2000.00", name: "JONES, MARY BETH", line: 3),
      ],
      "\"JONES, MARY ANN\" (line 2) and \"JONES, MARY BETH\" (line 3) are one donor by their key but differ in their middle names"
    ),
    (
      [
        gift("2024-01-05", "2000.00", name: "MR JOHN SMITH", line: 2),
        gift("2024-02-05", "2000.00", name: "Smith, Mrs. John", line: 3),
      ],
      "differ in their titles (a man's and a woman's)"
    ),
    (
      [
        prefixed(gift("2024-01-05", "2000.00", name: "Smith, John", line: 2), "Mr."),
        prefixed(gift("2024-02-05", "2000.00", name: "Smith, John", line: 3), "Mrs."),
      ],
      "\"Smith, John (Mr.)\" (line 2) and \"Smith, John (Mrs.)\" (line 3)"
    ),
  ]
  for (records, said) in twoPeople {
    let run = check(rules, records, asOf: "2024-12-31")
    #expect(run.findings.isEmpty, "\(said)")
    #expect(run.tallies[0].failed == 1)
    #expect(run.problems.map(\.line) == [3])
    #expect(run.problems.first?.message.contains(said) == true, "\(run.problems.map(\.message))")
  }
  let oneDonor = [
    gift("2024-01-05", "2000.00", name: "SMITH, JOHN A", line: 2),
    gift("2024-02-05", "1000.00", name: "John Allen Smith", line: 3),
    gift("2024-03-05", "1000.00", name: "MR JOHN SMITH", line: 4),
  ]
  let run = check(rules, oneDonor, asOf: "2024-12-31")
  #expect(run.findings.map(\.line) == [4])
  #expect(run.problems.isEmpty)
}

/// Without --as-of, a run is judged as of the latest date its records give: their `date`,
/// and the dates of receipt, acceptance and report too. A register's returned donations
/// have no acceptance date (their `date`): judged as of the latest acceptance, years
/// before their reports, expired waivers still held.
@Test func theLatestRecordDateIsTheLatestOfEveryEventsDate() throws {
  let rules = try groupedRuleSet(
    electionRule, when: "total > limit[election_year(election_code)]")
  var returned = gift("2015-09-18", "100.00", line: 2)
  var undated = gift("2015-09-18", "100.00", line: 3)
  undated[CanonicalSchema.dateField] = .missing
  undated[CanonicalSchema.id(named: "received_date")!] = date("2025-09-05")
  undated[CanonicalSchema.id(named: "reported_date")!] = date("2025-10-30")
  returned[CanonicalSchema.id(named: "accepted_date")!] = date("2015-09-18")
  let run = check(rules, [returned, undated])
  #expect(run.asOf == CivilDate(year: 2025, month: 10, day: 30))
  #expect(check(rules, [returned]).asOf == CivilDate(year: 2015, month: 9, day: 18))
}
