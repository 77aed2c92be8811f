import ProbityCore

/// The result of checking one expression: the node that computes it, its type, and the
/// currency of its amounts when known before any record is read (literals, parameters).
struct Typed {
  let node: Int
  let type: ValueType?
  let currency: Currency?
}

/// A `define` as a rule (or another define) sees it: its expression, and what its names
/// mean where it is written (its own file's text, the defines before it in that file, the
/// parameters that file sees). It is compiled in place at each use, but with these, not
/// with the names of the place it is used: a rule's `let`, or another file's parameter of
/// the same name, never changes what a define means.
struct VisibleDefine {
  let expr: Expr
  let source: SourceFile
  let defines: [String: VisibleDefine]
  let scope: [String: Int]
  /// It had errors where it stands (reported there): a use of it says nothing more.
  var failed = false
}

/// Checks one expression and flattens it into `ExprNode`s.
struct ProgramBuilder {
  /// The file whose text the nodes being emitted come from (a `define` of another
  /// file is compiled with its own file's text).
  var source: SourceFile
  /// The parameters visible here, by name (a define's own while it is compiled in place).
  var scope: [String: Int]
  /// The record kinds the rule applies to; fields must exist on all of them.
  let kinds: [RecordKind]
  /// Parameter values: no fields, no parameters, only strict operations.
  let constant: Bool
  /// What the rule around the expression allows: aggregates (a grouped rule), `window`
  /// (a rule with a window), `deadline` (a rule with a cure window).
  var context = Context()
  private(set) var nodes: [ExprNode] = []
  private(set) var diagnostics: [Diagnostic] = []
  /// The aggregate slots of the rule, shared by all its expressions: pass them in, read
  /// them back.
  var aggregates: [CompiledAggregate] = []
  /// The rule's `let` names visible here.
  var lets: [String: Expr] = [:]
  /// The rule's lets this builder's expressions use (directly or through others).
  private(set) var usedLets: Set<String> = []
  /// The `define`s visible here.
  var defines: [String: VisibleDefine] = [:]
  /// Every `define` of the pack, by name, with the file it is written in (its index and
  /// path): for the hint of a name that is one but is not visible here.
  var definePlaces: [String: (file: Int, path: String)] = [:]
  /// What is compiled: the define `name` where it stands, in file `file`; nil for a rule.
  var defining: (file: Int, name: String)?
  /// The lets and defines being written out, outermost first: a name met again is a cycle.
  private var expanding: [String] = []
  /// How deep `check` is. Defines and lets are compiled in place, so a rule can compile
  /// to a tree deeper and larger than anything written in it (a define of a define of
  /// ..., each using the next twice, doubles at every step); the checker and the
  /// evaluator walk that tree recursively. Past these bounds it is refused (C0027).
  private var depth = 0
  private var tooLargeReported = false
  static let maximumDepth = 500
  static let maximumNodes = 100_000
  fileprivate var insideAggregate = false

  struct Context {
    var grouped = false
    var windowed = false
    var cured = false
    /// A `where`, a group key or a window's `on`: evaluated on each record alone, before
    /// its group, window and deadline are set. (An aggregate's arguments are too; they are
    /// told by `insideAggregate`.)
    var recordAlone = false
    /// The rule groups records (`group by` or a window), whatever this expression may use.
    var acrossRecords = false
    /// Names reserved for values the engine provides.
    static let reservedNames: Set<String> = ["kind", "as_of", "window", "deadline"]
  }

  init(source: SourceFile, scope: [String: Int], kinds: [RecordKind], constant: Bool) {
    self.source = source
    self.scope = scope
    self.kinds = kinds
    self.constant = constant
  }

  mutating func error(_ message: LanguageMessage, _ range: SourceRange, hint: String? = nil) {
    diagnostics.append(
      Diagnostic(id: message.id, message: message.text, source: source, range: range, hint: hint))
  }

  func text(_ range: SourceRange) -> String {
    let end = min(range.end, source.bytes.count)
    return String(decoding: source.bytes[min(range.start, end)..<end], as: UTF8.self)
  }

