import Foundation
import ProbityCore
import Testing

@testable import ProbityLanguage

/// A pack written carelessly: every layout rule broken once, comments everywhere.
let messyPack = """
  # header comment


  import "limits.probity"
  param  a:money=$1.00   # trailing
  param b : list of string = [ "X","Y" ,
      "Z" ]
  # about the table
  param t: money by year {

        2021 .. 2022 : $2,900.00
    2023..2024: $3,300.00 # the current limit
  }
  rule  US-X-001{ title "T" severity error
  category cash-over-limit
         citation "c"
     applies receipt , disbursement
        # the records it considers
     where kind=="receipt" and not memo
    and(amount>a or entity_type in b)
    group by person_key( name ) ,zip5(zip) window election
    let total=sum( if kind == "receipt" then amount else - amount )
    when total > t[ election_year(election_code) ] and present( name )

    due within 60 days
    message "{name} gave {total}: {{literal}} # not a comment"   remedy "refund {total - t[election_year(election_code)]}"
    # end of rule
  }
  rule Y-1 {
    title "t"
    severity warning
    category data-quality
    citation "c"
    applies receipt
    when - amount > - a and window_free(1)
    message "m"
  }
  """

let messyLimits = """
  param c: money = $5.00
  """

let messyExpected = """
  # header comment

  import "limits.probity"

  param a: money = $1.00  # trailing

  param b: list of string = ["X", "Y",
    "Z"]

  # about the table
  param t: money by year {
    2021..2022: $2,900.00
    2023..2024: $3,300.00  # the current limit
  }

  rule US-X-001 {
    title "T"
    severity error
    category cash-over-limit
    citation "c"
    applies receipt, disbursement
    # the records it considers
    where kind == "receipt" and not memo
      and (amount > a or entity_type in b)
    group by person_key(name), zip5(zip)
    window election
    let total = sum(if kind == "receipt" then amount else -amount)
    when total > t[election_year(election_code)] and present(name)

    due within 60 days
    message "{name} gave {total}: {{literal}} # not a comment"
    remedy "refund {total - t[election_year(election_code)]}"
    # end of rule
  }

  rule Y-1 {
    title "t"
    severity warning
    category data-quality
    citation "c"
    applies receipt
    when -amount > -a and window_free(1)
    message "m"
  }

  """

func formatted(_ text: String, path: String = "pack/rules.probity") -> String? {
  RuleFormatter.format(SourceFile(path: path, text: text)).text
}

/// Everything a compiled pack means, as text: rules with their programs, parameters.
func meaning(_ ruleSet: CompiledRuleSet) -> [String] {
  func program(_ p: ExprProgram?) -> String {
    guard let p else { return "-" }
    return p.nodes.map { "\($0.op)\($0.children)\($0.type)" }.joined(separator: ";") + "@\(p.root)"
  }
  func template(_ t: CompiledTemplate?) -> String {
    guard let t else { return "-" }
    return t.parts.map { part in
      switch part {
      case .text(let text): return "text(\(text))"
      case .hole(let p): return "hole(\(program(p)))"
      }
    }.joined()
  }
  var lines: [String] = []
  for rule in ruleSet.rules {
    lines.append(
      [
        rule.id, rule.title, rule.severity.rawValue, rule.category.rawValue, rule.citation,
        "\(rule.kinds)", program(rule.condition), program(rule.filter), template(rule.message),
        template(rule.remedy), "\(rule.deadlineDays as Int?)",
      ].joined(separator: " | "))
    if let grouping = rule.grouping {
      lines.append(
        grouping.keys.map(program).joined(separator: ",") + " \(grouping.window?.kind as Any) "
          + program(grouping.window?.on) + " \(grouping.fires) \(grouping.cureDays as Any) "
          + grouping.aggregates.map { "\($0.function)(\(program($0.argument)))" }.joined())
    }
  }
  for parameter in ruleSet.parameters {
    var definition = "\(parameter.definition)"
    if case .set(let entries) = parameter.definition { definition = "\(entries.sorted())" }
    lines.append("\(parameter.name): \(parameter.type) = \(definition)")
  }
  return lines
}

@Suite struct FormatterTests {
  @Test func laysOutAMessyPackTheCanonicalWay() {
    #expect(formatted(messyPack) == messyExpected)
  }

