import ProbityCore

/// Reads reference lists for rule packs (`list NAME from "file.csv" column "name"`):
/// one column of a CSV file with a header line, through the same libcsv reader as
/// filings. Blank cells are skipped; a row that cannot be read makes the list unusable,
/// so a list is never loaded with entries silently missing.
public enum ReferenceLists {
  public struct Failure: Error, Sendable {
    public let reason: String
    public let hint: String?
  }

  public static func read(path: String, column: String) -> Result<[String], Failure> {
    // A mapping of one text column onto the `name` field; every row a "receipt".
    let quoted = "\"" + column.replacingOccurrences(of: "\"", with: "") + "\""
    let text = """
      [file]
      name = reference-list
      currency = USD
      header = yes
      [kind]
      constant = receipt
      [fields]
      name = column \(quoted)
      """
    let (mapping, diagnostics) = Mapping.parse(SourceFile(path: "<reference list>", text: text))
    guard let mapping else {
      return .failure(
        Failure(reason: diagnostics.first?.message ?? "cannot read the column name", hint: nil))
    }
    guard let name = CanonicalSchema.id(named: "name") else {
      return .failure(Failure(reason: "internal: no name field", hint: nil))
    }
    var entries: [String] = []
    var problems: [Diagnostic] = []
    do {
      _ = try CSVReader(path: path, mapping: mapping).read(
        onRecord: { record in
          if case .string(let value) = record[name] { entries.append(value) }
        },
        onProblem: { problems.append($0) })
    } catch {
      return .failure(
        Failure(reason: aboutTheList(error.diagnostic.message), hint: error.diagnostic.hint))
    }
    if let first = problems.first {
      let line = first.position.map { "line \($0.line): " } ?? ""
      return .failure(
        Failure(
          reason: "\(problems.count) row(s) cannot be read; \(line)\(aboutTheList(first.message))",
          hint: nil))
    }
    return .success(entries)
  }

  /// The reader's message, said of the list: the reader calls every file it reads a
  /// filing (`cannot open the filing: No such file or directory` for a missing list).
  static func aboutTheList(_ message: String) -> String {
    message.replacing("the filing", with: "the list")
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    split(separator: Character(target), omittingEmptySubsequences: false).joined(
      separator: replacement)
  }
}
