import Foundation
import ProbityCore
import ProbityFilings
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// The replay with an index (only the records of groups that fired, by line) builds the
/// same trails as the replay of every record.
@Suite("Replay index")
struct ReplayIndexTests {
  /// Findings as text, trails included.
  static func text(_ run: CheckRun) -> [String] {
    run.findings.map { finding in
      "\(finding.ruleID) \(finding.file):\(finding.line) "
        + finding.trail.map { "\($0.line)/\($0.amount)/\($0.running)/\($0.raisedHere)" }.joined(
          separator: " ")
    }
  }

  static func compare(_ ruleSet: CompiledRuleSet, _ records: [Record]) throws -> Int {
    let plain = check(ruleSet, records)
    var indexed = CheckRun(ruleSet: ruleSet)
    indexed.indexForReplay()
    for record in records { indexed.evaluate(record) }
    indexed.finish()
    var delivered = 0
    if indexed.needsReplay {
      let selection = indexed.replaySelection()
      let lines = try #require(selection)
      for record in records
      where lines[record.provenance.file]?.lines.contains(record.provenance.line) == true {
        // Each line's offset as the first pass noted it (none for records made here).
        let offsets = lines[record.provenance.file]?.offsets ?? [:]
        #expect(offsets[record.provenance.line] == (record.offset >= 0 ? record.offset : nil))
        indexed.replay(record)
        delivered += 1
      }
      indexed.finishReplay()
    }
    #expect(text(indexed) == text(plain))
    #expect(text(plain).contains { $0.contains("/true") }, "some trail to compare")
    return delivered
  }

  @Test("fixtures of the US pack: same trails, fewer records")
  func usFixtures() throws {
    let ruleSet = try KernelDifferentialTests.load("Rules/us-federal")
    var records: [Record] = []
    for file in ["Fixtures/us-federal/receipts.csv", "Fixtures/us-federal/aggregates.csv"] {
      records += try KernelDifferentialTests.records(KernelDifferentialTests.path(file))
    }
    #expect(records.allSatisfy { $0.offset > 0 }, "read from files: every offset known")
    let delivered = try Self.compare(ruleSet, records)
    #expect(delivered > 0 && delivered < records.count)
  }

  @Test("records sharing a line (as XML may) are told apart by their order on it")
  func sharedLines() throws {
    let ruleSet = try groupedRuleSet(
      "group by person_key(name), zip5(zip)\n  window election", when: "total > $3,300.00")
    // Two donors' gifts, each line holding one gift of each donor.
    var records: [Record] = []
    for line in 1...4 {
      for (donor, amount) in [("DOE, JANE", "10.00"), ("SMITH, JOHN", "1000.00")] {
        let record = gift("2024-0\(line)-01", amount, name: donor, line: line)
        records.append(record)
      }
    }
    _ = try Self.compare(ruleSet, records)
  }

  @Test("offsets beyond 4 GiB come back whole, and a missing one means none are given")
  func wideOffsets() throws {
    let ruleSet = try groupedRuleSet(
      "group by person_key(name), zip5(zip)\n  window election", when: "total > $3,300.00")
    var records = (1...4).map { gift("2024-0\($0)-01", "1000.00", line: $0) }
    for index in records.indices { records[index].offset = (index + 1) * 3_000_000_001 }
    _ = try Self.compare(ruleSet, records)
    // One record whose offset is not known: the reader must read from the start.
    records[2].offset = -1
    var indexed = CheckRun(ruleSet: ruleSet)
    indexed.indexForReplay()
    for record in records { indexed.evaluate(record) }
    indexed.finish()
    let selection = try #require(indexed.replaySelection()?.values.first)
    #expect(selection.lines == [1, 2, 3, 4])
    #expect(selection.offsets.isEmpty)
  }

  @Test("a file given twice repeats its lines: the index gives up and every record is replayed")
  func fileGivenTwice() throws {
    let ruleSet = try groupedRuleSet(
      "group by person_key(name), zip5(zip)\n  window election", when: "total > $3,300.00")
    let once = (1...4).map { gift("2024-0\($0)-01", "1000.00", line: $0) }
    // The same lines again, with ids of their own (one id twice in a fired group leaves
    // it unjudged: `aTransactionTwiceInAFiredGroupLeavesItUnjudged`).
    let again = once.map { record in
      var copy = record
      copy[CanonicalSchema.id(named: "transaction_id")!] = .string("U\(record.provenance.line)")
      return copy
    }
    let records = once + again
    let plain = check(ruleSet, records)
    var indexed = CheckRun(ruleSet: ruleSet)
    indexed.indexForReplay()
    for record in records { indexed.evaluate(record) }
    indexed.finish()
    let selection = indexed.replaySelection()
    #expect(selection == nil)
    for record in records { indexed.replay(record) }
    indexed.finishReplay()
    #expect(Self.text(indexed) == Self.text(plain))
    #expect(Self.text(plain).count == 1)
  }
}