  mutating func emit(
    _ op: Operation, _ children: [Int], _ type: ValueType, _ range: SourceRange
  ) -> Int {
    var recordOnly = children.allSatisfy { nodes[$0].recordOnly }
    switch op {
    case .aggregate, .asOf, .windowKey, .deadline: recordOnly = false
    default: break
    }
    nodes.append(
      ExprNode(
        op: op, children: children, type: type, range: range, text: text(range),
        recordOnly: recordOnly))
    return nodes.count - 1
  }

  /// A placeholder for an expression that did not check; its type is unknown so no
  /// further error is reported about it.
  mutating func poisoned(_ range: SourceRange) -> Typed {
    Typed(node: emit(.constant(.missing), [], .nothing, range), type: nil, currency: nil)
  }

  mutating func compile(_ expr: Expr, parameters: [CompiledParameter]) -> Typed? {
    let typed = check(expr, parameters)
    return typed.type == nil ? nil : typed
  }

  private mutating func check(_ expr: Expr, _ parameters: [CompiledParameter]) -> Typed {
    depth += 1
    defer { depth -= 1 }
    if depth > ProgramBuilder.maximumDepth || nodes.count > ProgramBuilder.maximumNodes {
      if !tooLargeReported {
        tooLargeReported = true
        error(.expressionTooLarge, expr.range, hint: "split it into simpler defines or rules")
      }
      return poisoned(expr.range)
    }
    switch expr.kind {
    case .error:
      return poisoned(expr.range)
    case .parenthesized(let inner):
      return check(inner, parameters)
    case .conditional(let condition, let then, let otherwise):
      let c = check(condition, parameters)
      let a = check(then, parameters)
      let b = check(otherwise, parameters)
      guard let ct = c.type, let at = a.type, let bt = b.type else { return poisoned(expr.range) }
      guard ct.fits(.boolean) else {
        error(.typeMismatch("the condition of 'if' must be boolean, found \(ct)"), condition.range)
        return poisoned(expr.range)
      }
      guard at.fits(bt) || bt.fits(at) else {
        error(.typeMismatch("'then' gives \(at) but 'else' gives \(bt)"), expr.range)
        return poisoned(expr.range)
      }
      if let x = a.currency, let y = b.currency, x != y {
        error(.currencyMismatch(x.code, y.code), expr.range)
        return poisoned(expr.range)
      }
      let t = at == .nothing ? bt : at
      return Typed(
        node: emit(.conditional, [c.node, a.node, b.node], t, expr.range), type: t,
        currency: a.currency ?? b.currency)
    case .literal(let value):
      let type: ValueType
      var currency: Currency?
      switch value {
      case .missing: type = .nothing
      case .boolean: type = .boolean
      case .integer: type = .integer
      case .money(let m):
        type = .money
        currency = m.currency
      case .date: type = .date
      case .string: type = .string
      case .list: type = .list(.nothing)
      }
      return Typed(
        node: emit(.constant(value), [], type, expr.range), type: type, currency: currency)
    case .name(let name):
      return checkName(name, expr.range, parameters)
    case .index(let base, let key):
      return checkIndex(base, key, expr.range, parameters)
    case .list(let items):
      var children: [Int] = []
      var element: ValueType? = .nothing
      var elementRange: SourceRange?
      var currency: Currency?
      for item in items {
        let typed = check(item, parameters)
        children.append(typed.node)
        if let x = currency, let y = typed.currency, x != y {
          error(
            .currencyMismatch(x.code, y.code), item.range,
            hint: "every amount of a list is in one currency")
          element = nil
        }
        currency = currency ?? typed.currency
        guard let t = typed.type, let current = element else {
          element = nil
          continue
        }
        if current == .nothing {
          element = t
          elementRange = item.range
        } else if !t.fits(current) {
          error(
            .mixedList(current.description, t.description), item.range,
            hint: elementRange.map { _ in "every item of a list has one type" })
          element = nil
        }
      }
      guard let element else { return poisoned(expr.range) }
      return Typed(
        node: emit(.list, children, .list(element), expr.range), type: .list(element),
        currency: currency)
    case .unary(let op, let operand):
      let typed = check(operand, parameters)
      guard let t = typed.type else { return poisoned(expr.range) }
      switch op {
      case .not:
        guard t.fits(.boolean) else {
          error(.typeMismatch("'not' needs a boolean, found \(t)"), operand.range)
          return poisoned(expr.range)
        }
        return Typed(
          node: emit(.not, [typed.node], .boolean, expr.range), type: .boolean, currency: nil)
      case .negate:
        guard t == .money || t == .integer else {
          error(.typeMismatch("'-' needs money or an integer, found \(t)"), operand.range)
          return poisoned(expr.range)
        }
        return Typed(
          node: emit(.negate, [typed.node], t, expr.range), type: t, currency: typed.currency)
      }
    case .binary(let op, let lhs, let rhs):
      return checkBinary(op, lhs, rhs, expr.range, parameters)
    case .call(let function, let nameRange, let arguments):
      return checkCall(function, nameRange, arguments, expr.range, parameters)
    }
  }

