import Foundation
import ProbityCore
import ProbityTestSupport
import Testing

@testable import ProbityFilings

/// An optional flag column that the file does not have is false on every row: a filing
/// with no memo column has no memo entries. A rule reading `memo` must not be left
/// undetermined on every record of such a file.
@Test func absentOptionalFlagColumnIsFalse() throws {
  let text = """
    [file]
    name = t
    currency = USD
    header = yes
    [kind]
    constant = receipt
    [fields]
    transaction_id = column id
    amount = column amount as money
    memo = column memo_code as flag X optional
    memo_text = column note optional
    """
  let (mapping, diagnostics) = Mapping.parse(SourceFile(path: "t.map", text: text))
  #expect(diagnostics.isEmpty)
  let file = scratchFolder.appendingPathComponent(
    "absent-flag-\(getpid()).csv")
  try "id,amount\nA,1.00\n".write(to: file, atomically: true, encoding: .utf8)
  defer { try? FileManager.default.removeItem(at: file) }
  var records: [Record] = []
  _ = try CSVReader(path: file.path, mapping: try #require(mapping)).read(
    onRecord: { records.append($0) }, onProblem: { Issue.record("\($0.message)") })
  #expect(records.count == 1)
  #expect(records.first?["memo"] == .boolean(false))
  // Other absent optional columns stay missing.
  #expect(records.first?["memo_text"] == .missing)
}
