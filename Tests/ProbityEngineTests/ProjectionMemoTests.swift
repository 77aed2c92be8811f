import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// The `where` clauses remembered by the values they read (`ProjectionMemo`) give the
/// same findings, trails, counts and examples as `where` clauses computed on every
/// record, prepared or not; and the memo tells tuples apart by exactly what a `where`
/// can see.
@Suite("Where clauses remembered")
struct ProjectionMemoTests {
  /// A run with no memo at all: every `where` computed on every record.
  static func unremembered(_ ruleSet: CompiledRuleSet, _ records: [Record]) -> CheckRun {
    check(ruleSet, records) { $0.memos = [] }
  }

  /// Remembered (plain, prepared, and with a memo that gives up at once) against
  /// computed every time.
  static func compare(_ ruleSet: CompiledRuleSet, _ records: [Record]) -> Int {
    let expected = PreparerTests.summary(unremembered(ruleSet, records))
    let remembered = PreparerTests.everyOtherPrepared(CheckRun(ruleSet: ruleSet), records)
    #expect(PreparerTests.summary(remembered) == expected, "remembered")
    let givingUp = check(ruleSet, records) {
      $0.memos = ProjectionMemo.byKind(ruleSet, $0.plans, limit: 2)
    }
    #expect(PreparerTests.summary(givingUp) == expected, "a memo that gives up")
    #expect(givingUp.memos.allSatisfy { !$0.active || $0.count <= 3 })
    // Every record through the run's own memo: the tuples it remembers.
    let plain = check(ruleSet, records)
    #expect(PreparerTests.summary(plain) == expected, "remembered, none prepared")
    return plain.memos[ProjectionMemo.index(of: .receipt)].count
  }

