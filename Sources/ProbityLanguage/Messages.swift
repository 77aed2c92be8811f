import ProbityCore

/// Every message the rule language can give, with its stable id.
///
/// Ids never change meaning: P for the lexer and parser, C for the checker, L for pack
/// loading, W for the warnings of `probity rules check` (lint). docs/language.md lists
/// them.
public enum LanguageMessage {
  // Lexing and parsing.
  case unexpectedCharacter(Character)
  case unterminatedString
  case invalidMoney(String)
  case invalidDate(String)
  case expected(String, found: String)
  case unknownRuleProperty(String)
  case missingRuleProperty(String, rule: String)
  case duplicateRuleProperty(String)
  case unknownSeverity(String)
  case unknownCategory(String)
  case unknownRecordKind(String)
  case invalidTemplate(String)
  case unknownType(String)
  case tooDeeplyNested
  case invalidInteger(String)
  case tooManyErrors(Int)
  case unknownEscape(String)
  /// A declaration named by a word of the language: the word, and the declaration.
  case reservedWord(String, kind: String)
  // Checking.
  case unknownField(String)
  case unknownName(String)
  case unknownFunction(String)
  case wrongArgumentCount(function: String, expected: Int, found: Int)
  case typeMismatch(String)
  case moneyTimesMoney
  case duplicateRuleID(String)
  case duplicateParameter(String)
  case fieldNotOnKind(field: String, kind: String)
  case conditionNotBoolean(String)
  case tableNeedsIndex(String)
  case scalarIndexed(String)
  case overlappingEntries(String)
  case invalidRegex(String)
  case currencyMismatch(String, String)
  case divisionUnsupported
  case regexNotLiteral
  case mixedList(String, String)
  case emptyTable(String)
  case tableKeyType(param: String, expected: String, found: String)
  case aggregateOutsideGroup(String)
  case aggregateOnRecordAlone(String)
  case nestedAggregate
  case groupingClauseWithoutGroup(String)
  case cannotLoadList(String, reason: String)
  case unknownKeyFunction(String)
  case defineNotUsable(String, String)
  case expressionTooLarge
  /// `cycle`: the names from the one used to itself again, like ["a", "b", "a"].
  case definedInTermsOfItself(String, cycle: [String])
  /// `name == missing`: a comparison with the literal `missing` (its operator).
  case comparedWithMissing(String)
  // Pack loading.
  case importNotFound(String)
  case cannotReadFile(String, reason: String)
  case emptyPack(String)
  // Formatting.
  case formatWouldChangeMeaning
  // Lint (warnings).
  case unusedParameter(String)
  case unusedLet(String, rule: String)
  /// `outcome`: "false" or "missing".
  case conditionNeverTrue(rule: String, outcome: String)
  case filterNeverTrue(rule: String, outcome: String)