  @Test func isIdempotent() throws {
    let once = try #require(formatted(messyPack))
    #expect(formatted(once) == once)
  }

  @Test func keepsTheMeaning() throws {
    let once = try #require(formatted(messyPack))
    let before = compile([("pack/rules.probity", messyPack), ("pack/limits.probity", messyLimits)])
    let after = compile([("pack/rules.probity", once), ("pack/limits.probity", messyLimits)])
    // `window_free` is not a function: both fail alike, so compare without that rule.
    #expect(before.1.map(\.id) == after.1.map(\.id))
    let fixed = { (text: String) in text.replacingOccurrences(of: " and window_free(1)", with: "") }
    let (a, da) = compile([
      ("pack/rules.probity", fixed(messyPack)), ("pack/limits.probity", messyLimits),
    ])
    let (b, db) = compile([
      ("pack/rules.probity", fixed(once)), ("pack/limits.probity", messyLimits),
    ])
    #expect(da.isEmpty && db.isEmpty, "\((da + db).map { $0.rendered() })")
    #expect(meaning(try #require(a)) == meaning(try #require(b)))
  }

  @Test func keepsEveryComment() throws {
    let once = try #require(formatted(messyPack))
    let comments = { (text: String) in
      text.split(separator: "\n").compactMap { line -> String? in
        guard let hash = line.firstIndex(of: "#"), !line.contains("\"") else { return nil }
        return String(line[hash...])
      }
    }
    #expect(
      comments(once)
        == comments(messyPack).map { String($0.reversed().drop { $0 == " " }.reversed()) })
  }

  @Test func refusesAFileWithSyntaxErrors() {
    let (text, diagnostics) = RuleFormatter.format(
      SourceFile(path: "bad.probity", text: "rule X {\n  title \"t\"\n  when amount && 1\n"))
    #expect(text == nil)
    #expect(diagnostics.contains { $0.id == "P0001" })
  }

  @Test func handlesCRLFAndAMissingFinalNewline() {
    #expect(
      formatted("param a: money = $1.00\r\n# c\r\nparam b: money = $2.00")
        == "param a: money = $1.00\n\n# c\nparam b: money = $2.00\n")
    #expect(formatted("") == "")
    #expect(formatted("# only a comment") == "# only a comment\n")
  }

  /// A file with old Mac line ends (a CR alone) is laid out as its LF twin: it was one
  /// line to the formatter, refused as P0090.
  @Test(arguments: ["Rules/us-federal", "Rules/uk-ppera"])
  func handlesCarriageReturnsAlone(_ pack: String) throws {
    #expect(
      formatted("param a: money = $1.00\r# c\rparam b: money = $2.00\r")
        == "param a: money = $1.00\n\n# c\nparam b: money = $2.00\n")
    let folder = packageRoot.appendingPathComponent(pack)
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
    where name.hasSuffix(".probity") {
      let text = try String(
        contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
      #expect(
        formatted(text.replacingOccurrences(of: "\n", with: "\r")) == text, "\(pack)/\(name)")
    }
  }

  /// Every shipped pack: already formatted, formatting keeps its meaning and is idempotent.
  @Test(arguments: ["Rules/us-federal", "Rules/uk-ppera"])
  func shippedPacksAreFormatted(_ pack: String) throws {
    let folder = packageRoot.appendingPathComponent(pack)
    let names = try FileManager.default.subpathsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".probity") }.sorted()
    #expect(!names.isEmpty)
    var originals: [SourceFile] = []
    var reformatted: [SourceFile] = []
    for name in names {
      let path = folder.appendingPathComponent(name).path
      let text = try String(contentsOfFile: path, encoding: .utf8)
      let once = try #require(formatted(text, path: path), "\(path) does not format")
      #expect(once == text, "\(pack)/\(name) is not formatted: run probity fmt \(pack)")
      #expect(formatted(once, path: path) == once)
      originals.append(SourceFile(path: path, text: text))
      reformatted.append(SourceFile(path: path, text: once))
    }
    let (a, _) = RulePackCompiler.compile(sources: originals, listLoader: firstColumnLists)
    let (b, _) = RulePackCompiler.compile(sources: reformatted, listLoader: firstColumnLists)
    #expect(meaning(try #require(a)) == meaning(try #require(b)))
  }
}
