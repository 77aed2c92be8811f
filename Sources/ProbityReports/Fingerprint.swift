import ProbityCore
import ProbityEngine

/// The identity of a finding across runs and machines: what SARIF's
/// `partialFingerprints`, waivers and baselines refer to.
///
/// A fingerprint is FNV-1a 64 (written as 16 lower-case hex digits) of these parts, each
/// followed by the byte 0x1F (unit separator):
///
/// 1. `probity/v1`, the version of this recipe;
/// 2. the rule id (`US-CASH-001`);
/// 3. the filing's path as given on the command line, without a leading `./`; for an
///    absolute path, its last component only (so a checkout's location never matters);
/// 4. the record: `tid:` and its transaction id, or, for a record without one, `key:` and
///    its key fields (`Fingerprint.recordKey`);
/// 5. for a rule across records, the group as the finding shows it: `name=value` for each
///    `group by` expression and the window, joined by 0x1E; empty otherwise.
///
/// Nothing else goes in: not the line (lines shift when a filing is amended), not the
/// message or the values (an aggregate grows as records are added), not the date of the
/// run.
public enum Fingerprint {
  /// The `partialFingerprints` key in SARIF output.
  public static let sarifKey = "probity/v1"

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

  /// The path as it goes into a fingerprint: as given, without a leading `./`, and only
  /// its last component when it is absolute.
  public static func pathPart(_ path: String) -> String {
    // An ASCII path (most) is cut on its bytes: the same cuts as on its characters, for a
    // slash is then always a character of its own. (Split as characters, a path cost some
    // thousands of instructions, once per finding.)
    if path.utf8.allSatisfy({ $0 < 0x80 }) {
      let bytes = Array(path.utf8)
      let slash = UInt8(ascii: "/")
      if bytes.first == slash {
        guard var end = bytes.lastIndex(where: { $0 != slash }) else { return path }
        end += 1
        let start = bytes[..<end].lastIndex(of: slash).map { $0 + 1 } ?? 0
        return String(decoding: bytes[start..<end], as: UTF8.self)
      }
      var start = 0
      while start + 1 < bytes.count, bytes[start] == UInt8(ascii: "."), bytes[start + 1] == slash {
        start += 2
      }
      return start == 0 ? path : String(decoding: bytes[start...], as: UTF8.self)
    }
    if path.hasPrefix("/") {
      return path.split(separator: "/").last.map(String.init) ?? path
    }
    var relative = Substring(path)
    while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
    return String(relative)
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
    hash.add(pathPart)
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
