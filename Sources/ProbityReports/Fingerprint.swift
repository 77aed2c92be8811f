import ProbityCore
import ProbityEngine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The identity of a finding across runs and machines: what SARIF's
/// `partialFingerprints`, waivers and baselines refer to.
///
/// A fingerprint is FNV-1a 64 (written as 16 lower-case hex digits) of these parts, each
/// followed by the byte 0x1F (unit separator):
///
/// 1. `probity/v2`, the version of this recipe;
/// 2. the rule id (`US-CASH-001`);
/// 3. whose record it is: `filer:` and the record's filer id when it has one (a report
///    and its amendment, in files of any name, are the same filer's; two committees'
///    records in one bulk file are not), and when the record gives its report's period,
///    0x1E, `report:` and `start..end` (a filer's transaction ids may start again in each
///    report; an amendment keeps the period unless it corrects it); otherwise `path:` and
///    the filing's path
///    (`pathPart`: written the one way, and relative to the working directory when it
///    lies under it);
/// 4. the record: `tid:` and its transaction id, or, for a record without one, `key:` and
///    its key fields (`Fingerprint.recordKey`);
/// 5. for a rule across records, the group as the finding shows it: `name=value` for each
///    `group by` expression and the window, joined by 0x1E; empty otherwise.
///
/// Nothing else goes in: not the line (lines shift when a filing is amended), not the
/// message or the values (an aggregate grows as records are added), not the date of the
/// run. (`probity/v1` took the path for every record, an absolute one by its last
/// component alone: two folders' `receipts.csv` shared fingerprints, one committee's
/// transaction id was another's in a bulk file, and an amendment's findings were new.)
public enum Fingerprint {
  /// The `partialFingerprints` key in SARIF output.
  public static let sarifKey = "probity/v2"

  /// The fields that stand for a record without a transaction id, in this order.
  public static let keyFields = [
    "kind", "filer_id", "form_type", "name", "organization_name", "last_name", "first_name",
    "date", "amount",
  ]

  /// Where a record stands, as `recordKeys` are keyed: "file:line", and the element
  /// path where the format has one (several XML records may start on one line).
  public static func place(file: String, line: Int, locator: String?) -> String {
    "\(file):\(line)" + (locator.map { "#" + $0 } ?? "")
  }

  /// A record's key fields, `name=value` joined by 0x1E, for records without a
  /// transaction id (missing values are left out).
  public static func recordKey(of record: Record) -> String {
    var parts: [String] = ["kind=\(record.kind.rawValue)"]
    for name in keyFields.dropFirst() {
      let value = record[name]
      if !value.isMissing { parts.append("\(name)=\(value.description)") }
    }
    return parts.joined(separator: "\u{1E}")
  }

  /// The path as it goes into a fingerprint of a record without a filer id: written the
  /// one way (no `.` component, no empty one, `x/..` folded, a leading `..` kept), and,
  /// when absolute and under the working directory (a checkout), relative to it, so that
  /// `filings/q1.csv`, `./filings//q1.csv` and `$PWD/filings/q1.csv` are one path. An
  /// absolute path elsewhere is kept whole: two folders' files of one name are two files.
  public static func pathPart(_ path: String, workingDirectory: [String] = currentDirectory)
    -> String
  {
    // A relative path stays relative (`../shared/r.csv` the same wherever the checkout
    // and the folder beside it are).
    guard path.hasPrefix("/") else { return normalized(path, absolute: false) }
    let absolute = normalized(path, absolute: true)
    for base in workingDirectory.map({ normalized($0, absolute: true) }) where base.hasPrefix("/") {
      if base == "/" { return String(absolute.dropFirst()) }
      if absolute.hasPrefix(base + "/") { return String(absolute.dropFirst(base.count + 1)) }
    }
    return absolute
  }

  /// The process's working directory, read once: as the system gives it, and as the shell
  /// spelt it (`$PWD`, through any links) when that is another spelling of it.
  public static let currentDirectory: [String] = {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return [] }
    let physical = String(
      decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var spellings = [physical]
    if let shell = getenv("PWD").map({ String(cString: $0) }), shell.hasPrefix("/"),
      shell != physical,
      realpath(shell, nil).map({ resolved in
        defer { free(resolved) }
        return String(cString: resolved) == physical
      }) ?? false
    {
      spellings.append(shell)
    }
    return spellings
  }()

