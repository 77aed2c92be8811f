import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// Adversarial `where` clauses against the memo's questions (`ProjectionMemo.Atom`): two
/// records with the same key must get the same remembered values and missing fields.
@Suite("Where clauses remembered: adversarial questions")
struct ProjectionMemoAdversarialTests {
  /// A pack of several files, compiled without errors.
  static func pack(_ files: [(String, String)]) throws -> CompiledRuleSet {
    let (compiled, diagnostics) = RulePackCompiler.compile(
      sources: files.map { SourceFile(path: $0.0, text: $0.1) })
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    return try #require(compiled)
  }

  static func rule(_ id: String, _ filter: String, when condition: String = "amount > $0.00")
    -> String
  {
    ProjectionMemoTests.ruleText(filter, when: condition).replacingOccurrences(
      of: "rule R {", with: "rule \(id) {")
  }

  static func amounts(_ values: [String]) -> [Record] {
    values.enumerated().map { gift("2024-01-01", $0.element, line: $0.offset + 1) }
  }

  /// The same text, two meanings: a parameter or a `define` of one name in two files
  /// that do not import each other.
  @Test(
    "one text, two meanings in two files",
    arguments: [
      ("param limit: money = $100.00", "param limit: money = $1,000.00", "amount > limit"),
      ("define big = amount > $100.00", "define big = amount > $1,000.00", "big"),
      (
        "define big = amount > $100.00", "define big = amount > $1,000.00",
        "big and entity_type == \"IND\""
      ),
    ])
  func oneTextTwoMeanings(_ a: String, _ b: String, _ filter: String) throws {
    let ruleSet = try Self.pack([
      ("a.probity", a + "\n" + Self.rule("A", filter)),
      ("b.probity", b + "\n" + Self.rule("B", filter)),
    ])
    let records = Self.amounts(["50.00", "500.00", "5000.00", "500.00", "50.00", "5000.00"])
    let run = ProjectionMemoTests.unremembered(ruleSet, records)
    // A fires on 500 and 5000 (4), B on 5000 (2).
    #expect(run.tallies.map(\.fired) == [4, 2])
    _ = ProjectionMemoTests.compare(ruleSet, records)
  }
}

extension ProjectionMemoAdversarialTests {
  /// Records that vary what questions can tell apart and what they cannot: amounts
  /// (zero, negative, of another currency, too large to multiply, missing), memo texts
  /// (canonically equivalent spellings, long and short, blank, missing, lacking from the
  /// format), employers and dates, in an order that revisits each value.
  static func varied() throws -> [Record] {
    let amount = try #require(CanonicalSchema.id(named: "amount"))
    let memoText = try #require(CanonicalSchema.id(named: "memo_text"))
    let employer = try #require(CanonicalSchema.id(named: "employer"))
    let entityType = try #require(CanonicalSchema.id(named: "entity_type"))
    let aggregation = try #require(CanonicalSchema.id(named: "aggregation"))
    let long = "EARMARKED THROUGH A CONDUIT FOR THE CAMPAIGN"
    let amounts: [Value] = [
      usd("150.00"), usd("0.00"), usd("-5.00"), usd("250.00"), .missing,
      .money(Money(minorUnits: 25_000, currency: .gbp)), usd("92233720368547.75"),
      usd("1000.00"), usd("150.00"), .money(Money(minorUnits: 15_000, currency: .gbp)),
      usd("0.01"), usd("250.00"),
    ]
    let texts: [Value?] = [
      .string("Jos\u{E9}"), .string("Jose\u{301}"), .string("A"), .string("B"), .string(""),
      .string("  "), .missing, nil, .string(long), .string(String(long.reversed().reversed())),
      .string(long.lowercased()), .string("a"), .string("Jos\u{E9}"), .string("x"),
    ]
    var records: [Record] = []
    for line in 1...(amounts.count * texts.count / 2) {
      var record = gift(
        "2024-0\(line % 9 + 1)-1\(line % 7)", "1.00", line: line)
      record[amount] = amounts[line % amounts.count]
      if let text = texts[(line * 5) % texts.count] {
        record[memoText] = text
      } else {
        record.unavailable.insert(memoText)
      }
      record[employer] = line % 3 == 0 ? .string("Acme") : (line % 3 == 1 ? .missing : .string(""))
      record[entityType] = .string(line % 4 == 0 ? "ORG" : "IND")
      if line % 5 != 0 { record[aggregation] = .boolean(line % 2 == 0) }
      records.append(record)
    }
    return records
  }

