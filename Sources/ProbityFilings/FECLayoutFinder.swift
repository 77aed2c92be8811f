import Synchronization

/// A version of the .fec electronic filing format that Probity reads: 1, 2, 3, 5.0–5.3,
/// 6.1–6.4, 7.0 and 8.0–8.5 (there was no version 4). Paper-filing versions (`P3.4`)
/// and anything else are refused, never guessed at.
struct FECVersion: Sendable, Equatable {
  /// As filed (`3.00`, `8.3`).
  let asFiled: String
  /// As the layout tables name it (`3`, `8.3`).
  let key: String
  /// The position of `key` in `FECLayoutTable.versions`.
  let index: Int
  let major: Int

  /// Versions 6 and later separate fields with ASCII 28 (FS); earlier ones are quoted,
  /// comma-separated text, and write names as `LAST^FIRST MIDDLE^PREFIX^SUFFIX`.
  var separatesWithFS: Bool { major >= 6 }

  /// The supported versions, for messages.
  static let supportedText = "1, 2, 3, 5.0 to 5.3, 6.1 to 6.4, 7.0 and 8.0 to 8.5"

  init?(_ text: String) {
    let trimmed = String(trimBlanks(text))
    let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count),
      parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
      let major = Int(parts[0])
    else { return nil }
    var key = String(major)
    if major <= 3 {
      // Versions 1 to 3 are named by their major number alone, but only the minors filed
      // (`scripts/gen-fec-layouts.py`): 1.00, 2.00 to 2.02, 3.00, read as decimals
      // (trailing zeros mean nothing: 2.010 is 2.01, 3.000 is 3.00). Another (2.99, 3.5,
      // 2.001) is no version whose columns are known.
      if parts.count == 2 {
        var minor = Substring(parts[1])
        while minor.last == "0" { minor.removeLast() }
        guard minor.isEmpty || (major == 2 && (minor == "01" || minor == "02")) else {
          return nil
        }
      }
    } else {
      // One significant digit after the point: `5.00` is 5.0, `8.3` is 8.3, `8.35` is not
      // a version.
      let minor = parts.count == 2 ? parts[1] : "0"
      guard let first = minor.first, minor.dropFirst().allSatisfy({ $0 == "0" }) else {
        return nil
      }
      key += "." + String(first)
    }
    guard let index = FECLayoutTable.versions.firstIndex(of: key) else { return nil }
    self.asFiled = trimmed
    self.key = key
    self.index = index
    self.major = major
  }
}

/// What a .fec record is to Probity.
enum FECRole: Sendable, Equatable {
  case header
  /// Schedule A: a receipt.
  case receipt
  /// Schedule B: a disbursement.
  case disbursement
  /// A form (F3, F3X, F99, ...): the cover record when it comes first.
  case form
  /// Every other record type: recognised and counted, not read.
  case other
}

/// The column layout of one record type in one version. A class: handed on with every
/// line of its type, a struct was copied (its array and dictionary retained).
final class FECLayout: Sendable {
  /// The layout's index in `FECLayoutTable.layouts`.
  let id: Int
  let role: FECRole
  let columns: [String]
  /// Each column's position by name (the first, when a name repeats).
  let positions: [String: Int]

  init(id: Int, role: FECRole, columns: [String], positions: [String: Int]) {
    self.id = id
    self.role = role
    self.columns = columns
    self.positions = positions
  }

  func position(_ name: String) -> Int? { positions[name] }
}

/// Finds record layouts in the generated tables (`FECLayoutTable`, from FastFEC's
/// fastfec_mappings.json) for one filing's version: a form type is matched against the
/// form patterns, in order, once per distinct form type in the process (`FECForms`), and
/// its layout kept by the finder for the rest of the filing.
final class FECLayoutFinder {
  let version: FECVersion
  private var found: [String: FECLayout?] = [:]

  init(version: FECVersion) {
    self.version = version
  }

  static func role(of pattern: String) -> FECRole {
    switch pattern {
    case "^hdr$": return .header
    case "^sa[^3]": return .receipt
    case "^sb": return .disbursement
    default:
      return pattern.hasPrefix("^f") || pattern.hasPrefix("(^f") ? .form : .other
    }
  }

  /// The layout of a form type (any case) in this version, or nil when the version has
  /// no such record type.
  func layout(for formType: String) -> FECLayout? {
    if let cached = found[formType] { return cached }
    let result = FECForms.shared.layout(for: formType, in: version)
    found[formType] = result
    return result
  }
}

/// The form patterns of the generated tables, compiled once for the process, the
/// patterns each distinct form type matches, and the layouts built, shared by every
/// filing's finder, on every thread. A day of the FEC's filings is thousands of small
/// files: compiling the patterns (Swift's `Regex` parses each) for every filing took
/// most of an audit's time (5,200 filings: 19 s, 59% of it parsing patterns).
final class FECForms: Sendable {
  static let shared = FECForms()
  /// Form types whose patterns are remembered (the tables know some 300; the rest of a
  /// run's are matched each time a filing's finder asks).
  static let mostRemembered = 4_096

  private struct State {
    /// Compiled on first use, in the tables' order.
    var patterns: [Regex<AnyRegexOutput>?] = []
    /// By form type lowered: the patterns it matches, in order.
    var matches: [String: [Int]] = [:]
    /// By layout index and role.
    var built: [Int: FECLayout] = [:]
  }

  private let state = Mutex(State())

  /// The layout of a form type (any case) in `version`: that of the first pattern it
  /// matches that the version has a layout for; nil when there is none.
  func layout(for formType: String, in version: FECVersion) -> FECLayout? {
    let lowered = formType.lowercased()
    return state.withLock { state -> FECLayout? in
      if state.patterns.isEmpty {
        // The patterns are checked when the tables are generated, and by a test; one that
        // did not compile would only make its record types unknown (rejected, not misread).
        state.patterns = FECLayoutTable.forms.map { try? Regex($0.pattern).ignoresCase() }
      }
      let matching: [Int]
      if let known = state.matches[lowered] {
        matching = known
      } else {
        matching = state.patterns.indices.filter { index in
          guard let regex = state.patterns[index] else { return false }
          return lowered.contains(regex)
        }
        // Form types are few; a filing of junk ones is not kept for the rest of the run.
        if state.matches.count < FECForms.mostRemembered { state.matches[lowered] = matching }
      }
      for pattern in matching {
        let entry = FECLayoutTable.forms[pattern]
        let index = entry.layouts[version.index]
        guard index >= 0 else { continue }
        let role = FECLayoutFinder.role(of: entry.pattern)
        if let layout = state.built[index], layout.role == role { return layout }
        let layout = FECForms.build(index, role: role)
        state.built[index] = layout
        return layout
      }
      return nil
    }
  }

  private static func build(_ index: Int, role: FECRole) -> FECLayout {
    let columns = FECLayoutTable.layouts[index].split(
      separator: ",", omittingEmptySubsequences: false
    ).map(String.init)
    var positions: [String: Int] = [:]
    for (position, name) in columns.enumerated() where !name.isEmpty && positions[name] == nil {
      positions[name] = position
    }
    return FECLayout(id: index, role: role, columns: columns, positions: positions)
  }
}
