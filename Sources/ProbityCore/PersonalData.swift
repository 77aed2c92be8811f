/// Withholding personal data from published findings (`--withhold-personal-data`).
///
/// A donor's name becomes a stable pseudonym, the same for every spelling of one person
/// at one ZIP code or postcode (it is derived from `person_key(name)` and the postal
/// code), so a reader can still follow one donor across findings. Street, city, postal
/// code and employer are withheld. Pseudonyms are SHA-256 of the identity and a secret:
/// without a secret anyone can test a guessed name against a pseudonym, so set one
/// (`PROBITY_PSEUDONYM_SECRET`) before publishing.
public struct PersonalDataPolicy: Sendable {
  public let secret: String

  public init(secret: String) {
    self.secret = secret
  }

  /// Fields whose values identify a person.
  public static let nameFields: Set<String> = [
    "name", "organization_name", "last_name", "first_name", "middle_name", "prefix", "suffix",
  ]
  public static let addressFields: Set<String> = ["street1", "street2", "city", "zip", "employer"]
  /// The same fields as numbers of the canonical schema, told apart without hashing names.
  public static let nameFieldIDs = FieldSet(nameFields.compactMap { CanonicalSchema.id(named: $0) })
  public static let addressFieldIDs = FieldSet(
    addressFields.compactMap { CanonicalSchema.id(named: $0) })

  public static func isPersonal(_ field: String) -> Bool {
    nameFields.contains(field) || addressFields.contains(field)
  }

  /// `Donor 3F2A1C9B`: the same for every spelling of one person at one postal code.
  public func pseudonym(for record: Record) -> String {
    var identity = ""
    if case .string(let name) = record["name"] {
      identity = DonorIdentity.personKey(name) ?? name
    }
    if case .string(let zip) = record["zip"] {
      identity += "|" + (DonorIdentity.zip5(zip) ?? DonorIdentity.postcode(zip) ?? zip)
    }
    let digest = SHA256.hex(secret + "\u{1F}" + identity)
    return "Donor " + digest.prefix(8).uppercased()
  }

  /// The replacement for a value read from personal fields.
  public func replacement(readingNames: Bool, record: Record) -> Value {
    .string(readingNames ? pseudonym(for: record) : "[withheld]")
  }
}
