import Foundation
import ProbityCore
import ProbityFuzzHarness
import ProbityLanguage
import Testing

func compile(_ text: String) -> (ruleSet: CompiledRuleSet?, diagnostics: [Diagnostic]) {
  RulePackCompiler.compile(sources: [SourceFile(path: "hostile.probity", text: text)])
}

/// Runs `body` on a thread with the stack the command-line tool's main thread has
/// (8 MiB): the deepest rules are compiled and evaluated there, and the test runner's own
/// threads may have less. Under the address sanitizer (`scripts/asan`) every frame is
/// several times larger, so the thread gets four times as
/// much: the test then asks of the sanitized build what it asks of a plain one. (A release
/// build compiles the deepest chain allowed, 500 levels, in 512 KiB.)
func onToolSizedStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
  let box = Box<T>()
  let done = DispatchSemaphore(value: 0)
  let thread = Thread {
    box.value = body()
    done.signal()
  }
  // The sanitizer's runtime linked into the program (its entry point is there), or its
  // options set, as `scripts/asan` sets them.
  let sanitized =
    dlsym(dlopen(nil, RTLD_NOW), "__asan_init") != nil
    || ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil
  thread.stackSize = (sanitized ? 32 : 8) << 20
  thread.start()
  done.wait()
  guard let value = box.value else { preconditionFailure("the thread gave no value") }
  return value
}

/// A value handed back from another thread (written before the semaphore is signalled).
final class Box<T>: @unchecked Sendable {
  var value: T?
}

func rule(_ condition: String, message: String = "x") -> String {
  """
  rule HOSTILE-001 {
    title "hostile"
    severity error
    category data-quality
    citation "none"
    applies receipt
    when \(condition)
    message "\(message)"
  }

  """
}

@Suite("Rule files at and past the limits") struct RuleLimitTests {
  @Test(
    "chains of operators nest the tree as parentheses do: refused past the limit, with one error",
    arguments: [
      String(repeating: "(", count: 10_000) + "amount > $1" + String(repeating: ")", count: 10_000),
      "amount > $1" + String(repeating: " and amount > $1", count: 50_000),
      "amount > $1" + String(repeating: " or amount > $1", count: 50_000),
      String(repeating: "not ", count: 50_000) + "amount > $1",
      "amount" + String(repeating: " + amount", count: 50_000) + " > $1",
      "amount" + String(repeating: " * 1", count: 50_000) + " > $1",
      "amount" + String(repeating: " ?? amount", count: 50_000) + " > $1",
      String(repeating: "-", count: 50_000) + "amount > $1",
      "amount" + String(repeating: "[1]", count: 50_000) + " > $1",
    ])
  func chains(_ condition: String) {
    let (ruleSet, diagnostics) = compile(rule(condition))
    #expect(ruleSet == nil)
    #expect(diagnostics.map(\.id).contains("P0019"))
    #expect(diagnostics.count <= 3, "\(diagnostics.map(\.id))")
  }

  @Test("a chain within the limit still compiles")
  func chainWithinTheLimit() {
    let (ruleSet, diagnostics) = compile(
      rule("amount > $1" + String(repeating: " and amount > $1", count: 150)))
    #expect(ruleSet != nil, "\(diagnostics.map { $0.rendered() })")
  }

  @Test("a file of garbage gives at most 200 errors and says so, quickly")
  func garbage() {
    let (_, diagnostics) = compile(rule(String(repeating: "@", count: 300_000)))
    #expect(diagnostics.count <= 201)
    #expect(diagnostics.contains { $0.id == "P0021" })
    _ = diagnostics.map { $0.rendered() }
  }

  @Test("defines that double at every step are refused (C0027), not expanded")
  func doublingDefines() {
    let defines = (0..<40).map { "define a\($0 + 1) = a\($0) + a\($0)" }.joined(separator: "\n")
    let text = "define a0 = amount\n" + defines + "\n" + rule("a40 > $1")
    let (compiled, messages) = onToolSizedStack {
      let (ruleSet, diagnostics) = compile(text)
      return (ruleSet != nil, diagnostics.map(\.message))
    }
    #expect(!compiled)
    #expect(messages.contains { $0.contains("expression too large") })
  }

  @Test("a rule as deep as the compiler allows compiles and evaluates without exhausting the stack")
  func deepestLegalRule() throws {
    let defines = (0..<240).map { "define b\($0 + 1) = b\($0) + $1" }.joined(separator: "\n")
    let text = "define b0 = amount\n" + defines + "\n" + rule("b240 > $1", message: "{b240}")
    let (compiled, problems, broken) = onToolSizedStack {
      let (ruleSet, diagnostics) = compile(text)
      return (
        ruleSet != nil, diagnostics.prefix(3).map { $0.rendered() },
        FuzzHarness.run(.rules, Array(text.utf8))
      )
    }
    #expect(compiled, "\(problems)")
    #expect(broken.isEmpty, "\(broken)")
  }

  @Test("a define chain past the depth limit is refused, not a crash")
  func tooDeepDefines() {
    let defines = (0..<300).map { "define c\($0 + 1) = c\($0) + $1" }.joined(separator: "\n")
    let text = "define c0 = amount\n" + defines + "\n" + rule("c300 > $1")
    let (compiled, ids, longest) = onToolSizedStack {
      let (ruleSet, diagnostics) = compile(text)
      return (ruleSet != nil, diagnostics.map(\.id), diagnostics.map(\.message.count).max() ?? 0)
    }
    #expect(!compiled)
    #expect(ids.contains("C0027"))
    #expect(longest < 200, "said once, not nested per define")
    // At the first define of the chain that is too deep, and at the rule that uses the
    // last: not once more for each of the fifty defines between.
    #expect(ids.filter { $0 == "C0027" }.count == 2, "\(ids)")
  }

  @Test("two chains too deep: each said once, at its first define too deep, and once at the rule")
  func twoDeepChains() {
    func chain(_ letter: String) -> String {
      "define \(letter)0 = amount\n"
        + (0..<300).map { "define \(letter)\($0 + 1) = \(letter)\($0) + $1" }.joined(
          separator: "\n")
    }
    let text = chain("a") + "\n" + chain("b") + "\n" + rule("a300 > $1 and b300 > $1")
    let lines = onToolSizedStack {
      compile(text).diagnostics.filter { $0.id == "C0027" }.compactMap(\.position?.line)
    }
    // The 250th define of each chain (lines 251 and 552), and the rule's condition.
    #expect(lines.count == 3, "\(lines)")
    #expect(lines.prefix(2) == [251, 552], "\(lines)")
  }
}
