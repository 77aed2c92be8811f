/// A small seeded generator (SplitMix64): the tests that draw random inputs draw the same
/// ones in every run, so that a failure can be run again.
public struct SeededGenerator: RandomNumberGenerator {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in `0..<bound` (by remainder: slightly uneven, and the same in every run).
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "a bound of \(bound)")
    return Int(next() % UInt64(bound))
  }
}