  /// Adversarial `where` clauses: each is remembered (through questions where it asks
  /// them) and must give what it gives computed on every record.
  @Test(
    "adversarial where clauses, remembered as computed",
    arguments: [
      // Questions and their combinations.
      "amount > $100.00",
      "not (amount > $100.00)",
      "not (amount > $100.00) or entity_type == \"ORG\"",
      "amount * 100000 > $1.00",
      "entity_type == \"IND\" and amount * 100000 > $1.00",
      "entity_type == \"IND\" or amount * 100000 > $1.00",
      "amount * 100000 > $1.00 or entity_type == \"IND\"",
      "amount > £100.00",
      "amount > $100.00 or amount > £100.00",
      "-amount < $0.00 and abs(amount) > $0.00",
      "amount + $1.00 > $1.00 and amount - $1.00 < $500.00",
      "amount in [$150.00, $250.00]",
      "amount not in [$150.00, $250.00]",
      "amount == $0.00 or amount != $0.00",
      // Texts.
      "memo_text == \"Jos\u{E9}\"",
      "memo_text == \"Jose\u{301}\"",
      "upper(memo_text) == \"JOS\u{C9}\"",
      "length(memo_text) > 1",
      "length(memo_text) * 1000000000000000000 > 1",
      "contains(upper(memo_text), \"EARMARK\")",
      "starts_with(memo_text, \"E\") or ends_with(lower(memo_text), \"n\")",
      "trim(memo_text) == \"\"",
      "blank(memo_text) or memo_text == \"A\"",
      "present(memo_text) and memo_text != \"B\"",
      "missing(memo_text) or memo_text in [\"A\", \"a\"]",
      "memo_text in [\"A\", \"a\"]",
      "memo_text not in [\"A\", \"a\"]",
      // Questions beside other reads of the same field.
      "amount > $100.00 and (amount ?? $0.00) < $500.00",
      "amount > $100.00 and present(amount)",
      "(amount > $100.00) ?? true",
      "(memo_text == \"A\") ?? (entity_type == \"ORG\")",
      "if amount > $100.00 then memo_text == \"A\" else memo_text != \"B\"",
      "if entity_type == \"IND\" then amount > $100.00 else contains(memo_text, \"A\")",
      // Several fields, each asked.
      "amount > $100.00 and memo_text == \"A\" or employer == \"Acme\"",
      "(amount > $100.00 or memo_text == \"A\") and (blank(employer) or employer != \"Acme\")",
      "amount > $100.00 and date > 2024-03-01",
      "date >= 2024-05-01 and date < 2024-08-01",
      "aggregation or amount > $100.00",
      "not aggregation and amount > $100.00",
      "aggregation == true",
      // Missing inside a question with its field there. (In parentheses: bare, a
      // comparison with the literal is the mistake C0029 names; meant, it is missing.)
      "memo_text == (missing) or amount > $100.00",
      "not (memo_text == (missing)) or memo_text == \"A\"",
    ])
  func adversarial(_ filter: String) throws {
    try Self.heldToTheRun([filter])
  }

  /// Each `where`, under conditions of each kind, held to the run without a memo on the
  /// varied records.
  static func heldToTheRun(_ wheres: [String]) throws {
    let records = try Self.varied()
    for condition in ["amount > $100.00", "entity_type == \"IND\"", "true"] {
      for filter in wheres {
        _ = ProjectionMemoTests.compare(
          try ProjectionMemoTests.rule(filter, when: condition), records)
      }
    }
  }

  /// A record whose field holds a value though the format is said to lack it (no reader
  /// makes one, but a record can be made so): `present` and `blank` give missing there
  /// while `==` reads the value, so the missing parts named would follow the value, not
  /// the answer. Such a record is not remembered.
  @Test("a value in a field the format lacks is not remembered")
  func valueInAFieldTheFormatLacks() throws {
    let memoText = try ProjectionMemoTests.field("memo_text")
    var records: [Record] = []
    for (line, text) in ["A", "B", "A", "B", "C"].enumerated() {
      var record = gift("2024-01-01", "150.00", line: line + 1)
      record[memoText] = .string(text)
      record.unavailable.insert(memoText)
      records.append(record)
    }
    let ruleSet = try ProjectionMemoTests.rule(
      "(memo_text == \"A\" and present(memo_text)) or (memo_text != \"A\" and blank(memo_text))")
    _ = ProjectionMemoTests.compare(ruleSet, records)
  }

