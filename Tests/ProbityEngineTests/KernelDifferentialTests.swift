import Foundation
import ProbityCore
import ProbityFilings
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// The kernels (the fast path) against the tracing evaluator (the reference): on every
/// record of the fixtures and of real filings, every expression of the bundled packs must
/// give the same value or the same failure, and where the value is missing, the same
/// missing fields. Conditions are also run in contexts with aggregates, windows,
/// deadlines and as-of dates, as rules across records see them.
@Suite("Kernels agree with the tracing evaluator")
struct KernelDifferentialTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func load(_ pack: String) throws -> CompiledRuleSet {
    let (ruleSet, diagnostics) = RulePackLoader.load(
      path: path(pack),
      listLoader: { path, column in
        ReferenceLists.read(path: path, column: column).mapError {
          ListLoadError(reason: $0.reason, hint: $0.hint)
        }
      })
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    return try #require(ruleSet)
  }

  /// Up to `limit` records of a filing.
  static func records(_ file: String, limit: Int = 3_000) throws -> [Record] {
    var records: [Record] = []
    _ = try FilingReader.read(
      path: file, format: nil, mapping: nil,
      onRecord: { if records.count < limit { records.append($0) } }, onProblem: { _ in })
    return records
  }

  /// Contexts a condition may be evaluated in: none, and the aggregates, window and
  /// deadline a group gives, with amounts below, at and over the limits, missing ones,
  /// and another currency (a failure).
  static func contexts(_ rule: CompiledRule, asOf: Value) -> [EvaluationContext] {
    var contexts = [EvaluationContext(asOf: asOf)]
    guard let grouping = rule.grouping else {
      contexts.append(
        EvaluationContext(deadline: .date(CivilDate(year: 2024, month: 3, day: 1)!), asOf: asOf))
      return contexts
    }
    let samples: [[Value]] = [
      [.money(Money(units: 50, currency: .usd)), .integer(1)],
      [.money(Money(units: 3_300, currency: .usd)), .integer(2)],
      [.money(Money(units: 250_000, currency: .usd)), .integer(90)],
      [.money(Money(units: 99_000, currency: .gbp)), .integer(3)],
      [.money(Money(units: -250, currency: .usd)), .integer(-1)],
      [.missing, .missing],
      // Amounts in two currencies, by position (`max(aggregate) < sum(amount)`).
      [.money(Money(units: 500, currency: .usd)), .money(Money(units: 500, currency: .gbp))],
      // An amount and a missing one, by position: lent, the one as its minor units, the
      // other as the mark of a missing accumulator.
      [.money(Money(units: 500, currency: .usd)), .missing],
    ]
    for sample in samples {
      var moneySeen = 0
      let aggregates = grouping.aggregates.map { aggregate -> Value in
        switch aggregate.type {
        case .money:
          moneySeen += 1
          // Every second amount takes the sample's second value when that is an amount
          // or missing.
          if moneySeen % 2 == 0 {
            switch sample[1] {
            case .money, .missing: return sample[1]
            default: break
            }
          }
          return sample[0]
        case .integer:
          if case .money = sample[1] { return .integer(2) }
          return sample[1]
        default: return .missing
        }
      }
      for window in [Value.string("P2024"), .string("2024"), .missing] {
        contexts.append(
          EvaluationContext(
            aggregates: aggregates, window: window,
            deadline: .date(CivilDate(year: 2024, month: 6, day: 30)!), asOf: asOf))
      }
    }
    return contexts
  }

  /// Compares every expression of `ruleSet` on every record; returns the number of
  /// comparisons made.
  static func compare(_ ruleSet: CompiledRuleSet, _ records: [Record]) -> Int {
    var compiler = KernelCompiler(ruleSet: ruleSet)
    let plans = ruleSet.rules.map { RulePlan($0, &compiler) }
    let frame = Frame(
      slots: compiler.slotCount, keySets: 1, classes: 1, memos: compiler.memoCount)
    var evaluator = Evaluator(ruleSet: ruleSet)
    var comparisons = 0
    var lent = 0
    var markNone = false

    func same(
      _ kernel: Kernel, _ collecting: CollectingKernel?, _ program: ExprProgram, _ record: Record,
      _ context: EvaluationContext, _ what: String
    ) {
      frame.base()  // The aggregates lent by the last comparison too.
      frame.aggregates = context.aggregates
      frame.window = context.window
      frame.deadline = context.deadline
      frame.asOf = context.asOf
      let fast = frame.run(kernel)
      let (reference, trace) = evaluator.evaluate(program, on: record, context: context)
      comparisons += 1
      let where_ = "\(what) on \(record.provenance.file):\(record.provenance.line)"
      agree(fast, reference, where_)
      if case .success(let b) = reference, b.isMissing, let collecting {
        let missing = frame.missingFields(collecting, program)
        #expect(missing == trace.missingFields, "\(where_): missing fields")
      }
      // A collecting kernel that computes its program gives the same value (a rule
      // undetermined on its last record runs it in the kernel's place), and the missing
      // fields by the names it noted on the way.
      if let collecting, collecting.computes {
        let collected = frame.runCollecting(collecting)
        agree(collected, reference, "\(where_), collecting")
        if case .success(let b) = reference, b.isMissing {
          #expect(
            frame.missingNames(collecting, program) == trace.missingFields,
            "\(where_): missing fields noted")
        }
      }
      // The aggregates lent as minor units, as a run lends those of a compact store
      // (amounts of one currency, or none): the same values again.
      if !context.aggregates.isEmpty {
        var store = AccumulatorStore(compact: true, count: context.aggregates.count)
        for (slot, value) in context.aggregates.enumerated() {
          // A missing aggregate as either mark, by turns: missing, or none (never set).
          if !value.isMissing {
            store[slot] = .value(value)
          } else {
            markNone.toggle()
            if !markNone { store[slot] = .missing }
          }
        }
        frame.base()
        if store.lend(from: 0, count: context.aggregates.count, to: frame) {
          frame.window = context.window
          frame.deadline = context.deadline
          #expect(frame.aggregates.isEmpty)
          #expect(frame.contextAggregates == context.aggregates, "\(where_): lent aggregates")
          lent += 1
          agree(frame.run(kernel), reference, "\(where_), aggregates lent")
        }
      }
    }

    func agree(
      _ fast: Result<Value, EvaluationFailure>, _ reference: Result<Value, EvaluationFailure>,
      _ where_: String
    ) {
      switch (fast, reference) {
      case (.success(let a), .success(let b)):
        #expect(a == b, "\(where_): kernel \(a), evaluator \(b)")
      case (.failure(let a), .failure(let b)):
        #expect(a.message == b.message, "\(where_)")
      default:
        Issue.record("\(where_): kernel \(fast), evaluator \(reference)")
      }
    }

    for record in records {
      // Each record twice: cold caches, then everything cached from the first pass.
      frame.start(record)
      evaluator.startRecord()
      for _ in 0..<2 {
        for (rule, plan) in zip(ruleSet.rules, plans) {
          let asOf: Value = .date(CivilDate(year: 2024, month: 12, day: 31)!)
          let base = EvaluationContext(asOf: asOf)
          if let filter = rule.filter, let kernel = plan.filter {
            same(kernel, plan.filterMissing, filter, record, base, "\(rule.id) where")
          }
          for context in contexts(rule, asOf: asOf) {
            // The condition of a rule on single records is kept for the rest of the
            // record; one that reads the deadline is kept for the deadline it was given
            // (the run gives one deadline a record), so it is computed afresh for each.
            if rule.grouping == nil && plan.conditionReadsDeadline { frame.start(record) }
            same(
              plan.condition, plan.conditionMissing, rule.condition, record, context,
              "\(rule.id) when")
          }
          guard let grouping = rule.grouping else { continue }
          for (position, key) in grouping.keys.enumerated() {
            same(
              plan.keys[position].run, plan.keysMissing[position], key, record, base,
              "\(rule.id) key")
          }
          if let on = grouping.window?.on, let kernel = plan.windowDate {
            same(kernel, plan.windowDateMissing, on, record, base, "\(rule.id) window")
          }
          for (position, aggregate) in grouping.aggregates.enumerated() {
            if let argument = aggregate.argument, let kernel = plan.aggregateArguments[position] {
              same(kernel.run, nil, argument, record, base, "\(rule.id) \(aggregate.text)")
            }
          }
        }
      }
    }
    // Conditions of rules across records ran with aggregates lent (a pack that has them).
    #expect(lent > 0 || ruleSet.rules.allSatisfy { $0.grouping == nil })
    return comparisons
  }

  @Test(
    "US federal pack",
    arguments: [
      "Fixtures/us-federal/receipts.csv", "Fixtures/us-federal/aggregates.csv",
      "Fixtures/us-federal/pac-receipts.csv", "Fixtures/xml/receipts.xml",
      "../shared/data/fec/1544132.fec", "../shared/data/fec/27789.fec",
      "../shared/data/fec/13360.fec",
      "../shared/data/fec-bulk/insight_itcont_2017_sample.txt",
    ])
  func usFederal(_ file: String) throws {
    let ruleSet = try Self.load("Rules/us-federal")
    let records = try Self.records(Self.path(file))
    #expect(!records.isEmpty)
    #expect(Self.compare(ruleSet, records) > records.count * ruleSet.rules.count)
  }

  @Test(
    "UK PPERA pack",
    arguments: ["Fixtures/uk-ppera/donations.csv", "../shared/data/uk/ec_donations_2025_2026.csv"])
  func ukPPERA(_ file: String) throws {
    let ruleSet = try Self.load("Rules/uk-ppera")
    let records = try Self.records(Self.path(file))
    #expect(!records.isEmpty)
    #expect(Self.compare(ruleSet, records) > records.count * ruleSet.rules.count)
  }

  /// A pack of the language's corners: Kleene logic, `??`, `if`, lists, lookups, string
  /// functions, arithmetic failures and functions that answer on missing values.
  static let cornersSource = """
    param table: money by year {
      2023..2024: $100.00
    }
    param codes: list of string = ["P2024", "G2024"]
    rule C1 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where present(amount) or blank(memo_text) or not missing(employer)
      when (amount > table[year(date)] and election_code in codes)
        or (if starts_with(name ?? "", "A") then length(upper(name)) > 3 else matches(zip ?? "", "^[0-9]{5}$"))
        or (election_code not in ["X", "Y"] and person_key(name) == org_key(name))
        or (days_between(date, add_days(date, 30)) == 30 and zip5(zip) != postcode(zip))
        or abs(-amount) > $5.00 and cycle(date) == 2024 and quarter(date) == 1
        or ends_with(occupation ?? "", "R") or contains(trim(lower(employer)), "self")
      message "m"
    }
    define big = amount * 92233720368547758
    define named = present(name) and not blank(name)
    rule C2 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt, disbursement
      where named or kind == "disbursement"
      when (amount < $1,000.00 and big > $1.00) or (named and amount > $100.00)
      message "m"
    }
    rule C3 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where "IND" != entity_type or $100.00 < amount or "x" == name or $5.00 >= amount
      when amount <= $250.00 and amount != $50.00 and (payment_method == "check" or amount > £5.00)
      message "m"
    }
    rule C4 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      when (amount > £5.00 and payment_method == "cash")
        or (upper(trim(name ?? "")) in ["ANONYMOUS"] and payment_method == "cash" and not memo)
        or (blank(name) or entity_type == "IND" or amount * 3 > $1.00 or payment_method == "x")
      message "m"
    }
    rule C5 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where not blank(employer)
      when not blank(memo_text) or blank(street1)
      message "m"
    }
    rule C6 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where $200.00 < aggregate or "cash" == payment_method or $1.00 > amount
      when aggregate < amount or aggregate >= amount or amount != aggregate
      message "m"
    }
    rule C7 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      when big > aggregate or aggregate <= big
      message "m"
    }
    rule C8 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      when (month(date) >= 11 and 2024 == year(date)) or 3 > month(date)
        or (year(date) != 2023 and month(date) <= 6) or month(date) == 7 or 2024 < year(date)
      message "m"
    }
    rule C9 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where name == "é" or "K" == employer or occupation != "É" or city in ["é", "Å"]
      when name != "e\u{0301}" or employer == "\u{212A}"
      message "m"
    }
    rule C10 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      # Texts trimmed and their case changed, in lists (decided on the bytes of ASCII),
      # each alone under a `not`, so that each decides its rule's answer.
      where not (upper(trim(name)) in ["ANONYMOUS", "N/A", ""])
      when not (lower(employer) not in ["self"])
      message "m"
    }
    rule C11 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where not (trim(street1) not in ["MAIN ST", "Main St"])
      when not (trim(upper(lower(occupation))) in ["CLERK", "RETIRED"])
      message "m"
    }
    rule C12 {
      title "t"
      severity error
      category excessive-contribution
      citation "c"
      applies receipt
      where not (upper(trim(city)) in ["K", "\u{212A}"])
      when not (lower(upper(payment_method)) in ["cash"]) or not (upper(entity_type) in [])
      message "m"
    }
    """

  static func cornersRuleSet() throws -> CompiledRuleSet {
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: [
      SourceFile(path: "c.probity", text: cornersSource)
    ])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    return try #require(compiled)
  }

  @Test("the language's corners")
  func corners() throws {
    let ruleSet = try Self.cornersRuleSet()
    var records = try Self.records(Self.path("Fixtures/us-federal/receipts.csv"))
    records += try Self.records(Self.path("Fixtures/uk-ppera/donations.csv"))
    records += try Self.records(Self.path("Fixtures/us-federal/receipts-with-bad-rows.csv"))
    #expect(Self.compare(ruleSet, records) > records.count)
  }

  /// Text fields the readers never give (they trim ASCII blanks to missing): white space
  /// of other kinds, text beyond ASCII, empty text; and amounts missing, negative and in
  /// another currency; on one record of a fixture, field by field and all at once, and
  /// with `memo_text` and `employer` not in the format.
  @Test("texts and amounts the readers never give")
  func handmadeRecords() throws {
    let base = try #require(try Self.records(Self.path("Fixtures/us-federal/receipts.csv")).first)
    let texts = [
      "", " ", "\t\u{0B}\u{0C}\r\n", "\u{00A0}", "\u{2003}\u{3000}", "\u{0085}", "\u{200B}", "é",
      " é ", "e\u{0301}", "日本", "cash", "IND", "K", "\u{212A}", "Å", "A\u{030A}", "\u{212B}",
      " anonymous ", "Anonymous\r\n", "\tN/a\u{0B}", "anonymous\u{0085}", "\u{00A0}ANONYMOUS",
      " Self", "self ", "SELF", "retired\r", "CASH", "Cash", " k ", "Main St",
      // ASCII controls that are not white space, and CR LF inside a text.
      "\u{1C}anonymous\u{1F}", "\u{00}SELF", "self\u{7F}", "\r\nk\r\n", "Main\r\nSt",
    ]
    let textFields = [
      "name", "employer", "occupation", "street1", "city", "memo_text", "payment_method",
      "entity_type",
    ].map { try! #require(CanonicalSchema.id(named: $0)) }
    let amounts: [Value] = [
      .missing, .money(Money(units: -250, currency: .usd)), .money(Money(units: 0, currency: .usd)),
      .money(Money(units: 200, currency: .usd)), .money(Money(units: 200, currency: .gbp)),
    ]
    let amountFields = ["amount", "aggregate"].map { try! #require(CanonicalSchema.id(named: $0)) }
    var records: [Record] = []
    func add(_ change: (inout Record) -> Void) {
      var record = Record(
        kind: base.kind, provenance: Provenance(file: "handmade", line: records.count + 1),
        values: base.values)
      change(&record)
      records.append(record)
    }
    for text in texts {
      for field in textFields { add { $0[field] = .string(text) } }
      add { record in for field in textFields { record[field] = .string(text) } }
    }
    for amount in amounts {
      for other in amounts {
        add {
          $0[amountFields[0]] = amount
          $0[amountFields[1]] = other
        }
      }
    }
    // Dates in and out of the months and years a condition names (`month(date) >= 11`),
    // missing, and not a date at all.
    let dateField = CanonicalSchema.dateField
    let dates: [Value] =
      [
        (2024, 11, 6), (2024, 12, 31), (2024, 1, 10), (2023, 6, 30), (2025, 7, 1), (2018, 11, 7),
      ].compactMap { CivilDate(year: $0.0, month: $0.1, day: $0.2).map(Value.date) }
      + [.missing, .string("2024-11-06")]
    #expect(dates.count == 8)
    for date in dates { add { $0[dateField] = date } }
    let unavailable = FieldSet(
      ["memo_text", "employer"].compactMap { CanonicalSchema.id(named: $0) })
    for text in ["", " ", "x"] {
      add { record in
        for field in textFields { record[field] = .string(text) }
        record.unavailable = unavailable
      }
    }
    #expect(Self.compare(try Self.load("Rules/us-federal"), records) > records.count)
    #expect(Self.compare(try Self.cornersRuleSet(), records) > records.count)
  }

  /// The operands of a rule's top `and` (or `or`) chain in the order the kernel asks
  /// them, by their text (with `files` of the bundled packs beside it).
  static func order(_ condition: String, files: [String] = []) throws -> [String] {
    let text = ProjectionMemoTests.ruleText(nil, when: condition)
    var sources = try files.map {
      SourceFile(path: $0, text: try String(contentsOfFile: path($0), encoding: .utf8))
    }
    // Beside the files, importing them.
    let folder = files.first.map { ($0 as NSString).deletingLastPathComponent + "/" } ?? ""
    let imports = files.map { "import \"\(($0 as NSString).lastPathComponent)\"\n" }.joined()
    sources.append(SourceFile(path: folder + "r.probity", text: imports + text))
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: sources)
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    let rule = try #require(compiled?.rules.first { $0.id == "R" })
    let program = rule.condition
    return KernelCompiler.orderedOperands(of: program.root, program.nodes).map {
      program.nodes[$0].text
    }
  }

  /// Operands that cannot fail, before the first that can, are asked cheapest first;
  /// one that can fail (an amount compared, arithmetic, a date moved) keeps every later
  /// operand after it, so a failure is never hidden behind a false operand moved ahead of
  /// it. (The differential tests above hold the values to the evaluator's, C4 among them.)
  @Test("and/or operands that cannot fail are asked cheapest first")
  func operandOrder() throws {
    #expect(
      try Self.order(
        #"upper(trim(name)) in ["ANONYMOUS"] and not memo and payment_method == "cash""#)
        == [#"payment_method == "cash""#, "not memo", #"upper(trim(name)) in ["ANONYMOUS"]"#])
    #expect(
      try Self.order(#"amount > £5.00 and payment_method == "cash""#)
        == ["amount > £5.00", #"payment_method == "cash""#])
    #expect(
      try Self.order(
        #"blank(name) or year(date) > 2020 or amount * 3 > $1.00 or entity_type == "IND""#)
        == ["blank(name)", "year(date) > 2020", "amount * 3 > $1.00", #"entity_type == "IND""#])
    #expect(
      try Self.order(#"starts_with(name, "A") and add_days(date, 1) > date and present(zip)"#)
        == [#"starts_with(name, "A")"#, "add_days(date, 1) > date", "present(zip)"])
    // The US pack's anonymous cash rule: the payment method first, the amount last.
    let anonymous = try Self.order(
      #"contribution and (blank(name) or upper(trim(name)) in anonymous_names) and payment_method == "cash" and amount > anonymous_cash_limit"#,
      files: ["Rules/us-federal/limits.probity", "Rules/us-federal/definitions.probity"])
    #expect(
      anonymous
        == [
          #"payment_method == "cash""#, "contribution",
          "blank(name) or upper(trim(name)) in anonymous_names",
          "amount > anonymous_cash_limit",
        ])
  }
}