  /// `path` without `.` or empty components, `name/..` folded (a `..` at the top of an
  /// absolute path stays at the top: `/..` is `/`).
  static func normalized(_ path: String, absolute: Bool) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == "..", let last = parts.last, last != ".." {
        parts.removeLast()
        continue
      }
      if part == "..", absolute { continue }
      parts.append(part)
    }
    let joined = parts.joined(separator: "/")
    return absolute ? "/" + joined : joined
  }

  /// The fingerprint of a finding. `recordKey` is the finding's record's key
  /// (`recordKey(of:)`), needed only when the record has no transaction id.
  public static func of(_ finding: Finding, recordKey: String? = nil) -> String {
    hex(hash(finding, pathPart: pathPart(finding.file), recordKey: recordKey))
  }

  /// The number `of(finding, recordKey:)` writes in hex, with the path's part
  /// (`pathPart(finding.file)`) given (the gate finds it once for a file's findings).
  static func hash(_ finding: borrowing Finding, pathPart: String, recordKey: String?) -> UInt64 {
    // The parts hashed as they are made, with no string of each (the same bytes as
    // `compute` of them: some 40,000 instructions a finding, 10% of a check of the whole
    // UK register, went to making and joining them).
    var hash = FNV()
    hash.add(sarifKey)
    hash.end()
    hash.add(finding.ruleID)
    hash.end()
    if let filer = finding.filerID, !filer.isEmpty {
      hash.add("filer:")
      hash.add(filer)
      if let period = finding.reportPeriod {
        hash.add(byte: 0x1E)
        hash.add("report:")
        hash.add(period)
      }
    } else {
      hash.add("path:")
      hash.add(pathPart)
    }
    hash.end()
    if let id = finding.transactionID {
      hash.add("tid:")
      hash.add(id)
    } else {
      hash.add("key:")
      hash.add(recordKey ?? "")
    }
    hash.end()
    for (position, part) in finding.group.enumerated() {
      if position > 0 { hash.add(byte: 0x1E) }
      hash.add(part.name)
      hash.add(byte: UInt8(ascii: "="))
      // A string value's description is its text in quotes: hashed without being made.
      if case .string(let text) = part.value {
        hash.add(byte: UInt8(ascii: "\""))
        hash.add(text)
        hash.add(byte: UInt8(ascii: "\""))
      } else {
        hash.add(part.value.description)
      }
    }
    hash.end()
    return hash.value
  }

  /// Whether `text` is a fingerprint: 16 ASCII digits and lower-case `a` to `f` (not the
  /// full-width digits and letters `Character.isHexDigit` also takes).
  public static func isWellFormed(_ text: String) -> Bool {
    text.utf8.count == 16
      && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }

  /// FNV-1a 64 of the parts, each followed by 0x1F, as 16 hex digits.
  public static func compute(_ parts: [String]) -> String {
    var hash = FNV()
    for part in parts {
      hash.add(part)
      hash.end()
    }
    return hash.hex
  }

  /// FNV-1a 64, fed bytes.
  struct FNV {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(byte: UInt8) {
      value ^= UInt64(byte)
      value &*= 0x0000_0100_0000_01b3
    }

    mutating func add(_ text: String) {
      var text = text
      text.withUTF8 { for byte in $0 { add(byte: byte) } }
    }

    /// The end of a part: the unit separator.
    mutating func end() { add(byte: 0x1F) }

    /// 16 lower-case hex digits.
    var hex: String { Fingerprint.hex(value) }
  }

  /// A fingerprint's number as 16 lower-case hex digits.
  static func hex(_ value: UInt64) -> String {
    String(unsafeUninitializedCapacity: 16) { bytes in
      for position in 0..<16 {
        let digit = UInt8((value >> UInt64(60 - 4 * position)) & 0xF)
        bytes[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
      }
      return 16
    }
  }
}