  /// The same, with the question a `define` read by other rules by value.
  @Test(
    "adversarial defines, remembered as computed",
    arguments: [
      ("define big = amount > $100.00", "big", "big == true"),
      ("define big = amount > $100.00", "big and entity_type == \"IND\"", "not big"),
      ("define big = amount * 100000 > $1.00", "big or entity_type == \"IND\"", "big"),
      ("define big = memo_text == \"A\"", "big ?? false", "(big ?? true) and amount > $1.00"),
      (
        "define big = (memo_text == \"A\" and contains(memo_text, missing)) or (memo_text != \"A\" and contains(lower(memo_text), missing))",
        "big", "true"
      ),
    ])
  func adversarialDefines(_ define: String, _ filter: String, _ condition: String) throws {
    let records = try Self.varied()
    let text =
      define + "\n" + Self.rule("A", filter) + "\n"
      + Self.rule("B", "entity_type == \"IND\" and " + filter, when: condition) + "\n"
      + Self.rule("C", "entity_type == \"IND\"", when: condition)
    let ruleSet = try Self.pack([("r.probity", text)])
    _ = ProjectionMemoTests.compare(ruleSet, records)
  }

  /// A question that is missing while its field is there (a `missing` literal or a
  /// parameter of no value inside it) names what it found missing by the path the field's
  /// value took: two values with the same answer name different calls. Such a question is
  /// no question (the field is keyed by value), and the names are those computed.
  @Test(
    "missing inside a question, its field there",
    arguments: [
      (
        "",
        "(memo_text == \"A\" and contains(memo_text, missing)) or (memo_text != \"A\" and contains(lower(memo_text), missing))"
      ),
      (
        "param none: string = missing",
        "(memo_text == \"A\" and contains(memo_text, none)) or (memo_text != \"A\" and contains(lower(memo_text), none))"
      ),
      (
        "param none: string = missing",
        "(upper(memo_text) == \"A\" and starts_with(memo_text, none)) or ends_with(trim(memo_text), none)"
      ),
      (
        "param none: money = missing",
        "(amount > $100.00 and abs(amount + none) > $0.00) or (amount <= $100.00 and abs(amount - none) > $0.00)"
      ),
      (
        "",
        "(amount > $100.00 and abs(amount) > (missing)) or (amount <= $100.00 and abs(-amount) > (missing))"
      ),
    ])
  func missingInside(_ prefix: String, _ filter: String) throws {
    let records = try Self.varied()
    let ruleSet = try Self.pack([("r.probity", prefix + "\n" + Self.rule("A", filter))])
    _ = ProjectionMemoTests.compare(ruleSet, records)
  }

  /// The answers are kept against the last value asked about: a value that follows one
  /// equal to it in Swift (canonically equivalent texts, the same text in other storage,
  /// the same minor units of another currency, missing and lacking from the format) is
  /// asked again when a question can tell them apart.
  @Test(
    "a value after one equal to it",
    arguments: [
      "starts_with(memo_text, \"Jose\")", "length(memo_text) == 5",
      "contains(memo_text, \"\u{301}\")", "ends_with(memo_text, \"e\u{301}\")",
      "upper(memo_text) == \"JOS\u{C9}\"", "memo_text == \"Jos\u{E9}\"",
      "memo_text in [\"Jose\u{301}\"]", "blank(memo_text) or contains(memo_text, \"L\")",
      "amount > $100.00", "amount > £100.00", "amount * 100000000000 > $1.00",
    ])
  func afterAnEqual(_ filter: String) throws {
    let amount = try #require(CanonicalSchema.id(named: "amount"))
    let memoText = try #require(CanonicalSchema.id(named: "memo_text"))
    let long = String(repeating: "LONG TEXT ", count: 4)
    let pairs: [(Value?, Value?, Value, Value)] = [
      (.string("Jos\u{E9}"), .string("Jose\u{301}"), usd("150.00"), usd("150.00")),
      (
        .string("Jose\u{301}"), .string("Jos\u{E9}"), usd("150.00"),
        .money(Money(minorUnits: 15_000, currency: .gbp))
      ),
      (
        .string(long), .string(String(long.reversed().reversed())),
        .money(Money(minorUnits: 15_000, currency: .gbp)), usd("150.00")
      ),
      (.missing, nil, usd("1.00"), .missing),
      (nil, .missing, .missing, usd("1.00")),
      (.string(""), .missing, usd("92233720368547.75"), usd("1.00")),
    ]
    var records: [Record] = []
    for (a, b, x, y) in pairs {
      for (text, money) in [(a, x), (b, y), (a, x), (b, y)] {
        var record = gift("2024-01-01", "1.00", line: records.count + 1)
        record[amount] = money
        if let text { record[memoText] = text } else { record.unavailable.insert(memoText) }
        records.append(record)
      }
    }
    for condition in ["true", "amount > $100.00"] {
      _ = ProjectionMemoTests.compare(
        try ProjectionMemoTests.rule(filter, when: condition), records)
      _ = ProjectionMemoTests.compare(
        try ProjectionMemoTests.rule("entity_type == \"IND\" and (\(filter))", when: condition),
        records)
    }
  }
}

