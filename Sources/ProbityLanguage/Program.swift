import ProbityCore
import Synchronization

/// The compiled form of a rule pack: immutable, shareable across threads, reusable for
/// any number of filings. Produced by `RulePackCompiler`; evaluated by ProbityEngine.
public struct CompiledRuleSet: Sendable {
  public let rules: [CompiledRule]
  public let parameters: [CompiledParameter]
  /// The rule files, for showing source lines in explanations.
  public let files: [SourceFile]
  /// The rules of each kind of record, receipts first (an array: it is read per record).
  private let rulesByKind: [[Int]]

  init(rules: [CompiledRule], parameters: [CompiledParameter], files: [SourceFile]) {
    self.rules = rules
    self.parameters = parameters
    self.files = files
    self.rulesByKind = [RecordKind.receipt, .disbursement].map { kind in
      rules.indices.filter { rules[$0].kinds.contains(kind) }
    }
  }

  /// Indices into `rules` of the rules that apply to a kind of record, in pack order.
  public func ruleIndices(for kind: RecordKind) -> [Int] {
    switch kind {
    case .receipt: rulesByKind[0]
    case .disbursement: rulesByKind[1]
    }
  }

  /// Every field an expression of the pack names: in a `where`, a condition, a `let`, a
  /// `define`, a group key, a window's date, an aggregate or a message or remedy hole.
  /// What the rules can read of a record; what else a run reads (the record's date for
  /// windows, its transaction id for findings) is `CheckRun.fieldsRead`'s.
  public var fieldsRead: FieldSet {
    var fields = FieldSet()
    for rule in rules {
      for program in rule.programs {
        for node in program.nodes {
          if case .field(let field) = node.op { fields.insert(field) }
        }
      }
    }
    return fields
  }
}

extension CompiledRule {
  /// Every expression of the rule.
  public var programs: [ExprProgram] {
    var programs = [condition]
    if let filter { programs.append(filter) }
    if let grouping {
      programs += grouping.keys
      if let on = grouping.window?.on { programs.append(on) }
      programs += grouping.aggregates.compactMap(\.argument)
    }
    for template in [message] + (remedy.map { [$0] } ?? []) {
      for part in template.parts {
        if case .hole(let program) = part { programs.append(program) }
      }
    }
    return programs
  }
}

/// Where a declaration stands in the pack.
public struct DeclarationSite: Sendable, Hashable {
  public let file: String
  public let line: Int
  public let column: Int

  /// `file:line:column`, told apart from every other site. (Interpolating the struct
  /// itself describes it by reflection, some 150,000 instructions the first time.)
  public var key: String { "\(file):\(line):\(column)" }
}

public struct CompiledRule: Sendable {
  public let id: String
  public let title: String
  public let severity: FindingSeverity
  public let category: FindingCategory
  public let citation: String
  public let kinds: [RecordKind]
  public let condition: ExprProgram
  public let message: CompiledTemplate
  public let remedy: CompiledTemplate?
  /// `where`: the records the rule considers.
  public let filter: ExprProgram?
  /// For a rule across records: its groups, window and aggregates.
  public let grouping: Grouping?
  /// Days from the record's date to the remedy's deadline (`due within`, or the cure
  /// window of `cure within`).
  public let deadlineDays: Int?
  public let site: DeclarationSite
}

/// How a rule across records groups them and what it computes per group.
public struct Grouping: Sendable {
  /// The `group by` key expressions, evaluated on each record.
  public let keys: [ExprProgram]
  public let window: CompiledWindow?
  /// Every aggregate the rule's condition and templates use, one slot each.
  public let aggregates: [CompiledAggregate]
  public let fires: FireMode
  /// `cure within N days`.
  public let cureDays: Int?
}

public struct CompiledWindow: Sendable {
  public let kind: WindowDecl.Kind
  /// The date the window is taken on; nil means the record's `date` field.
  public let on: ExprProgram?
}

public enum AggregateFunction: String, Sendable {
  case sum, count, min, max
}

/// One aggregate of a grouped rule: `sum(amount)`, `count()`.
public struct CompiledAggregate: Sendable {
  public let function: AggregateFunction
  /// The value taken from each record; nil for `count()`.
  public let argument: ExprProgram?
  public let type: ValueType
  /// Its source text, for explanations: `sum(amount)`.
  public let text: String
}

public struct CompiledTemplate: Sendable {
  public enum Part: Sendable {
    case text(String)
    case hole(ExprProgram)
  }

  public let parts: [Part]
}

