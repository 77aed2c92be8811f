import Testing

@testable import ProbityFilings

/// A .fec line split on ASCII 28 eight bytes at a time must end its fields where a split
/// byte by byte does: separators at the start, the end, side by side, in every position
/// of a word and in the tail after the last whole word, among bytes that differ from
/// the separator in one bit (0x1D, 0x1E, 0x9C, ...) or are 0x00 or 0xFF, on lines
/// short and long (over a thousand fields, whose ends are kept on the heap).
private let lines: [(String, [UInt8])] = {
  let fs: UInt8 = 0x1C
  var cases: [(String, [UInt8])] = [
    ("empty", []),
    ("one separator", [fs]),
    ("separators only", [UInt8](repeating: fs, count: 17)),
    ("no separator", Array("SA11AI C00999001 T0".utf8)),
    ("near misses", [0x9C, 0x1D, 0x1E, 0x1B, 0x0C, 0x3C, 0x00, 0x7F, 0x80, 0xFF, 0x1C, 0x9C]),
    (
      "a .fec record",
      Array("SA11AI\u{1C}C00999001\u{1C}T0\u{1C}\u{1C}\u{1C}IND\u{1C}DONOR2652\u{1C}50.00".utf8)
    ),
  ]
  // A separator at each position of lines of 1 to 24 bytes, among bytes that differ
  // from it in one bit (0x1D, 0x1E, 0x9C, 0x0C, 0x3C, 0x5C) or are 0x00 or 0xFF, each
  // of them right after the separator in turn (where a formula that lets a borrow run
  // on to the next byte matches it too).
  let others: [UInt8] = [0x1D, 0x9C, 0x1E, 0x00, 0xFF, 0x0C, 0x3C, 0x5C, 0x1D]
  for length in 1...24 {
    for position in 0..<length {
      for shift in 0..<others.count {
        var line = (0..<length).map { others[($0 + shift) % others.count] }
        line[position] = fs
        cases.append(("\(length) bytes, separator at \(position), fill \(shift)", line))
      }
    }
  }
  // Separators side by side with a 0x1D after each, at every offset of two words.
  for offset in 0..<16 {
    var line = [UInt8](repeating: 0x41, count: 20)
    line[offset] = fs
    line[offset + 1] = fs
    line[offset + 2] = 0x1D
    cases.append(("two separators at \(offset), 0x1D after", line))
  }
  var long = [UInt8](repeating: UInt8(ascii: "a"), count: 9_001)
  for position in stride(from: 0, to: long.count, by: 7) { long[position] = fs }
  long[long.count - 1] = fs
  cases.append(("9,001 bytes", long))
  return cases
}()

@Test(
  "a line split eight bytes at a time ends its fields where a byte-by-byte split does",
  arguments: lines)
func lineSplitMatchesByteByByte(_ label: String, _ line: [UInt8]) {
  var row = RowCollector()
  line.withUnsafeBufferPointer { line in
    // As the .fec reader splits a line: kept whole, then ended at each separator.
    row.append(line)
    row.endFields(splitting: line, on: 0x1C)
    #expect(RowCollector.count(0x1C, in: line) == line.filter { $0 == 0x1C }.count)
  }
  var expected = line.indices.filter { line[$0] == 0x1C }
  expected.append(line.count)
  #expect(row.ends == expected, "\(label)")
}
