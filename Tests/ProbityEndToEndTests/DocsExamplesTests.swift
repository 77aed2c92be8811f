import Foundation
import Testing

/// The examples the README and the docs show are what the tool prints and what the packs
/// hold: a reader who follows them must see what they say (they had drifted: a message,
/// the values and the explanation of a finding, rules rewritten since).
@Suite("The docs' examples are the tool's")
struct DocsExamplesTests {
  /// The fenced blocks of a Markdown file, each as its lines (the fences left out).
  static func blocks(_ relative: String) throws -> [[String]] {
    let text = try String(
      contentsOf: packageRoot.appendingPathComponent(relative), encoding: .utf8)
    var blocks: [[String]] = []
    var current: [String]?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") {
        if let block = current {
          blocks.append(block)
          current = nil
        } else {
          current = []
        }
      } else {
        current?.append(String(line))
      }
    }
    return blocks
  }

  /// The block whose first line starts with `prefix` (exactly one).
  static func block(_ relative: String, startingWith prefix: String) throws -> [String] {
    let found = try blocks(relative).filter { $0.first?.hasPrefix(prefix) == true }
    try #require(found.count == 1, "\(relative): \(found.count) blocks start with \(prefix)")
    return found[0]
  }

  /// Each paragraph of `shown` (its runs of lines between blank lines and `...`) is a run
  /// of consecutive lines of `output`.
  static func expectShown(_ shown: [String], in output: String, _ what: String) {
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var paragraphs: [[String]] = [[]]
    for line in shown {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed == "..." {
        if !paragraphs[paragraphs.count - 1].isEmpty { paragraphs.append([]) }
      } else {
        paragraphs[paragraphs.count - 1].append(line)
      }
    }
    for paragraph in paragraphs where !paragraph.isEmpty {
      let found = lines.indices.contains { start in
        start + paragraph.count <= lines.count
          && Array(lines[start..<start + paragraph.count]) == paragraph
      }
      #expect(found, "\(what): not in the tool's output:\n\(paragraph.joined(separator: "\n"))")
    }
  }

  @Test("the README's quick start prints what it shows")
  func readme() throws {
    let shown = try Self.block("README.md", startingWith: "Fixtures/us-federal/receipts.csv:")
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "Fixtures/us-federal/receipts.csv",
    ])
    Self.expectShown(shown, in: result.stdout, "README.md")
  }

  @Test("probity --help gives every cause of exit 2 that docs/output.md gives")
  func helpExitCodes() throws {
    let help = try runProbity(["--help"]).stdout
    let two = try #require(help.components(separatedBy: "\n  2  ").last)
      .components(separatedBy: "\n\n").first?.split(whereSeparator: \.isWhitespace)
      .joined(separator: " ")
    for cause in [
      "usage", "unreadable input", "rules", "mapping", "waivers", "baseline", "written",
    ] {
      #expect(two?.contains(cause) == true, "\(cause) missing from: \(two ?? "")")
    }
  }

  @Test("docs/output.md's text report is the tool's")
  func outputExample() throws {
    let shown = try Self.block(
      "docs/output.md", startingWith: "Fixtures/us-federal/aggregates.csv:")
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "Fixtures/us-federal/aggregates.csv",
    ])
    Self.expectShown(shown, in: result.stdout, "docs/output.md")
  }

  /// A block of docs/language.md headed by a pack file's path shows that file's rules
  /// and definitions as they are written there, comments aside.
  @Test("docs/language.md's rules and definitions are the packs'")
  func languageExamples() throws {
    let headed = try Self.blocks("docs/language.md").filter {
      $0.first?.hasPrefix("# Rules/") == true
    }
    #expect(headed.count >= 3)
    for block in headed {
      let path = String(block[0].dropFirst(2).split(separator: " ")[0])
      let file = try String(
        contentsOf: packageRoot.appendingPathComponent(path), encoding: .utf8
      )
      .split(separator: "\n").map(String.init)
      .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
      var checked = 0
      var index = 1
      while index < block.count {
        let line = block[index]
        if line.hasPrefix("rule ") {
          // The rule, to its closing brace, as the file has it without comments.
          let end = try #require(block[index...].firstIndex(of: "}"), "\(path): \(line)")
          let shown = Array(block[index...end])
          let start = try #require(file.firstIndex(of: line), "\(path) has no \(line)")
          #expect(
            Array(file[start..<min(start + shown.count, file.count)]) == shown,
            "docs/language.md shows \(line) otherwise than \(path)")
          checked += 1
          index = end + 1
          continue
        }
        if line.hasPrefix("define ") || line.hasPrefix("import ") {
          #expect(file.contains(line), "\(path) has no line \(line)")
          checked += 1
        }
        index += 1
      }
      #expect(checked > 0, "\(path): nothing checked")
    }
  }
  /// The keys of docs/output.md's table of the JSON report, in the table's order, by
  /// where they stand: "" (the document), "findings[]" and "summary".
  static func tableKeys() throws -> [String: [String]] {
    let text = try String(
      contentsOf: packageRoot.appendingPathComponent("docs/output.md"), encoding: .utf8)
    let start = try #require(text.range(of: "## `probity check --format json`"))
    let end = try #require(text.range(of: "\n## ", range: start.upperBound..<text.endIndex))
    var keys: [String: [String]] = [:]
    for line in text[start.upperBound..<end.lowerBound].split(separator: "\n")
    where line.hasPrefix("| `") {
      // The first cell: one key, or several of one place (`findings[].rule`, `title`).
      let cell = line.dropFirst(2).prefix { $0 != "|" }
      var scope = ""
      for (position, part) in cell.split(separator: "`").enumerated() where position % 2 == 0 {
        var name = String(part)
        if let dot = name.lastIndex(of: ".") {
          scope = String(name[..<dot])
          name = String(name[name.index(after: dot)...])
        }
        if name.hasSuffix("[]") { name.removeLast(2) }
        keys[scope, default: []].append(name)
        // A place first named by its keys (`summary.records_read`) is a key of the
        // document there.
        let root = String(scope.prefix { $0 != "." && $0 != "[" })
        if !root.isEmpty, keys["", default: []].contains(root) == false {
          keys["", default: []].append(root)
        }
      }
    }
    return keys
  }

  @Test("docs/output.md lists the JSON report's keys in the report's order")
  func jsonKeyOrder() throws {
    let result = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json",
      "Fixtures/us-federal/aggregates.csv",
    ])
    // The keys of an object, in the order written (JSONSerialization does not keep it).
    func keys(of object: String) -> [String] {
      var found: [String] = []
      var depth = 0
      var index = object.startIndex
      var inString = false
      var stringStart = index
      while index < object.endIndex {
        let c = object[index]
        if inString {
          if c == "\\" {
            index = object.index(after: index)
          } else if c == "\"" {
            inString = false
            let after = object[object.index(after: index)...].drop { $0 == " " }
            if depth == 1 && after.first == ":" {
              found.append(String(object[object.index(after: stringStart)..<index]))
            }
          }
        } else if c == "\"" {
          inString = true
          stringStart = index
        } else if c == "{" || c == "[" {
          depth += 1
        } else if c == "}" || c == "]" {
          depth -= 1
          if depth == 0 { break }
        }
        index = object.index(after: index)
      }
      return found
    }
    let document = result.stdout
    let table = try Self.tableKeys()
    #expect(keys(of: document) == table[""], "the document's keys")
    let summary = try #require(document.range(of: "\"summary\": {"))
    #expect(
      Array(keys(of: "{" + document[summary.upperBound...]).prefix(table["summary"]?.count ?? 0))
        == table["summary"], "the summary's keys")
    let finding = try #require(document.range(of: "\"findings\": [\n"))
    let first = document[finding.upperBound...].drop { $0 == " " }
    #expect(keys(of: String(first)) == table["findings[]"], "a finding's keys")
  }
}
