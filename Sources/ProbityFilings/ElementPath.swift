/// A path to an element, or to one of its attributes, in an XML filing: what an XML
/// mapping names instead of a column (docs/formats.md, "XML mappings").
///
/// `/filing/receipt` is absolute; `contributor/name` and `@id` are relative to the
/// record element; a last step `@name` is an attribute. Steps are local names: namespace
/// prefixes and namespaces are not part of a path.
public struct ElementPath: Hashable, Sendable, CustomStringConvertible {
  public let absolute: Bool
  /// Element local names, outermost first (empty for `@id` alone).
  public let steps: [String]
  /// The attribute the path ends in, when it does.
  public let attribute: String?

  public init(absolute: Bool, steps: [String], attribute: String?) {
    self.absolute = absolute
    self.steps = steps
    self.attribute = attribute
  }

  /// Parses a path; the error says what is wrong with it.
  public static func parse(_ text: String) -> Result<ElementPath, CellProblem> {
    var body = Substring(text)
    let absolute = body.hasPrefix("/")
    if absolute { body = body.dropFirst() }
    var parts = body.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    var attribute: String?
    if let last = parts.last, last.hasPrefix("@") {
      attribute = String(last.dropFirst())
      parts.removeLast()
    }
    if parts.isEmpty && attribute == nil {
      return .failure(CellProblem(message: "an element path needs at least one element name"))
    }
    for name in parts + (attribute.map { [$0] } ?? []) where !isName(name) {
      let shown = name.isEmpty ? "an empty step" : "'\(name)'"
      return .failure(
        CellProblem(
          message:
            "\(shown) is not an element or attribute name (letters, digits, '-', '_' and '.', not starting with a digit; no '//', '*' or '[...]')"
        ))
    }
    return .success(ElementPath(absolute: absolute, steps: parts, attribute: attribute))
  }

  static func isName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first,
      first.properties.isAlphabetic || first == "_"
    else { return false }
    return name.unicodeScalars.allSatisfy {
      $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        || $0 == "."
    }
  }

  /// `/filing/receipt`, `contributor/name`, `@id`.
  public var description: String {
    var parts = steps
    if let attribute { parts.append("@" + attribute) }
    return (absolute ? "/" : "") + parts.joined(separator: "/")
  }

  /// Whether `other` is this path or lies under it (element steps only).
  func contains(_ other: ElementPath) -> Bool {
    other.steps.count >= steps.count && Array(other.steps.prefix(steps.count)) == steps
  }
}

/// An XML mapping's `[kind]`: which absolute element paths are records, and of which
/// kind, and which are skipped (counted, not read).
public struct ElementKinds: Sendable {
  public let entries: [(path: ElementPath, decision: KindDecision)]

  /// The decision for an element at `steps`, or nil when it is not a record element.
  func decision(for steps: [String]) -> KindDecision? {
    entries.first { $0.path.steps == steps }?.decision
  }
}
