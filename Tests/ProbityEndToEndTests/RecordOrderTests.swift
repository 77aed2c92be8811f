import Foundation
import ProbityTestSupport
import Testing

/// The same records in another order give the same findings.
///
/// A filing lists its records in whatever order its software wrote them: a `.fec` report
/// puts refunds after every receipt, a register is exported sorted by anything. Rules
/// across records take records in input order, but a group whose records are not in date
/// order is judged again in date order (docs/language.md, "Records out of date order"),
/// records of one date in input order. So each filing here is checked three times, its
/// dated records (1) in the order the file has them, (2) sorted by date and (3) shuffled,
/// records of one date keeping their order among themselves: the findings (rule, record,
/// message, deadline, values, group, trail and fingerprint), the records left undetermined,
/// the evaluation errors and the summary must be the same, all but the lines the records
/// stand on. Each version is written as `f.csv` (or `f.txt`) in a folder of its own and
/// checked from there, so that the file's path, which goes into a fingerprint, is the same.
@Suite struct RecordOrder {
  /// A filing and where each record's date is.
  struct Filing: CustomStringConvertible {
    let path: URL
    let rules: String
    /// The header's name of the date column, or nil with `dateIndex` (a file without a
    /// header).
    var dateColumn: String? = nil
    var dateIndex: Int = 0
    var separator: UInt8 = UInt8(ascii: ",")
    /// The date's layout: where year, month and day start (4, 2 and 2 digits), with any
    /// separators between.
    let year: Int, month: Int, day: Int
    var arguments: [String] = []
    var description: String { path.lastPathComponent }
  }

  static let iso = (year: 0, month: 5, day: 8)
  static let dayFirst = (year: 6, month: 3, day: 0)

  static var filings: [Filing] {
    let us = packageRoot.appendingPathComponent("Rules/us-federal").path
    let uk = packageRoot.appendingPathComponent("Rules/uk-ppera").path
    var filings = ["receipts.csv", "aggregates.csv", "pac-receipts.csv"].map {
      Filing(
        path: packageRoot.appendingPathComponent("Fixtures/us-federal/\($0)"), rules: us,
        dateColumn: "date", year: iso.year, month: iso.month, day: iso.day)
    }
    filings.append(
      Filing(
        path: packageRoot.appendingPathComponent("Fixtures/uk-ppera/donations.csv"), rules: uk,
        dateColumn: "AcceptedDate", year: dayFirst.year, month: dayFirst.month, day: dayFirst.day))
    guard sharedDataPresent else { return filings }
    filings.append(
      Filing(
        path: sharedData.appendingPathComponent("uk/ec_donations_2025_2026.csv"), rules: uk,
        dateColumn: "AcceptedDate", year: dayFirst.year, month: dayFirst.month, day: dayFirst.day))
    // FEC bulk rows: no header, TRANSACTION_DT (MMDDYYYY) the 14th of 21 columns.
    for name in ["agaiduk_itcont_random5000_2015_2018.txt", "insight_itcont_2017_sample.txt"] {
      filings.append(
        Filing(
          path: sharedData.appendingPathComponent("fec-bulk/\(name)"), rules: us, dateIndex: 13,
          separator: UInt8(ascii: "|"), year: 4, month: 0, day: 2,
          arguments: ["--input-format", "fec-bulk"]))
    }
    return filings
  }

