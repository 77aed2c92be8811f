import ArgumentParser
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage

struct TestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Run a rule pack's test cases and report which rules and conditions they exercise.",
    discussion: """
      A pack's tests live beside its rules, in PACK/tests/*.probity-test: example records \
      in a filing format Probity reads, grouped into cases, each row naming the findings \
      it must raise (`=> US-CASH-001`) or none. Each case is read by the real reader of \
      its format and checked with a fresh run; a case passes when exactly the expected \
      findings fire. docs/ci.md describes the format.

      Coverage: for each rule, whether some case made it fire and some case evaluated it \
      without a finding; for each boolean part of its `where` and `when` (and, or, not, \
      comparisons, in, boolean calls), which of true, false and missing it took.

      Exit codes: 0 every case passed; 1 a case failed (or, with --strict, a rule has no \
      firing or no silent case); 2 the pack, a test file or a mapping has errors.

      Examples:
        probity test Rules/us-federal
        probity test --coverage Rules/uk-ppera
        probity test --strict Rules/us-federal
        probity test Rules/us-federal Rules/us-federal/tests/receipts.probity-test
      """
  )

  @Argument(
    help: ArgumentHelp(
      "The rule pack: a directory of .probity files (its tests in PACK/tests), or one file.",
      valueName: "pack"))
  var pack: String

  @Argument(
    help: ArgumentHelp(
      "Test files to run (default: every PACK/tests/*.probity-test).", valueName: "test-file"))
  var testFiles: [String] = []

  @Flag(name: .long, help: "Show every boolean part of every condition and the outcomes it took.")
  var coverage = false

  @Flag(
    name: .long,
    help: "Fail (exit 1) when a rule has no case in which it fires or none in which it is silent.")
  var strict = false

  /// The test files of a pack, in name order.
  static func discover(_ pack: String) -> [String] {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: pack, isDirectory: &isDirectory)
    let root =
      exists && isDirectory.boolValue
      ? (pack.hasSuffix("/") ? String(pack.dropLast()) : pack)
      : (pack as NSString).deletingLastPathComponent
    let folder = (root.isEmpty ? "." : root) + "/tests"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix("." + RuleTestFile.fileExtension) }.sorted().map {
      folder + "/" + $0
    }
  }

  func run() throws {
    guard let ruleSet = loadRules(pack) else { throw Exit.unusable }
    let paths = testFiles.isEmpty ? TestCommand.discover(pack) : testFiles
    guard !paths.isEmpty else {
      printError(
        Diagnostic(
          id: "T0002", message: "no test files in \(pack)/tests", file: pack,
          hint: "add \(pack)/tests/NAME.\(RuleTestFile.fileExtension) (docs/ci.md)"
        ).rendered())
      throw Exit.unusable
    }
    // Parse every file first: a broken test file is exit 2, before anything runs.
    var files: [(RuleTestFile, [String: Mapping])] = []
    var broken = false
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path),
        let text = String(data: data, encoding: .utf8)
      else {
        printError(
          Diagnostic(id: "T0002", message: "cannot read the test file", file: path).rendered())
        broken = true
        continue
      }
      let (parsed, diagnostics) = RuleTestFile.parse(text, path: path)
      for diagnostic in diagnostics { printError(diagnostic.rendered()) }
      if let file = parsed {
        var mappings: [String: Mapping] = [:]
        for mappingPath in Set(file.cases.compactMap(\.mappingPath)) {
          let resolved = ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent(mappingPath)
          if let mapping = loadMapping(resolved) {
            mappings[mappingPath] = mapping
          } else {
            broken = true
          }
        }
        files.append((file, mappings))
      } else {
        broken = true
      }
    }
    if broken { throw Exit.unusable }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "probity-test-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    } catch {
      printError("error: cannot create a scratch folder: \(error.localizedDescription)")
      throw Exit.unusable
    }
    defer { try? FileManager.default.removeItem(at: scratch) }

    let runner = RuleTestRunner(ruleSet: ruleSet)
    var results: [CaseResult] = []
    for (file, mappings) in files {
      print(file.path)
      for testCase in file.cases {
        let result = runner.run(
          testCase, in: file, mapping: testCase.mappingPath.flatMap { mappings[$0] },
          scratch: scratch)
        results.append(result)
        print("  \(result.passed ? "ok  " : "FAIL") \(testCase.name) (line \(testCase.line))")
        for problem in result.problems { print("         \(problem)") }
      }
    }
    let failed = results.count { !$0.passed }
    print("")
    print("cases: \(results.count - failed) passed, \(failed) failed")

    // Coverage.
    let report = runner.coverage.report(for: ruleSet)
    var untested: [String] = []
    print("")
    print(
      "coverage: rule, fired in a case, silent in a case, true/false outcomes taken by the boolean parts of its conditions"
    )
    let width = ruleSet.rules.map(\.id.count).max() ?? 0
    for (index, rule) in ruleSet.rules.enumerated() {
      let fired = results.contains {
        $0.passed && $0.tallies.indices.contains(index) && $0.tallies[index].fired > 0
      }
      let silent = results.contains {
        $0.passed && $0.tallies.indices.contains(index) && $0.tallies[index].fired == 0
          && $0.tallies[index].evaluated > 0
      }
      if !fired || !silent { untested.append(rule.id) }
      let ruleCoverage = report[index]
      let pad = String(repeating: " ", count: width - rule.id.count)
      var line =
        "  \(rule.id)\(pad)  \(fired ? "fired " : "NEVER FIRED")  \(silent ? "silent" : "NEVER SILENT")  conditions \(ruleCoverage.branchesTaken)/\(ruleCoverage.branches)"
      let gaps = ruleCoverage.parts.filter { !$0.isCovered }
      if !gaps.isEmpty && !coverage {
        line +=
          "; not both ways: "
          + gaps.prefix(3).map { "\(TestCommand.oneLine($0.text)) (\($0.outcomes.text))" }.joined(
            separator: "; ")
        if gaps.count > 3 { line += "; and \(gaps.count - 3) more (--coverage)" }
      }
      print(line)
      if coverage {
        for part in ruleCoverage.parts {
          print(
            "      \(part.clause) \(part.file):\(part.line):\(part.column)  \(TestCommand.oneLine(part.text))  → \(part.outcomes.text)"
          )
        }
      }
    }
    if !untested.isEmpty {
      print("")
      print(
        "\(untested.count) rule\(untested.count == 1 ? "" : "s") without both a firing and a silent passing case: \(untested.joined(separator: ", "))"
      )
    }
    if failed > 0 || (strict && !untested.isEmpty) { throw Exit.findings }
  }

  /// An expression's text on one line, shortened.
  static func oneLine(_ text: String) -> String {
    let words = text.split { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }.joined(
      separator: " ")
    return words.count > 70 ? String(words.prefix(69)) + "…" : words
  }
}