extension ProjectionMemoAdversarialTests {
  /// `??` and `if` inside questions (`ProjectionMemo.Atom`): never missing on values that
  /// are not, so the answer (with whether the field is missing or lacking from the format)
  /// is all the `where` sees of the field. Each is held to the run without a memo, alone
  /// and beside a field that leaves it undetermined on some records (`aggregation`, missing
  /// on one record in five), so that the collecting kernel names what it found missing.
  @Test(
    "?? and if inside questions",
    arguments: [
      // `??` on the field.
      "(memo_text ?? \"\") == \"\"",
      "upper(trim(memo_text ?? \"\")) not in [\"A\", \"JOS\u{C9}\"]",
      "(amount ?? $0.00) > $100.00",
      "(amount ?? $0.00) > $100.00 or amount > £100.00",
      "(amount ?? $0.00) * 100000 > $1.00",
      "abs(amount ?? -$1.00) > $100.00",
      "length(memo_text ?? \"xx\") > 1",
      "not ((memo_text ?? \"A\") in [\"A\"])",
      "(memo_text ?? memo_text) == \"A\"",
      "((memo_text ?? \"\") ?? \"B\") == \"B\"",
      // `??` under `present`, `missing` and `blank`.
      "present(memo_text ?? \"x\")",
      "missing(memo_text ?? \"x\") or memo_text == \"A\"",
      "blank(memo_text ?? \"\") and amount > $1.00",
      "blank(memo_text ?? \"x\")",
      "present(upper(memo_text) ?? \"\")",
      // `??` on a question's answer.
      "(memo_text == \"A\") ?? false",
      "(contains(memo_text, \"A\") ?? true) and entity_type == \"IND\"",
      "(amount > $100.00) ?? (amount == (missing))",
      "not ((amount * 100000 > $1.00) ?? false)",
      // `if` with the field in the test and in the branches, read otherwise.
      "if amount > $100.00 then amount < $500.00 else amount > $1.00",
      "if present(memo_text) then memo_text == \"A\" else true",
      "if memo_text == \"A\" then present(memo_text) else blank(memo_text)",
      "if blank(memo_text) then missing(memo_text) else contains(memo_text, \"A\")",
      "if missing(amount) then false else amount > $100.00",
      "if (memo_text ?? \"\") == \"\" then true else length(memo_text) > 1",
      "(if memo_text == \"A\" then \"X\" else memo_text) == \"B\"",
      "(if amount > $100.00 then amount else $0.00) > $200.00",
      "(if amount > $100.00 then amount * 100000 else amount) > $1.00",
      "if amount > $100.00 then amount * 100000 > $1.00 else amount > £1.00",
      "if amount > £100.00 then true else false",
      "if memo_text == \"A\" then true else false",
      "(if memo_text == \"A\" then memo_text else \"B\") ?? \"C\" == \"B\"",
      // Beside other fields, and questions of another field.
      "if entity_type == \"IND\" then (memo_text ?? \"\") == \"A\" else amount > $1.00",
      "if (amount > $100.00) ?? false then entity_type == \"IND\" else blank(memo_text ?? \"\")",
      "(memo_text ?? \"\") == \"A\" or (amount ?? $0.00) > $100.00",
      "(if amount > $100.00 then memo_text else \"B\") == \"A\"",
      "(memo_text == \"A\") ?? (amount > $1.00)",
      "(memo_text ?? employer) == \"Acme\"",
      // Many questions of one field (answers kept 8 to a word).
      "(memo_text ?? \"\") == \"A\" or (memo_text ?? \"\") == \"B\" and entity_type == \"IND\" or (memo_text ?? \"x\") == \"\" and entity_type == \"ORG\" or if memo_text == \"a\" then entity_type == \"IND\" else (contains(memo_text, \"E\") and aggregation) or (starts_with(memo_text ?? \"J\", \"J\") and entity_type == \"ORG\") or (length(memo_text ?? \"\") > 3 and aggregation) or (ends_with(memo_text, \"N\") and entity_type == \"IND\") or (blank(memo_text ?? \"\") and aggregation == false) or (upper(memo_text ?? \"\") == \"X\" and entity_type == \"IND\") or (lower(memo_text) == \"b\" and entity_type == \"ORG\")",
      // Dates and booleans.
      "if date > 2024-05-01 then (aggregation ?? false) else not (aggregation ?? true)",
      "(date ?? 2024-01-01) >= 2024-05-01 and (sponsorship ?? false) == false",
    ])
  func coalesceAndConditional(_ filter: String) throws {
    try Self.heldToTheRun([
      filter, "aggregation and (\(filter))", "(\(filter)) or aggregation",
      "(\(filter)) and (aggregation ?? true) and employer != \"Acme\"",
    ])
  }
}