  /// Whether `name` is being written out already (a let or define that uses itself,
  /// directly or through others): said (C0028) with the cycle.
  private mutating func isCycle(_ name: String, _ range: SourceRange) -> Bool {
    guard let start = expanding.firstIndex(of: name) else { return false }
    error(
      .definedInTermsOfItself(name, cycle: Array(expanding[start...]) + [name]), range,
      hint: "a 'let' or 'define' cannot use itself, directly or through other names")
    return true
  }

  private mutating func checkName(
    _ name: String, _ range: SourceRange, _ parameters: [CompiledParameter]
  ) -> Typed {
    if constant {
      error(
        .typeMismatch("a parameter's value must be a constant, but '\(name)' is a name"), range,
        hint: "write the value itself, like $100.00 or \"cash\"")
      return poisoned(range)
    }
    if let value = lets[name] {
      usedLets.insert(name)
      guard !isCycle(name, range) else { return poisoned(range) }
      expanding.append(name)
      defer { expanding.removeLast() }
      let inner = check(value, parameters)
      guard let type = inner.type else { return poisoned(range) }
      return Typed(
        node: emit(.named(name), [inner.node], type, range), type: type, currency: inner.currency)
    }
    if let define = defines[name] {
      guard !define.failed, !isCycle(name, range) else { return poisoned(range) }
      expanding.append(name)
      defer { expanding.removeLast() }
      // Compiled in place, with its own file's text and names (no `let` of the rule, the
      // defines and parameters its own file sees); a problem is reported here, at the use
      // (the definition itself was checked where it stands).
      let use = (source: source, lets: lets, defines: defines, scope: scope)
      let before = diagnostics.count
      (source, lets, defines, scope) = (define.source, [:], define.defines, define.scope)
      let inner = check(define.expr, parameters)
      (source, lets, defines, scope) = use
      if diagnostics.count > before {
        let first = diagnostics[before]
        diagnostics.removeSubrange(before...)
        if first.id == LanguageMessage.expressionTooLarge.id {
          // Too large wherever it is used: said once, not once per define it passes through.
          error(.expressionTooLarge, range, hint: first.hint)
          return poisoned(range)
        }
        error(
          .defineNotUsable(name, first.message), range,
          hint: first.position.map { "see \(first.file):\($0.line):\($0.column)" })
        return poisoned(range)
      }
      guard let type = inner.type else { return poisoned(range) }
      return Typed(
        node: emit(.defined(name), [inner.node], type, range), type: type, currency: inner.currency)
    }
    switch name {
    case "kind":
      return Typed(node: emit(.recordKind, [], .string, range), type: .string, currency: nil)
    case "as_of":
      return Typed(node: emit(.asOf, [], .date, range), type: .date, currency: nil)
    // Known to the rule (it has a window, a deadline), but always missing here: these are
    // evaluated on the record alone, before its group, window and deadline are set.
    case "window" where context.windowed && (context.recordAlone || insideAggregate),
      "deadline" where context.cured && (context.recordAlone || insideAggregate):
      error(
        .typeMismatch(
          "'\(name)' is not known in a 'where', a group key, a window's 'on' or an aggregate's argument"
        ), range,
        hint:
          "these are evaluated on each record alone, before its group and deadline are known; use '\(name)' in 'when', 'message' or 'remedy'"
      )
      return poisoned(range)
    case "window":
      guard context.windowed else {
        error(
          .typeMismatch("'window' is known only in a rule with a window"), range,
          hint: "add 'window calendar-year' (or quarter, cycle, election, rolling N days)")
        return poisoned(range)
      }
      return Typed(node: emit(.windowKey, [], .string, range), type: .string, currency: nil)
    case "deadline":
      guard context.cured else {
        error(
          .typeMismatch("'deadline' is known only in a rule with a deadline"), range,
          hint: "add 'due within 30 days' (or 'cure within 60 days' in a rule across records)")
        return poisoned(range)
      }
      return Typed(node: emit(.deadline, [], .date, range), type: .date, currency: nil)
    default:
      break
    }
    if let index = scope[name] {
      let parameter = parameters[index]
      if case .set = parameter.definition {
        error(
          .typeMismatch("'\(name)' is a reference list: test membership with 'in'"), range,
          hint: "write 'org_key(name) in \(name)'")
        return poisoned(range)
      }
      if case .scalar(let value) = parameter.definition {
        var currency: Currency?
        if case .money(let m) = value { currency = m.currency }
        return Typed(
          node: emit(.parameter(index), [], parameter.type, range), type: parameter.type,
          currency: currency)
      }
      let key =
        if case .byYear = parameter.definition { "a year, like \(name)[year(date)]" } else {
          "a date, like \(name)[date]"
        }
      error(.tableNeedsIndex(name), range, hint: "index it by \(key)")
      return poisoned(range)
    }
    if let field = CanonicalSchema.id(named: name) {
      let spec = CanonicalSchema.spec(field)
      for kind in kinds where !spec.kinds.contains(kind) {
        error(
          .fieldNotOnKind(field: name, kind: kind.rawValue), range, hint: "\(name): \(spec.summary)"
        )
        return poisoned(range)
      }
      return Typed(node: emit(.field(field), [], spec.type, range), type: spec.type, currency: nil)
    }
    let candidates = CanonicalSchema.fields.map(\.name) + scope.keys.sorted()
    if name == defining?.name {
      error(
        .definedInTermsOfItself(name, cycle: [name, name]), range,
        hint: "a 'define' cannot use itself; it can use the defines written before it")
      return poisoned(range)
    }
    if let place = definePlaces[name], name != defining?.name {
      let why =
        switch defining {
        case let defining? where defining.file == place.file:
          "a define written later in this file: a define can use only those written before it"
        case .some:
          "a define of \(place.path): a define can use only those written before it in its own file"
        case nil: "a define of \(place.path): 'import' that file to use it"
        }
      error(.unknownField(name), range, hint: "'\(name)' is \(why)")
      return poisoned(range)
    }
    error(
      .unknownField(name), range,
      hint: NearNames.hint(for: name, among: candidates)
        ?? (scope.isEmpty
          ? "no parameters are visible here: 'import' the file that defines it" : nil))
    return poisoned(range)
  }

