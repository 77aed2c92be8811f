import ProbityCore

/// The warnings of `probity rules check`: a sound pack that says something it does not
/// mean. Warnings never make the pack unusable.
///
/// - W0001: a parameter or reference list no rule uses (uses are counted across the
///   pack: conditions, `where`, `group by`, windows, `let`s, `define`s and message
///   templates).
/// - W0002: a rule whose condition is always false (or always missing) whatever the
///   record: it can never fire.
/// - W0003: a rule whose `where` is always false (or missing): it never applies.
/// - W0004: a rule's `let` that no part of the rule uses (its condition, `where`, keys,
///   window, templates, or a let they use): a name written and then not used, or used
///   under another name.
///
/// A condition is judged constant when it folds without reading the record: literals,
/// parameters, table lookups with constant keys, `kind` in a rule that applies to one
/// kind of record, and Kleene logic (`false and x` is false whatever `x` is).
public enum RulePackLint {
  public static func lint(_ ruleSet: CompiledRuleSet) -> [Diagnostic] {
    let syntaxes = ruleSet.files.map { Parser.parse($0).syntax }
    var warnings = unusedParameters(syntaxes) + unusedLets(syntaxes)
    let sources = Dictionary(
      ruleSet.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    for rule in ruleSet.rules {
      let kind: Value = rule.kinds.count == 1 ? .string(rule.kinds[0].rawValue) : .missing
      for (program, isFilter) in [(rule.filter, true), (Optional(rule.condition), false)] {
        guard let program, let source = sources[program.file] else { continue }
        var folder = ConstantFolder(program: program, ruleSet: ruleSet, kind: kind)
        guard let value = folder.fold(program.root) else { continue }
        let outcome: String
        switch value {
        case .boolean(false): outcome = "false"
        case .missing: outcome = "missing"
        default: continue
        }
        let message: LanguageMessage =
          isFilter
          ? .filterNeverTrue(rule: rule.id, outcome: outcome)
          : .conditionNeverTrue(rule: rule.id, outcome: outcome)
        warnings.append(
          Diagnostic(
            id: message.id, severity: .warning, message: message.text, source: source,
            range: program.nodes[program.root].range,
            hint: outcome == "false"
              ? "it does not depend on the record; check the operators and the parameters it compares"
              : "a part of it is missing whatever the record (a table with no entry for the key?)"))
      }
    }
    return warnings.sortedForDisplay()
  }

  /// W0001: parameters and lists declared in the pack that no rule names.
  static func unusedParameters(_ syntaxes: [FileSyntax]) -> [Diagnostic] {
    var used: Set<String> = []
    for syntax in syntaxes {
      for define in syntax.defines { collectNames(define.value, into: &used, except: []) }
      for rule in syntax.rules {
        let lets = Set(rule.lets.map(\.name))
        for expr in expressions(of: rule) + rule.lets.map(\.value) {
          collectNames(expr, into: &used, except: lets)
        }
      }
    }
    var warnings: [Diagnostic] = []
    for syntax in syntaxes {
      let declared =
        syntax.params.map { ($0.name, $0.nameRange) } + syntax.lists.map { ($0.name, $0.nameRange) }
      for (name, range) in declared where !used.contains(name) {
        let message = LanguageMessage.unusedParameter(name)
        warnings.append(
          Diagnostic(
            id: message.id, severity: .warning, message: message.text, source: syntax.source,
            range: range, hint: "remove it, or use it in a rule (a limit written as a literal?)"))
      }
    }
    return warnings
  }

  /// W0004: lets no part of their rule uses, directly or through other lets.
  static func unusedLets(_ syntaxes: [FileSyntax]) -> [Diagnostic] {
    var warnings: [Diagnostic] = []
    for syntax in syntaxes {
      for rule in syntax.rules where !rule.lets.isEmpty {
        var used: Set<String> = []
        for expr in expressions(of: rule) { collectNames(expr, into: &used, except: []) }
        // Through the lets used, until no new one is found.
        let values = Dictionary(
          rule.lets.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        var frontier = used.filter { values[$0] != nil }
        while let name = frontier.popFirst() {
          var names: Set<String> = []
          collectNames(values[name]!, into: &names, except: [])
          for found in names where values[found] != nil && !used.contains(found) {
            used.insert(found)
            frontier.insert(found)
          }
        }
        for declared in rule.lets where !used.contains(declared.name) {
          let message = LanguageMessage.unusedLet(declared.name, rule: rule.id)
          warnings.append(
            Diagnostic(
              id: message.id, severity: .warning, message: message.text, source: syntax.source,
              range: declared.nameRange,
              hint: "remove it, or use it in the rule's condition or message"))
        }
      }
    }
    return warnings
  }

  /// A rule's expressions but its lets': condition, `where`, window, keys, templates.
  static func expressions(of rule: RuleDecl) -> [Expr] {
    var exprs: [Expr] = [rule.condition, rule.filter, rule.window?.on].compactMap { $0 }
    exprs += rule.groupBy
    for template in [rule.message, rule.remedy].compactMap({ $0 }) {
      for case .hole(let expr) in template.parts { exprs.append(expr) }
    }
    return exprs
  }

  /// Every name an expression reads, but the rule's own `let` names.
  static func collectNames(_ expr: Expr, into names: inout Set<String>, except lets: Set<String>) {
    switch expr.kind {
    case .name(let name):
      if !lets.contains(name) { names.insert(name) }
    case .index(let base, let key):
      collectNames(base, into: &names, except: lets)
      collectNames(key, into: &names, except: lets)
    case .call(_, _, let arguments), .list(let arguments):
      for argument in arguments { collectNames(argument, into: &names, except: lets) }
    case .unary(_, let operand), .parenthesized(let operand):
      collectNames(operand, into: &names, except: lets)
    case .binary(_, let left, let right):
      collectNames(left, into: &names, except: lets)
      collectNames(right, into: &names, except: lets)
    case .conditional(let condition, let then, let otherwise):
      for part in [condition, then, otherwise] { collectNames(part, into: &names, except: lets) }
    case .literal, .error:
      break
    }
  }
}

/// Folds what of an expression does not depend on the record. `nil` means "depends on
/// the record".
struct ConstantFolder {
  let program: ExprProgram
  let ruleSet: CompiledRuleSet
  /// The value of `kind` when the rule applies to one kind of record, else missing
  /// (unknown).
  let kind: Value
  private var memo: [Int: Value?] = [:]

  init(program: ExprProgram, ruleSet: CompiledRuleSet, kind: Value) {
    self.program = program
    self.ruleSet = ruleSet
    self.kind = kind
  }

  mutating func fold(_ index: Int) -> Value? {
    if let known = memo[index] { return known }
    let value = compute(index)
    memo[index] = value
    return value
  }

  private mutating func compute(_ index: Int) -> Value? {
    let node = program.nodes[index]
    let children = node.children
    switch node.op {
    case .constant(let value):
      return value
    case .field, .aggregate, .asOf, .windowKey, .deadline:
      return nil
    case .recordKind:
      return kind.isMissing ? nil : kind
    case .parameter(let parameter):
      return ruleSet.parameters[parameter].lookup(.missing)
    case .lookup(let parameter):
      guard let key = fold(children[0]) else { return nil }
      return ruleSet.parameters[parameter].lookup(key)
    case .named:
      return fold(children[0])
    case .and, .or:
      let decisive = { if case .and = node.op { return false } else { return true } }()
      let left = fold(children[0])
      let right = fold(children[1])
      if left == .boolean(decisive) || right == .boolean(decisive) { return .boolean(decisive) }
      guard let left, let right else { return nil }
      if left.isMissing || right.isMissing { return .missing }
      return .boolean(!decisive)
    case .coalesce:
      guard let left = fold(children[0]) else { return nil }
      return left.isMissing ? fold(children[1]) : left
    case .conditional:
      switch fold(children[0]) {
      case .some(.boolean(true)): return fold(children[1])
      case .some(.boolean(false)): return fold(children[2])
      case .some: return .missing
      case nil: return nil
      }
    case .inReferenceList(let parameter, let negated):
      guard let key = fold(children[0]) else { return nil }
      guard case .string(let text) = key,
        case .set(let entries) = ruleSet.parameters[parameter].definition
      else { return .missing }
      return .boolean(entries.contains(text) != negated)
    default:
      var arguments: [Value] = []
      var unknown = false
      for child in children {
        guard let value = fold(child) else {
          unknown = true
          continue
        }
        arguments.append(value)
      }
      // A strict operation with a missing operand is missing, whatever the others.
      if unknown {
        return isStrict(node.op) && arguments.contains(where: \.isMissing) ? .missing : nil
      }
      guard case .success(let value) = Semantics.apply(node.op, arguments) else { return nil }
      return value
    }
  }

  /// Operations that are missing when any operand is.
  private func isStrict(_ op: Operation) -> Bool {
    switch op {
    case .compare, .arithmetic, .negate, .not: return true
    case .call(let builtin): return !builtin.answersMissing
    default: return false
    }
  }
}
