import ProbityCore
import Testing

@testable import ProbityLanguage

/// Nodes that compute different things must get different numbers: kernels share the
/// cached value of every node of one number, so two that collided would give one
/// expression the other's value. Every operation, and constants that print alike.
private let distinctOperations: [(String, Operation)] = {
  let regexA = try! CompiledRegex.compiled("^A")
  let regexB = try! CompiledRegex.compiled("^A\"")
  return [
    ("missing", .constant(.missing)),
    ("true", .constant(.boolean(true))),
    ("false", .constant(.boolean(false))),
    ("integer 1", .constant(.integer(1))),
    ("money 1", .constant(.money(Money(minorUnits: 1, currency: .usd)))),
    ("money 100", .constant(.money(Money(minorUnits: 100, currency: .usd)))),
    ("money 100 GBP", .constant(.money(Money(minorUnits: 100, currency: .gbp)))),
    ("string 1", .constant(.string("1"))),
    ("string true", .constant(.string("true"))),
    ("string missing", .constant(.string("missing"))),
    ("date", .constant(.date(CivilDate(year: 2024, month: 1, day: 2)!))),
    ("string of a date", .constant(.string("2024-01-02"))),
    ("string with a comma", .constant(.string("a\", \"b"))),
    ("é in one scalar", .constant(.string("\u{E9}"))),
    ("é as e and an accent", .constant(.string("e\u{301}"))),
    ("list of two strings", .constant(.list([.string("a"), .string("b")]))),
    ("list of a string with quotes", .constant(.list([.string("a\", string \"b")]))),
    ("list of one list", .constant(.list([.list([.string("a"), .string("b")])]))),
    ("empty list", .constant(.list([]))),
    ("list of an empty string", .constant(.list([.string("")]))),
    ("field 1", .field(1)),
    ("field 2", .field(2)),
    ("parameter 1", .parameter(1)),
    ("lookup 1", .lookup(1)),
    ("not", .not),
    ("negate", .negate),
    ("and", .and),
    ("or", .or),
    ("coalesce", .coalesce),
    ("==", .compare(.equal)),
    ("!=", .compare(.notEqual)),
    ("<", .compare(.less)),
    ("<=", .compare(.lessEqual)),
    (">", .compare(.greater)),
    (">=", .compare(.greaterEqual)),
    ("in", .member(negated: false)),
    ("not in", .member(negated: true)),
    ("+", .arithmetic(.add)),
    ("-", .arithmetic(.subtract)),
    ("*", .arithmetic(.multiply)),
    ("list", .list),
    ("matches ^A", .call(.matches(regexA))),
    ("matches ^A\"", .call(.matches(regexB))),
    ("in reference list 1", .inReferenceList(1, negated: false)),
    ("not in reference list 1", .inReferenceList(1, negated: true)),
    ("in reference list 2", .inReferenceList(2, negated: false)),
    ("conditional", .conditional),
    ("aggregate 1", .aggregate(1)),
    ("aggregate 2", .aggregate(2)),
    ("kind", .recordKind),
    ("as_of", .asOf),
    ("window", .windowKey),
    ("deadline", .deadline),
    ("let", .named("total")),
    ("define", .defined("total")),
  ]
    // Every function but `matches` (above), by the name it is called by.
    + Builtin.signatures.compactMap { signature in
      Builtin.simple(named: signature.name).map { (signature.name + "()", .call($0)) }
    }
}()

@Test("operations that compute different things are described differently")
func distinctOperationsAreDescribedApart() {
  var seen: [String: String] = [:]
  for (label, op) in distinctOperations {
    let text = StructureNumbering.describe(op)
    #expect(seen[text] == nil, "\(label) is described as \(seen[text] ?? "") is: \(text)")
    seen[text] = label
  }
}

/// What does not change a node's value does not change its number: a `let`'s name, the
/// source text, and the node's identity.
@Test("nodes that compute the same thing get the same number")
func sameStructureSameNumber() {
  func node(_ op: Operation, _ children: [Int] = [], text: String = "") -> ExprNode {
    ExprNode(
      op: op, children: children, type: .boolean, range: SourceRange(start: 0, end: 1), text: text)
  }
  // 0: amount, 1: 100, 2: amount > 100; 3 to 5 the same again, written otherwise;
  // 6: let total = node 2, 7: let limit = node 5; 8: amount >= 100.
  let nodes = [
    node(.field(3), text: "amount"), node(.constant(.integer(100))),
    node(.compare(.greater), [0, 1], text: "amount > 100"),
    node(.field(3), text: "amount "), node(.constant(.integer(100))),
    node(.compare(.greater), [3, 4], text: "amount  >  100"),
    node(.named("total"), [2]), node(.named("limit"), [5]),
    node(.compare(.greaterEqual), [0, 1]),
  ]
  var numbering = StructureNumbering()
  let numbers = nodes.indices.map { numbering.number(of: $0, in: nodes) }
  #expect(numbers[2] == numbers[5])
  #expect(numbers[6] == numbers[7])
  #expect(numbers[2] != numbers[8])
  #expect(numbers[0] != numbers[1])
  #expect(Set(numbers).count == 5)
}

/// A line of rule source without its comment, read as the lexer reads it: a `#` in a
/// string literal (after escaped quotes and backslashes too) does not start one.
@Test(
  "a line's comment is left out, and a # in a string is kept",
  arguments: [
    ("amount > 100 # over", "amount > 100 "),
    ("# all of it", ""),
    ("amount > 100", "amount > 100"),
    ("name == \"#1\" # a number", "name == \"#1\" "),
    ("name == \"a \\\" # b\" # c", "name == \"a \\\" # b\" "),
    ("name == \"a \\\\\" # c", "name == \"a \\\\\" "),
    ("name == \"unterminated # c", "name == \"unterminated # c"),
  ])
func lineWithoutComment(_ line: String, _ code: String) {
  #expect(String(Lexer.withoutComment(Substring(line))) == code)
}