  private mutating func checkIndex(
    _ base: Expr, _ key: Expr, _ range: SourceRange, _ parameters: [CompiledParameter]
  ) -> Typed {
    guard case .name(let name) = base.kind, let index = scope[name], !constant else {
      if case .name(let name) = base.kind, !constant, CanonicalSchema.id(named: name) == nil {
        error(
          .unknownName(name), base.range,
          hint: NearNames.hint(for: name, among: scope.keys.sorted()))
      } else {
        error(.typeMismatch("only a table parameter can be indexed"), base.range)
      }
      _ = check(key, parameters)
      return poisoned(range)
    }
    let parameter = parameters[index]
    let keyTyped = check(key, parameters)
    let expected: ValueType
    switch parameter.definition {
    case .scalar, .set:
      error(.scalarIndexed(name), range, hint: "write '\(name)' alone")
      return poisoned(range)
    case .byYear: expected = .integer
    case .byDate: expected = .date
    }
    guard let keyType = keyTyped.type else { return poisoned(range) }
    guard keyType.fits(expected) else {
      error(
        .tableKeyType(
          param: name, expected: expected == .integer ? "year (an integer)" : "date",
          found: keyType.description),
        key.range,
        hint: expected == .integer && keyType == .date
          ? "write \(name)[year(\(text(key.range)))]" : nil)
      return poisoned(range)
    }
    // A table's amounts are in one currency (the checker refuses one that mixes them).
    var currency: Currency?
    switch parameter.definition {
    case .byYear(let entries):
      if case .money(let m)? = entries.first?.value { currency = m.currency }
    case .byDate(let entries):
      if case .money(let m)? = entries.first?.value { currency = m.currency }
    case .scalar, .set: break
    }
    return Typed(
      node: emit(.lookup(index), [keyTyped.node], parameter.type, range), type: parameter.type,
      currency: currency)
  }

