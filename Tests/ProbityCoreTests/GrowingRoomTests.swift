import Testing

@testable import ProbityCore

/// `GrowingRoom`: what is kept survives growth, and a copy started afresh no longer
/// shares what the other writes.
@Suite("Growing room")
struct GrowingRoomTests {
  @Test("growth keeps the elements asked for, and room for what is needed")
  func growthKeeps() {
    var room = GrowingRoom<Int>(capacity: 4)
    for index in 0..<4 { (room.base + index).initialize(to: index * 10) }
    room.reserve(5, keeping: 4)
    #expect(room.capacity >= 8)
    room.reserve(1_000, keeping: 4)
    #expect(room.capacity >= 1_000)
    #expect((0..<4).map { room.base[$0] } == [0, 10, 20, 30])
    // Enough room already: nothing moves.
    let base = room.base
    room.reserve(1_000, keeping: 4)
    #expect(room.base == base)
  }

  @Test("a copy made its own no longer sees the other's writes, and keeps what it asked")
  func makeUniqueSeparates() {
    var first = GrowingRoom<UInt8>(capacity: 16)
    for index in 0..<3 { (first.base + index).initialize(to: UInt8(index + 1)) }
    var second = first
    #expect(second.base == first.base)
    second.makeUnique(keeping: 2)
    #expect(second.base != first.base)
    #expect(second.base[0] == 1 && second.base[1] == 2)
    second.base[0] = 99
    #expect(first.base[0] == 1)
    // Its own already: it stays where it is.
    let base = first.base
    first.makeUnique(keeping: 3)
    #expect(first.base == base)
  }
}
