import ArgumentParser
import Foundation
import ProbityCore
import ProbityLanguage

struct FmtCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fmt",
    abstract: "Lay out rule files the canonical way (every comment kept).",
    discussion: """
      Two spaces inside rules and tables, one property per line, continuation lines of \
      `when` and `where` indented by 4, one blank line between declarations, one space \
      around operators. Only white space changes: the formatter checks that the tokens \
      and comments are the same, in order, and that formatting again changes nothing. \
      A file with syntax errors is not formatted (fix it first: `probity rules check`).

      Exit codes: 0 done (or, with --check, nothing would change); 1 with --check, some \
      file would change; 2 a file cannot be read, has syntax errors or cannot be written.

      Examples:
        probity fmt Rules/us-federal
        probity fmt --check Rules/us-federal Rules/uk-ppera     # in CI
      """
  )

  @Flag(name: .long, help: "Change nothing; list the files that would change and exit 1 if any.")
  var check = false

  @Argument(
    help: ArgumentHelp(
      "Rule packs (directories, searched for *.probity) or rule files.", valueName: "path"))
  var paths: [String]

  func validate() throws {
    if paths.isEmpty { throw ValidationError("give a rule pack or a rule file to format") }
  }

  /// The rule files under `path` (a file, or a directory searched recursively), in name
  /// order.
  static func ruleFiles(_ path: String) -> [String]? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return nil
    }
    guard isDirectory.boolValue else { return [path] }
    let root = path.hasSuffix("/") ? String(path.dropLast()) : path
    var found: [String] = []
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let item = enumerator?.nextObject() as? String {
      if item.hasSuffix("." + RulePackLoader.fileExtension) { found.append(root + "/" + item) }
    }
    return found.sorted()
  }

  func run() throws {
    var unusable = false
    var changed: [String] = []
    var count = 0
    for path in paths {
      guard let files = FmtCommand.ruleFiles(path) else {
        printError(
          Diagnostic(id: "L0002", message: "no such file or directory", file: path).rendered())
        unusable = true
        continue
      }
      for file in files {
        count += 1
        guard let data = FileManager.default.contents(atPath: file),
          let text = String(data: data, encoding: .utf8)
        else {
          let message = LanguageMessage.cannotReadFile(
            file, reason: "cannot open it, or it is not UTF-8")
          printError(Diagnostic(id: message.id, message: message.text, file: file).rendered())
          unusable = true
          continue
        }
        let (formatted, diagnostics) = RuleFormatter.format(SourceFile(path: file, text: text))
        guard let formatted else {
          for diagnostic in diagnostics { printError(diagnostic.rendered()) }
          printError("\(file): not formatted")
          unusable = true
          continue
        }
        guard formatted != text else { continue }
        changed.append(file)
        if check {
          print("\(file): would be reformatted")
          continue
        }
        do {
          try formatted.write(toFile: file, atomically: true, encoding: .utf8)
          print("\(file): formatted")
        } catch {
          printError("\(file): error: cannot write it: \(error.localizedDescription)")
          unusable = true
        }
      }
    }
    if unusable { throw Exit.unusable }
    if check {
      print(
        changed.isEmpty
          ? "\(count) rule file\(count == 1 ? "" : "s") already formatted"
          : "\(changed.count) of \(count) rule files would be reformatted: run probity fmt")
      if !changed.isEmpty { throw Exit.findings }
    }
  }
}