  @Test(arguments: filings)
  func sameFindingsInAnyOrder(_ filing: Filing) throws {
    let lines = Self.records(try Data(contentsOf: filing.path))
    let header = filing.dateColumn == nil ? nil : lines.first
    let body = filing.dateColumn == nil ? lines[...] : lines.dropFirst()
    let dateIndex =
      try header.map { header in
        try #require(Self.cells(header, filing.separator).firstIndex(of: filing.dateColumn!))
      } ?? filing.dateIndex
    var dated: [(date: Int, line: Data)] = []
    for line in body {
      let cells = Self.cells(line, filing.separator)
      guard dateIndex < cells.count, let date = Self.date(cells[dateIndex], filing) else {
        continue
      }
      dated.append((date, Data(line)))
    }
    // Most records are dated: the test is about them, not about those left out (a record
    // without a date is taken as of the latest date before it in input order).
    #expect(dated.count * 3 >= body.count * 2, "\(filing): \(dated.count) of \(body.count) dated")
    let sorted = dated.enumerated().sorted {
      ($0.element.date, $0.offset) < ($1.element.date, $1.offset)
    }
    .map(\.element)
    var generator = SeededGenerator(seed: 20_261_207)
    var sameDate: [Int: [Data]] = [:]
    for record in sorted.reversed() { sameDate[record.date, default: []].append(record.line) }
    let shuffled = sorted.shuffled(using: &generator).map { sameDate[$0.date]!.removeLast() }

    // Date order is the order the rules judge in: the reference.
    let reference = try check(filing, sorted.map(\.line), header)
    #expect(!reference.findings.isEmpty || filing.path.lastPathComponent == "pac-receipts.csv")
    let firesOnEach = try Self.rulesFiringOnEach(filing.rules)
    for (what, order) in [("in the file's order", dated.map(\.line)), ("shuffled", shuffled)] {
      let other = try check(filing, order, header)
      // Another order never accuses where date order does not.
      let extra = other.findings.filter { !reference.findings.contains($0) }
      #expect(
        extra.isEmpty, "\(filing), \(what): findings date order does not raise: \(extra.prefix(2))")
      // It may miss one only where docs/language.md says it can: a rule that fires on each
      // record reads the totals as they stand after it, and a group that only added to
      // its sums and never met the condition in input order is not judged again (its
      // records are not kept for a second judgement: memory stays per donor).
      let missed = reference.findings.filter { !other.findings.contains($0) }
      let allowed = missed.filter { finding in
        firesOnEach.contains { finding.contains("\"rule\":\"\($0)\"") }
      }
      #expect(
        missed.count == allowed.count,
        "\(filing), \(what): findings missed: \(missed.filter { !allowed.contains($0) }.prefix(2))")
      for part in reference.parts.keys.sorted() where part != "summary" || missed.isEmpty {
        let mine = reference.parts[part]!
        let theirs = other.parts[part] ?? []
        guard mine != theirs else { continue }
        Issue.record(
          "\(filing), \(what): \(part) differ; only in date order: \(mine.filter { !theirs.contains($0) }.prefix(2)); only \(what): \(theirs.filter { !mine.contains($0) }.prefix(2))"
        )
      }
    }
  }

  /// What a check of the records in this order gives, from its JSON report, each entry as
  /// text with its keys sorted and its lines taken out: the findings, sorted, and the
  /// other parts to compare (for the records left undetermined, the examples of each rule
  /// that has fewer than the report's 20: beyond that, which 20 are shown depends on the
  /// order).
  func check(_ filing: Filing, _ records: [Data], _ header: Data?) throws -> (
    findings: [String], parts: [String: [String]]
  ) {
    let folder = scratchFolder.appendingPathComponent("probity-order-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let name = "f." + filing.path.pathExtension
    var text = Data()
    for line in (header.map { [$0] } ?? []) + records {
      text.append(line)
      text.append(UInt8(ascii: "\n"))
    }
    try text.write(to: folder.appendingPathComponent(name))
    let result = try runExecutable(
      try probityBinary(),
      ["check", "--rules", filing.rules, "--format", "json", "--as-of", "2026-12-01"]
        + filing.arguments + [name], in: folder)
    #expect(result.status == 0 || result.status == 1, "\(filing): \(result.stderr.prefix(500))")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    func entries(_ part: String) -> [[String: Any]] { json[part] as? [[String: Any]] ?? [] }
    var parts: [String: [String]] = [:]
    for part in ["evaluation_errors", "rejected", "input_errors"] {
      parts[part] = try entries(part).map(Self.withoutLines).sorted()
    }
    let undetermined = Dictionary(grouping: entries("undetermined")) { $0["rule"] as? String ?? "" }
    parts["undetermined"] = try undetermined.values.filter { $0.count < 20 }.joined()
      .map(Self.withoutLines).sorted()
    parts["summary"] = [try Self.withoutLines(json["summary"] ?? [:])]
    return (try entries("findings").map(Self.withoutLines).sorted(), parts)
  }

  /// The ids of a pack's rules that fire on each record.
  static func rulesFiringOnEach(_ pack: String) throws -> [String] {
    var rules: [String] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: pack)
    where name.hasSuffix(".probity") {
      let text = try String(contentsOfFile: pack + "/" + name, encoding: .utf8)
      for block in text.components(separatedBy: "\nrule ").dropFirst()
      where block.contains("\n  fires on each") {
        rules.append(String(block.prefix { $0 != " " }))
      }
    }
    return rules
  }

  /// The entry as JSON text with its keys sorted, every `line` taken out.
  static func withoutLines(_ value: Any) throws -> String {
    func strip(_ value: Any) -> Any {
      if let object = value as? [String: Any] {
        return object.filter { $0.key != "line" }.mapValues(strip)
      }
      if let array = value as? [Any] { return array.map(strip) }
      return value
    }
    let data = try JSONSerialization.data(withJSONObject: strip(value), options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// The records of a delimited file: its lines, but for line ends inside quotes; without
  /// their line ends (LF or CR LF) and without blank lines.
  static func records(_ data: Data) -> [Data.SubSequence] {
    var records: [Data.SubSequence] = []
    var start = data.startIndex
    var quoted = false
    for index in data.indices {
      if data[index] == UInt8(ascii: "\"") { quoted.toggle() }
      guard data[index] == UInt8(ascii: "\n") && !quoted else { continue }
      var record = data[start..<index]
      if record.last == UInt8(ascii: "\r") { record = record.dropLast() }
      if !record.isEmpty { records.append(record) }
      start = index + 1
    }
    if start < data.endIndex { records.append(data[start...]) }
    return records
  }

  /// The cells of a record, split at the separator outside quotes (quotes kept).
  static func cells(_ line: Data.SubSequence, _ separator: UInt8) -> [String] {
    var cells: [String] = []
    var start = line.startIndex
    var quoted = false
    for index in line.indices {
      if line[index] == UInt8(ascii: "\"") { quoted.toggle() }
      if line[index] == separator && !quoted {
        cells.append(String(decoding: line[start..<index], as: UTF8.self))
        start = index + 1
      }
    }
    cells.append(String(decoding: line[start...], as: UTF8.self))
    return cells
  }

  /// The date as a number that sorts as dates do (yyyymmdd), nil when the cell holds none.
  static func date(_ cell: String, _ filing: Filing) -> Int? {
    let bytes = Array(cell.utf8)
    func number(_ at: Int, _ count: Int) -> Int? {
      guard at + count <= bytes.count else { return nil }
      var value = 0
      for byte in bytes[at..<at + count] {
        guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
      }
      return value
    }
    guard let year = number(filing.year, 4), let month = number(filing.month, 2),
      let day = number(filing.day, 2), (1...12).contains(month), (1...31).contains(day)
    else { return nil }
    return year * 10_000 + month * 100 + day
  }
}
