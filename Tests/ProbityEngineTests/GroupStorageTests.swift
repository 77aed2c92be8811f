import Foundation
import ProbityCore
import Testing

@testable import ProbityEngine

@Suite("Compact group storage")
struct GroupStorageTests {
  @Test("equal tuples get one id, different ones another, in order of arrival")
  func interning() {
    var interner = ValueInterner()
    let usd = Money(minorUnits: 100, currency: .usd)
    let tuples: [[Value]] = [
      [.string("SMITH JOHN"), .string("45402")],
      [.string("SMITH JOHN"), .string("45403")],
      [.string("SMITH JOHNA"), .string("45402")],
      [.string("SMITH"), .string("JOHN45402")],
      [.integer(1)], [.money(usd)], [.money(Money(minorUnits: 100, currency: .gbp))],
      [.date(CivilDate(year: 2024, month: 1, day: 2)!)], [.boolean(true)],
      [.list([.string("A")])], [.string("A")],
      [.string("JOS\u{00C9}")],
    ]
    let ids = tuples.map { interner.id($0) }
    #expect(ids == (0..<Int32(tuples.count)).map { $0 })
    // Again: the same ids; a name written with a combining accent is the same name.
    #expect(tuples.map { interner.id($0) } == ids)
    #expect(interner.id([.string("JOSE\u{0301}")]) == ids.last)
    // Many tuples: the table grows and still finds every one.
    let many = (0..<5_000).map { interner.id([.string("DONOR\($0)"), .string("\($0 % 7)")]) }
    #expect(Set(many).count == 5_000)
    #expect((0..<5_000).map { interner.id([.string("DONOR\($0)"), .string("\($0 % 7)")]) } == many)
  }

  @Test("tuples longer than the key's first room keep their first values as it grows")
  func longTuples() {
    var interner = ValueInterner()
    // The first key of each length outgrows the room (256 bytes, then 512) in its last
    // value: the values before it, which alone tell the tuples apart, must survive the
    // growth (the others fit in the grown room).
    for length in [300, 5_000] {
      let long = Value.string(String(repeating: "A", count: length))
      let x = interner.id([.string("X"), long])
      let y = interner.id([.string("Y"), long])
      #expect(x != y, "length \(length)")
      #expect(interner.id([.string("X"), long]) == x)
      #expect(interner.id([.string("Y"), long]) == y)
    }
  }