  /// The source text of an expression, as written (for hints).
  private func text(of expr: Expr) -> String {
    let bytes = source.bytes
    let start = min(expr.range.start, bytes.count)
    let end = min(max(expr.range.end, start), bytes.count)
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }

  private mutating func checkBinary(
    _ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, _ range: SourceRange,
    _ parameters: [CompiledParameter]
  ) -> Typed {
    if constant && (op == .and || op == .or || op == .coalesce) {
      error(.typeMismatch("a parameter's value must be a constant"), range)
      return poisoned(range)
    }
    let left = check(lhs, parameters)
    if op == .in || op == .notIn, case .name(let name) = rhs.kind, let index = scope[name],
      case .set = parameters[index].definition
    {
      guard let lt = left.type else { return poisoned(range) }
      guard lt.fits(.string) else {
        error(.typeMismatch("reference list '\(name)' holds strings, found \(lt)"), lhs.range)
        return poisoned(range)
      }
      return Typed(
        node: emit(.inReferenceList(index, negated: op == .notIn), [left.node], .boolean, range),
        type: .boolean,
        currency: nil)
    }
    let right = check(rhs, parameters)
    guard let lt = left.type, let rt = right.type else { return poisoned(range) }
    func mismatch(_ what: String, hint: String? = nil) -> Typed {
      error(.typeMismatch(what), range, hint: hint)
      return poisoned(range)
    }
    func currencyMismatch() -> Typed? {
      if let a = left.currency, let b = right.currency, a != b {
        error(.currencyMismatch(a.code, b.code), range)
        return poisoned(range)
      }
      return nil
    }
    let moneyHint = "write amounts with a currency symbol, like $200.00"
    switch op {
    case .and, .or:
      guard lt.fits(.boolean) && rt.fits(.boolean) else {
        return mismatch("'\(op.rawValue)' needs booleans on both sides, found \(lt) and \(rt)")
      }
      return Typed(
        node: emit(op == .and ? .and : .or, [left.node, right.node], .boolean, range),
        type: .boolean, currency: nil)
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
      // `x == missing` (SQL's `= NULL`): missing compared is missing, never true or false.
      // Only the bare literal: `x == (missing)` is taken as meant (tests of the
      // three-valued logic write it so).
      for (side, other) in [(lhs, rhs), (rhs, lhs)] {
        guard case .literal(.missing) = side.kind else { continue }
        let hint =
          op == .equal || op == .notEqual
          ? "ask whether a value is missing with \(op == .equal ? "missing" : "present")(\(text(of: other)))"
          : "a missing value has no order: give a default with '??', or ask with missing(...)"
        error(.comparedWithMissing(op.rawValue), range, hint: hint)
        return poisoned(range)
      }
      guard lt.fits(rt) || rt.fits(lt) else {
        let hint =
          (lt == .money && rt == .integer) || (lt == .integer && rt == .money) ? moneyHint : nil
        return mismatch("cannot compare \(lt) with \(rt)", hint: hint)
      }
      if let failed = currencyMismatch() { return failed }
      let ordered = op != .equal && op != .notEqual
      if ordered, case .list = lt { return mismatch("lists have no order") }
      if ordered && lt == .boolean { return mismatch("booleans have no order") }
      let comparison = ComparisonOperator(rawValue: op.rawValue) ?? .equal
      return Typed(
        node: emit(.compare(comparison), [left.node, right.node], .boolean, range), type: .boolean,
        currency: nil)
    case .in, .notIn:
      let element: ValueType
      switch rt {
      case .list(let e): element = e
      case .nothing: element = .nothing
      default:
        return mismatch(
          "'\(op.rawValue)' needs a list on its right, found \(rt)",
          hint: "write a list like [\"IND\", \"CAN\"]")
      }
      guard lt.fits(element) || element.fits(lt) else {
        return mismatch("cannot look for a \(lt) in a list of \(element)")
      }
      if let failed = currencyMismatch() { return failed }
      return Typed(
        node: emit(.member(negated: op == .notIn), [left.node, right.node], .boolean, range),
        type: .boolean, currency: nil)
    case .coalesce:
      guard lt.fits(rt) || rt.fits(lt) else {
        return mismatch("'??' needs the same type on both sides, found \(lt) and \(rt)")
      }
      if let failed = currencyMismatch() { return failed }
      let t = lt == .nothing ? rt : lt
      return Typed(
        node: emit(.coalesce, [left.node, right.node], t, range), type: t,
        currency: left.currency ?? right.currency)
    case .divide:
      error(
        .divisionUnsupported, range, hint: "compare with a multiple instead: 'amount > limit * 2'")
      return poisoned(range)
    case .add, .subtract, .multiply:
      let arithmetic = ArithmeticOperator(rawValue: op.rawValue) ?? .add
      switch (op, lt, rt) {
      case (.multiply, .money, .money):
        error(.moneyTimesMoney, range, hint: "multiply an amount by an integer")
        return poisoned(range)
      case (.add, .money, .money), (.subtract, .money, .money):
        if let failed = currencyMismatch() { return failed }
        return Typed(
          node: emit(.arithmetic(arithmetic), [left.node, right.node], .money, range), type: .money,
          currency: left.currency ?? right.currency)
      case (.multiply, .money, .integer), (.multiply, .integer, .money):
        return Typed(
          node: emit(.arithmetic(arithmetic), [left.node, right.node], .money, range), type: .money,
          currency: left.currency ?? right.currency)
      case (_, .integer, .integer):
        return Typed(
          node: emit(.arithmetic(arithmetic), [left.node, right.node], .integer, range),
          type: .integer, currency: nil)
      case (.add, .string, .string):
        return Typed(
          node: emit(.arithmetic(arithmetic), [left.node, right.node], .string, range),
          type: .string, currency: nil)
      case (_, .money, .integer), (_, .integer, .money):
        return mismatch(
          "cannot \(op == .add ? "add" : "subtract") money and an integer", hint: moneyHint)
      case (_, .date, _), (_, _, .date):
        return mismatch(
          "cannot apply '\(op.rawValue)' to \(lt) and \(rt)",
          hint: "use days_between(a, b) or add_days(date, n)")
      default:
        return mismatch("cannot apply '\(op.rawValue)' to \(lt) and \(rt)")
      }
    }
  }

