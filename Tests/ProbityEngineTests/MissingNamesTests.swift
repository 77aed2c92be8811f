import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// `Frame.missingFields` keeps its last answer by collecting kernel number, and gives it
/// again only for the same program.
@Suite("Names of missing fields, kernel by kernel")
struct MissingNamesTests {
  static func ruleSet(when condition: String) throws -> CompiledRuleSet {
    let (compiled, diagnostics) = RulePackCompiler.compile(
      sources: [
        SourceFile(path: "p.probity", text: ProjectionMemoTests.ruleText(nil, when: condition))
      ])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    return try #require(compiled)
  }

  @Test("kernels of two compilers sharing a frame, with one number, each name their own")
  func twoCompilersOneFrame() throws {
    let first = try Self.ruleSet(when: "employer == \"A\"")
    let second = try Self.ruleSet(when: "occupation == \"B\"")
    var one = KernelCompiler(ruleSet: first)
    var two = KernelCompiler(ruleSet: second)
    let a = one.compileCollecting(first.rules[0].condition)
    let b = two.compileCollecting(second.rules[0].condition)
    // Both are the first of their compiler: one number, one entry of the frame.
    #expect(a.number == b.number)
    let frame = Frame(
      slots: max(one.slotCount, two.slotCount), keySets: 1, classes: 1,
      memos: max(one.memoCount, two.memoCount))
    // A record without employer or occupation, which the frame borrows.
    let record = gift("2024-03-01", "100.00", line: 2)
    withExtendedLifetime(record) {
      frame.start(record)
      for round in 0..<2 {
        #expect(
          frame.missingFields(a, first.rules[0].condition) == ["employer"], "round \(round)")
        #expect(
          frame.missingFields(b, second.rules[0].condition) == ["occupation"], "round \(round)")
      }
    }
  }

  /// A missing value that `present`, `missing` or `blank` answers for makes nothing
  /// undetermined: it is not named (once, `missing(donation_action)` named
  /// `donation_action` beside the field that was the cause). What `??` falls back from is
  /// named with its default, as before.
  @Test(
    "what present, missing and blank answer for is not named missing",
    arguments: [
      ("employer == \"A\" and missing(occupation)", ["employer"]),
      ("employer == \"A\" or present(upper(occupation))", ["employer"]),
      ("blank(memo_text) and employer == \"A\"", ["employer"]),
      ("missing(occupation) and (occupation ?? employer) == \"A\"", ["occupation", "employer"]),
      ("employer == \"A\" or occupation == \"B\"", ["employer", "occupation"]),
    ] as [(String, [String])])
  func answeredForIsNotNamed(_ condition: String, _ expected: [String]) throws {
    let set = try Self.ruleSet(when: condition)
    let program = set.rules[0].condition
    var compiler = KernelCompiler(ruleSet: set)
    let collecting = compiler.compileCollecting(program)
    let frame = Frame(
      slots: compiler.slotCount, keySets: 1, classes: 1, memos: compiler.memoCount)
    // No employer, occupation or memo text.
    let record = gift("2024-03-01", "100.00", line: 2)
    withExtendedLifetime(record) {
      frame.start(record)
      #expect((try? frame.runCollecting(collecting).get())?.isMissing == true)
      #expect(frame.missingFields(collecting, program) == expected)
    }
    var evaluator = Evaluator(ruleSet: set)
    let (value, trace) = evaluator.evaluate(program, on: record)
    #expect((try? value.get())?.isMissing == true)
    #expect(trace.missingFields == expected)
  }

  @Test("names come in node order, whatever order the kernel found the nodes in")
  func nodeOrder() throws {
    let set = try Self.ruleSet(when: "employer == \"A\" or occupation == \"B\"")
    let program = set.rules[0].condition
    func node(_ name: String) throws -> Int {
      try #require(
        program.nodes.firstIndex {
          if case .field(let field) = $0.op {
            CanonicalSchema.spec(field).name == name
          } else {
            false
          }
        })
    }
    let employer = try node("employer")
    let occupation = try node("occupation")
    #expect(employer < occupation)
    // The compiled kernels find them in node order; this one, the other way round (the
    // frame's promise holds for any kernel).
    let kernel = CollectingKernel(
      run: { frame in
        frame.missingNodes.append(occupation)
        frame.missingNodes.append(employer)
        return .missing
      }, number: 0)
    let frame = Frame(slots: 1, keySets: 1, classes: 1, memos: 0)
    let record = gift("2024-03-01", "100.00", line: 2)
    withExtendedLifetime(record) {
      frame.start(record)
      #expect(frame.missingFields(kernel, program) == ["employer", "occupation"])
    }
  }
}
