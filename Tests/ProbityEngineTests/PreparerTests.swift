import Foundation
import ProbityCore
import ProbityFilings
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// Records prepared ahead (on another thread, in the tool) give the same findings,
/// trails, counts and examples as records evaluated as they come: what the preparer
/// computes is pure, whichever thread computes it and whether or not it does.
@Suite("Prepared records")
struct PreparerTests {
  /// Everything a report shows of a run.
  static func summary(_ run: CheckRun) -> [String] {
    run.findings.map { finding in
      "\(finding.ruleID) \(finding.file):\(finding.line) \(finding.message) \(finding.remedyStatus?.rawValue ?? "")"
        + finding.group.map { " \($0.name)=\($0.value)" }.joined()
        + finding.trail.map { " \($0.line)/\($0.amount)/\($0.running)/\($0.raisedHere)" }.joined()
    }
      + run.tallies.map { tally in
        "\(tally.evaluated) \(tally.fired) \(tally.undetermined) \(tally.failed) \(tally.notApplicable) "
          + "\(tally.cured) \(tally.pending) \(tally.missingFieldCounts.sorted { $0.key < $1.key })"
      } + run.undetermined.map { "\($0.ruleID) \($0.line) \($0.missingFields)" }
      + run.problems.map { "\($0.ruleID) \($0.line) \($0.message)" }
  }

  /// Both passes of a run over the records, every other record prepared ahead.
  static func everyOtherPrepared(_ run: CheckRun, _ records: [Record]) -> CheckRun {
    var run = run
    let preparer = run.makePreparer()
    for (index, record) in records.enumerated() {
      run.evaluate(index % 2 == 0 ? preparer.prepare(record) : PreparedRecord(record))
    }
    run.finish()
    if run.needsReplay {
      for record in records { run.replay(record) }
      run.finishReplay()
    }
    return run
  }

  /// Runs the records plain, then prepared (every record, every other one, and through
  /// a preparer on another thread while the run evaluates), and compares.
  static func compare(_ ruleSet: CompiledRuleSet, _ records: [Record]) {
    let plain = check(ruleSet, records)
    let expected = summary(plain)
    for every in [1, 2] {
      var run = CheckRun(ruleSet: ruleSet)
      let preparer = run.makePreparer()
      for (index, record) in records.enumerated() {
        run.evaluate(index % every == 0 ? preparer.prepare(record) : PreparedRecord(record))
      }
      run.finish()
      if run.needsReplay {
        for record in records { run.replay(preparer.prepare(record)) }
        run.finishReplay()
      }
      #expect(summary(run) == expected, "prepared every \(every)")
    }
    // With the memos of `where` clauses off, as a filing of more tuples than
    // `ProjectionMemo.limit` turns them off (a national file): every `where` is then
    // computed, by the preparer and by the run.
    var unmemoized = CheckRun(ruleSet: ruleSet)
    unmemoized.memos = []
    let bare = unmemoized.makePreparer()
    bare.memos = []
    for (index, record) in records.enumerated() {
      unmemoized.evaluate(index % 2 == 0 ? bare.prepare(record) : PreparedRecord(record))
    }
    unmemoized.finish()
    if unmemoized.needsReplay {
      for record in records { unmemoized.replay(bare.prepare(record)) }
      unmemoized.finishReplay()
    }
    #expect(summary(unmemoized) == expected, "prepared every other, the memos off")
    // Prepared into caches given back: each record's cache is the one the record before
    // it was handed, emptied and filled again.
    var recycled = CheckRun(ruleSet: ruleSet)
    let recycling = recycled.makePreparer()
    for record in records {
      let prepared = recycling.prepare(record)
      recycled.evaluate(prepared)
      recycling.recycle(prepared)
    }
    recycled.finish()
    if recycled.needsReplay {
      for record in records { recycled.replay(record) }
      recycled.finishReplay()
    }
    #expect(summary(recycled) == expected, "prepared into caches given back")
    // A cache given back, once nothing else holds it, is the one the next record gets:
    // emptied in place, not copied.
    #expect(records.count > 1)
    if let first = records.first, records.count > 1 {
      var address: UnsafeRawPointer?
      do {
        let prepared = recycling.prepare(first)
        address = prepared.cache?.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        recycling.recycle(prepared)
      }
      let next = recycling.prepare(records[1])
      let reused = next.cache?.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
      #expect(address != nil && reused == address, "the cache given back is filled again")
    }
    // A preparer on another thread while the run evaluates.
    var run = CheckRun(ruleSet: ruleSet)
    let preparer = run.makePreparer()
    let prepared = LockedList()
    let thread = Thread {
      for record in records { prepared.append(preparer.prepare(record)) }
    }
    thread.start()
    for (index, record) in records.enumerated() {
      if index % 3 == 0 {
        run.evaluate(record)
      } else {
        run.evaluate(prepared.take(index))
      }
    }
    run.finish()
    if run.needsReplay {
      for record in records { run.replay(record) }
      run.finishReplay()
    }
    #expect(summary(run) == expected, "prepared on another thread")
  }

