import Foundation
import Testing

@testable import ProbityCore

/// Spellings of one donor that must give one key. The first groups are real variants
/// from ../shared/data/fec-bulk (same contributor, same ZIP code, two spellings).
let samePerson: [[String]] = [
  ["GILMAN, PRISCILLA", "GILMAN, PRISCILLA A"],
  ["GOODMAN, CHARLES", "GOODMAN, CHARLES D."],
  ["JONSON, EDWARD C", "JONSON, EDWARD C. MR."],
  ["WILCOX, KATHARINE  B.", "WILCOX, KATHARINE B"],
  ["SERRIE, DR. HENDRICK", "SERRIE, DR.HENDRICK"],
  ["PUSTA, LENORA", "PUSTA, LENORA HALL"],
  ["BILLION, JOE", "BILLION, JOE, , ,"],
  // The spellings in ../shared/domain/compliance-rules.md.
  ["SMITH, JOHN", "Smith, John A.", "JOHN SMITH", "John A Smith", "Mr John Smith"],
  ["O'NEIL, PAT", "Pat O’Neil", "ONEIL, PAT"],
  ["DE LA CRUZ, MARIA", "Maria de la Cruz"],
  ["SMITH, JOHN JR", "John Smith Jr.", "SMITH JR, JOHN"],
]

/// Names that must stay apart: merging them could accuse two people of one excess.
let differentPeople: [(String, String)] = [
  ("SMITH, JOHN", "SMITH, JOHN JR"),
  ("SMITH, JOHN JR", "SMITH, JOHN SR"),
  ("SMITH, JOHN", "SMITH, JANE"),
  ("SMITH, JOHN", "SMYTH, JOHN"),
]

@Test("person keys join spellings of one person", arguments: samePerson)
func personKeysJoin(_ spellings: [String]) {
  let keys = Set(spellings.map { DonorIdentity.personKey($0) })
  #expect(keys.count == 1, "\(spellings) gave \(keys)")
  #expect(!keys.contains(nil))
}

/// A name of two people joined by AND, `&`, `/`, `+` or OR has no key (a joint gift is the
/// signers' to share); AND within a word, or a name of letters beyond ASCII around it, does
/// not count.
@Test(
  "a name of two people has no person key",
  arguments: [
    ("SMITH, JOHN AND JANE", true), ("MR. AND MRS. ROBERT JONES", true),
    ("Robert and Mary Smith", true), ("TAGHI, IRAJ & FARIBA", true), ("DOE, JOHN&JANE", true),
    ("AND, ROBERT", true), ("SMITH, JOHN AND", true), ("ANDERSON, SANDY", false),
    ("BRAND, RANDY", false), ("SMITH, ANDREW", false), ("ZÓAND, PÉTER", false),
    ("GRAND, ÉMILE", false), ("SMITH, JOHN", false),
    // A slash, a plus, or OR between two words join two people too (LIVENGOOD, KARL/BETY
    // is in ../shared/data/fec-bulk); OR at either end, or within a word, is a name.
    ("LIVENGOOD, KARL/BETY", true), ("SMITH, JOHN + JANE", true), ("HILL, TOM+ANN", true),
    ("BROWN, JOHN OR JANE", true), ("John or Jane Brown", true), ("COHEN, OR", false),
    ("Or Cohen", false), ("ORR, ORLANDO", false), ("MOORE, NORA", false),
    ("John/Jane Smith", true), ("WEISS+SHARP, ALIX", false), ("Alix Weiss+Sharp", false),
    ("SMITH/JONES, MARY", false),
  ])
func jointNames(_ name: String, _ joint: Bool) {
  #expect((DonorIdentity.personKey(name) == nil) == joint, "\(name)")
}

@Test func personKeysKeepPeopleApart() {
  for (a, b) in differentPeople {
    #expect(DonorIdentity.personKey(a) != DonorIdentity.personKey(b), "\(a) / \(b)")
  }
  #expect(DonorIdentity.personKey("SMITH, JOHN A.") == "SMITH JOHN")
  #expect(DonorIdentity.personKey("John Smith Jr.") == "SMITH JOHN JR")
  #expect(DonorIdentity.personKey("  ") == nil)
}