public struct CompiledParameter: Sendable {
  public enum Definition: Sendable {
    case scalar(Value)
    /// Entries sorted by first year; no overlaps.
    case byYear([(from: Int64, through: Int64, value: Value)])
    /// Entries sorted by first date; `through` nil means until the next entry or forever.
    case byDate([(from: CivilDate, through: CivilDate?, value: Value)])
    /// A reference list loaded from a CSV file: its entries, normalized.
    case set(Set<String>)
  }

  public let name: String
  public let type: ValueType
  public let definition: Definition
  public let site: DeclarationSite

  /// The entry in force for `key` (a year or a date); missing when no entry covers it.
  public func lookup(_ key: Value) -> Value {
    switch (definition, key) {
    case (.scalar(let value), _):
      return value
    case (.set, _):
      return .missing
    case (.byYear(let entries), .integer(let year)):
      return entries.first { $0.from <= year && year <= $0.through }?.value ?? .missing
    case (.byDate(let entries), .date(let date)):
      var found: Value = .missing
      for (index, entry) in entries.enumerated() where entry.from <= date {
        let end =
          entry.through
          ?? (index + 1 < entries.count ? entries[index + 1].from.adding(days: -1) : nil)
        if end == nil || date <= end! { found = entry.value }
      }
      return found
    default:
      return .missing
    }
  }
}

/// One expression, flattened: `nodes[root]` is the whole expression, children are
/// indices into `nodes`. Each node keeps its source text and range, so an evaluation
/// trace (one value per node) can be shown against the source.
public struct ExprProgram: Sendable {
  public let nodes: [ExprNode]
  public let root: Int
  public let file: String
  /// The nodes that read a field, a `define`, an aggregate of the group or a parameter
  /// table, or call a function, outside any `define`, in node order: where a trace looks
  /// for the missing values that left an outcome undetermined.
  public let readsOutsideDefines: [Int]
  /// For each node under a `present`, `missing` or `blank` call (outside any `define`),
  /// the nearest such call above it. Such a call answers for a missing value, so what is
  /// under it is named missing only when the call itself gave missing (a field the format
  /// does not have): in `missing(donation_action)`, a missing `donation_action` makes
  /// nothing undetermined, and was once named as if it had.
  public let answeringCall: [Int: Int]
  /// The nodes a trace shows as its inputs (`Trace.inputs`), in node order, each with the
  /// name it is shown by, made once with the program: a finding's trace named them anew
  /// (each parameter's and aggregate's text formatted again), some 21,000 instructions a
  /// finding.
  public let inputNames: [InputName]

  /// A node a trace shows as an input: a `let` or `define` by its name (not its parts),
  /// a field by its name, a parameter, an aggregate, the as-of date, a window, a deadline
  /// or the record's kind by its text; a table lookup by the table's name and the key
  /// its value had (`base[key]`: `lookup`).
  public struct InputName: Sendable {
    public let node: Int
    public let name: String
    public let lookup: Bool
    public let start: Int
  }

  public init(nodes: [ExprNode], root: Int, file: String) {
    self.nodes = nodes
    self.root = root
    self.file = file
    // A `let` or `define` name stands for the expression it names: its parts are not
    // inputs (children come before their parents, so walk down from the end).
    var hidden = [Bool](repeating: false, count: nodes.count)
    for index in nodes.indices.reversed() {
      let node = nodes[index]
      switch node.op {
      case .named, .defined: for child in node.children { hidden[child] = true }
      default: break
      }
      if hidden[index] { for child in node.children { hidden[child] = true } }
    }
    var inputNames: [InputName] = []
    for (index, node) in nodes.enumerated() where !hidden[index] {
      let name: String
      var lookup = false
      switch node.op {
      case .named(let letName), .defined(let letName):
        name = letName
      case .field(let field):
        name = CanonicalSchema.spec(field).name
      case .parameter, .aggregate, .asOf, .windowKey, .deadline, .recordKind:
        name = node.oneLineText
      case .lookup:
        name = String(node.oneLineText.prefix { $0 != "[" }).trimmingWhitespace()
        lookup = true
      default:
        continue
      }
      inputNames.append(InputName(node: index, name: name, lookup: lookup, start: node.range.start))
    }
    self.inputNames = inputNames
    // Children come before their parents: from the last node down, a node's parents are
    // seen before it.
    var insideDefine = Set<Int>()
    var answering: [Int: Int] = [:]
    for index in nodes.indices.reversed() {
      let node = nodes[index]
      if case .defined = node.op { insideDefine.formUnion(node.children) }
      if insideDefine.contains(index) { insideDefine.formUnion(node.children) }
      let call: Int?
      if case .call(let builtin) = node.op, builtin.answersMissing {
        call = index
      } else {
        call = answering[index]
      }
      if let call { for child in node.children { answering[child] = call } }
    }
    answeringCall = answering.filter { !insideDefine.contains($0.key) }
    readsOutsideDefines = nodes.indices.filter { index in
      guard !insideDefine.contains(index) else { return false }
      switch nodes[index].op {
      case .field, .defined, .aggregate, .lookup, .call: return true
      default: return false
      }
    }
  }
}