  final class LockedList: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [PreparedRecord] = []

    func append(_ item: PreparedRecord) {
      condition.lock()
      items.append(item)
      condition.broadcast()
      condition.unlock()
    }

    func take(_ index: Int) -> PreparedRecord {
      condition.lock()
      while items.count <= index { condition.wait() }
      let item = items[index]
      condition.unlock()
      return item
    }
  }

  /// Both packs, each with fixtures and real filings of its own.
  static let filings = [
    ("Rules/us-federal", "Fixtures/us-federal/receipts.csv"),
    ("Rules/us-federal", "Fixtures/us-federal/aggregates.csv"),
    ("Rules/us-federal", "Fixtures/us-federal/pac-receipts.csv"),
    ("Rules/us-federal", "../shared/data/fec/1544132.fec"),
    ("Rules/us-federal", "../shared/data/fec-bulk/agaiduk_itcont_random5000_2015_2018.txt"),
    ("Rules/uk-ppera", "Fixtures/uk-ppera/donations.csv"),
    ("Rules/uk-ppera", "../shared/data/uk/ec_donations_2025_2026.csv"),
  ]

  @Test("both packs, on fixtures and real filings", arguments: filings)
  func packs(_ pack: String, _ file: String) throws {
    let ruleSet = try KernelDifferentialTests.load(pack)
    let records = try KernelDifferentialTests.records(
      KernelDifferentialTests.path(file), limit: 10_000)
    #expect(!records.isEmpty)
    Self.compare(ruleSet, records)
  }

  /// The preparer settles the outcomes that are only counted (left out by `where`,
  /// evaluated and not fired); a `where` that fails, or cannot be decided, is left to
  /// the run, prepared or not.
  @Test("a where that fails or is undetermined is not settled ahead")
  func unsettled() throws {
    let ruleSet = try ProjectionMemoTests.rule(
      "amount * 100000000000000 > $1.00 and zip != \"00000\"", when: "amount > $1,000,000.00")
    // An amount that overflows the product (a failure), one that does not, one with no
    // ZIP code (undetermined), one left out.
    var noZip = gift("2024-01-03", "2.00", line: 3)
    noZip[try #require(CanonicalSchema.id(named: "zip"))] = .missing
    let records = [
      gift("2024-01-01", "100000.00", line: 1), gift("2024-01-02", "1.00", line: 2), noZip,
      gift("2024-01-04", "3.00", zip: "00000", line: 4),
    ]
    let run = check(ruleSet, records)
    #expect(
      run.tallies.map { [$0.evaluated, $0.failed, $0.undetermined, $0.notApplicable] } == [
        [1, 1, 1, 1]
      ])
    Self.compare(ruleSet, records)
  }

  /// The run reads a prepared record's cache, and the values a memo remembered for its
  /// tuple, while it evaluates the record, and holds neither after (`Frame.prepared`):
  /// a cache given back is filled again in place, and a memo's arrays are counted only
  /// on the thread that prepares.
  @Test("the run holds nothing of a prepared record once it is evaluated")
  func runLetsGo() throws {
    let ruleSet = try compiledPack(
      ruleText(
        "A",
        "where entity_type == \"IND\"\n  group by person_key(name), zip5(zip)\n"
          + "  when sum(amount) > $1,000,000.00"))
    var run = CheckRun(ruleSet: ruleSet)
    let preparer = run.makePreparer()
    // The memo's tuple is made on the first record and remembered for the second.
    for line in 1...2 {
      var address: UnsafeRawPointer?
      do {
        let prepared = preparer.prepare(gift("2024-01-01", "10.00", line: line))
        #expect((prepared.remembered != nil) == (line == 2), "record \(line)")
        run.evaluate(prepared)
        #expect(
          run.frame.values.isEmpty && run.frame.prepared.isEmpty && run.frame.remembered.isEmpty,
          "record \(line)")
        address = prepared.cache?.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        preparer.recycle(prepared)
      }
      let next = preparer.prepare(gift("2024-01-02", "20.00", line: line + 10))
      let reused = next.cache?.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
      #expect(address != nil && reused == address, "record \(line): filled again in place")
    }
  }

  /// The preparer keeps the steps of each kind of record apart: a record is prepared
  /// with the rules about its kind, and only those.
  @Test("a record is prepared with the rules of its own kind")
  func stepsByKind() throws {
    let when = "when amount > $1,000,000.00"
    let ruleSet = try compiledPack(
      ruleText("RECEIPTS", applies: "receipt", when) + "\n"
        + ruleText("PAYMENTS", applies: "disbursement", when))
    let preparer = CheckRun(ruleSet: ruleSet).makePreparer()
    // Each rule's condition is false on each record: settled, not fired, by its own kind.
    let receipt = preparer.prepare(gift("2024-01-01", "10.00", line: 1))
    let payment = preparer.prepare(gift("2024-01-02", "10.00", kind: .disbursement, line: 2))
    #expect(receipt.notFired == 1 << 0)
    #expect(payment.notFired == 1 << 1)
  }

  /// The preparer computes a set of `group by` keys once per record, for every rule with
  /// the same keys: each rule's keys are then in the prepared record's cache, whichever
  /// rule computed them.
  @Test("a prepared record carries every grouped rule's keys")
  func keysPrepared() throws {
    func rule(_ id: String, _ keys: String) -> String {
      ruleText(id, "group by \(keys)\n  when sum(amount) > $1,000,000.00")
    }
    let run = CheckRun(
      ruleSet: try compiledPack(
        [
          rule("A", "person_key(name), zip5(zip)"), rule("B", "person_key(name), zip5(zip)"),
          rule("C", "upper(employer)"), rule("D", "person_key(name), zip5(zip)"),
        ].joined(separator: "\n")))
    let employer = try #require(CanonicalSchema.id(named: "employer"))
    let preparer = run.makePreparer()
    // Two records by the same preparer: what it knew of the first (the key sets it had
    // computed) is forgotten for the second.
    for (line, name) in [(1, "Acme"), (2, "Zenith")] {
      var record = gift("2024-01-01", "10.00", line: line)
      record[employer] = .string(name)
      let prepared = preparer.prepare(record)
      let cache = try #require(prepared.cache)
      // The run's kernels (the preparer's have the same slots), on a frame given the
      // prepared cache: each key is found there, and nothing is computed into its own.
      let frame = Frame(
        slots: cache.count, keySets: run.frame.groupIDs.count,
        classes: run.frame.groupNumbers.count, memos: run.frame.memos.count)
      cache.withUnsafeBufferPointer { cached in
        frame.start(record, prepared: cached)
        for plan in run.plans {
          for key in plan.keys { _ = frame.run(key.run) }
        }
        frame.endBorrowing()
      }
      #expect(frame.cache.allSatisfy { $0 == nil }, "record \(line)")
      #expect(cache.contains { $0 == .string(name.uppercased()) }, "record \(line)")
    }
  }

  /// The preparer hashes the first set of keys it computes as the run's interner will
  /// (its seed, its encoding), so that the run's look ahead asks for the slot the
  /// lookup then reads; a record whose keys are incomplete carries no hash.
  @Test("a prepared record's key hash is the run's interner's")
  func keyHashAhead() throws {
    let rule = ruleText("A", "group by person_key(name), zip5(zip)\n  when sum(amount) > $1.00")
    var run = CheckRun(ruleSet: try compiledPack(rule))
    let preparer = run.makePreparer()
    let zip = try #require(CanonicalSchema.id(named: "zip"))
    let person = try #require(DonorIdentity.personKey("SMITH, JOHN"))
    for line in 1...3 {
      let record = gift("2024-01-0\(line)", "10.00", zip: "4410\(line)", line: line)
      let prepared = preparer.prepare(record)
      #expect(prepared.keyHashSet == Int32(run.plans[0].keySet))
      // The values the run interns for the record, encoded and hashed as it does.
      let values = [Value.string(person), .string("4410\(line)")]
      var bytes = KeyBytes()
      for value in values { ValueInterner.encode(value, into: &bytes) }
      let hash = bytes.withUnsafeBytes { ValueInterner.hash($0, seed: run.groupValues.seed) }
      #expect(prepared.keyHash == hash, "record \(line)")
      run.evaluate(preparer.prepare(record))
    }
    // No zip: the keys are incomplete, nothing is hashed.
    var record = gift("2024-01-09", "10.00", line: 9)
    record[zip] = .missing
    #expect(preparer.prepare(record).keyHashSet == -1)
    // The run's own frame never hashes ahead.
    #expect(run.frame.keySeed == nil)
  }
}