  @Test("the interner finds every tuple again across its growth, the empty one included")
  func internerAcrossGrowth() {
    var interner = ValueInterner()
    let empty: [UInt8] = []
    #expect(interner.id(bytes: empty) == 0)
    var model: [[UInt8]: Int32] = [[]: 0]
    var ids: [Int32] = []
    var wanted: [Int32] = []
    for i in 0..<20_000 {
      // Tuples of 0 to 40 bytes; the last 5,000 come again.
      let j = i % 15_000
      var key = [UInt8](repeating: UInt8(truncatingIfNeeded: j), count: j % 37)
      if j % 37 != 0 { withUnsafeBytes(of: UInt32(j).littleEndian) { key.append(contentsOf: $0) } }
      let want = model[key] ?? Int32(model.count)
      model[key] = want
      wanted.append(want)
      ids.append(interner.id(bytes: key))
    }
    #expect(ids == wanted)
    // The empty tuple, stored first, is found again after the table was rebuilt.
    #expect(interner.id(bytes: empty) == 0)
    #expect(interner.count == model.count)
    #expect(
      model.allSatisfy { key, id in interner.id(bytes: key) == id })
  }

  @Test("two tuples with the same hash are told apart by their bytes, before and after growth")
  func internerHashCollision() throws {
    // Two eight-byte tuples whose hashes agree, under a seed fixed for the test.
    let seed: UInt64 = 0x5EED
    var seen: [UInt32: UInt64] = [:]
    var pair: (UInt64, UInt64)?
    for n in UInt64(0)..<2_000_000 {
      let hash = withUnsafeBytes(of: n) { ValueInterner.hash($0, seed: seed) }
      if let other = seen[hash] {
        pair = (other, n)
        break
      }
      seen[hash] = n
    }
    let (a, b) = try #require(pair)
    var interner = ValueInterner(seed: seed)
    let first = withUnsafeBytes(of: a) { Array($0) }
    let second = withUnsafeBytes(of: b) { Array($0) }
    #expect(interner.id(bytes: first) == 0)
    #expect(interner.id(bytes: second) == 1)
    for i in 0..<3_000 {
      _ = interner.id(bytes: Array("DONOR\(i)".utf8))
    }
    #expect(interner.id(bytes: second) == 1)
    #expect(interner.id(bytes: first) == 0)
  }

  @Test("amounts kept compact read back as they were written, in any currency")
  func compactAccumulators() {
    var store = AccumulatorStore(compact: true, count: 4)
    let values: [Accumulator] = [
      .value(.money(Money(minorUnits: -250, currency: .usd))), .missing,
      .value(.money(Money(minorUnits: Int64.max, currency: .gbp))), .empty,
    ]
    for (index, value) in values.enumerated() { store[index] = value }
    for (index, value) in values.enumerated() {
      #expect(String(describing: store[index]) == String(describing: value))
    }
    // The amounts that stand for empty and missing in a compact store are still
    // amounts: the store turns generic to keep them.
    var edges = AccumulatorStore(compact: true, count: 3)
    let edgeValues: [Accumulator] = [
      .value(.money(Money(minorUnits: 7, currency: .usd))),
      .value(.money(Money(minorUnits: Int64.min, currency: .usd))),
      .value(.money(Money(minorUnits: Int64.min + 1, currency: .usd))),
    ]
    for (index, value) in edgeValues.enumerated() { edges[index] = value }
    for (index, value) in edgeValues.enumerated() {
      #expect(String(describing: edges[index]) == String(describing: value))
    }
    // A value that is not an amount turns the store generic, keeping what it held.
    store.append(1)
    store[4] = .value(.integer(3))
    for (index, value) in values.enumerated() {
      #expect(String(describing: store[index]) == String(describing: value))
    }
    #expect(String(describing: store[4]) == String(describing: Accumulator.value(.integer(3))))
  }

  @Test("keys are numbered densely in order of arrival, and found again")
  func numbering() {
    var table = NumberTable()
    let keys: [UInt64] =
      (0..<20_000).map { UInt64($0 / 3) << 32 | UInt64($0 % 3) } + [UInt64.max, 0]
    let numbers = keys.map { table.number($0) }
    #expect(numbers.prefix(20_001) == ArraySlice((0..<20_001).map { Int32($0) }))
    #expect(numbers.last == 0)
    #expect(keys.map { table.number($0) } == numbers)
    #expect(table.count == 20_001)
    // A donor's groups are placed side by side (the window is added to where the
    // values start), so keys with no window (-1), windows far apart, and the values
    // at either end are numbered and found again alike, across the table's growth.
    var side = NumberTable()
    let windows: [UInt32] = [UInt32.max, 0, 1, 2, 1_000, 1 << 20, UInt32.max - 1]
    let spread: [UInt64] = (0..<3_000).flatMap { values in
      windows.map { UInt64(values == 2_999 ? UInt32.max : UInt32(values)) << 32 | UInt64($0) }
    }
    let sideNumbers = spread.map { side.number($0) }
    #expect(sideNumbers == (0..<Int32(spread.count)).map { $0 })
    #expect(spread.reversed().map { side.number($0) } == sideNumbers.reversed())
    #expect(side.count == spread.count)
  }

  @Test("amounts are added in place only where the general path would give the same")
  func addingInPlace() {
    var store = AccumulatorStore(compact: true, count: 3)
    let usd = { Money(minorUnits: $0, currency: .usd) }
    var added: [Bool] = []
    added.append(store.add(usd(150), at: 0))
    added.append(store.add(usd(-50), at: 0))
    #expect(String(describing: store[0]) == String(describing: Accumulator.value(.money(usd(100)))))
    // Another currency, an overflow, a missing accumulator: left to the general path.
    added.append(store.add(Money(minorUnits: 1, currency: .gbp), at: 0))
    added.append(store.add(usd(Int64.max), at: 0))
    store[1] = .missing
    added.append(store.add(usd(1), at: 1))
    // A sum that would land on the amounts kept for empty or missing.
    store[2] = .value(.money(usd(Int64.min + 3)))
    added.append(store.add(usd(-1), at: 2))
    added.append(store.add(usd(-1), at: 2))
    #expect(
      String(describing: store[2])
        == String(describing: Accumulator.value(.money(usd(Int64.min + 2)))))
    #expect(String(describing: store[0]) == String(describing: Accumulator.value(.money(usd(100)))))
    var generic = AccumulatorStore(compact: false, count: 1)
    added.append(generic.add(usd(1), at: 0))
    #expect(added == [true, true, false, false, false, true, false, false])
  }

  @Test("a rule with a window and no group by is one group per window")
  func windowWithoutKeys() throws {
    var interner = ValueInterner()
    #expect(interner.id([]) == 0)
    #expect(interner.id([]) == 0)
    #expect(interner.id([.string("")]) == 1)
    let ruleSet = try groupedRuleSet("window calendar-year", when: "total > $3,300.00")
    var run = CheckRun(ruleSet: ruleSet)
    let records = (1...4).map {
      gift("2024-0\($0)-01", "1000.00", name: "DONOR\($0), PAT", line: $0)
    }
    for record in records { run.evaluate(record) }
    run.finish()
    #expect(run.findings.map(\.line) == [4])
  }

  @Test("a memo table that does not pay is skipped for a while; the values are the same")
  func memoGivesUp() throws {
    var memo = Memo()
    memo.lookups = 100
    memo.hits = 30
    memo.renew()
    #expect(memo.skipped == 0 && memo.lookups == 0 && memo.hits == 0)
    memo.lookups = 100
    memo.hits = 20
    memo.renew()
    #expect(memo.skipped == Frame.memoLimit * 4)

    // More distinct donors than a table holds, then one who gives too much: person_key
    // is skipped by then, and the excess is still found.
    let ruleSet = try groupedRuleSet(
      "group by person_key(name), zip5(zip)\n  window election", when: "total > $3,300.00")
    var records = (0..<Frame.memoLimit + 10).map {
      gift("2024-01-01", "100.00", name: "DONOR\($0), PAT", line: $0 + 1)
    }
    records += (1...4).map {
      gift("2024-02-01", "1000.00", name: "Smith, John A.", line: Frame.memoLimit + 100 + $0)
    }
    let run = check(ruleSet, records)
    #expect(run.frame.memos.contains { $0.skipped > 0 })
    #expect(run.findings.map(\.line) == [Frame.memoLimit + 104])
  }

  @Test("windows met before are found again: periods near and far, election codes by their bytes")
  func knownWindows() {
    var known = KnownWindows()
    func window(_ text: String, _ id: Int32) -> KnownWindows.Window { (.string(text), id) }
    func text(_ found: KnownWindows.Window?) -> String? {
      if case .string(let s)? = found?.value { s } else { nil }
    }
    #expect(known.period(2024 * 8) == nil)
    // The first period met, periods on either side within the span, and far ones.
    let periods = [
      2024 * 8, 2024 * 8 + 5, 2019 * 8 + 1, 2031 * 8 + 6,
      2024 * 8 - KnownWindows.span / 2, 2024 * 8 + KnownWindows.span / 2 - 1,
      2024 * 8 - KnownWindows.span / 2 - 1, 2024 * 8 + KnownWindows.span / 2, 1 * 8, 9999 * 8 + 6,
    ]
    for (index, period) in periods.enumerated() {
      #expect(known.period(period) == nil, "period \(period) before it was set")
      known.setPeriod(period, window("p\(period)", Int32(index)))
    }
    for (index, period) in periods.enumerated() {
      #expect(text(known.period(period)) == "p\(period)", "period \(period)")
      #expect(known.period(period)?.id == Int32(index))
    }
    #expect(known.period(2024 * 8 + 1) == nil)
    #expect(known.period(2 * 8) == nil)
    // Election codes: two spellings of one code, equal as Swift strings but not byte
    // for byte, each with its own window; then more than are kept in order.
    let codes =
      ["O\u{00C9}", "OE\u{0301}"] + (0..<(KnownWindows.codesKept + 5)).map { "P\(2000 + $0)" }
    for (index, code) in codes.enumerated() {
      #expect(known.election(code) == nil, "\(code) before it was added")
      known.addElection(code, window(code, Int32(100 + index)))
    }
    for (index, code) in codes.enumerated() {
      #expect(text(known.election(code))?.utf8.elementsEqual(code.utf8) == true, "\(code)")
      #expect(known.election(code)?.id == Int32(100 + index), "\(code)")
    }
    // A code too long to be held in a string's words, looked up as another string of the
    // same bytes (other storage, so other words): found byte for byte.
    var longCodes = KnownWindows()
    let code = "P2024-RUNOFF-DISTRICT-7"
    longCodes.addElection("G2024", window("G2024", 1))
    longCodes.addElection(code, window(code, 2))
    let again = String(decoding: Array(code.utf8), as: UTF8.self)
    #expect(!TextBytes.sameWords(code, again))
    #expect(longCodes.election(again)?.id == 2)
    #expect(longCodes.election(String(decoding: Array("G2024".utf8), as: UTF8.self))?.id == 1)
    #expect(longCodes.election("P2024") == nil)
    // Past those kept in order, the second spelling is not found (it is made again):
    // never the other's window.
    let far = ["R\u{00C9}", "RE\u{0301}"]
    for (index, code) in far.enumerated() {
      known.addElection(code, window(code, Int32(200 + index)))
    }
    #expect(text(known.election(far[0])) == far[0])
    #expect(known.election(far[0])?.id == 200)
    #expect(known.election(far[1]) == nil)
    #expect(known.election("G2024") == nil)
    #expect(known.election("QE\u{0301}" + String(repeating: "x", count: 30)) == nil)
    #expect(TextBytes.same("P2024", "P2024"))
    #expect(!TextBytes.same("P2024", "P2025"))
    #expect(!TextBytes.same("P2024", "P20244"))
    #expect(!TextBytes.same("\u{00C9}", "E\u{0301}"))
    #expect(TextBytes.same("", ""))
    let long = String(repeating: "DONOR ", count: 10)
    #expect(TextBytes.same(long, String(repeating: "DONOR ", count: 10)))
    #expect(!TextBytes.same(long, long + " "))
  }

  @Test("a group's flags and latest date share one word, neither disturbing the other")
  func flagsAndDates() throws {
    var table = GroupTable(slots: 1, money: true)
    table.ensure(2)
    #expect(table.rows.count == 3 && !table.placed(0) && !table.placed(2))
    let day = { (year: Int, month: Int, day: Int) in
      CivilDate(year: year, month: month, day: day)!.bits
    }
    table.rows[1] |= GroupTable.placedFlag | GroupTable.holdsFlag
    // In date order, or on the same day: nothing to say; the flags stay.
    #expect(table.noteDate(day(2024, 3, 1), at: 1) == nil)
    #expect(table.noteDate(day(2024, 3, 1), at: 1) == nil)
    #expect(table.noteDate(day(9999, 12, 31), at: 2) == nil)
    #expect(table.placed(1) && table.holds(1) && !table.took(1))
    table.rows[1] |= GroupTable.tookFlag
    table.rows[1] &= ~GroupTable.holdsFlag
    #expect(table.noteDate(day(2024, 5, 1), at: 1) == nil)
    // Dated before: the latest date before it, once; then the group stays out of order.
    #expect(table.noteDate(day(2024, 4, 30), at: 1) == day(2024, 5, 1))
    #expect(table.noteDate(day(2024, 1, 1), at: 1) == nil)
    #expect(table.noteDate(day(2025, 1, 1), at: 1) == nil)
    #expect(table.placed(1) && !table.holds(1) && table.took(1))
    // The last date there is is a date, not the mark of a group out of order.
    #expect(table.noteDate(day(1, 1, 1), at: 2) == day(9999, 12, 31))
    #expect(!table.placed(2) && !table.placed(0))
    #expect(table.noteDate(day(1, 1, 1), at: 0) == nil)
  }

  @Test(
    "a large table grown by appending, or made at once, keeps its values, and the kernel is asked for huge pages under it"
  )
  func hugePages() throws {
    var table: [Int64] = []
    // 16 MB: past the threshold, through several doublings of the table's room.
    for number in 0..<2_000_000 {
      HugePageAdvice.reserve(&table, adding: 1)
      table.append(Int64(number))
    }
    #expect(table.indices.allSatisfy { table[$0] == Int64($0) })
    // Room is made as appending makes it: doubled, not one element at a time.
    #expect(table.capacity < 2 * 2_000_000 + 1024)
    var several: [Int64] = [7]
    HugePageAdvice.reserve(&several, adding: 1_000_000)
    #expect(several == [7] && several.capacity >= 1_000_001)
    let made = HugePageAdvice.filled(UInt64.max, count: 1 << 21)
    #expect(made.count == 1 << 21 && made.allSatisfy { $0 == UInt64.max })
    // Small: as Swift makes it.
    #expect(HugePageAdvice.filled(Int32(-1), count: 3) == [-1, -1, -1])
    // Linux with transparent huge pages on request (the default of Debian's kernel):
    // the middle of each table is in a mapping the kernel was asked to back with huge
    // pages (`hg` among its flags; whether it had a huge page free at that moment is
    // its own affair). Elsewhere, nothing to see.
    guard
      let mode = try? String(
        contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8),
      mode.contains("[madvise]")
    else { return }
    for middle in [
      table.withUnsafeBytes { UInt(bitPattern: $0.baseAddress! + $0.count / 2) },
      made.withUnsafeBytes { UInt(bitPattern: $0.baseAddress! + $0.count / 2) },
    ] {
      let flags = try mappingFlags(around: middle)
      #expect(flags.contains("hg"), "the mapping's flags: \(flags)")
    }
  }

  /// The `VmFlags` of the mapping of this process that holds `address`.
  private func mappingFlags(around address: UInt) throws -> [Substring] {
    // Read to its end: the kernel gives the file's size as 0, which
    // `String(contentsOfFile:)` believes.
    let file = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
    let maps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
    var inside = false
    for line in maps.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
        let ends = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        inside = ends.count == 2 && ends[0] <= address && address < ends[1]
      } else if inside, fields.first == "VmFlags:" {
        return Array(fields.dropFirst())
      }
    }
    return []
  }
}