/// A class, so that the evaluator's hot loop reads a node's fields through one
/// reference instead of copying them all.
public final class ExprNode: Sendable {
  public let op: Operation
  public let children: [Int]
  public let type: ValueType
  public let range: SourceRange
  /// The node's source text, e.g. `amount > cash_limit`.
  public let text: String
  /// Whether the node's value depends on the record alone (no aggregate, no window, no
  /// deadline, no as-of date): such a value can be kept for the rest of the record.
  public let recordOnly: Bool

  public init(
    op: Operation, children: [Int], type: ValueType, range: SourceRange, text: String,
    recordOnly: Bool = true
  ) {
    self.op = op
    self.children = children
    self.type = type
    self.range = range
    self.text = text
    self.recordOnly = recordOnly
  }
}

extension ExprNode {
  /// The node's source text on one line, as a name in a summary line or a key in JSON:
  /// the lines of an expression written over several are trimmed, their comments left
  /// out, and joined by a space. Spaces within a line, as in a string literal, are kept.
  public var oneLineText: String {
    guard text.utf8.contains(UInt8(ascii: "\n")) else { return text }
    // Lines end where the lexer ends them (a comment, a string): at a line feed only.
    let lines = text.split { $0 == "\n" || $0 == "\r\n" }
    return lines.map { String(Lexer.withoutComment($0)).trimmingWhitespace() }
      .filter { !$0.isEmpty }.joined(separator: " ")
  }
}

public enum ComparisonOperator: String, Sendable {
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="

  /// Whether the comparison holds of two values in this order (-1, 0 or 1).
  public func holds(order: Int) -> Bool {
    switch self {
    case .equal: return order == 0
    case .notEqual: return order != 0
    case .less: return order < 0
    case .lessEqual: return order <= 0
    case .greater: return order > 0
    case .greaterEqual: return order >= 0
    }
  }
}

public enum ArithmeticOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
}

public enum Operation: Sendable {
  case constant(Value)
  case field(FieldID)
  /// A scalar parameter, by index into `CompiledRuleSet.parameters`.
  case parameter(Int)
  /// A table parameter looked up by the value of child 0.
  case lookup(Int)
  case not
  case negate
  case and
  case or
  case coalesce
  case compare(ComparisonOperator)
  /// Child 0 in the list child 1; `negated` for `not in`.
  case member(negated: Bool)
  case arithmetic(ArithmeticOperator)
  case list
  case call(Builtin)
  /// Whether child 0 is in a reference list (a parameter index); `negated` for `not in`.
  case inReferenceList(Int, negated: Bool)
  /// `if child 0 then child 1 else child 2`.
  case conditional
  /// The value of an aggregate slot of the rule's group (`Grouping.aggregates`).
  case aggregate(Int)
  /// `kind`: "receipt" or "disbursement".
  case recordKind
  /// `as_of`: the date the run judges open windows at.
  case asOf
  /// `window`: the window of the record's group, as text (P2024, 2024, 2024-Q3).
  case windowKey
  /// `deadline`: the end of the cure window that opened when the condition became true.
  case deadline
  /// A rule's `let` name: the value of its one child.
  case named(String)
  /// A `define`: the value of its one child, which depends on the record alone.
  case defined(String)
}

/// A compiled regular expression. Regex values are immutable once built.
public final class CompiledRegex: @unchecked Sendable {
  public let pattern: String
  let regex: Regex<AnyRegexOutput>

  private init(pattern: String) throws {
    self.pattern = pattern
    self.regex = try Regex(pattern)
  }

  /// The regular expression of `pattern`, compiled once per process: a `define` that
  /// calls `matches` is compiled where it is declared and again where it is used, and
  /// parsing the US pack's pattern of tribal names took some 7 million instructions
  /// each time (a check of a small filing is some 115 million).
  static func compiled(_ pattern: String) throws -> CompiledRegex {
    if let known = cache.withLock({ $0[pattern] }) { return known }
    let regex = try CompiledRegex(pattern: pattern)
    cache.withLock { $0[pattern] = regex }
    return regex
  }

