import Testing

@testable import ProbityCore

/// FIPS 180-4 test vectors.
@Test(arguments: [
  ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
  (
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
  ),
])
func sha256Vectors(_ message: String, _ digest: String) {
  #expect(SHA256.hex(message) == digest)
}

@Test func sha256OfAMillionAs() {
  #expect(
    SHA256.hex(String(repeating: "a", count: 1_000_000))
      == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func pseudonymsAreStableAndKeyed() {
  var a = Record(kind: .receipt, provenance: Provenance(file: "f", line: 1))
  var b = a
  a[CanonicalSchema.id(named: "name")!] = .string("SMITH, JOHN")
  a[CanonicalSchema.id(named: "zip")!] = .string("45402")
  b[CanonicalSchema.id(named: "name")!] = .string("John A. Smith")
  b[CanonicalSchema.id(named: "zip")!] = .string("45402-1234")
  let policy = PersonalDataPolicy(secret: "s")
  #expect(policy.pseudonym(for: a) == policy.pseudonym(for: b))
  #expect(policy.pseudonym(for: a) != PersonalDataPolicy(secret: "t").pseudonym(for: a))
  #expect(policy.pseudonym(for: a).hasPrefix("Donor "))
}