  public var id: String {
    switch self {
    case .unexpectedCharacter: return "P0001"
    case .unterminatedString: return "P0002"
    case .invalidMoney: return "P0003"
    case .invalidDate: return "P0004"
    case .expected: return "P0010"
    case .unknownRuleProperty: return "P0011"
    case .missingRuleProperty: return "P0012"
    case .duplicateRuleProperty: return "P0013"
    case .unknownSeverity: return "P0014"
    case .unknownCategory: return "P0015"
    case .unknownRecordKind: return "P0016"
    case .invalidTemplate: return "P0017"
    case .unknownType: return "P0018"
    case .tooDeeplyNested: return "P0019"
    case .invalidInteger: return "P0020"
    case .tooManyErrors: return "P0021"
    case .unknownEscape: return "P0022"
    case .reservedWord: return "P0023"
    case .unknownField: return "C0001"
    case .unknownName: return "C0002"
    case .unknownFunction: return "C0003"
    case .wrongArgumentCount: return "C0004"
    case .typeMismatch: return "C0005"
    case .moneyTimesMoney: return "C0006"
    case .duplicateRuleID: return "C0007"
    case .duplicateParameter: return "C0008"
    case .fieldNotOnKind: return "C0010"
    case .conditionNotBoolean: return "C0011"
    case .tableNeedsIndex: return "C0012"
    case .scalarIndexed: return "C0013"
    case .overlappingEntries: return "C0014"
    case .invalidRegex: return "C0015"
    case .currencyMismatch: return "C0016"
    case .divisionUnsupported: return "C0017"
    case .regexNotLiteral: return "C0018"
    case .mixedList: return "C0019"
    case .emptyTable: return "C0020"
    case .tableKeyType: return "C0021"
    case .aggregateOutsideGroup: return "C0022"
    case .aggregateOnRecordAlone: return "C0022"
    case .nestedAggregate: return "C0023"
    case .groupingClauseWithoutGroup: return "C0024"
    case .unknownKeyFunction: return "C0025"
    case .defineNotUsable: return "C0026"
    case .expressionTooLarge: return "C0027"
    case .definedInTermsOfItself: return "C0028"
    case .comparedWithMissing: return "C0029"
    case .cannotLoadList: return "L0004"
    case .importNotFound: return "L0001"
    case .cannotReadFile: return "L0002"
    case .emptyPack: return "L0003"
    case .formatWouldChangeMeaning: return "P0090"
    case .unusedParameter: return "W0001"
    case .conditionNeverTrue: return "W0002"
    case .filterNeverTrue: return "W0003"
    case .unusedLet: return "W0004"
    }
  }

