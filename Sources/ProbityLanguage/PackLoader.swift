import Foundation
import ProbityCore

/// Reads a rule pack from disk: a directory of `*.probity` files (searched recursively,
/// in name order), or a single file together with the files it imports.
public enum RulePackLoader {
  public static let fileExtension = "probity"

  /// `listLoader` reads the CSV files of `list` declarations (the command-line tool reads
  /// them through ProbityFilings).
  public static func load(path: String, listLoader: RulePackCompiler.ListLoader? = nil) -> (
    ruleSet: CompiledRuleSet?, diagnostics: [Diagnostic]
  ) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      let message = LanguageMessage.cannotReadFile(path, reason: "no such file or directory")
      return (nil, [Diagnostic(id: message.id, message: message.text, file: path)])
    }
    var sources: [SourceFile] = []
    var diagnostics: [Diagnostic] = []
    if isDirectory.boolValue {
      let root = path.hasSuffix("/") ? String(path.dropLast()) : path
      guard let enumerator = FileManager.default.enumerator(atPath: root) else {
        let message = LanguageMessage.cannotReadFile(path, reason: "cannot list the directory")
        return (nil, [Diagnostic(id: message.id, message: message.text, file: path)])
      }
      var relative: [String] = []
      while let item = enumerator.nextObject() as? String {
        if item.hasSuffix("." + fileExtension) { relative.append(item) }
      }
      for item in relative.sorted() {
        switch read(root + "/" + item) {
        case .success(let source): sources.append(source)
        case .failure(let diagnostic): diagnostics.append(diagnostic)
        }
      }
      if sources.isEmpty && diagnostics.isEmpty {
        let message = LanguageMessage.emptyPack(path)
        return (nil, [Diagnostic(id: message.id, message: message.text, file: path)])
      }
    } else {
      // One file: follow its imports.
      var queue = [RulePackCompiler.normalize(path)]
      var seen: Set<String> = []
      while let next = queue.first {
        queue.removeFirst()
        guard seen.insert(next).inserted else { continue }
        switch read(next) {
        case .success(let source):
          sources.append(source)
          let (syntax, _) = Parser.parse(source)
          for decl in syntax.imports {
            let resolved = RulePackCompiler.resolve(decl.path, from: next)
            if FileManager.default.fileExists(atPath: resolved) { queue.append(resolved) }
          }
        case .failure(let diagnostic):
          diagnostics.append(diagnostic)
        }
      }
    }
    let (ruleSet, compileDiagnostics) = RulePackCompiler.compile(
      sources: sources, listLoader: listLoader)
    diagnostics.append(contentsOf: compileDiagnostics)
    return (diagnostics.hasErrors ? nil : ruleSet, diagnostics.sortedForDisplay())
  }

  static func read(_ path: String) -> Result<SourceFile, Diagnostic> {
    guard let data = FileManager.default.contents(atPath: path) else {
      let message = LanguageMessage.cannotReadFile(path, reason: "cannot open it")
      return .failure(Diagnostic(id: message.id, message: message.text, file: path))
    }
    guard let text = String(data: data, encoding: .utf8) else {
      let message = LanguageMessage.cannotReadFile(path, reason: "it is not UTF-8 text")
      return .failure(Diagnostic(id: message.id, message: message.text, file: path))
    }
    return .success(SourceFile(path: path, text: text))
  }
}
