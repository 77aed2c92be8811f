import Testing

@testable import ProbityCore

/// Arrays of record values filled again (`RecordValuesPool`): what is taken is all
/// missing, and a record still kept elsewhere keeps its values.
@Suite("Record values filled again")
struct RecordValuesPoolTests {
  static func filled(_ marker: String) -> [Value] {
    var values = [Value](repeating: .missing, count: CanonicalSchema.count)
    values[0] = .string(marker + " a name long enough to be kept on the heap")
    values[3] = .money(Money(minorUnits: 12_345, currency: .usd))
    values[CanonicalSchema.count - 1] = .boolean(true)
    return values
  }

  @Test("an array given back comes back empty; a new one when there is none")
  func takesEmpty() {
    let pool = RecordValuesPool()
    let fresh = pool.take()
    #expect(fresh.count == CanonicalSchema.count && fresh.allSatisfy(\.isMissing))
    pool.give(Self.filled("A"))
    pool.give([.string("too short")])  // not an array of a record's values: not kept
    let again = pool.take()
    #expect(again.count == CanonicalSchema.count && again.allSatisfy(\.isMissing))
    let third = pool.take()
    #expect(third.allSatisfy { $0.isMissing })
  }

  @Test("a record kept elsewhere keeps its values when its array is filled again")
  func keptRecordsKeepTheirValues() {
    let pool = RecordValuesPool()
    let kept = Record(
      kind: .receipt, provenance: Provenance(file: "f.csv", line: 2), values: Self.filled("B"))
    pool.give(kept.values)
    var reused = pool.take()
    reused[0] = .string("another donor")
    #expect(reused.filter { !$0.isMissing }.count == 1)
    #expect(kept.values == Self.filled("B"))
  }

  @Test("at most so many arrays are kept")
  func bounded() {
    let pool = RecordValuesPool()
    let array = Self.filled("C")
    for _ in 0..<(RecordValuesPool.capacity + 10) { pool.give(array) }
    #expect(pool.count == RecordValuesPool.capacity)
  }
}