  /// A pack of one file, compiled without errors.
  static func compiled(_ text: String) throws -> CompiledRuleSet {
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "r.probity", text: text)
    ])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    return try #require(compiled)
  }

  /// The shipped packs' `where` clauses read no donor's name or address: a field that
  /// takes a new value with every donor makes its kind's memo meet a new tuple on most
  /// records (and give up past `ProjectionMemo.limit`), and every `where` is then computed
  /// on every record (US-NOTICE-001's `where`, asking whether a row was a conduit's by
  /// its name, once made a check of the benchmark's filing take 1.8 times as long). Ask
  /// such things in the condition, after what rules most records out.
  @Test(
    "the shipped packs' where clauses read no donor's name or address",
    arguments: ["Rules/us-federal", "Rules/uk-ppera"])
  func shippedWhereClausesReadNoNames(_ pack: String) throws {
    let perDonor: Set<String> = [
      "name", "organization_name", "last_name", "first_name", "middle_name", "suffix",
      "street1", "street2", "city", "zip", "employer", "occupation", "transaction_id",
      "donor_id",
    ]
    let ruleSet = try KernelDifferentialTests.load(pack)
    let run = CheckRun(ruleSet: ruleSet)
    for memo in run.memos {
      let read = memo.fieldsReadByValue.map { CanonicalSchema.fields[$0].name }
      #expect(read.allSatisfy { !perDonor.contains($0) }, "\(pack): \(read)")
    }
  }

  @Test("both packs, on fixtures and real filings", arguments: PreparerTests.filings)
  func packs(_ pack: String, _ file: String) throws {
    let path = KernelDifferentialTests.path(file)
    let ruleSet = try KernelDifferentialTests.load(pack)
    let records = try KernelDifferentialTests.records(path, limit: 10_000)
    #expect(!records.isEmpty)
    _ = Self.compare(ruleSet, records)
  }

  /// The text of one rule about receipts, `R`, with this `where` (if any) and condition,
  /// other `clauses` before them, and the message "m" unless a clause gives one.
  static func ruleText(_ filter: String?, when condition: String, clauses: [String] = [])
    -> String
  {
    let message = clauses.contains { $0.hasPrefix("message") } ? "" : "message \"m\""
    return """
      rule R {
        title "t"
        severity error
        category excessive-contribution
        citation "c"
        applies receipt
        \(clauses.joined(separator: "\n  "))
        \(filter.map { "where \($0)" } ?? "")
        when \(condition)
        \(message)
      }
      """
  }

  /// A pack of one rule about receipts, `R`, with this `where` and condition.
  static func rule(_ filter: String, when condition: String = "amount > $100.00") throws
    -> CompiledRuleSet
  {
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "r.probity", text: ruleText(filter, when: condition))
    ])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    return try #require(compiled)
  }

  static func field(_ name: String) throws -> FieldID {
    try #require(CanonicalSchema.id(named: name))
  }

  /// `present(employer)` reads only whether there is an employer: any two employers are
  /// one tuple; a field the format does not have is another (the `where` is then
  /// undetermined, not false).
  @Test("presence alone, and fields the format does not have")
  func presence() throws {
    let ruleSet = try Self.rule("present(employer)")
    let employer = try Self.field("employer")
    var records: [Record] = []
    for (line, name) in ["Acme", "Globex", "Initech"].enumerated() {
      var record = gift("2024-01-01", "150.00", line: line + 1)
      record[employer] = .string(name)
      records.append(record)
    }
    records.append(gift("2024-01-02", "150.00", line: 4))  // no employer
    var unavailable = gift("2024-01-03", "150.00", line: 5)
    unavailable.unavailable.insert(employer)
    records.append(unavailable)
    let run = Self.unremembered(ruleSet, records)
    #expect(
      run.tallies.map { [$0.evaluated, $0.fired, $0.notApplicable, $0.undetermined] } == [
        [3, 3, 1, 1]
      ])
    #expect(Self.compare(ruleSet, records) == 3)
  }

  /// A `where` undetermined on a tuple: the fields it found missing are remembered with
  /// the tuple's values, and a later record of the tuple names the same ones.
  @Test("the missing fields of an undetermined where, by tuple")
  func undeterminedWhere() throws {
    let ruleSet = try Self.rule("employer == \"Acme\" and occupation == \"Clerk\"")
    let records = try Self.reasons([
      (.string("Acme"), .missing, false, 1), (.missing, .string("Clerk"), false, 1),
      (.missing, .missing, false, 1), (.string("Acme"), .missing, false, 1),
      (.missing, .string("Clerk"), false, 1), (.string("Acme"), .missing, true, 1),
      (.string("Acme"), .string("Clerk"), false, 1),
    ])
    let run = Self.unremembered(ruleSet, records)
    #expect(run.tallies.map { [$0.evaluated, $0.undetermined] } == [[1, 6]])
    #expect(
      run.tallies[0].missingFieldCounts == [
        "employer": 3, "occupation": 3, "occupation (not in the format)": 1,
      ])
    #expect(
      run.undetermined.map(\.missingFields) == [
        ["occupation"], ["employer"], ["employer", "occupation"], ["occupation"], ["employer"],
        ["occupation (not in the format)"],
      ])
    #expect(Self.compare(ruleSet, records) == 5)
  }

  /// Two `where` clauses of one shape that read `define`s of different names keep their
  /// own missing fields: each names its own `define`.
  @Test("where clauses of one shape name their own defines")
  func sameShapeOtherNames() throws {
    let text = """
      define is_acme = employer == "Acme"
      define acme_employer = employer == "Acme"
      """ + Self.ruleText("is_acme", when: "amount > $100.00")
      + Self.ruleText("acme_employer", when: "amount > $100.00").replacingOccurrences(
        of: "rule R {", with: "rule S {")
    let ruleSet = try Self.compiled(text)
    let records = (1...4).map { gift("2024-01-01", "150.00", line: $0) }  // no employer
    let run = Self.unremembered(ruleSet, records)
    #expect(run.tallies.map(\.missingFieldCounts) == [["is_acme": 4], ["acme_employer": 4]])
    _ = Self.compare(ruleSet, records)
  }

  /// Two `where` clauses of one shape whose calls are written otherwise keep their own
  /// missing names: each names its call by its own text (the memo's slot is not shared).
  @Test("where clauses of one shape name their own calls")
  func sameShapeOtherText() throws {
    let text =
      Self.ruleText("zip5(zip) == \"45402\"", when: "amount > $100.00")
      + Self.ruleText("zip5(zip ) == \"45402\"", when: "amount > $100.00").replacingOccurrences(
        of: "rule R {", with: "rule S {")
    let ruleSet = try Self.compiled(text)
    // A zip code of three digits: `zip5` gives missing, on every record alike.
    let records = (1...4).map { gift("2024-01-01", "150.00", zip: "454", line: $0) }
    let expected: [[String: Int]] = [["zip5(zip)": 4], ["zip5(zip )": 4]]
    #expect(Self.unremembered(ruleSet, records).tallies.map(\.missingFieldCounts) == expected)
    #expect(check(ruleSet, records).tallies.map(\.missingFieldCounts) == expected)
    _ = Self.compare(ruleSet, records)
  }

  /// A pack of more rules than `PreparedRecord.notApplicable` has bits: the rules past
  /// the 64th are left out by evaluating their `where`, the others by the memo's bits;
  /// the counts are the same either way.
  @Test("rules past the 64th are left out all the same")
  func manyRules() throws {
    let text = (0..<70).map { index in
      Self.ruleText("entity_type == \"T\(index % 3)\"", when: "amount > $100.00")
        .replacingOccurrences(of: "rule R {", with: "rule R\(index) {")
    }.joined(separator: "\n")
    let ruleSet = try Self.compiled(text)
    let entityType = try Self.field("entity_type")
    let records = (0..<9).map { line in
      var record = gift("2024-01-01", "150.00", line: line + 1)
      record[entityType] = .string("T\(line % 3)")
      return record
    }
    let run = Self.unremembered(ruleSet, records)
    #expect(run.tallies.allSatisfy { $0.evaluated == 3 && $0.notApplicable == 6 && $0.fired == 3 })
    _ = Self.compare(ruleSet, records)
  }

  /// Records in runs of (employer, occupation, whether the format lacks the occupation,
  /// how many).
  static func reasons(_ runs: [(Value, Value, Bool, Int)]) throws -> [Record] {
    let employer = try Self.field("employer")
    let occupation = try Self.field("occupation")
    var records: [Record] = []
    for (who, what, unavailable, count) in runs {
      for _ in 0..<count {
        var record = gift("2024-01-01", "150.00", line: records.count + 1)
        record[employer] = who
        record[occupation] = what
        if unavailable { record.unavailable.insert(occupation) }
        records.append(record)
      }
    }
    return records
  }

  /// Undetermined outcomes for one reason, one after another, are counted by missing
  /// field once the reason changes (`CheckRun.UndeterminedRun`): the counts are the same
  /// read before the run finishes, after, and through the memo.
  @Test("missing fields counted over runs of one reason")
  func runsOfOneReason() throws {
    let ruleSet = try Self.rule("employer == \"Acme\" and occupation == \"Clerk\"")
    let runs: [(Value, Value, Bool, Int)] = [
      (.string("Acme"), .missing, false, 3), (.missing, .string("Clerk"), false, 2),
      (.string("Acme"), .missing, false, 1), (.string("Acme"), .missing, true, 2),
      (.string("Acme"), .string("Clerk"), false, 1),
    ]
    let records = try Self.reasons(runs)
    let expected = ["employer": 2, "occupation": 4, "occupation (not in the format)": 2]
    var run = CheckRun(ruleSet: ruleSet)
    for record in records { run.evaluate(record) }
    #expect(run.tallies[0].undetermined == 8)
    #expect(run.tallies[0].missingFieldCounts == expected, "before the run finishes")
    run.finish()
    #expect(run.tallies[0].missingFieldCounts == expected, "after")
    #expect(Self.unremembered(ruleSet, records).tallies[0].missingFieldCounts == expected)
    _ = Self.compare(ruleSet, records)
  }

  /// Past the examples a report lists, a run of one reason the memo gave is counted at
  /// once, by the identity of the memo's list of missing fields
  /// (`CheckRun.continuedFromMemo`): reasons that change, and a field the format lacks
  /// on the same values, still start runs of their own.
  @Test("missing fields counted over long runs of one reason, past the examples")
  func longRunsOfOneReason() throws {
    let ruleSet = try Self.rule("employer == \"Acme\" and occupation == \"Clerk\"")
    // Each tuple seen once first, so that a run's first record is told from the memo too.
    let runs: [(Value, Value, Bool, Int)] = [
      (.string("Acme"), .missing, true, 1), (.missing, .string("Clerk"), false, 1),
      (.string("Acme"), .missing, false, 25), (.missing, .string("Clerk"), false, 3),
      (.string("Acme"), .missing, false, 30), (.string("Acme"), .missing, true, 22),
      (.missing, .string("Clerk"), false, 21), (.string("Acme"), .string("Clerk"), false, 2),
      (.missing, .string("Clerk"), false, 1),
    ]
    let records = try Self.reasons(runs)
    let expected = ["employer": 26, "occupation": 55, "occupation (not in the format)": 23]
    var run = CheckRun(ruleSet: ruleSet)
    for record in records { run.evaluate(record) }
    run.finish()
    #expect(run.tallies[0].undetermined == 104)
    #expect(run.tallies[0].missingFieldCounts == expected)
    #expect(run.undetermined.count == CheckRun.examplesPerRule)
    #expect(Self.unremembered(ruleSet, records).tallies[0].missingFieldCounts == expected)
    _ = Self.compare(ruleSet, records)
  }

  /// The lists of missing fields shared by every memo are held for the process, which
  /// may check pack after pack (a fuzzer's target, the tests): a pack's names (a
  /// `define` is named by its own name) must not be held past a bound. The lists still
  /// given for the same names once past it are one list, and the counts are unchanged.
  @Test("the shared lists of missing fields are bounded")
  func missingListsBounded() throws {
    let tag = UInt64.random(in: 0 ... .max)
    // Packs one after another, each with a `define` of its own name the `where` reads.
    for pack in 0..<3 {
      let name = "held_\(tag)_\(pack)"
      let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
        SourceFile(
          path: "r.probity",
          text: "define \(name) = employer\n"
            + Self.ruleText("\(name) == \"Acme\"", when: "amount > $1.00"))
      ])
      #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
      let ruleSet = try #require(compiled)
      let records = try Self.reasons([(.missing, .string("Clerk"), false, 3)])
      var run = CheckRun(ruleSet: ruleSet)
      for record in records { run.evaluate(record) }
      run.finish()
      #expect(run.tallies[0].undetermined == 3)
      #expect(run.tallies[0].missingFieldCounts == [name: 3])
    }
    for index in 0...ProjectionMemo.missingListsLimit {
      let names = ["held_\(tag)_\(index)", "employer"]
      #expect(ProjectionMemo.missingList(names) == .list(names.map(Value.string)))
      #expect(ProjectionMemo.missingListsHeld <= ProjectionMemo.missingListsLimit)
    }
    let names = ["held_\(tag)", "again"]
    guard case .list(let first) = ProjectionMemo.missingList(names),
      case .list(let second) = ProjectionMemo.missingList(names)
    else {
      Issue.record("not lists")
      return
    }
    #expect(
      first.withUnsafeBufferPointer { $0.baseAddress }
        == second.withUnsafeBufferPointer { $0.baseAddress })
  }

  /// A coded field's string is remembered by its bytes: "José" composed and decomposed
  /// are equal strings in Swift (and in the language), but two tuples; the values are the
  /// same.
  @Test("strings by their bytes; a where that fails is not remembered")
  func exactValues() throws {
    let ruleSet = try Self.rule("entity_type == \"José\" or amount * 100000000000000 > $1.00")
    let entityType = try Self.field("entity_type")
    var records: [Record] = []
    for (line, name) in ["Jos\u{E9}", "Jose\u{301}", "Jos\u{E9}", "Ann"].enumerated() {
      var record = gift("2024-01-01", "150.00", line: line + 1)
      record[entityType] = .string(name)
      records.append(record)
    }
    // Amounts whose product overflows (a failure), left to the run each time.
    for line in 5...6 {
      var record = gift("2024-01-01", "100000.00", line: line)
      record[entityType] = .string("Ann")
      records.append(record)
    }
    let run = Self.unremembered(ruleSet, records)
    #expect(run.tallies.map { [$0.evaluated, $0.fired, $0.failed] } == [[4, 4, 2]])
    // By entity type, and whether the amount's question was answered yes or failed.
    #expect(Self.compare(ruleSet, records) == 4)
  }

  /// A `where` that asks a question of a field of many values (an amount, a memo's text,
  /// a committee's id) is remembered by the answer, not by the value (`Atom`): records of
  /// a hundred amounts make as many tuples as answers. Missing values, fields the format
  /// lacks and failures each make their own; the values, outcomes and missing fields are
  /// the same as computed every time.
  @Test(
    "questions about amounts and texts, remembered by their answers",
    arguments: [
      // The filter, the fields asked about, the tuples met: an answer of each question
      // to each value of the 100 amounts and three memos met (yes or no), and one for
      // each record with a missing amount, a missing memo, or a memo the format lacks.
      ("amount > $200.00", ["amount"], 3),
      // `present(memo_text)` is no question (it reads no value): memo_text is kept by
      // whether it is there; the amount is always positive.
      (
        "amount > $0.00 and present(memo_text) and contains(upper(memo_text), \"EARMARK\")",
        ["amount", "memo_text"], 5
      ),
      (
        "entity_type == \"IND\" and (amount > $200.00 or contains(lower(memo_text), \"x\"))",
        ["amount", "memo_text"], 7
      ),
      ("abs(-amount) >= $300.00 and trim(memo_text) != \"\"", ["amount", "memo_text"], 7),
      // `??` and `if` never give missing on values that are not.
      ("(amount ?? $0.00) > $200.00", ["amount"], 3),
      ("(if amount > $250.00 then amount - $250.00 else $0.00) > $100.00", ["amount"], 3),
      // Yes ("Earmarked for X", " ", missing), no ("a gift"): and the memo missing, or
      // not in the format.
      ("upper(trim(memo_text ?? \"\")) not in [\"A GIFT\"]", ["memo_text"], 4),
      // Two fields: the amount's question, and the memo's text by value (three, missing,
      // not in the format).
      (
        "(if amount > $250.00 then upper(trim(memo_text ?? \"\")) else \"A GIFT\") in [\"A GIFT\"]",
        ["amount"], 9
      ),
      // Not questions: an amount's value against another field's (each of the 100
      // amounts, and the missing one, and the 350.00 of the last two); a person's key
      // (the memo's three texts, by the amount's answer, and the three others).
      ("amount > aggregate", [], 102),
      ("person_key(memo_text) == \"X\" or amount > $200.00", ["amount"], 9),
    ])
  func questions(_ filter: String, asked: [String], tuples: Int) throws {
    let ruleSet = try Self.rule(filter)
    let run = CheckRun(ruleSet: ruleSet)
    let memo = run.memos[ProjectionMemo.index(of: .receipt)]
    #expect(
      Set(memo.questions.map { CanonicalSchema.fields[$0.field].name }) == Set(asked), "asked")
    let amount = try Self.field("amount")
    let memoText = try Self.field("memo_text")
    var records: [Record] = []
    for cents in stride(from: 100, through: 50_000, by: 500) {
      var record = gift(
        "2024-01-01", "\(cents / 100).\(cents % 100 / 10)0", line: records.count + 1)
      record[memoText] = .string(["Earmarked for X", "a gift", " "][records.count % 3])
      records.append(record)
    }
    var noAmount = gift("2024-01-02", "150.00", line: records.count + 1)
    noAmount[amount] = .missing
    records.append(noAmount)
    var noMemo = gift("2024-01-02", "350.00", line: records.count + 1)
    noMemo[memoText] = .missing
    records.append(noMemo)
    var unavailable = gift("2024-01-02", "350.00", line: records.count + 1)
    unavailable[memoText] = .missing
    unavailable.unavailable.insert(memoText)
    records.append(unavailable)
    #expect(records.count == 103)
    #expect(Self.compare(ruleSet, records) == tuples)
  }

  /// The condition of a rule on single records that reads only coded fields (and others
  /// for whether they are there or blank) is remembered with the `where` clauses: by the
  /// code's value and the other field's blankness, nothing more.
  @Test("conditions on coded fields, by code and blankness")
  func codedConditions() throws {
    let ruleSet = try Self.compiled(
      Self.ruleText(
        nil,
        when: "present(election_code) and starts_with(election_code, \"O\") "
          + "and blank(election_other_description)"))
    #expect(CheckRun(ruleSet: ruleSet).plans[0].conditionPart != nil)
    let description = try Self.field("election_other_description")
    var records: [Record] = []
    let cases: [(String?, Value)] = [
      ("O2024", .string("")), ("O2024", .string("  ")), ("O2024", .string("special")),
      ("O2024", .string("runoff")), ("O2024", .missing), ("P2024", .string("")),
      ("P2024", .string("special")), (nil, .string("")), ("O2024", .string("")),
    ]
    for (line, (code, text)) in cases.enumerated() {
      var record = gift("2024-01-01", "150.00", election: code, line: line + 1)
      record[description] = text
      records.append(record)
    }
    let run = Self.unremembered(ruleSet, records)
    // Fired: the blank descriptions of O2024 (empty, spaces, missing, empty again).
    #expect(run.findings.map(\.line) == [1, 2, 5, 9])
    // Tuples: O2024 with a blank, a missing and another description; P2024 with a blank
    // and another; no code with a blank.
    #expect(Self.compare(ruleSet, records) == 6)
  }

  /// A condition reading a field of many values (an amount, a name), or the deadline, is
  /// not remembered: it would add a tuple on most records.
  @Test(
    "conditions on amounts, names or the deadline are not remembered",
    arguments: [
      ("amount > $100.00", [String]()), ("name == \"SMITH, JOHN\"", []),
      ("payment_method == \"cash\" and amount > $100.00", []),
      ("entity_type == \"IND\" and date > deadline", ["due within 10 days"]),
    ])
  func unrememberedConditions(_ condition: String, _ clauses: [String]) throws {
    let ruleSet = try Self.compiled(Self.ruleText(nil, when: condition, clauses: clauses))
    #expect(CheckRun(ruleSet: ruleSet).plans[0].conditionPart == nil)
    let remembered = try Self.compiled(
      Self.ruleText(nil, when: "payment_method == \"cash\" and entity_type == \"IND\""))
    #expect(CheckRun(ruleSet: remembered).plans[0].conditionPart != nil)
  }
}