@Test func organizationKeys() {
  #expect(
    DonorIdentity.organizationKey("Acme Widgets, Inc.")
      == DonorIdentity.organizationKey("ACME WIDGETS INCORPORATED"))
  #expect(DonorIdentity.organizationKey("The Acme Company") == "ACME CO")
  #expect(DonorIdentity.organizationKey("Smith & Sons L.L.C.") == "SMITH AND SONS LLC")
  #expect(
    DonorIdentity.organizationKey("Acme Holdings Ltd")
      == DonorIdentity.organizationKey("ACME HOLDINGS LIMITED"))
  #expect(DonorIdentity.organizationKey("Acme Inc") != DonorIdentity.organizationKey("Acme LLC"))
}

@Test func postalCodes() {
  #expect(DonorIdentity.zip5("45402-1234") == "45402")
  #expect(DonorIdentity.zip5("454021234") == "45402")
  #expect(DonorIdentity.zip5("4540") == nil)
  #expect(DonorIdentity.postcode("sw1a1aa") == "SW1A 1AA")
  #expect(DonorIdentity.postcode("EC1A  1BB") == "EC1A 1BB")
  #expect(DonorIdentity.postcode("BFPO") == "BFPO")
}

/// On the real bulk rows: every pair of spellings above that the files hold for one ZIP
/// code gives one key, and no two distinct keys share a spelling.
@Test(
  .enabled(
    if: FileManager.default.fileExists(
      atPath: sharedData("fec-bulk/agaiduk_itcont_random5000_2015_2018.txt")),
    "../shared/data is not beside the repository"))
func realBulkNamesGroupByKey() throws {
  let text = try String(
    contentsOfFile: sharedData("fec-bulk/agaiduk_itcont_random5000_2015_2018.txt"),
    encoding: .isoLatin1)
  var keysBySpelling: [String: Set<String>] = [:]
  var spellingsByKey: [String: Set<String>] = [:]
  for line in text.split(separator: "\n") {
    let columns = line.split(separator: "|", omittingEmptySubsequences: false)
    guard columns.count >= 11, let zip = DonorIdentity.zip5(String(columns[10])),
      let key = DonorIdentity.personKey(String(columns[7]))
    else { continue }
    keysBySpelling[String(columns[7]), default: []].insert(key)
    spellingsByKey[key + " " + zip, default: []].insert(String(columns[7]))
  }
  #expect(keysBySpelling.values.allSatisfy { $0.count == 1 })
  // Real variants found in this file (see samePerson above) group together.
  let gilman = spellingsByKey.first { $0.key.hasPrefix("GILMAN PRISCILLA ") }?.value ?? []
  #expect(gilman == ["GILMAN, PRISCILLA", "GILMAN, PRISCILLA A"])
  let multi = spellingsByKey.values.filter { $0.count > 1 }
  // 9 donors of this file are written two ways at one ZIP code (counted by hand with a
  // python script grouping LAST, FIRST and ZIP5); each must have found its one key.
  #expect(multi.count >= 9, "found \(multi.count) donors written two ways")
}

func sharedData(_ path: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/data/\(path)").path
}

/// Names where the byte-level key could go wrong: every list word in every position,
/// commas, joiners, digits, words longer than the codes hold, no words at all.
let awkwardNames: [String] = [
  "", " ", ",", ",,", " , ", "JR", "SMITH, JR", ", JOHN", ", JOHN SMITH", "JR, JOHN", "DR",
  "DR, DR", "MR SMITH", "SMITH MR", "SMITH, MR", "SMITH, MR JOHN", "MR, JOHN", "THE",
  "THE SMITH", "SMITH, THE", "DE LA", "DE, LA", "JOHN DE LA CRUZ", "JOHN VAN DER BERG JR",
  "VAN DER BERG", "JOHN ST JAMES", "JOHN MAC", "JOHN DE", "DE JOHN", "MS SMITH MD",
  "SMITH, JOHN PHD ESQ", "SMITH, PHD JOHN", "PHD, JOHN", "SMITH JR SR, JOHN III",
  "SMITH, JOHN, JR", "SMITH,JOHN", "SMITH ,JOHN", "O'NEIL-SMITH, PAT", "-, '", "'A', -B-",
  "SMITH2, JOHN 3", "123", "12 34", "ABCDEFGHIJKLMNOP, QRSTUVWXYZABC", "PROFESSORS SMITH",
  "PROFESSOR SMITH", "HONORABLE, JOHN", "BARONESS SMITH", "BARONESSX SMITH",
  "SMITH\tJOHN", "smith, john a.", "Smith, John Jr.", "Dr. John Q. Public III",
  "ABCDEFGHIJ ABCDEFGHIJK", "ST", "ST ST ST", "DE DE DE", "A B C D E F G",
]