/// A name means what the scope of its use says: two files may each have their own
/// `define` of one name, or their own parameter of one name. Values kept for the rest of
/// a record are kept by what they compute, so neither file's rules see the other's.
@Suite("Same names, other meanings")
struct SameNameTests {
  /// A file with its own `threshold` and its own `big`, and two rules that use them.
  static func file(_ name: String, threshold: String, big: String) -> SourceFile {
    func rule(_ id: String, _ clauses: String) -> String { ruleText(id, clauses) }
    return SourceFile(
      path: "\(name.lowercased()).probity",
      text: """
        param threshold: money = \(threshold)
        define big = amount > \(big)
        \(rule(name + "1", "when big"))
        \(rule(name + "2", "where amount > threshold\n  when true"))
        """)
  }

  static let sources = [
    file("A", threshold: "$200.00", big: "$100.00"),
    file("B", threshold: "$1,000.00", big: "$5,000.00"),
  ]

  @Test("each file's rules see their own define and parameter, prepared or not")
  func ownMeanings() throws {
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: Self.sources)
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    let ruleSet = try #require(compiled)
    let record = gift("2024-03-01", "500.00", line: 2)
    for prepared in [false, true] {
      var run = CheckRun(ruleSet: ruleSet)
      run.evaluate(prepared ? run.makePreparer().prepare(record) : PreparedRecord(record))
      run.finish()
      #expect(run.findings.map(\.ruleID) == ["A1", "A2"], "prepared: \(prepared)")
      #expect(run.tallies.map(\.notApplicable) == [0, 0, 0, 1])
    }
    #expect(KernelDifferentialTests.compare(ruleSet, [record]) > 0)
  }
}