extension ProjectionMemoAdversarialTests {
  /// A `where` drawn at random (by a fixed seed) from what questions may hold, `??` and
  /// `if` at any depth, with `missing` and a parameter of no value now and then: read
  /// directly, through a `define` by a rule across records, and in a condition beside it,
  /// each held to the run without a memo on records that vary what questions can and
  /// cannot tell apart (amounts and texts lacking from the format among them).
  @Test("random where clauses of ?? and if", arguments: [(7 as UInt64, true), (99, false)])
  func random(_ seed: UInt64, _ oneField: Bool) throws {
    var records = try Self.varied()
    let amount = try #require(CanonicalSchema.id(named: "amount"))
    let memoText = try #require(CanonicalSchema.id(named: "memo_text"))
    let texts: [Value] = [" A ", "a", "E", "EARMARK a", "\u{E9}", "A"].map { .string($0) }
    for (position, var record) in records.prefix(40).enumerated() {
      if position % 3 == 0 {
        record[amount] = .missing
        record.unavailable.insert(amount)
      }
      if position % 2 == 0, !record.unavailable.contains(memoText) {
        record[memoText] = texts[position % texts.count]
      }
      records.append(record)
    }
    records += records.reversed()
    var draw = RandomWhere(state: seed, oneField: oneField)
    var compiled = 0
    for _ in 0..<40 {
      let filter = draw.boolean(4)
      for where_ in [
        filter, "aggregation and (\(filter))",
        "(\(filter)) and (aggregation ?? true) and employer != \"Acme\"",
      ] {
        let text =
          "param none: string = missing\ndefine q = \(filter)\n"
          + ProjectionMemoTests.ruleText(where_, when: "true") + "\n"
          + Self.rule("G", "entity_type == \"IND\" and q", when: "total > $200.00")
          .replacingOccurrences(
            of: "  when", with: "  group by name\n  let total = sum(amount)\n  when")
          + "\n" + Self.rule("C", "aggregation or (q ?? false)", when: "q ?? (amount > $100.00)")
        let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [
          SourceFile(path: "r.probity", text: text)
        ])
        // Amounts of two currencies compared as constants are refused: drawn again.
        guard let ruleSet, !diagnostics.hasErrors else { continue }
        compiled += 1
        let expected = PreparerTests.summary(ProjectionMemoTests.unremembered(ruleSet, records))
        #expect(PreparerTests.summary(check(ruleSet, records)) == expected, "\(where_)")
        #expect(
          PreparerTests.summary(
            PreparerTests.everyOtherPrepared(CheckRun(ruleSet: ruleSet), records)) == expected,
          "\(where_), prepared")
      }
    }
    #expect(compiled > 60)
  }

  /// Draws `where` clauses of one field's questions (`oneField`: `memo_text`, with
  /// `amount` through its length's kin) or of several fields.
  struct RandomWhere {
    var state: UInt64
    let oneField: Bool

    /// SplitMix64.
    mutating func pick(_ count: Int) -> Int {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Int((z ^ (z >> 31)) % UInt64(count))
    }

    mutating func boolean(_ depth: Int) -> String {
      if depth <= 0 || pick(3) == 0 {
        switch pick(16) {
        case 0: return "\(text(depth - 1)) == \"A\""
        case 1: return "contains(\(text(depth - 1)), \"A\")"
        case 2: return "\(money(depth - 1)) > $100.00"
        case 3: return "present(\(any(depth - 1)))"
        case 4: return "missing(\(any(depth - 1)))"
        case 5: return "blank(\(text(depth - 1)))"
        case 6: return oneField ? "true" : "aggregation"
        case 7: return oneField ? "false" : "entity_type == \"IND\""
        case 8: return "\(text(depth - 1)) in [\"A\", \"a\", \"\"]"
        case 9: return "\(integer(depth - 1)) > 3"
        case 10: return "\(money(depth - 1)) < £1.00"
        case 11: return "starts_with(\(text(depth - 1)), \"E\")"
        case 12: return "\(text(depth - 1)) != \"B\""
        case 13: return "\(text(depth - 1)) == none"
        case 14: return "contains(\(text(depth - 1)), missing)"
        default: return oneField ? "(memo_text == \"A\")" : "date > 2024-04-01"
        }
      }
      switch pick(6) {
      case 0: return "not (\(boolean(depth - 1)))"
      case 1: return "(\(boolean(depth - 1)) and \(boolean(depth - 1)))"
      case 2: return "(\(boolean(depth - 1)) or \(boolean(depth - 1)))"
      case 3: return "((\(boolean(depth - 1))) ?? \(boolean(depth - 1)))"
      case 4:
        return
          "(if \(boolean(depth - 1)) then \(boolean(depth - 1)) else \(boolean(depth - 1)))"
      default: return boolean(0)
      }
    }

    mutating func any(_ depth: Int) -> String {
      switch pick(3) {
      case 0: return text(depth)
      case 1: return money(depth)
      default: return integer(depth)
      }
    }

    mutating func text(_ depth: Int) -> String {
      if depth <= 0 || pick(3) == 0 {
        switch pick(4) {
        case 0, 1: return "memo_text"
        case 2: return oneField ? "memo_text" : "employer"
        default: return "\"A\""
        }
      }
      switch pick(6) {
      case 0: return "upper(\(text(depth - 1)))"
      case 1: return "trim(\(text(depth - 1)))"
      case 2: return "(\(text(depth - 1)) ?? \"\(["", "A", "x"][pick(3)])\")"
      case 3: return "(if \(boolean(depth - 1)) then \(text(depth - 1)) else \(text(depth - 1)))"
      case 4: return "(\(text(depth - 1)) ?? \(text(depth - 1)))"
      default: return "lower(\(text(depth - 1)))"
      }
    }

    mutating func money(_ depth: Int) -> String {
      if depth <= 0 || pick(3) == 0 { return pick(4) == 0 ? "$5.00" : "amount" }
      switch pick(6) {
      case 0: return "(\(money(depth - 1)) + $1.00)"
      case 1: return "(\(money(depth - 1)) * 100000)"
      case 2: return "(\(money(depth - 1)) ?? $0.00)"
      case 3:
        return "(if \(boolean(depth - 1)) then \(money(depth - 1)) else \(money(depth - 1)))"
      case 4: return "abs(\(money(depth - 1)))"
      default: return "(-\(money(depth - 1)))"
      }
    }

    mutating func integer(_ depth: Int) -> String {
      if depth <= 0 || pick(3) == 0 { return "length(\(text(depth - 1)))" }
      switch pick(4) {
      case 0: return "(\(integer(depth - 1)) * 1000000000000000000)"
      case 1: return "(\(integer(depth - 1)) ?? 0)"
      case 2:
        return
          "(if \(boolean(depth - 1)) then \(integer(depth - 1)) else \(integer(depth - 1)))"
      default: return "(\(integer(depth - 1)) + 1)"
      }
    }
  }
}
