import ProbityCore
import Testing

@testable import ProbityEngine

/// A memoized call site's table (`MemoTable`) answers exactly what it was given for the
/// very bytes of each string, through growth, collisions of slots and emptying.
@Suite("Memo tables")
struct MemoTableTests {
  /// Keys of the same length that differ in one byte, prefixes of one another, empty,
  /// with a NUL, beyond ASCII, and one name in composed and decomposed form.
  static let corners = [
    "", "A", "B", "AB", "BA", "ABC", "ABD", "A\u{0}B", "A\u{0}C", "SMITH JOHN 45402",
    "SMITH JOHN 45403", "SMITH JOHN 4540", "JOS\u{00C9}", "JOSE\u{0301}", "\u{1F600}",
  ]

  @Test("each key gets back its own value, and only a key put in gets one")
  func exactKeys() {
    for (seed, alike): (UInt64, Bool) in [
      (0, false), (1, false), (0xDEAD_BEEF, false), (.max, false), (0, true),
    ] {
      var table = MemoTable(seed: seed)
      // With every hash alike, each lookup runs along every key put in before it.
      table.everyHashAlike = alike
      for (index, key) in Self.corners.enumerated() {
        #expect(table.value(for: key) == nil, "\(key) before it was put in")
        table.insert(.integer(Int64(index)), for: key)
      }
      #expect(table.count == Self.corners.count)
      for (index, key) in Self.corners.enumerated() {
        #expect(table.value(for: key) == .integer(Int64(index)), "\(key), seed \(seed)")
      }
      for absent in ["C", "ABE", "A\u{0}", "SMITH JOHN 45404", "JOSE", "AB "] {
        #expect(table.value(for: absent) == nil, "\(absent)")
      }
    }
  }

  @Test("the empty key alone, and after it the others")
  func emptyKey() {
    for alike in [false, true] {
      var table = MemoTable(seed: 3)
      table.everyHashAlike = alike
      table.insert(.integer(0), for: "")
      #expect(table.value(for: "") == .integer(0))
      #expect(table.value(for: "A") == nil)
      table.insert(.integer(1), for: "A")
      #expect(table.value(for: "") == .integer(0) && table.value(for: "A") == .integer(1))
    }
  }

  @Test("the table grows and still finds every key; emptied, it starts again")
  func growsAndEmpties() {
    var table = MemoTable(seed: 42)
    let keys = (0..<20_000).map { "DONOR\($0), PAT Q" }
    // Alike, a few hundred keys: the growth and the emptying keep every one reachable.
    var alike = MemoTable(seed: 42)
    alike.everyHashAlike = true
    for (index, key) in keys.prefix(1_500).enumerated() {
      alike.insert(.integer(Int64(index)), for: key)
    }
    #expect(
      keys.prefix(1_500).enumerated().allSatisfy { alike.value(for: $1) == .integer(Int64($0)) })
    #expect(alike.value(for: keys[1_500]) == nil)
    alike.removeAll()
    #expect(alike.value(for: keys[0]) == nil)
    for (index, key) in keys.enumerated() {
      table.insert(.string(key.lowercased()), for: key)
      // Every so often, all the keys so far: growth must keep them.
      if index % 4_999 == 0 {
        #expect(keys[...index].allSatisfy { table.value(for: $0) == .string($0.lowercased()) })
      }
    }
    #expect(table.count == keys.count)
    #expect(keys.allSatisfy { table.value(for: $0) == .string($0.lowercased()) })
    #expect(table.value(for: "DONOR20000, PAT Q") == nil)
    table.removeAll()
    #expect(table.count == 0)
    #expect(keys.allSatisfy { table.value(for: $0) == nil })
    table.insert(.boolean(true), for: keys[7])
    #expect(table.value(for: keys[7]) == .boolean(true))
    #expect(table.value(for: keys[8]) == nil)
  }

  @Test("a memoized call gives what the function gives, on strings alike to the eye")
  func memoizedCallsAreTheFunctions() throws {
    // One donor under two spellings of one name (é composed, and e with a combining
    // accent), alternating: each answer of the memo is person_key's own on its string,
    // and the interner makes the two keys one group. Four gifts of $1,000: the fourth
    // crosses $3,300, with the memo and without it.
    let ruleSet = try groupedRuleSet(
      "group by person_key(name), zip5(zip)\n  window election", when: "total > $3,300.00")
    let names = ["JOS\u{00C9} SMITH", "JOSE\u{0301} SMITH"]
    let records = (1...4).map { line in
      gift("2024-02-0\(line)", "1000.00", name: names[line % 2], line: line)
    }
    let memoized = check(ruleSet, records)
    let direct = check(ruleSet, records) { run in
      for index in run.frame.memos.indices { run.frame.memos[index].skipped = .max }
    }
    #expect(memoized.frame.memos.contains { $0.table.count == 2 })
    #expect(direct.frame.memos.allSatisfy { $0.table.count == 0 })
    #expect(memoized.findings.map(\.line) == [4])
    #expect(direct.findings.map(\.line) == memoized.findings.map(\.line))
    #expect(direct.findings.map(\.message) == memoized.findings.map(\.message))
  }
}