/// `deadline` in a rule on single records (`due within N days`): the record's date plus
/// N days, set for the condition only when it reads it, and given with the finding
/// either way; the same prepared or not, and after a rule that sets no deadline.
@Suite("Deadlines of rules on single records")
struct SingleDeadlineTests {
  static let source = SourceFile(
    path: "due.probity",
    text: """
      rule DUE-000 {
        title "big, no deadline"
        severity error
        category excessive-contribution
        citation "c"
        applies receipt
        when amount > $100.00
        message "m"
      }
      rule DUE-001 {
        title "past its deadline"
        severity error
        category remedy-overdue
        citation "c"
        applies receipt
        due within 30 days
        when amount > $100.00 and deadline < as_of
        message "due {deadline}"
      }
      rule DUE-002 {
        title "due, condition without the deadline"
        severity warning
        category prohibited-source
        citation "c"
        applies receipt
        due within 10 days
        when amount > $100.00
        message "refund by {deadline}"
      }
      """)

  @Test(
    "the deadline is the date plus N days, in the condition and in the finding",
    arguments: [("2024-03-01", true), ("2024-01-31", false), ("2024-01-15", false)])
  func deadlines(asOf: String, overdue: Bool) throws {
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: [Self.source])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    let ruleSet = try #require(compiled)
    let asOfDate = try DateFormat.isoDate.parse(Substring(asOf)).get()
    let records = [
      gift("2024-01-01", "500.00", line: 1), gift("2024-01-02", "50.00", line: 2),
    ]
    for prepared in [false, true] {
      var run = CheckRun(ruleSet: ruleSet, asOf: asOfDate)
      for record in records {
        run.evaluate(prepared ? run.makePreparer().prepare(record) : PreparedRecord(record))
      }
      run.finish()
      let found = run.findings.map { "\($0.ruleID) \($0.line) \($0.message)" }
      #expect(
        found
          == ["DUE-000 1 m"] + (overdue ? ["DUE-001 1 due 2024-01-31"] : [])
          + ["DUE-002 1 refund by 2024-01-11"], "prepared: \(prepared)")
      #expect(
        run.findings.map { $0.deadline?.description }
          == found.map {
            $0.hasPrefix("DUE-001") ? "2024-01-31" : $0.hasPrefix("DUE-002") ? "2024-01-11" : nil
          })
    }
    #expect(KernelDifferentialTests.compare(ruleSet, records) > 0)
  }
}

/// A rule with a title, severity, category and citation of no interest, about `applies`,
/// with these clauses (its `where`, groups, condition) and a message.
func ruleText(_ id: String, applies kinds: String = "receipt", _ clauses: String) -> String {
  """
  rule \(id) {
    title "t"
    severity error
    category excessive-contribution
    citation "c"
    applies \(kinds)
    \(clauses)
    message "m"
  }
  """
}

/// A pack of one file, compiled without errors.
func compiledPack(_ text: String) throws -> CompiledRuleSet {
  let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
    SourceFile(path: "pack.probity", text: text)
  ])
  #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
  return try #require(compiled)
}
