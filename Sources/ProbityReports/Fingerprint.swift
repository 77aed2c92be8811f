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
    let record: String
    if let id = finding.transactionID {
      record = "tid:" + id
    } else {
      record = "key:" + (recordKey ?? "")
    }
    let group = finding.group.map { "\($0.name)=\($0.value.description)" }.joined(
      separator: "\u{1E}")
    return compute([sarifKey, finding.ruleID, pathPart(finding.file), record, group])
  }

  /// FNV-1a 64 of the parts, each followed by 0x1F, as 16 hex digits.
  public static func compute(_ parts: [String]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for part in parts {
      for byte in part.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
      }
      hash ^= 0x1F
      hash &*= 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
