import Testing

@testable import ProbityFilings

@Suite("libxml2")
struct XMLSupportTests {
  @Test("the library links and reports its version")
  func version() {
    let parts = XMLSupport.libxml2Version.split(separator: ".")
    #expect(parts.count == 3)
    #expect(parts.allSatisfy { Int($0) != nil })
  }

  @Test("a small document's root element")
  func root() {
    let result = XMLSupport.root(
      ofXML: "<?xml version=\"1.0\"?><filing version=\"8.3\"><form>F3X</form></filing>")
    #expect(result == .success(XMLSupport.Root(name: "filing", text: "F3X")))
  }

  @Test("external entities are not fetched or substituted")
  func noExternalEntities() {
    let xml = """
      <?xml version="1.0"?>
      <!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
      <r>&secret;</r>
      """
    guard case .success(let root) = XMLSupport.root(ofXML: xml) else {
      Issue.record("the document should parse")
      return
    }
    #expect(root.name == "r")
    #expect(!root.text.contains("root:"))
  }

  @Test(
    "malformed XML is an error with a line, not a crash",
    arguments: ["<a><b></a>", "", "not xml", "<a>\n<b>\n</a>"])
  func malformed(_ xml: String) {
    guard case .failure(let error) = XMLSupport.root(ofXML: xml) else {
      Issue.record("\(xml) should not parse")
      return
    }
    #expect(!error.message.isEmpty)
  }
}