/// The byte-level key of an ASCII name is the reference key, on the awkward cases, on
/// every name of the real bulk and UK files, and on 20,000 names made of the list words.
@Test func asciiPersonKeyIsTheReference() throws {
  var names = awkwardNames + samePerson.flatMap { $0 } + differentPeople.flatMap { [$0.0, $0.1] }
  for path in [
    "fec-bulk/agaiduk_itcont_random5000_2015_2018.txt", "fec-bulk/insight_itcont_2017_sample.txt",
  ] where FileManager.default.fileExists(atPath: sharedData(path)) {
    let text = try String(contentsOfFile: sharedData(path), encoding: .isoLatin1)
    for line in text.split(separator: "\n") {
      let columns = line.split(separator: "|", omittingEmptySubsequences: false)
      if columns.count > 7 { names.append(String(columns[7])) }
    }
  }
  let vocabulary =
    DonorIdentity.prefixes.sorted() + DonorIdentity.generational.sorted()
    + DonorIdentity.honours.sorted() + DonorIdentity.particles.sorted()
    + ["SMITH", "jones", "O'NEIL", "Mary-Ann", "A.", "Q", "X1", "ABCDEFGHIJKL", "THEX"]
  let separators = [" ", ", ", ",", ".", " - ", "  ", "'"]
  // A fixed sequence (Knuth's MMIX linear congruential generator): the same names on
  // every run.
  var state: UInt64 = 42
  func next(_ count: Int) -> Int {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int((state >> 33) % UInt64(count))
  }
  for _ in 0..<20_000 {
    var name = ""
    for _ in 0..<next(6) {
      name += vocabulary[next(vocabulary.count)]
      name += separators[next(separators.count)]
    }
    names.append(name)
  }
  var checked = 0
  for name in names {
    var bytes = name
    guard let fast = bytes.withUTF8({ ASCIIPersonKey($0) }) else { continue }
    checked += 1
    #expect(fast.key == DonorIdentity.generalPersonKey(name), "\(name)")
  }
  #expect(checked > 20_000)
  // Not ASCII: the reference is used.
  var accented = "Zoë O’Neil"
  #expect(accented.withUTF8({ ASCIIPersonKey($0) }) == nil)
  #expect(DonorIdentity.personKey(accented) == "ONEIL ZOË")
}

/// `zip5`: the first five ASCII digits, wherever they are; nil with fewer.
@Test(
  "zip5 takes the first five digits",
  arguments: [
    ("45402", "45402"), ("45402-1234", "45402"), ("454021234", "45402"), (" 45402 ", "45402"),
    ("4540", nil), ("", nil), ("OH 45402", "45402"), ("4-5-4-0-2", "45402"),
    ("٤٥٤٠٢", nil), ("K1A 0B1", nil), ("12345678901", "12345"),
    // Five bytes that are not five digits: not the text itself.
    ("4540a", nil), ("a4540", nil), ("4540 ", nil), ("45-40", nil),
  ] as [(String, String?)])
func zip5Digits(_ zip: String, _ expected: String?) {
  #expect(DonorIdentity.zip5(zip) == expected, "\(zip.debugDescription)")
}

/// What a name says beside its key: its middle initial and whether its title is a man's or
/// a woman's, read in both orders, past honours and generational suffixes.
@Test(
  "a person's name marks: middle initial and title",
  arguments: [
    ("SMITH, JOHN", nil, nil), ("Smith, John A.", "A", nil), ("JOHN ALLEN SMITH", "A", nil),
    ("JONES, MARY BETH", "B", nil), ("MR. JOHN SMITH", nil, "man"),
    ("Smith, Mrs. John", nil, "woman"), ("SMITH, JOHN JR", nil, nil),
    ("SMITH, JOHN A JR", "A", nil), ("JOHN DE LA CRUZ", nil, nil), ("JOHN P DE LA CRUZ", "P", nil),
    ("DR JANE Q DOE PHD", "Q", nil), ("MISS ANN LEE", nil, "woman"), ("SMITH", nil, nil),
    // A title after the given name (the FEC's combined names) is no middle name.
    ("TIGHE, GERALD MR.", nil, "man"), ("SMITH, JOHN A. MR.", "A", "man"),
  ] as [(String, String?, String?)])
func personMarks(_ name: String, _ middle: String?, _ title: String?) {
  let marks = DonorIdentity.marks(name)
  #expect(marks.middleInitial.map(String.init) == middle, "\(name)")
  #expect(marks.title.map { $0 == .man ? "man" : "woman" } == title, "\(name)")
}