  private mutating func checkCall(
    _ function: String, _ nameRange: SourceRange, _ arguments: [Expr], _ range: SourceRange,
    _ parameters: [CompiledParameter]
  ) -> Typed {
    if let aggregate = AggregateFunction(rawValue: function) {
      return checkAggregate(aggregate, arguments, range, parameters)
    }
    let typedArguments = arguments.map { check($0, parameters) }
    guard let signature = Builtin.signature(named: function) else {
      error(
        .unknownFunction(function), nameRange,
        hint: NearNames.hint(
          for: function, among: Builtin.signatures.map(\.name) + ["sum", "count", "min", "max"]))
      return poisoned(range)
    }
    guard arguments.count == signature.parameters.count else {
      error(
        .wrongArgumentCount(
          function: function, expected: signature.parameters.count, found: arguments.count), range)
      return poisoned(range)
    }
    var ok = true
    for (index, (typed, expected)) in zip(typedArguments, signature.parameters).enumerated() {
      guard let t = typed.type else {
        ok = false
        continue
      }
      if let expected, !t.fits(expected) {
        error(
          .typeMismatch("argument \(index + 1) of '\(function)' must be \(expected), found \(t)"),
          arguments[index].range)
        ok = false
      }
    }
    guard ok else { return poisoned(range) }
    var builtin = Builtin.simple(named: function)
    if function == "matches" {
      guard case .literal(.string(let pattern)) = arguments[1].kind else {
        error(.regexNotLiteral, arguments[1].range)
        return poisoned(range)
      }
      do {
        builtin = .matches(try CompiledRegex.compiled(pattern))
      } catch {
        self.error(.invalidRegex("\(error)"), arguments[1].range)
        return poisoned(range)
      }
    }
    guard let builtin else { return poisoned(range) }
    if constant {
      error(.typeMismatch("a parameter's value must be a constant, not a call"), range)
      return poisoned(range)
    }
    return Typed(
      node: emit(.call(builtin), typedArguments.map(\.node), signature.result, range),
      type: signature.result,
      currency: signature.result == .money ? typedArguments.first?.currency : nil)
  }
}

