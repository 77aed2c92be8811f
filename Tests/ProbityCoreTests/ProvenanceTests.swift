import Testing

@testable import ProbityCore

/// A record's provenance names its file by a `FilingPath`, one per path: equal
/// provenances are those of one path, line and locator, however they were made.
@Suite("Provenance")
struct ProvenanceTests {
  @Test("one FilingPath a path, the path as given")
  func onePerPath() {
    let path = "filings/a-name-longer-than-fifteen-bytes.csv"
    #expect(
      FilingPath.named(path) === FilingPath.named(String(decoding: Array(path.utf8), as: UTF8.self))
    )
    #expect(FilingPath.named(path) !== FilingPath.named("./" + path))
    #expect(FilingPath.named(path).path == path)
  }

  @Test("equal by path, line and locator, whichever way made")
  func equality() {
    let path = "filings/a-name-longer-than-fifteen-bytes.xml"
    let made = Provenance(file: path, line: 3, locator: "/filing/receipt[1]")
    let looked = Provenance(filing: .named(path), line: 3, locator: "/filing/receipt[1]")
    #expect(made == looked)
    #expect(made.hashValue == looked.hashValue)
    #expect(made.file == path)
    #expect(made != Provenance(file: path, line: 4, locator: "/filing/receipt[1]"))
    #expect(made != Provenance(file: path, line: 3, locator: "/filing/receipt[2]"))
    #expect(made != Provenance(file: path, line: 3))
    #expect(made != Provenance(file: path + ".bak", line: 3, locator: "/filing/receipt[1]"))
  }
}
