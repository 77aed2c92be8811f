import Foundation
import ProbityCore
import ProbityLanguage
import ProbityTestSupport
import Testing

@testable import ProbityEngine

/// A finding is held as bytes (`FindingStore`) and decoded where it is read: every field
/// must come back as it went in, for findings of every shape.
@Suite struct FindingStoreTests {
  /// Texts that stress the encoding: empty, ASCII, accents, CJK, emoji with joiners, a
  /// BOM, a NUL, a long one past the one-byte length.
  static let texts = [
    "", "a", "JOHN SMITH", "Zoë Ørsted", "café.csv", "cafe\u{301}.csv", "東京都", "👩‍👩‍👧 family",
    "\u{FEFF}bom", "nul\u{0}in",
    String(repeating: "long text ", count: 40), "$3,300.00",
  ]

  struct Maker {
    var random: SeededGenerator

    mutating func pick<T>(_ list: [T]) -> T { list[random.next(below: list.count)] }
    mutating func chance() -> Bool { random.next(below: 2) == 0 }
    mutating func text() -> String { pick(FindingStoreTests.texts) }
    mutating func optionalText() -> String? { chance() ? nil : text() }

    mutating func integer() -> Int64 {
      pick([
        0, 1, -1, 127, 128, -129, 300, Int64.max, Int64.min, Int64(random.next(below: 1 << 40)),
      ])
    }

    mutating func date() -> CivilDate {
      CivilDate(
        year: 1990 + random.next(below: 60), month: 1 + random.next(below: 12),
        day: 1 + random.next(below: 28))!
    }

    mutating func value(depth: Int = 0) -> Value {
      switch random.next(below: depth < 2 ? 8 : 7) {
      case 0: return .missing
      case 1: return .boolean(chance())
      case 2: return .integer(integer())
      case 3:
        return .money(
          Money(minorUnits: integer(), currency: pick([.usd, .gbp, .eur, Currency(code: "JPY")!])))
      case 4: return .date(date())
      case 5, 6: return .string(text())
      default: return .list((0..<random.next(below: 4)).map { _ in value(depth: depth + 1) })
      }
    }

    mutating func named() -> [(name: String, value: Value)] {
      (0..<random.next(below: 5)).map { _ in
        (pick(["amount", "name", "total", "ñame", "n\u{303}ame"]), value())
      }
    }

    mutating func finding(ordinal: Int) -> Finding {
      let explanation = (0..<random.next(below: 5)).map { _ in
        ExplanationLine(
          depth: random.next(below: 4), text: text(), outcome: chance() ? nil : value())
      }
      let trail = (0..<random.next(below: 4)).map { _ in
        TrailEntry(
          file: pick(["a.csv", "dir/b.fec", "café.csv", "cafe\u{301}.csv"]),
          line: random.next(below: 1 << 30),
          transactionID: optionalText(),
          date: chance() ? nil : date(), amount: value(), running: value(), raisedHere: chance())
      }
      let keyed = chance()
      return Finding(
        ruleID: pick(["US-EXCESS-001", "R-1", "ÜK-1"]), title: text(),
        severity: pick(FindingSeverity.allCases),
        category: pick(FindingCategory.allCases), citation: text(),
        file: pick(["a.csv", "dir/b.fec", "ü.xml", "u\u{308}.xml"]),
        line: random.next(below: 1 << 40), locator: optionalText(), transactionID: optionalText(),
        filerID: optionalText(), filerName: optionalText(), reportPeriod: optionalText(),
        kind: chance() ? .receipt : .disbursement,
        message: text(), remedy: optionalText(), values: named(), explanation: explanation,
        group: named(),
        trail: trail, deadline: chance() ? nil : date(),
        remedyStatus: pick([nil, RemedyStatus.uncured, .curedLate]),
        groupKey: keyed
          ? GroupKey(values: Int32(random.next(below: 1000)), window: Int32(random.next(below: 3)))
          : nil,
        ordinal: ordinal, ruleIndex: random.next(below: 30),
        keyValues: (0..<random.next(below: 3)).map { _ in value() }, windowValue: value())
    }
  }