extension ProgramBuilder {
  /// `sum(e)`, `count()`, `min(e)`, `max(e)` over the record's group: a slot of the
  /// rule, shared by every expression of the rule that names the same aggregate.
  fileprivate mutating func checkAggregate(
    _ function: AggregateFunction, _ arguments: [Expr], _ range: SourceRange,
    _ parameters: [CompiledParameter]
  ) -> Typed {
    guard context.grouped && !constant else {
      // In a rule across records, its `where`, keys and window's `on` are what is not
      // grouped (evaluated on each record alone): adding a `group by` would not help.
      if context.recordAlone && context.acrossRecords {
        error(
          .aggregateOnRecordAlone(function.rawValue), range,
          hint:
            "these are evaluated on each record alone, before its group is known; use '\(function.rawValue)' in 'when' or a 'let'"
        )
        return poisoned(range)
      }
      error(
        .aggregateOutsideGroup(function.rawValue), range,
        hint: "add 'group by ...' or a 'window' to the rule, or compare a record's own field")
      return poisoned(range)
    }
    guard !insideAggregate else {
      error(.nestedAggregate, range)
      return poisoned(range)
    }
    let expected = function == .count ? 0 : 1
    guard arguments.count == expected else {
      error(
        .wrongArgumentCount(
          function: function.rawValue, expected: expected, found: arguments.count), range)
      return poisoned(range)
    }
    var argument: ExprProgram?
    var type: ValueType = .integer
    if let expr = arguments.first {
      var inner = ProgramBuilder(source: source, scope: scope, kinds: kinds, constant: false)
      inner.context = context
      inner.defines = defines
      inner.insideAggregate = true
      let typed = inner.compile(expr, parameters: parameters)
      diagnostics.append(contentsOf: inner.diagnostics)
      guard let typed, let t = typed.type else { return poisoned(range) }
      let allowed: [ValueType] = function == .sum ? [.money, .integer] : [.money, .integer, .date]
      guard allowed.contains(t) else {
        let names = allowed.map(\.description).joined(separator: " or ")
        error(.typeMismatch("\(function.rawValue) needs \(names), found \(t)"), expr.range)
        return poisoned(range)
      }
      type = t
      argument = ExprProgram(nodes: inner.nodes, root: typed.node, file: source.path)
    }
    let text = text(range)
    let slot: Int
    if let existing = aggregates.firstIndex(where: { $0.text == text }) {
      slot = existing
    } else {
      slot = aggregates.count
      aggregates.append(
        CompiledAggregate(function: function, argument: argument, type: type, text: text))
    }
    return Typed(node: emit(.aggregate(slot), [], type, range), type: type, currency: nil)
  }
}

/// Folds a parameter's constant expression (literals, lists, '-', arithmetic) with the
/// engine's own semantics.
enum ProgramEvaluator {
  static func evaluateConstant(_ nodes: [ExprNode], root: Int) -> Result<Value, EvaluationFailure> {
    let node = nodes[root]
    var arguments: [Value] = []
    for child in node.children {
      switch evaluateConstant(nodes, root: child) {
      case .success(let v): arguments.append(v)
      case .failure(let f): return .failure(f)
      }
    }
    if case .constant(let value) = node.op { return .success(value) }
    return Semantics.apply(node.op, arguments)
  }
}
