import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

/// The package root (the folder holding Package.swift), found from this file's path.
let packageRoot: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent()  // ProbityFilingsTests
  .deletingLastPathComponent()  // Tests
  .deletingLastPathComponent()

/// `../shared` next to the package, as CI and the team have it.
let sharedRoot: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

func sharedFile(_ relative: String) -> String { sharedRoot.appendingPathComponent(relative).path }

func fixture(_ relative: String) -> String {
  packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(relative).path
}

/// The real filings in `../shared/data` that hold receipts or disbursements (not the
/// zips): `.fec` of every version there, both bulk samples, the three UK exports. (The
/// `.fec` 1236235, 1260488 and 1385191 hold none to read.)
let realFilingsWithRecords = [
  "data/fec/13360.fec", "data/fec/27789.fec", "data/fec/1229017.fec",
  "data/fec/1527862.fec", "data/fec/1544132.fec", "data/fec/1550126.fec",
  "data/fec/1550548.fec", "data/fec-bulk/insight_itcont_2017_sample.txt",
  "data/fec-bulk/agaiduk_itcont_random5000_2015_2018.txt",
  "data/uk/ec_donations_2025_2026.csv", "data/uk/legacy_pef_donations_2013_first400.csv",
  "data/uk/ec_donations_impermissible_returned_forfeited_all_years.csv",
]

/// Whether `../shared/data` is there (the tests of real filings need it).
let sharedDataPresent = FileManager.default.fileExists(atPath: sharedFile("data"))

/// A fresh scratch file holding `bytes`, under its own unique name in the test process's
/// scratch folder (removed when the process exits).
func temporaryFile(_ bytes: [UInt8], suffix: String = ".csv") throws -> String {
  let url =
    scratchFolder
    .appendingPathComponent("probity-filings-\(UUID().uuidString)\(suffix)")
  try Data(bytes).write(to: url)
  return url.path
}

func temporaryFile(_ text: String, suffix: String = ".csv") throws -> String {
  try temporaryFile(Array(text.utf8), suffix: suffix)
}

/// Parses mapping text that must be clean.
func cleanMapping(_ text: String, path: String = "test.map") throws -> Mapping {
  let (mapping, diagnostics) = Mapping.parse(SourceFile(path: path, text: text))
  #expect(diagnostics.isEmpty, "\(diagnostics.map { $0.rendered() }.joined(separator: "\n"))")
  return try #require(mapping)
}

struct ReadResult {
  var records: [Record] = []
  var problems: [Diagnostic] = []
  var statistics = ReadStatistics()

  var lines: [Int] { records.map(\.provenance.line) }
  var problemLines: [Int] { problems.compactMap(\.line) }
}

func read(path: String, mapping: Mapping) throws(FilingError) -> ReadResult {
  var result = ReadResult()
  result.statistics = try CSVReader(path: path, mapping: mapping).read(
    onRecord: { result.records.append($0) }, onProblem: { result.problems.append($0) })
  return result
}

func read(_ text: String, mapping: Mapping) throws -> ReadResult {
  try read(path: try temporaryFile(text), mapping: mapping)
}

func read(bytes: [UInt8], mapping: Mapping) throws -> ReadResult {
  try read(path: try temporaryFile(bytes), mapping: mapping)
}

/// A small mapping for reader tests: kind column, transaction id, amount, name parts.
let testMappingText = """
  [file]
  currency = USD
  [kind]
  column = kind
  receipt = receipt, SA11AI, R
  disbursement = disbursement, SB
  skip = TEXT
  [fields]
  transaction_id = column id
  amount = column amount
  name = column name optional
  memo_text = column memo optional
  """

extension Value {
  var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  var moneyValue: Money? {
    if case .money(let m) = self { return m }
    return nil
  }
}

/// python3 on the PATH, or nil: some real-data tests count records with it, independently
/// of Probity's readers.
let python3: String? = {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
  for directory in path.split(separator: ":") {
    let candidate = "\(directory)/python3"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}()

struct ScriptFailure: Error, CustomStringConvertible {
  let description: String
}

/// Runs python3 with `arguments` (a script and its arguments, or `-m module ...`) and
/// returns its standard output (through a file, so a large output never blocks the child).
func runPython(_ arguments: [String]) throws -> Data {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: python3 ?? "/usr/bin/python3")
  process.arguments = arguments
  let output =
    scratchFolder
    .appendingPathComponent("probity-python-\(UUID().uuidString).out")
  _ = FileManager.default.createFile(atPath: output.path, contents: nil)
  defer { try? FileManager.default.removeItem(at: output) }
  let handle = try FileHandle(forWritingTo: output)
  process.standardOutput = handle
  try process.run()
  process.waitUntilExit()
  try handle.close()
  guard process.terminationStatus == 0 else {
    throw ScriptFailure(
      description:
        "python3 \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
  }
  return try Data(contentsOf: output)
}
