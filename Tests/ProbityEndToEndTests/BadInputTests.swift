import Foundation
import ProbityTestSupport
import Testing

/// The bad-input corpus (`Fixtures/bad/`): every row of `Fixtures/bad/EXPECTED.md` run
/// through `probity check`, checking the exit code, each diagnostic at its file:line, and
/// the record accounting (read = evaluated + rejected).
@Suite(.serialized) struct BadInputs {
  static let folder = packageRoot.appendingPathComponent("Fixtures/bad")

  /// One row of EXPECTED.md.
  struct Case: CustomTestStringConvertible, Sendable {
    let input: String
    let options: [String]
    let exit: Int32
    let diagnostics: [(id: String, line: Int, fragment: String)]
    /// Records read, evaluated and rejected; nil for a rule pack that does not compile.
    let counts: (read: Int, evaluated: Int, rejected: Int)?

    var testDescription: String { ([input] + options).joined(separator: " ") }
  }

  /// The table of EXPECTED.md.
  static let cases: [Case] = {
    let url = folder.appendingPathComponent("EXPECTED.md")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line -> Case? in
      let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst()
        .dropLast()
        .map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count == 8, cells[0].hasPrefix("`"), let exit = Int32(cells[3]) else {
        return nil
      }
      let diagnostics = cells[4].split(separator: ";").compactMap {
        item -> (String, Int, String)? in
        // `F0009 @4 "fragment"`, the fragment's own quotes escaped as \"
        let body = item.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["`"])
        let parts = body.split(separator: " ", maxSplits: 2)
        guard parts.count == 3, parts[1].hasPrefix("@"), let line = Int(parts[1].dropFirst()) else {
          return nil
        }
        let fragment = parts[2].dropFirst().dropLast().replacingOccurrences(of: "\\\"", with: "\"")
        return (String(parts[0]), line, fragment)
      }
      var counts: (Int, Int, Int)?
      if let read = Int(cells[5]), let evaluated = Int(cells[6]), let rejected = Int(cells[7]) {
        counts = (read, evaluated, rejected)
      }
      return Case(
        input: cells[0].trimmingCharacters(in: ["`"]),
        options: cells[2].split(separator: " ").map { String($0).trimmingCharacters(in: ["`"]) },
        exit: exit, diagnostics: diagnostics, counts: counts)
    }
  }()

  /// The inputs too large to commit, written to `folder` (EXPECTED.md, `generated/`).
  static func generate(_ name: String, in folder: URL) throws -> URL {
    let url = folder.appendingPathComponent(name)
    let header = "kind,transaction_id,date,amount,name,zip,payment_method\n"
    let first = "receipt,T1,2024-03-01,25.00,\"SMITH, JOHN\",44308,check\n"
    let last = "receipt,T3,2024-03-03,35.00,\"DOE, JANE\",44308,check\n"
    func csv(_ field: Int) -> Data {
      Data((header + first + "receipt,T2,2024-03-02,30.00,\"").utf8)
        + Data(repeating: UInt8(ascii: "x"), count: field) + Data("\",44308,check\n\(last)".utf8)
    }
    func rule(_ condition: String) -> Data {
      Data(
        """
        rule DEEP-001 {
          title "deep"
          severity error
          category data-quality
          citation "none"
          applies receipt
          when \(condition)
          message "deep"
        }

        """.utf8)
    }
    let data: Data
    switch name {
    case "field-50MiB.csv": data = csv(50 * 1024 * 1024)
    case "field-2MiB.csv": data = csv(2 * 1024 * 1024)
    case "record-5MiB.csv":
      let field = String(repeating: "y", count: 900 * 1024)
      data = Data(
        (header.dropLast() + ",note1,note2,note3,note4,note5\n" + first.dropLast() + ",,,,,\n"
          + "receipt,T2,2024-03-02,30.00,\(field),44308,check"
          + String(repeating: ",\(field)", count: 5) + "\n" + last.dropLast() + ",,,,,\n").utf8)
    case "nested-100000.xml":
      data = Data(
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing xmlns=\"urn:probity:filing:1\" version=\"1\">\n"
          + String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
          + "\n</filing>\n").utf8)
    case "attributes-200000.xml":
      data = Data(
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing xmlns=\"urn:probity:filing:1\" version=\"1\">\n"
          + "  <receipt id=\"R1\"><date>2024-03-15</date><amount>25.00</amount></receipt>\n  <note "
          + (0..<200_000).map { "a\($0)=\"\($0)\"" }.joined(separator: " ") + "/>\n</filing>\n")
          .utf8)
    case "nested-parens-10000.probity":
      data = rule(
        String(repeating: "(", count: 10_000) + "amount > $1"
          + String(repeating: ")", count: 10_000))
    case "and-chain-100000.probity":
      data = rule("amount > $1" + String(repeating: " and amount > $1", count: 100_000))
    case "not-chain-100000.probity":
      data = rule(String(repeating: "not ", count: 100_000) + "amount > $1")
    default:
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }
    try data.write(to: url)
    return url
  }

  @Test func theTableCoversEveryFileOfTheCorpus() throws {
    #expect(Self.cases.count >= 26, "EXPECTED.md could not be read, or lost rows")
    let named = Set(Self.cases.map(\.input))
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
      .filter { $0 != "EXPECTED.md" }
    for file in files { #expect(named.contains(file), "\(file) has no row in EXPECTED.md") }
  }

  /// DEL and the C1 controls in a filing: escaped by the JSON writer, so the report, made
  /// terminal-safe as everything Probity prints, is still JSON (it once held `\u{7F}`).
  @Test func reportsOfFilingsWithDELAndC1ControlsAreJSON() throws {
    let path = scratchFolder.appendingPathComponent("del-c1-\(UUID().uuidString).csv").path
    try
      ("kind,transaction_id,date,amount,name,zip,payment_method\n"
      + "receipt,T1,2024-03-01,250.00,\"ROE,\u{7F} RICH\u{85}ARD\u{9B}2K\",44308,cash\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    for format in ["json", "sarif"] {
      let result = try runProbity([
        "check", "--rules", "Rules/us-federal", "--format", format, path,
      ])
      #expect(result.status == 1, "\(result.stderr)")
      let parsed = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
      #expect(parsed != nil, "\(format) is not JSON: \(result.stdout.prefix(300))")
      #expect(result.stdout.contains(#"ROE,\u007f RICH\u0085ARD\u009b2K"#), "\(format)")
      #expect(!result.stdout.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) })
    }
  }

  @Test func controlCharactersNeverReachTheTerminal() throws {
    for arguments in [
      ["check", "--rules", "Rules/us-federal", "Fixtures/bad/terminal-escapes.csv"],
      [
        "explain", "--rules", "Rules/us-federal", "--record", "T1",
        "Fixtures/bad/terminal-escapes.csv",
      ],
    ] {
      let result = try runProbity(arguments)
      #expect(
        result.stdout.contains("RICHARD\\u{1B}[2K\\u{D}\\u{1B}[8mhidden"),
        "\(result.stdout.prefix(500))")
      for output in [result.stdout, result.stderr] {
        #expect(!output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" })
      }
    }
  }

  @Test(arguments: BadInputs.cases)
  func eachInputAsRecorded(_ testCase: Case) throws {
    let scratch = scratchFolder.appendingPathComponent(
      "probity-bad-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var path = "Fixtures/bad/\(testCase.input)"
    if testCase.input.hasPrefix("generated/") {
      path = try Self.generate(String(testCase.input.dropFirst("generated/".count)), in: scratch)
        .path
    }
    let arguments =
      path.hasSuffix(".probity")
      ? ["check", "--rules", path, "Fixtures/csv/canonical-sample.csv"]
      : ["check", "--rules", "Rules/us-federal", "--format", "json"] + testCase.options + [path]
    let started = Date()
    let result = try runProbity(arguments)
    #expect(Date().timeIntervalSince(started) < 60, "took too long")
    #expect(result.status == testCase.exit, "exit \(result.status): \(result.stderr.prefix(2000))")
    for (id, line, fragment) in testCase.diagnostics {
      let located = result.stderr.split(separator: "\n").filter {
        $0.hasPrefix("\(path):\(line):") && $0.contains("error[\(id)]")
      }
      #expect(!located.isEmpty, "no \(id) at \(path):\(line) in: \(result.stderr.prefix(2000))")
      #expect(located.contains { $0.contains(fragment) }, "\(located) does not say \(fragment)")
    }
    let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error[") }
    #expect(errors.count == testCase.diagnostics.count, "\(errors)")
    // Nothing of a file an entity names is ever read.
    #expect(!result.stdout.contains("root:") && !result.stderr.contains("root:"))
    guard let counts = testCase.counts else { return }
    let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let summary = try #require(json?["summary"] as? [String: Any])
    let read = summary["records_read"] as? Int
    let evaluated = summary["records_evaluated"] as? Int
    let rejected = summary["records_rejected"] as? Int
    #expect(read == counts.read && evaluated == counts.evaluated && rejected == counts.rejected)
    #expect(read == (evaluated ?? -1) + (rejected ?? -1), "the accounting holds")
  }
}
