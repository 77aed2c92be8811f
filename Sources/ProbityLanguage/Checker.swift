import ProbityCore

/// Type-checks parsed rule files and compiles them into a `CompiledRuleSet`.
///
/// Reports every problem it finds, each at its source range; on error it still checks
/// the rest (an expression whose type is unknown is not reported again).
public struct RulePackCompiler {
  /// Compiles the given files as one pack. `imports` name files by their path relative
  /// to the importing file's folder; each must be among `sources`.
  /// Reads the entries of one column of a reference list's CSV file, or says why not.
  public typealias ListLoader =
    @Sendable (_ path: String, _ column: String) -> Result<[String], ListLoadError>

  public static func compile(sources: [SourceFile], listLoader: ListLoader? = nil) -> (
    ruleSet: CompiledRuleSet?, diagnostics: [Diagnostic]
  ) {
    var diagnostics: [Diagnostic] = []
    var syntaxes: [FileSyntax] = []
    for source in sources {
      let (syntax, parseDiagnostics) = Parser.parse(source)
      syntaxes.append(syntax)
      diagnostics.append(contentsOf: parseDiagnostics)
    }
    var compiler = RulePackCompiler(syntaxes: syntaxes, listLoader: listLoader)
    compiler.run()
    // A `let` is compiled where it is used: report each of its problems once.
    var seen: Set<Diagnostic> = []
    diagnostics.append(contentsOf: compiler.diagnostics.filter { seen.insert($0).inserted })
    let sorted = diagnostics.sortedForDisplay()
    if sorted.hasErrors { return (nil, sorted) }
    return (
      CompiledRuleSet(rules: compiler.rules, parameters: compiler.parameters, files: sources),
      sorted
    )
  }