  /// Every field of two findings, compared byte for byte (`Finding` is not `Equatable`:
  /// its lists of named values are tuples; and Swift compares texts by canonical
  /// equivalence, which would take `café` with a combining accent for `café` without).
  static func expectSame(
    _ a: Finding, _ b: Finding, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    func same(_ x: [(name: String, value: Value)], _ y: [(name: String, value: Value)]) -> Bool {
      x.map(\.name) == y.map(\.name) && x.map(\.value) == y.map(\.value)
    }
    #expect(
      a.ruleID == b.ruleID && a.title == b.title && a.severity == b.severity,
      sourceLocation: sourceLocation)
    #expect(a.category == b.category && a.citation == b.citation, sourceLocation: sourceLocation)
    #expect(
      a.file == b.file && a.line == b.line && a.locator == b.locator, sourceLocation: sourceLocation
    )
    #expect(
      a.transactionID == b.transactionID && a.filerID == b.filerID, sourceLocation: sourceLocation)
    #expect(a.filerName == b.filerName && a.kind == b.kind, sourceLocation: sourceLocation)
    #expect(a.reportPeriod == b.reportPeriod, sourceLocation: sourceLocation)
    #expect(a.message == b.message && a.remedy == b.remedy, sourceLocation: sourceLocation)
    #expect(same(a.values, b.values) && same(a.group, b.group), sourceLocation: sourceLocation)
    #expect(a.explanation == b.explanation && a.trail == b.trail, sourceLocation: sourceLocation)
    #expect(
      a.deadline == b.deadline && a.remedyStatus == b.remedyStatus, sourceLocation: sourceLocation)
    #expect(
      a.groupKey == b.groupKey && a.ordinal == b.ordinal && a.ruleIndex == b.ruleIndex,
      sourceLocation: sourceLocation)
    #expect(
      a.keyValues == b.keyValues && a.windowValue == b.windowValue, sourceLocation: sourceLocation)
    let sameBytes = texts(a) == texts(b)
    #expect(
      sameBytes, "texts not the same bytes: \(a.ruleID) \(a.file)", sourceLocation: sourceLocation)
  }

  /// Every text of a finding, its values' included, as bytes, in order.
  static func texts(_ finding: Finding) -> [[UInt8]] {
    var out: [[UInt8]] = []
    func text(_ text: String?) { out.append(text.map { Array($0.utf8) } ?? [0xFF]) }
    func value(_ value: Value?) {
      switch value {
      case .string(let s): text(s)
      case .list(let list): for element in list { valueOf(element) }
      default: break
      }
    }
    func valueOf(_ element: Value) { value(element) }
    for part in [finding.ruleID, finding.title, finding.citation, finding.file, finding.message] {
      text(part)
    }
    for part in [
      finding.locator, finding.transactionID, finding.filerID, finding.filerName, finding.remedy,
    ] { text(part) }
    for (name, v) in finding.values + finding.group {
      text(name)
      value(v)
    }
    for line in finding.explanation {
      text(line.text)
      value(line.outcome)
    }
    for entry in finding.trail {
      text(entry.file)
      text(entry.transactionID)
      value(entry.amount)
      value(entry.running)
    }
    for element in finding.keyValues { value(element) }
    value(finding.windowValue)
    return out
  }

  @Test func findingsComeBackAsTheyWentIn() {
    var maker = Maker(random: SeededGenerator(seed: 0xF1_4D))
    let made = (0..<3_000).map { maker.finding(ordinal: $0) }
    var store = FindingStore()
    store.append(contentsOf: made)
    #expect(store.count == made.count)
    for (position, finding) in made.enumerated() {
      Self.expectSame(store[position], finding)
      #expect(store.ruleIndex(at: position) == finding.ruleIndex)
      #expect(store.groupKey(at: position) == finding.groupKey)
      #expect(store.ordinal(at: position) == finding.ordinal)
      let (ruleID, file) = store.ruleAndFile(at: position)
      #expect(ruleID == finding.ruleID && file == finding.file)
    }
    // What identifies a finding, decoded alone: the rest left empty.
    let findings = Findings(store)
    for (position, finding) in made.enumerated() {
      let identity = findings.identity(at: position)
      #expect(identity.ruleID == finding.ruleID && identity.title == finding.title)
      #expect(identity.severity == finding.severity && identity.category == finding.category)
      #expect(identity.citation == finding.citation && identity.file == finding.file)
      #expect(identity.line == finding.line && identity.locator == finding.locator)
      #expect(identity.transactionID == finding.transactionID && identity.kind == finding.kind)
      #expect(identity.filerID == finding.filerID && identity.filerName == finding.filerName)
      #expect(identity.reportPeriod == finding.reportPeriod)
      #expect(identity.group.map(\.name) == finding.group.map(\.name))
      #expect(identity.group.map(\.value) == finding.group.map(\.value))
      #expect(identity.message.isEmpty && identity.values.isEmpty && identity.trail.isEmpty)
    }
    // Spread over more than one chunk.
    #expect(store.chunks.count > 1)
  }

  @Test func trailsGoWithTheirFindings() {
    var maker = Maker(random: SeededGenerator(seed: 7))
    var made = (0..<200).map { maker.finding(ordinal: $0) }
    var store = FindingStore()
    store.append(contentsOf: made)
    // A finding taken out, changed and added to another store (as a group judged again in
    // date order is): the trail it carries goes with it.
    var copies = FindingStore()
    var copied: [Finding] = []
    for position in stride(from: 0, to: made.count, by: 3) {
      var finding = store[position]
      finding.trail = [
        TrailEntry(
          file: "c.csv", line: position, transactionID: "T\(position)", date: nil,
          amount: .integer(1), running: .integer(2), raisedHere: true)
      ]
      finding.ordinal += 1_000
      copies.append(finding)
      copied.append(finding)
    }
    for (position, finding) in copied.enumerated() { Self.expectSame(copies[position], finding) }
    // A trail attached apart (as the second read does), replaced, and taken away.
    for position in stride(from: 0, to: made.count, by: 5) {
      let trail = (0..<(position % 4)).map { number in
        TrailEntry(
          file: number % 2 == 0 ? "c.csv" : "d.csv", line: number, transactionID: nil,
          date: CivilDate(year: 2024, month: 1, day: 1 + number), amount: maker.value(),
          running: maker.value(), raisedHere: number == 1)
      }
      store.setTrail(at: position, [])
      store.setTrail(at: position, trail)
      made[position].trail = trail
    }
    for (position, finding) in made.enumerated() { Self.expectSame(store[position], finding) }
  }

  @Test func removalsAndOrder() {
    var maker = Maker(random: SeededGenerator(seed: 11))
    // Ordinals out of order and repeated: sorted by ordinal, then rule, then as made.
    let made = (0..<500).map { maker.finding(ordinal: ($0 * 7919) % 97) }
    var store = FindingStore()
    store.append(contentsOf: made)
    let expected = made.indices.sorted {
      (made[$0].ordinal, made[$0].ruleIndex, $0) < (made[$1].ordinal, made[$1].ruleIndex, $1)
    }
    let sorted = Findings(store.sortedByOrder())
    #expect(sorted.count == made.count)
    for (index, position) in expected.enumerated() {
      Self.expectSame(sorted[index], made[position])
      #expect(sorted.severity(at: index) == made[position].severity)
    }
    var kept = made.indices.filter { made[$0].ruleIndex != 3 }
    store.removeAll { ruleIndex, _ in ruleIndex == 3 }
    #expect(store.count == kept.count)
    let dropped: Set<Int> = [0, 5, 17]
    store.remove(at: dropped)
    kept = kept.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    #expect(store.count == kept.count)
    for (position, original) in kept.enumerated() {
      Self.expectSame(store[position], made[original])
    }
  }

  /// What a finding holds: a data-quality rule firing on every record of a filing, its
  /// findings alike in shape to those of a bulk file. Held as `Finding` values they took
  /// some 1.9 KB each; the bound here is a third of that.
  @Test func aFindingHoldsFewBytes() throws {
    let text = """
      rule DQ-001 {
        title "Receipt with an amount"
        severity warning
        category data-quality
        citation "test"
        applies receipt
        when amount > $0.00 and present(name)
        message "{name} gave {amount}; the employer is {employer}"
        remedy "ask {name} for the employer by {deadline}"
        due within 30 days
      }
      """
    let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "dq.probity", text: text)
    ])
    #expect(diagnostics.isEmpty)
    let records = (0..<5_000).map { index in
      var record = gift(
        "2024-03-\(String(format: "%02d", 1 + index % 28))", "\(100 + index).00",
        name: "DONOR NUMBER \(index)", line: index + 2)
      record[CanonicalSchema.id(named: "employer")!] = .string("EMPLOYER \(index % 50)")
      return record
    }
    let run = check(try #require(ruleSet), records)
    let findings = run.findings
    #expect(findings.count == records.count)
    let perFinding = findings.bytesHeld / findings.count
    #expect(perFinding < 640, "\(perFinding) bytes a finding")
    #expect(findings[17].message == "DONOR NUMBER 17 gave $117.00; the employer is EMPLOYER 17")
  }
}