  public var text: String {
    switch self {
    case .unexpectedCharacter(let c): return "unexpected character '\(c)'"
    case .unterminatedString: return "unterminated string"
    case .invalidMoney(let s): return "invalid amount '\(s)'"
    case .invalidDate(let s): return "invalid date '\(s)'"
    case .expected(let what, let found): return "expected \(what), found \(found)"
    case .unknownRuleProperty(let p): return "unknown rule property '\(p)'"
    case .missingRuleProperty(let p, let rule): return "rule \(rule) has no '\(p)'"
    case .duplicateRuleProperty(let p): return "'\(p)' is given twice"
    case .unknownSeverity(let s): return "unknown severity '\(s)'"
    case .unknownCategory(let s): return "unknown category '\(s)'"
    case .unknownRecordKind(let s): return "unknown record kind '\(s)'"
    case .invalidTemplate(let s): return "invalid message template: \(s)"
    case .unknownType(let s): return "unknown type '\(s)'"
    case .tooDeeplyNested: return "expression nested too deeply"
    case .invalidInteger(let s): return "integer '\(s)' is out of range"
    case .tooManyErrors(let count):
      return "more than \(count) errors in this file; the rest are not shown"
    case .unknownEscape(let s): return "unknown escape '\\\(s)' in a string"
    case .reservedWord(let word, let kind):
      return "'\(word)' is a word of the language and cannot name a \(kind)"
    case .unknownField(let s): return "unknown field or parameter '\(s)'"
    case .unknownName(let s): return "unknown table parameter '\(s)'"
    case .unknownFunction(let s): return "unknown function '\(s)'"
    case .wrongArgumentCount(let f, let expected, let found):
      return "'\(f)' takes \(expected) argument\(expected == 1 ? "" : "s"), found \(found)"
    case .typeMismatch(let s): return "type mismatch: \(s)"
    case .moneyTimesMoney: return "money times money has no meaning"
    case .duplicateRuleID(let s): return "rule id '\(s)' is already used"
    case .duplicateParameter(let s): return "the name '\(s)' is already defined"
    case .fieldNotOnKind(let field, let kind): return "field '\(field)' does not exist on a \(kind)"
    case .conditionNotBoolean(let t): return "a rule's condition must be boolean, found \(t)"
    case .tableNeedsIndex(let s): return "parameter '\(s)' is a table: say which entry"
    case .scalarIndexed(let s): return "parameter '\(s)' has a single value and cannot be indexed"
    case .overlappingEntries(let s): return "entries of table '\(s)' overlap"
    case .invalidRegex(let s): return "invalid regular expression: \(s)"
    case .currencyMismatch(let a, let b): return "cannot combine \(a) and \(b) amounts"
    case .divisionUnsupported: return "division is not part of the language"
    case .regexNotLiteral: return "the pattern of 'matches' must be a string literal"
    case .mixedList(let a, let b): return "a list mixes \(a) and \(b)"
    case .emptyTable(let s): return "table '\(s)' has no entries"
    case .tableKeyType(let p, let expected, let found):
      return "table '\(p)' is looked up by \(expected), found \(found)"
    case .aggregateOutsideGroup(let f):
      return "'\(f)' adds up a group of records, but this rule has none"
    case .aggregateOnRecordAlone(let f):
      return "'\(f)' is not known in a 'where', a group key or a window's 'on'"
    case .nestedAggregate: return "an aggregate cannot contain another aggregate"
    case .groupingClauseWithoutGroup(let clause):
      return "'\(clause)' needs a rule across records ('group by' or 'window')"
    case .cannotLoadList(let path, let reason):
      return "cannot load reference list '\(path)': \(reason)"
    case .unknownKeyFunction(let f): return "'\(f)' cannot normalize list entries"
    case .defineNotUsable(let name, let reason): return "'\(name)' cannot be used here: \(reason)"
    case .expressionTooLarge:
      return
        "expression too large: with its defines and lets written out it nests too deeply or has too many parts"
    case .definedInTermsOfItself(let name, let cycle):
      return cycle.count <= 2
        ? "'\(name)' is defined in terms of itself"
        : "'\(name)' is defined in terms of itself: \(cycle.joined(separator: " uses "))"
    case .comparedWithMissing(let op):
      return "'\(op) missing' is missing whatever the value compared: never true, never false"
    case .importNotFound(let s): return "cannot find imported file '\(s)'"
    case .cannotReadFile(let s, let reason): return "cannot read '\(s)': \(reason)"
    case .emptyPack(let s): return "no rule files (*.probity) in '\(s)'"
    case .formatWouldChangeMeaning:
      return "the formatter could not lay this file out without changing its tokens"
    case .unusedParameter(let s): return "parameter '\(s)' is not used by any rule"
    case .unusedLet(let name, let rule): return "'let \(name)' is not used by rule \(rule)"
    case .conditionNeverTrue(let rule, let outcome):
      return "rule \(rule) can never fire: its condition is always \(outcome)"
    case .filterNeverTrue(let rule, let outcome):
      return "rule \(rule) can never apply: its 'where' is always \(outcome)"
    }
  }
}

/// Collects diagnostics for one source file: at most `maximumErrors`, then one saying
/// so (each diagnostic shows its source line, so a file of garbage must not give one per
/// character).
struct DiagnosticSink {
  let source: SourceFile
  private(set) var diagnostics: [Diagnostic] = []

  static let maximumErrors = 200

  init(source: SourceFile) {
    self.source = source
  }

  mutating func error(_ message: LanguageMessage, _ range: SourceRange, hint: String? = nil) {
    add(Diagnostic(id: message.id, message: message.text, source: source, range: range, hint: hint))
  }

  mutating func add(_ diagnostic: Diagnostic) {
    if diagnostics.count < DiagnosticSink.maximumErrors {
      diagnostics.append(diagnostic)
    } else if diagnostics.count == DiagnosticSink.maximumErrors, let range = diagnostic.range {
      let message = LanguageMessage.tooManyErrors(DiagnosticSink.maximumErrors)
      diagnostics.append(
        Diagnostic(
          id: message.id, message: message.text, source: source, range: range,
          hint: "fix these and check again"))
    }
  }
}