  private static let cache = Mutex<[String: CompiledRegex]>([:])

  /// True when the pattern matches anywhere in `text` (anchor with ^ and $ for all of it).
  public func matches(_ text: String) -> Bool {
    (try? regex.firstMatch(in: text)) != nil
  }
}

/// Numbers expressions by what they compute: two nodes get the same number exactly when
/// they have the same operations, fields, parameters and constants in the same shape, so
/// they give the same value on every record. Source text is not enough: a name means
/// what the scope of its use says (two files may each have their own `threshold`, or
/// their own `define` of one name). Numbers are given in the order structures are first
/// met, each from the numbers of the children, so the keys stay short.
public struct StructureNumbering: Sendable {
  private var numbers: [String: Int] = [:]
  /// The numbers of nodes already numbered: a node is an object that keeps its children
  /// for good, so its number never changes (without this, every call numbered the whole
  /// subtree again, describing each operation anew: a fifth of the
  /// instructions of checking a 3 MB filing went to numbering at start-up). The node is
  /// kept with its number, so that its identifier cannot be reused by another node while
  /// the number is remembered.
  private var known: [ObjectIdentifier: (node: ExprNode, number: Int)] = [:]

  public init() {}

  /// The number of the expression rooted at `index`.
  public mutating func number(of index: Int, in nodes: [ExprNode]) -> Int {
    let node = nodes[index]
    if let known = known[ObjectIdentifier(node)] { return known.number }
    let number = numberAnew(node, in: nodes)
    known[ObjectIdentifier(node)] = (node, number)
    return number
  }

  private mutating func numberAnew(_ node: ExprNode, in nodes: [ExprNode]) -> Int {
    var key = StructureNumbering.describe(node.op)
    key += "("
    for (position, child) in node.children.enumerated() {
      if position > 0 { key += "," }
      key += String(number(of: child, in: nodes))
    }
    key += ")"
    if let known = numbers[key] { return known }
    numbers[key] = numbers.count
    return numbers.count - 1
  }

  /// A text that tells operations apart: two operations get the same text only when they
  /// compute the same thing from the same children. Written out case by case, not
  /// through `String(reflecting:)`, which walks the value by reflection: that was a
  /// third of the instructions of starting a run.
  static func describe(_ op: Operation) -> String {
    switch op {
    case .constant(let value): return "constant " + describe(value)
    case .field(let field): return "field " + String(field)
    case .parameter(let index): return "parameter " + String(index)
    case .lookup(let index): return "lookup " + String(index)
    case .not: return "not"
    case .negate: return "negate"
    case .and: return "and"
    case .or: return "or"
    case .coalesce: return "coalesce"
    case .compare(let comparison): return "compare " + comparison.rawValue
    case .member(let negated): return negated ? "not member" : "member"
    case .arithmetic(let arithmetic): return "arithmetic " + arithmetic.rawValue
    case .list: return "list"
    case .call(.matches(let regex)): return "matches " + quoted(regex.pattern)
    case .call(let builtin): return "call " + builtin.name
    case .inReferenceList(let index, let negated):
      return (negated ? "not in reference list " : "in reference list ") + String(index)
    case .conditional: return "conditional"
    case .aggregate(let index): return "aggregate " + String(index)
    case .recordKind: return "kind"
    case .asOf: return "as_of"
    case .windowKey: return "window"
    case .deadline: return "deadline"
    // The name of a `let` or a `define` says nothing of its value; its child does.
    case .named: return "let"
    case .defined: return "define"
    }
  }

  /// A constant with its type: 1 (an integer), $1.00 and "1" are told apart, and a
  /// string is quoted (`quoted`).
  static func describe(_ value: Value) -> String {
    switch value {
    case .missing: return "missing"
    case .boolean(let truth): return truth ? "true" : "false"
    case .integer(let integer): return "integer " + String(integer)
    case .money(let money):
      return "money " + String(money.minorUnits) + " " + money.currency.code
    case .date(let date): return "date " + date.description
    case .string(let string): return "string " + quoted(string)
    case .list(let elements):
      return "[" + elements.map { describe($0) }.joined(separator: ", ") + "]"
    }
  }

  /// Text in quotes, its quotes and backslashes escaped and every scalar beyond ASCII
  /// written as its number: keys that are equal as strings are then equal byte for byte
  /// (Swift compares strings by canonical equivalence, so "é" in one scalar and "e"
  /// with a combining accent would otherwise share a number, and one cached value).
  static func quoted(_ text: String) -> String {
    "\"" + text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
  }
}
