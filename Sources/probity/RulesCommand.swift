import ArgumentParser
import Foundation
import ProbityCore
import ProbityFilings
import ProbityLanguage

struct RulesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rules",
    abstract: "Check or list a rule pack.",
    subcommands: [Check.self, List.self]
  )

  struct Check: ParsableCommand {
    // Every command is named here: a name left to ArgumentParser is made from the type's
    // name, found by reflection at every start (some 1.5 M instructions each).
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Parse and type-check a rule pack; print every error and warning at once.",
      discussion: """
        Exits 0 when the pack is sound, 2 when it has errors. Each error shows \
        file:line:col, the source line with a caret, and a hint where one helps.

        Warnings (lint) do not change the exit code: W0001 a parameter no rule uses, \
        W0002 a rule whose condition is always false, W0003 a rule whose `where` is \
        always false, W0004 a rule's `let` that no part of the rule uses \
        (docs/language.md).
        """
    )

    @Argument(
      help: ArgumentHelp(
        "The rule pack: a directory of .probity files, or one file.", valueName: "pack"))
    var pack: String

    func run() throws {
      guard let ruleSet = loadRules(pack) else { throw Exit.unusable }
      let warnings = RulePackLint.lint(ruleSet)
      for warning in warnings { printError(warning.rendered()) }
      let count =
        warnings.isEmpty ? "" : ", \(warnings.count) warning\(warnings.count == 1 ? "" : "s")"
      print(
        "\(pack): \(ruleSet.rules.count) rules, \(ruleSet.parameters.count) parameters in \(ruleSet.files.count) files: no errors\(count)"
      )
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List the rules of a pack with their citations.")

    @Argument(help: ArgumentHelp("The rule pack.", valueName: "pack"))
    var pack: String

    func run() throws {
      guard let ruleSet = loadRules(pack) else { throw Exit.unusable }
      for rule in ruleSet.rules {
        print("\(rule.id)  \(rule.severity.rawValue)  \(rule.category.rawValue)")
        print("    \(rule.title)")
        print("    \(rule.citation)")
        print(
          "    applies to: \(rule.kinds.map(\.rawValue).joined(separator: ", "))  (\(rule.site.file):\(rule.site.line))"
        )
      }
    }
  }
}

struct MappingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mapping",
    abstract: "Show the bundled CSV mapping, or check a mapping file.",
    subcommands: [Canonical.self, Check.self]
  )

  struct Canonical: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "canonical",
      abstract:
        "Print the bundled mapping of the Probity canonical CSV layout (a starting point for your own)."
    )

    func run() throws {
      print(BundledMappings.canonicalText, terminator: "")
    }
  }

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Check a mapping file; print every error at once.")

    @Argument(help: ArgumentHelp("The mapping file.", valueName: "file"))
    var file: String

    func run() throws {
      guard loadMapping(file) != nil else { throw Exit.unusable }
      print("\(file): no errors")
    }
  }
}
