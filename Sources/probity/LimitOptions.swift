import ArgumentParser
import ProbityFilings

/// `--max-field-bytes`, `--max-record-bytes` and `--max-xml-depth`: the limits the
/// readers hold filings to (`ReaderLimits`; docs/formats.md, "Limits").
struct LimitOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "The longest field a filing may hold (a cell, a .fec field, an XML element's text or attribute); a longer one rejects its record. Bytes, or with K, M or G. Default: 1M; at most 1G.",
      valueName: "size"))
  var maxFieldBytes: ByteSize?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The longest record (a CSV record, a .fec line, an XML record element); a longer one is rejected. Default: 4M; at most 1G.",
      valueName: "size"))
  var maxRecordBytes: ByteSize?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The deepest nesting of XML elements; deeper XML stops the read of its file (at most and by default 256).",
      valueName: "n"))
  var maxXMLDepth: Int?

  var limits: ReaderLimits {
    ReaderLimits(
      maxFieldBytes: maxFieldBytes?.bytes ?? ReaderLimits.defaultMaxFieldBytes,
      maxRecordBytes: maxRecordBytes?.bytes ?? ReaderLimits.defaultMaxRecordBytes,
      maxXMLDepth: maxXMLDepth ?? ReaderLimits.defaultMaxXMLDepth)
  }

  func validate() throws {
    if let problem = limits.problem { throw ValidationError(problem) }
  }
}

/// A size in bytes as the options take it: `1048576`, `512K`, `4M`, `1G`.
struct ByteSize: ExpressibleByArgument {
  let bytes: Int

  init?(argument: String) {
    guard let bytes = ReaderLimits.parseSize(argument) else { return nil }
    self.bytes = bytes
  }
}