  /// Compiles one standalone expression, seeing every parameter of `ruleSet` (tests,
  /// and tools that evaluate an ad-hoc expression against a pack).
  public static func compileExpression(
    _ source: SourceFile, kinds: [RecordKind], ruleSet: CompiledRuleSet?
  ) -> (program: ExprProgram?, diagnostics: [Diagnostic]) {
    let (expr, parseDiagnostics) = Parser.parseExpression(source)
    if parseDiagnostics.hasErrors { return (nil, parseDiagnostics) }
    let parameters = ruleSet?.parameters ?? []
    let scope = Dictionary(
      parameters.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    var builder = ProgramBuilder(source: source, scope: scope, kinds: kinds, constant: false)
    let typed = builder.compile(expr, parameters: parameters)
    guard let typed, !builder.diagnostics.hasErrors else { return (nil, builder.diagnostics) }
    return (
      ExprProgram(nodes: builder.nodes, root: typed.node, file: source.path), builder.diagnostics
    )
  }

  private let syntaxes: [FileSyntax]
  private var diagnostics: [Diagnostic] = []
  private var parameters: [CompiledParameter] = []
  private var rules: [CompiledRule] = []
  /// For each file, the parameters it can name.
  private var scopes: [[String: Int]] = []
  /// For each file, the `define`s it can name.
  private var defineScopes: [[String: VisibleDefine]] = []
  /// Every define of the pack, by name, with the file it is written in (the first, for a
  /// name written in two), for the hint of a name not visible where it is used.
  private var definedIn: [String: (file: Int, path: String)] = [:]
  /// Parameter index → (file index, declaration), for parameters that checked.
  private var declarations: [(file: Int, decl: ParamDecl)] = []

  private let listLoader: ListLoader?

  private init(syntaxes: [FileSyntax], listLoader: ListLoader?) {
    self.syntaxes = syntaxes
    self.listLoader = listLoader
  }

  private mutating func error(
    _ message: LanguageMessage, _ source: SourceFile, _ range: SourceRange, hint: String? = nil
  ) {
    diagnostics.append(
      Diagnostic(id: message.id, message: message.text, source: source, range: range, hint: hint))
  }

  static func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == "..", let last = parts.last, last != ".." {
        parts.removeLast()
      } else {
        parts.append(part)
      }
    }
    return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
  }

  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[..<slash])
  }

  static func resolve(_ importPath: String, from file: String) -> String {
    let dir = directory(of: file)
    return normalize(dir.isEmpty || importPath.hasPrefix("/") ? importPath : dir + "/" + importPath)
  }

  private mutating func run() {
    // 1. Parameters: compile each one's value in a constant context.
    var ownParams: [[String: Int]] = []
    for (fileIndex, syntax) in syntaxes.enumerated() {
      var own: [String: Int] = [:]
      for decl in syntax.params {
        if let existing = own[decl.name] {
          let site = parameters[existing].site
          error(
            .duplicateParameter(decl.name), syntax.source, decl.nameRange,
            hint: "first defined at \(site.file):\(site.line):\(site.column)")
          continue
        }
        if ProgramBuilder.Context.reservedNames.contains(decl.name) {
          error(
            .duplicateParameter(decl.name), syntax.source, decl.nameRange,
            hint: "'\(decl.name)' is a name the engine provides; give the parameter another name")
          continue
        }
        if CanonicalSchema.id(named: decl.name) != nil {
          error(
            .duplicateParameter(decl.name), syntax.source, decl.nameRange,
            hint: "'\(decl.name)' is a record field; give the parameter another name")
          continue
        }
        guard
          let compiled = compileParameter(decl, in: syntax.source)
            ?? standIn(for: decl, in: syntax.source)
        else { continue }
        own[decl.name] = parameters.count
        parameters.append(compiled)
        declarations.append((fileIndex, decl))
      }
      for decl in syntax.lists {
        if own[decl.name] != nil || CanonicalSchema.id(named: decl.name) != nil
          || ProgramBuilder.Context.reservedNames.contains(decl.name)
        {
          error(.duplicateParameter(decl.name), syntax.source, decl.nameRange)
          continue
        }
        // A list that cannot be loaded is reported; an empty one stands in for it so its
        // uses are not reported again (no rule set is produced anyway).
        let compiled =
          loadList(decl, in: syntax.source)
          ?? CompiledParameter(
            name: decl.name, type: .list(.string), definition: .set([]),
            site: DeclarationSite(file: syntax.source.path, line: 0, column: 0))
        own[decl.name] = parameters.count
        parameters.append(compiled)
      }
      ownParams.append(own)
    }
    // 2. Scopes: a file sees its own parameters and those of the files it imports.
    let indexByPath = Dictionary(
      syntaxes.enumerated().map { (RulePackCompiler.normalize($0.element.source.path), $0.offset) },
      uniquingKeysWith: { a, _ in a })
    for (fileIndex, syntax) in syntaxes.enumerated() {
      var scope = ownParams[fileIndex]
      for decl in syntax.imports {
        let resolved = RulePackCompiler.resolve(decl.path, from: syntax.source.path)
        guard let imported = indexByPath[resolved] else {
          let known = indexByPath.keys.map { ($0 as NSStringLike).lastComponent }
          error(
            .importNotFound(decl.path), syntax.source, decl.range,
            hint: NearNames.hint(for: (decl.path as NSStringLike).lastComponent, among: known)
              ?? "imports are relative to this file's folder and must be in the rule pack")
          continue
        }
        for (name, index) in ownParams[imported] where imported != fileIndex {
          if let mine = scope[name], mine != index {
            let site = parameters[mine].site
            error(
              .duplicateParameter(name), syntax.source, decl.range,
              hint: "'\(name)' is defined both in \(decl.path) and at \(site.file):\(site.line)")
            continue
          }
          scope[name] = index
        }
      }
      scopes.append(scope)
    }
    // 2b. Defines: checked where they stand, visible like parameters.
    var ownDefines: [[String: VisibleDefine]] = []
    for (fileIndex, syntax) in syntaxes.enumerated() {
      for decl in syntax.defines where definedIn[decl.name] == nil {
        definedIn[decl.name] = (fileIndex, syntax.source.path)
      }
    }
    for (fileIndex, syntax) in syntaxes.enumerated() {
      var own: [String: VisibleDefine] = [:]
      // This file's defines found too large (C0027) where they stand (a define is
      // checked there with its own file's defines). One built on such a define is too
      // large for that reason alone: the chain is reported at its first define only (and
      // at each rule that uses it), not once per define after it.
      var tooLarge: Set<String> = []
      for decl in syntax.defines {
        if own[decl.name] != nil || scopes[fileIndex][decl.name] != nil
          || CanonicalSchema.id(named: decl.name) != nil
          || ProgramBuilder.Context.reservedNames.contains(decl.name)
        {
          error(
            .duplicateParameter(decl.name), syntax.source, decl.nameRange,
            hint: "a 'define' needs a name no field, parameter or other 'define' has")
          continue
        }
        var builder = ProgramBuilder(
          source: syntax.source, scope: scopes[fileIndex], kinds: [], constant: false)
        builder.defines = own
        builder.definePlaces = definedIn
        builder.defining = (fileIndex, decl.name)
        _ = builder.compile(decl.value, parameters: parameters)
        // C0027 is reported at the use of the define that made it too large
        // (`ProgramBuilder`): at a use of one of `tooLarge`, it is a consequence.
        let tooLargeID = LanguageMessage.expressionTooLarge.id
        let consequence = { (diagnostic: Diagnostic) -> Bool in
          guard diagnostic.id == tooLargeID, let range = diagnostic.range else { return false }
          let bytes = syntax.source.bytes[range.start..<min(range.end, syntax.source.bytes.count)]
          return tooLarge.contains(String(decoding: bytes, as: UTF8.self))
        }
        diagnostics.append(contentsOf: builder.diagnostics.filter { !consequence($0) })
        if builder.diagnostics.contains(where: { $0.id == tooLargeID }) {
          tooLarge.insert(decl.name)
        }
        own[decl.name] = VisibleDefine(
          expr: decl.value, source: syntax.source, defines: own, scope: scopes[fileIndex],
          // (Too large where it stands, it is said again at each rule that uses it, where
          // its size is what makes that rule too large.)
          failed: builder.diagnostics.contains { $0.severity == .error && $0.id != tooLargeID })
      }
      ownDefines.append(own)
    }
    for (fileIndex, syntax) in syntaxes.enumerated() {
      var visible = ownDefines[fileIndex]
      for decl in syntax.imports {
        guard
          let imported = indexByPath[RulePackCompiler.resolve(decl.path, from: syntax.source.path)],
          imported != fileIndex
        else { continue }
        for (name, define) in ownDefines[imported].sorted(by: { $0.key < $1.key }) {
          // Two defines of one name, or a define and a parameter, both visible here: which
          // one a rule meant cannot be told (the first import won, silently).
          let site = { (other: VisibleDefine) -> String in
            let position = other.source.lineAndColumn(of: other.expr.range.start)
            return "\(other.source.path):\(position.line)"
          }
          if let mine = visible[name] {
            guard mine.source.path != define.source.path || mine.expr.range != define.expr.range
            else { continue }
            error(
              .duplicateParameter(name), syntax.source, decl.range,
              hint:
                "'\(name)' is defined both in \(decl.path) (\(site(define))) and at \(site(mine))")
            continue
          }
          if let index = scopes[fileIndex][name] {
            let parameter = parameters[index].site
            error(
              .duplicateParameter(name), syntax.source, decl.range,
              hint:
                "'\(name)' is a define in \(decl.path) (\(site(define))) and a parameter at \(parameter.file):\(parameter.line)"
            )
            continue
          }
          visible[name] = define
        }
      }
      defineScopes.append(visible)
    }
    // 3. Rules.
    var ruleSites: [String: DeclarationSite] = [:]
    for (fileIndex, syntax) in syntaxes.enumerated() {
      for decl in syntax.rules {
        let position = syntax.source.lineAndColumn(of: decl.idRange.start)
        let site = DeclarationSite(
          file: syntax.source.path, line: position.line, column: position.column)
        let duplicate = ruleSites[decl.id]
        if let first = duplicate {
          error(
            .duplicateRuleID(decl.id), syntax.source, decl.idRange,
            hint: "first used at \(first.file):\(first.line):\(first.column)")
        } else {
          ruleSites[decl.id] = site
        }
        // A duplicate is still checked, so its own errors are reported too.
        if let rule = compileRule(decl, site: site, fileIndex: fileIndex), duplicate == nil {
          rules.append(rule)
        }
      }
    }
  }

  // MARK: Reference lists

  /// Functions that can normalize a reference list's entries.
  static let listKeyFunctions: Set<String> = [
    "person_key", "org_key", "zip5", "postcode", "upper", "lower", "trim",
  ]

  private mutating func loadList(_ decl: ListDecl, in source: SourceFile) -> CompiledParameter? {
    let position = source.lineAndColumn(of: decl.nameRange.start)
    let site = DeclarationSite(file: source.path, line: position.line, column: position.column)
    var builtin: Builtin?
    if let key = decl.key {
      guard RulePackCompiler.listKeyFunctions.contains(key.value),
        let b = Builtin.simple(named: key.value)
      else {
        error(
          .unknownKeyFunction(key.value), source, key.range,
          hint: NearNames.hint(for: key.value, among: RulePackCompiler.listKeyFunctions)
            ?? "one of: \(RulePackCompiler.listKeyFunctions.sorted().joined(separator: ", "))")
        return nil
      }
      builtin = b
    }
    guard let listLoader else {
      error(
        .cannotLoadList(decl.path.value, reason: "this tool cannot read reference lists"), source,
        decl.path.range)
      return nil
    }
    let path = RulePackCompiler.resolve(decl.path.value, from: source.path)
    switch listLoader(path, decl.column.value) {
    case .failure(let failure):
      error(
        .cannotLoadList(decl.path.value, reason: failure.reason), source, decl.path.range,
        hint: failure.hint)
      return nil
    case .success(let entries):
      var set: Set<String> = []
      // Entries the key function gives no key for (a ZIP code that lost its leading zero
      // to a spreadsheet, `2134`, under `zip5`): they could never match, and were left
      // out silently. A list is never used with entries missing.
      var keyless: [String] = []
      for entry in entries {
        if let builtin {
          if case .success(.string(let normalized)) = Semantics.apply(
            .call(builtin), [.string(entry)])
          {
            set.insert(normalized)
          } else {
            keyless.append(entry)
          }
        } else {
          set.insert(entry)
        }
      }
      if let key = decl.key?.value, !keyless.isEmpty {
        let shown = keyless.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
        let more = keyless.count > 3 ? " and \(keyless.count - 3) more" : ""
        error(
          .cannotLoadList(
            decl.path.value,
            reason:
              "\(keyless.count) \(keyless.count == 1 ? "entry has" : "entries have") no \(key) key: \(shown)\(more)"
          ), source, decl.path.range,
          hint:
            "correct them in the list (a ZIP code is five digits: 02134, not 2134), or remove them")
        return nil
      }
      return CompiledParameter(
        name: decl.name, type: .list(.string), definition: .set(set), site: site)
    }
  }

  // MARK: Parameters

  private mutating func compileParameter(_ decl: ParamDecl, in source: SourceFile)
    -> CompiledParameter?
  {
    let position = source.lineAndColumn(of: decl.nameRange.start)
    let site = DeclarationSite(file: source.path, line: position.line, column: position.column)
    guard let type = decl.type else { return nil }
    switch decl.body {
    case .scalar(let expr):
      guard let value = constantValue(expr, expected: type, source: source) else { return nil }
      return CompiledParameter(name: decl.name, type: type, definition: .scalar(value), site: site)
    case .table(let key, let entries):
      if entries.isEmpty {
        error(.emptyTable(decl.name), source, decl.nameRange)
        return nil
      }
      var ok = true
      var values: [Value] = []
      // One currency for the whole table: an entry in another (a `£` among `$`) would be a
      // limit no filing is held to in its own money (C0016, as when two are compared).
      var currency: Currency?
      for entry in entries {
        if let value = constantValue(entry.value, expected: type, source: source) {
          values.append(value)
          if case .money(let m) = value {
            if let first = currency, first != m.currency {
              error(
                .currencyMismatch(first.code, m.currency.code), source, entry.value.range,
                hint: "every amount of a table is in one currency")
              ok = false
            }
            currency = currency ?? m.currency
          }
        } else {
          ok = false
          values.append(.missing)
        }
      }
      switch key {
      case .year:
        var items: [(from: Int64, through: Int64, value: Value, range: SourceRange)] = []
        for (entry, value) in zip(entries, values) {
          guard case .years(let from, let through) = entry.key else { continue }
          if through < from {
            error(
              .overlappingEntries(decl.name), source, entry.keyRange,
              hint: "the range ends before it starts")
            ok = false
          }
          items.append((from, through, value, entry.keyRange))
        }
        items.sort { $0.from < $1.from }
        for (a, b) in zip(items, items.dropFirst()) where b.from <= a.through {
          error(
            .overlappingEntries(decl.name), source, b.range,
            hint: "\(b.from) is already covered by \(a.from)..\(a.through)")
          ok = false
        }
        guard ok else { return nil }
        return CompiledParameter(
          name: decl.name, type: type,
          definition: .byYear(items.map { ($0.from, $0.through, $0.value) }), site: site)
      case .date:
        var items: [(from: CivilDate, through: CivilDate?, value: Value, range: SourceRange)] = []
        for (entry, value) in zip(entries, values) {
          guard case .dates(let from, let through) = entry.key else { continue }
          if let through, through < from {
            error(
              .overlappingEntries(decl.name), source, entry.keyRange,
              hint: "the range ends before it starts")
            ok = false
          }
          items.append((from, through, value, entry.keyRange))
        }
        items.sort { $0.from < $1.from }
        for (a, b) in zip(items, items.dropFirst()) {
          if a.from == b.from || (a.through.map { b.from <= $0 } ?? false) {
            error(
              .overlappingEntries(decl.name), source, b.range,
              hint: "\(b.from) is already covered by the entry from \(a.from)")
            ok = false
          }
        }
        guard ok else { return nil }
        return CompiledParameter(
          name: decl.name, type: type,
          definition: .byDate(items.map { ($0.from, $0.through, $0.value) }), site: site)
      }
    }
  }

  /// A parameter whose declaration failed (its errors reported) stands in with its declared
  /// type, or its value's when the type is left out or unknown, and no value: its uses are
  /// checked against that type rather than reported as unknown names (C0001 on every use,
  /// with a hint to import a file). No rule set is made from a pack with errors, so the
  /// stand-in is never evaluated.
  private mutating func standIn(for decl: ParamDecl, in source: SourceFile) -> CompiledParameter? {
    var type = decl.type
    if type == nil, case .scalar(let expr) = decl.body {
      var builder = ProgramBuilder(source: source, scope: [:], kinds: [], constant: true)
      type = builder.compile(expr, parameters: parameters)?.type
      if builder.diagnostics.isEmpty == false {
        diagnostics.append(contentsOf: builder.diagnostics)
      }
    }
    guard let type else { return nil }
    let position = source.lineAndColumn(of: decl.nameRange.start)
    let site = DeclarationSite(file: source.path, line: position.line, column: position.column)
    let definition: CompiledParameter.Definition =
      switch decl.body {
      case .scalar: .scalar(.missing)
      case .table(by: .year, _): .byYear([])
      case .table(by: .date, _): .byDate([])
      }
    return CompiledParameter(name: decl.name, type: type, definition: definition, site: site)
  }

  /// A parameter's value: a constant expression, checked against the declared type and
  /// folded with the same semantics the engine uses.
  private mutating func constantValue(_ expr: Expr, expected: ValueType, source: SourceFile)
    -> Value?
  {
    var builder = ProgramBuilder(source: source, scope: [:], kinds: [], constant: true)
    let typed = builder.compile(expr, parameters: parameters)
    diagnostics.append(contentsOf: builder.diagnostics)
    guard let typed, let type = typed.type else { return nil }
    guard type.fits(expected) else {
      error(
        .typeMismatch("the parameter is declared \(expected) but its value is \(type)"), source,
        expr.range,
        hint: expected == .money && type == .integer
          ? "write amounts with a currency symbol, like $100.00" : nil)
      return nil
    }
    switch ProgramEvaluator.evaluateConstant(builder.nodes, root: typed.node) {
    case .success(let value): return value
    case .failure(let failure):
      error(.typeMismatch(failure.message), source, expr.range)
      return nil
    }
  }

  // MARK: Rules

  private mutating func compileRule(_ decl: RuleDecl, site: DeclarationSite, fileIndex: Int)
    -> CompiledRule?
  {
    let source = syntaxes[fileIndex].source
    let kinds = decl.kinds?.value ?? []
    let grouped = !decl.groupBy.isEmpty || decl.window != nil
    var context = ProgramBuilder.Context()
    context.grouped = grouped
    context.windowed = decl.window != nil
    context.cured = decl.cureDays != nil || decl.dueDays != nil
    var aggregates: [CompiledAggregate] = []
    var lets: [String: Expr] = [:]
    for decl in decl.lets {
      if lets[decl.name] != nil || scopes[fileIndex][decl.name] != nil
        || defineScopes[fileIndex][decl.name] != nil
        || CanonicalSchema.id(named: decl.name) != nil
        || ProgramBuilder.Context.reservedNames.contains(decl.name)
      {
        error(
          .duplicateParameter(decl.name), source, decl.nameRange,
          hint: "a 'let' needs a name no field, parameter, 'define' or other 'let' has")
        continue
      }
      lets[decl.name] = decl.value
    }
    var usedLets: Set<String> = []
    func program(_ expr: Expr, boolean: Bool, aggregatesAllowed: Bool = true) -> ExprProgram? {
      var builder = ProgramBuilder(
        source: source, scope: scopes[fileIndex], kinds: kinds, constant: false)
      builder.context = context
      builder.context.grouped = grouped && aggregatesAllowed
      // A `where`, a group key and a window's `on` are evaluated on the record alone.
      builder.context.recordAlone = !aggregatesAllowed
      builder.context.acrossRecords = grouped
      builder.aggregates = aggregates
      builder.lets = lets
      builder.defines = defineScopes[fileIndex]
      builder.definePlaces = definedIn
      let typed = builder.compile(expr, parameters: parameters)
      diagnostics.append(contentsOf: builder.diagnostics)
      aggregates = builder.aggregates
      usedLets.formUnion(builder.usedLets)
      guard let typed, let type = typed.type else { return nil }
      if boolean && type != .boolean {
        diagnostics.append(
          Diagnostic(
            id: LanguageMessage.conditionNotBoolean("").id,
            message: LanguageMessage.conditionNotBoolean(type.description).text, source: source,
            range: expr.range,
            hint: type == .money ? "compare it with a limit, like 'amount > cash_limit'" : nil))
        return nil
      }
      return ExprProgram(nodes: builder.nodes, root: typed.node, file: source.path)
    }
    func template(_ t: Template?) -> CompiledTemplate? {
      guard let t else { return nil }
      var parts: [CompiledTemplate.Part] = []
      var ok = true
      for part in t.parts {
        switch part {
        case .text(let s): parts.append(.text(s))
        case .hole(let expr):
          if let p = program(expr, boolean: false) { parts.append(.hole(p)) } else { ok = false }
        }
      }
      return ok ? CompiledTemplate(parts: parts) : nil
    }
    // `where`, group keys and the window's date are read from each record alone.
    var ok = true
    let filter = decl.filter.map { program($0, boolean: true, aggregatesAllowed: false) }
    if let filter, filter == nil { ok = false }
    var keys: [ExprProgram] = []
    for key in decl.groupBy {
      if let p = program(key, boolean: false, aggregatesAllowed: false) {
        keys.append(p)
      } else {
        ok = false
      }
    }
    var window: CompiledWindow?
    if let declared = decl.window {
      var on: ExprProgram?
      if let expr = declared.on {
        on = program(expr, boolean: false, aggregatesAllowed: false)
        if on == nil {
          ok = false
        } else if on?.nodes[on!.root].type != .date {
          error(
            .typeMismatch("a window is taken on a date, found \(on!.nodes[on!.root].type)"), source,
            expr.range)
          ok = false
        }
      }
      window = CompiledWindow(kind: declared.kind, on: on)
    }
    if let cure = decl.cureDays, let due = decl.dueDays {
      error(
        .typeMismatch("a rule has one deadline: 'cure within' sets it"), source, due.range,
        hint:
          "remove 'due within \(due.value) days'; 'cure within \(cure.value) days' is the deadline")
      ok = false
    }
    if !grouped {
      if let cure = decl.cureDays {
        error(.groupingClauseWithoutGroup("cure"), source, cure.range)
        ok = false
      }
      if let fires = decl.fires {
        error(.groupingClauseWithoutGroup("fires"), source, fires.range)
        ok = false
      }
    }
    let condition = decl.condition.flatMap { program($0, boolean: true) }
    let message = template(decl.message)
    let remedy = template(decl.remedy)
    // A let no part of the rule uses is checked all the same (compiled in place where it
    // is used, it was never compiled: `let x = nme * amount` passed), its aggregates not
    // kept (nothing computes it).
    for declared in decl.lets where !usedLets.contains(declared.name) {
      guard let value = lets[declared.name] else { continue }
      let kept = aggregates
      _ = program(value, boolean: false)
      aggregates = kept
    }
    guard ok, let title = decl.title?.value, let severity = decl.severity?.value,
      let category = decl.category?.value,
      let citation = decl.citation?.value, !kinds.isEmpty, let condition, let message,
      decl.remedy == nil || remedy != nil
    else { return nil }
    let grouping =
      grouped
      ? Grouping(
        keys: keys, window: window, aggregates: aggregates, fires: decl.fires?.value ?? .crossing,
        cureDays: decl.cureDays?.value) : nil
    return CompiledRule(
      id: decl.id, title: title, severity: severity, category: category, citation: citation,
      kinds: kinds,
      condition: condition, message: message, remedy: remedy, filter: filter ?? nil,
      grouping: grouping, deadlineDays: decl.cureDays?.value ?? decl.dueDays?.value, site: site)
  }
}

/// Why a reference list could not be read.
public struct ListLoadError: Error, Sendable {
  public let reason: String
  public let hint: String?

  public init(reason: String, hint: String? = nil) {
    self.reason = reason
    self.hint = hint
  }
}

/// Path helpers without Foundation.
private typealias NSStringLike = String
extension String {
  fileprivate var lastComponent: String {
    guard let slash = lastIndex(of: "/") else { return self }
    return String(self[index(after: slash)...])
  }
}
