import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What hostile input is run through: the libFuzzer targets in `fuzz/` (`scripts/fuzz`)
/// and the regression tests over the inputs they found (`Fixtures/fuzz/<target>/`) call
/// the same code, so a minimized input replays exactly as it was found.
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// A rule file: parsed, compiled, and when it compiles evaluated over sample records.
  case rules
  /// Delimited text through the canonical, FEC bulk, UK register or PEF mapping.
  case csv
  /// A .fec filing.
  case fec
  /// An XML filing through the Probity XML mapping or a mapping with values outside the
  /// records.
  case xml
}

/// Runs one input and checks what must hold whatever the input: the reader's accounting
/// (every record read is delivered or rejected with a diagnostic), provenance inside the
/// file, no file descriptor left open. A crash, a hang or a runaway allocation is for the
/// fuzzer (or the test) to see.
///
/// For the readers, the input's first byte chooses the variant (the mapping, and
/// whether small limits are used, so that inputs of a few KiB reach them); the rest is
/// the file.
public enum FuzzHarness {
  /// The invariants `input` breaks: empty when all hold.
  public static func run(_ target: FuzzTarget, _ input: [UInt8]) -> [String] {
    switch target {
    case .rules: return rules(input)
    case .csv, .fec, .xml: return filing(target, input)
    }
  }

  /// Small limits, so that short inputs reach them.
  static let smallLimits = ReaderLimits(maxFieldBytes: 48, maxRecordBytes: 400, maxXMLDepth: 12)

  /// An XML mapping with absolute values outside the records, attributes, a flag and a
  /// skipped element.
  static let contextMapping: Mapping? = Mapping.parse(
    SourceFile(
      path: "fuzz-context.map",
      text: """
        [file]
        format = xml
        currency = GBP
        date-format = dd/mm/yyyy
        [kind]
        receipt = /export/donations/donation
        disbursement = /export/payments/payment
        skip = /export/notes/note
        [fields]
        filer_name = element /export/@party
        filer_id = element /export/filer/id optional
        transaction_id = element @ref
        amount = element value as money accounting
        date = element accepted
        name = element donor/name optional
        donor_status = element donor/@status optional
        memo = element @memo as flag yes optional
        """)
  ).mapping

  static func filing(_ target: FuzzTarget, _ input: [UInt8]) -> [String] {
    let selector = input.first ?? 0
    let bytes = Array(input.dropFirst())
    let path = scratchPath(target.rawValue)
    guard write(bytes, to: path) else { return ["cannot write the scratch file \(path)"] }
    defer { unlink(path) }
    var limits = ReaderLimits.default
    var records: [Record] = []
    var problems: [Diagnostic] = []
    let onRecord = { (record: consuming Record) in records.append(record) }
    let onProblem = { (diagnostic: Diagnostic) in problems.append(diagnostic) }
    let descriptor = nextDescriptor()
    let resolvedPath = realpath(path, nil).map { resolved in
      defer { free(resolved) }
      return String(cString: resolved)
    }
    let result: Result<ReadStatistics, FilingError>
    switch target {
    case .csv:
      let mappings: [Mapping] = [.canonical, .fecBulk, .ukEC, .ukPEF]
      if selector & 4 != 0 { limits = smallLimits }
      _ = try? FilingReader.detectFormat(path: path)
      result = Result { () throws(FilingError) in
        try CSVReader(path: path, mapping: mappings[Int(selector & 3)], limits: limits).read(
          onRecord: onRecord, onProblem: onProblem)
      }
    case .fec:
      if selector & 1 != 0 { limits = smallLimits }
      result = Result { () throws(FilingError) in
        try FECReader(path: path, limits: limits).read(onRecord: onRecord, onProblem: onProblem)
      }
    case .xml, .rules:
      if selector & 1 != 0 { limits = smallLimits }
      let mapping = selector & 2 != 0 ? (contextMapping ?? .probityXML) : .probityXML
      result = Result { () throws(FilingError) in
        try XMLReader(path: path, mapping: mapping, limits: limits).read(
          onRecord: onRecord, onProblem: onProblem)
      }
    }
    var broken: [String] = []
    // Read again decoding only some fields (`FilingReader.read(fields:)`): the same rows
    // accepted and rejected, with the same messages, and the same values of the fields
    // wanted.
    if target == .csv || target == .fec {
      var wanted = FieldSet()
      for field in 0..<CanonicalSchema.count where (field + Int(selector >> 3)) % 3 == 0 {
        wanted.insert(field)
      }
      var again: [Record] = []
      var againProblems: [Diagnostic] = []
      let reread = Result { () throws(FilingError) in
        if target == .csv {
          let mappings: [Mapping] = [.canonical, .fecBulk, .ukEC, .ukPEF]
          return try CSVReader(path: path, mapping: mappings[Int(selector & 3)], limits: limits)
            .read(
              fields: wanted, onRecord: { again.append($0) },
              onProblem: { againProblems.append($0) })
        }
        return try FECReader(path: path, limits: limits).read(
          fields: wanted, onRecord: { again.append($0) }, onProblem: { againProblems.append($0) })
      }
      if againProblems.map({ $0.rendered() }) != problems.map({ $0.rendered() })
        || (try? reread.get()) != (try? result.get())
        || reread.failure?.diagnostic.rendered() != result.failure?.diagnostic.rendered()
        || again.map(\.provenance.line) != records.map(\.provenance.line)
      {
        broken.append("reading only some fields accepted or rejected other rows")
      }
      for (projected, whole) in zip(again, records) {
        for field in 0..<CanonicalSchema.count
        where wanted.contains(field) && projected.values[field] != whole.values[field] {
          broken.append(
            "reading only some fields changed '\(CanonicalSchema.spec(field).name)' on line \(whole.provenance.line)"
          )
        }
      }
    }
    if leftOpen(on: resolvedPath ?? path, lowestFreeBefore: descriptor) {
      broken.append("a file descriptor was left open")
    }
    // Lines end in LF, CRLF or CR: a record or a problem cannot be past the last one.
    let lastLine = bytes.reduce(1) { $0 + ($1 == 0x0A || $1 == 0x0D ? 1 : 0) }
    func check(_ diagnostic: Diagnostic, _ what: String) {
      if diagnostic.file != path { broken.append("\(what) names another file: \(diagnostic.file)") }
      if let line = diagnostic.line, !(1...lastLine).contains(line) {
        broken.append("\(what) at line \(line), outside the file's \(lastLine) lines")
      }
      if diagnostic.message.isEmpty { broken.append("\(what) without a message") }
    }
    let statistics: ReadStatistics
    switch result {
    case .failure(let error):
      check(error.diagnostic, "the error")
      statistics = error.statistics  // what was read before the read stopped
    case .success(let read):
      statistics = read
    }
    if records.count != statistics.recordsRead - statistics.recordsRejected {
      broken.append(
        "\(statistics.recordsRead) records read, \(statistics.recordsRejected) rejected, but \(records.count) delivered"
      )
    }
    if problems.isEmpty != (statistics.recordsRejected == 0)
      || problems.count < statistics.recordsRejected
    {
      broken.append(
        "\(statistics.recordsRejected) records rejected with \(problems.count) diagnostics")
    }
    if statistics.recordsRejected < 0 || statistics.rowsSkipped < 0 {
      broken.append("negative counts: \(statistics)")
    }
    for problem in problems { check(problem, "a rejection") }
    var previous = 0
    for record in records {
      let line = record.provenance.line
      if record.provenance.file != path { broken.append("a record names another file") }
      if !(1...lastLine).contains(line) {
        broken.append("a record at line \(line), outside the file's \(lastLine) lines")
      }
      if line < previous { broken.append("a record at line \(line) after one at \(previous)") }
      previous = line
    }
    return broken
  }

  // MARK: Rules

  /// Sample records for compiled rules: receipts and a disbursement, with and without
  /// the usual fields, two of one donor.
  static let sampleRecords: [Record] = {
    let path = scratchPath("records")
    defer { unlink(path) }
    let text = """
      kind,transaction_id,date,amount,aggregate,name,zip,payment_method,election_code,memo,employer,state,entity_type
      receipt,R1,2024-03-15,$250.00,$250.00,"SMITH, JOHN",44308,cash,P2024,,Acme,OH,IND
      receipt,R2,2024-03-20,"$3,000.00","$3,250.00","SMITH, JOHN",44308,check,G2024,,Acme,OH,IND
      receipt,R3,2024-04-01,(12.00),,,,,,X,,,ORG
      disbursement,D1,2024-05-01,75.25,,Print Shop,10001,card,,,,,
      receipt,R4,,,,,,,,,,,
      """
    guard write(Array(text.utf8), to: path) else { return [] }
    var records: [Record] = []
    _ = try? CSVReader(path: path, mapping: .canonical).read(
      onRecord: { records.append($0) }, onProblem: { _ in })
    return records
  }()

  static func rules(_ input: [UInt8]) -> [String] {
    let source = SourceFile(path: "fuzz.probity", text: String(decoding: input, as: UTF8.self))
    let (ruleSet, diagnostics) = RulePackCompiler.compile(sources: [source])
    var broken: [String] = []
    for diagnostic in diagnostics where diagnostic.file == source.path {
      if let line = diagnostic.line, !(1...source.lineStarts.count).contains(line) {
        broken.append("a diagnostic at line \(line) of \(source.lineStarts.count)")
      }
      _ = diagnostic.rendered()
    }
    if ruleSet == nil && !diagnostics.hasErrors { broken.append("no rules and no error") }
    guard let ruleSet else { return broken }
    var run = CheckRun(ruleSet: ruleSet)
    for record in sampleRecords { run.evaluate(record) }
    run.finish()
    if run.needsReplay {
      for record in sampleRecords { run.replay(record) }
      run.finishReplay()
    }
    if run.recordsEvaluated != sampleRecords.count {
      broken.append("\(sampleRecords.count) records given, \(run.recordsEvaluated) evaluated")
    }
    _ = run.findings
    return broken
  }

  // MARK: Files

  /// A file of its own for one input (tests may run targets side by side), in memory
  /// when the system has /dev/shm.
  static func scratchPath(_ name: String) -> String {
    var directory = "/dev/shm"
    if access(directory, W_OK) != 0 {
      directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }
    return "\(directory)/probity-fuzz-\(getpid())-\(name)-\(UInt64.random(in: 0...UInt64.max))"
  }

  static func write(_ bytes: [UInt8], to path: String) -> Bool {
    guard let file = fopen(path, "wb") else { return false }
    let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    return fclose(file) == 0 && written == bytes.count
  }

  /// Whether the read left a descriptor open on the file it read. Where the system lists
  /// a process's descriptors (/proc/self/fd, Linux), it is asked which are open on
  /// `path`: exact, whatever other threads open meanwhile (tests run targets and suites
  /// side by side in one process). Elsewhere, the lowest free descriptor must be the one
  /// it was before the read, which holds only while nothing else opens files.
  static func leftOpen(on path: String, lowestFreeBefore descriptor: Int32) -> Bool {
    guard let directory = opendir("/proc/self/fd") else { return nextDescriptor() != descriptor }
    defer { closedir(directory) }
    var target = [CChar](repeating: 0, count: 4096)
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard let number = Int32(name) else { continue }  // "." and ".."
      let length = readlink("/proc/self/fd/\(number)", &target, target.count - 1)
      guard length > 0 else { continue }  // closed meanwhile
      let opened = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if opened == path { return true }
    }
    return false
  }

  /// The descriptor the next `open` gets: the lowest free one, so a descriptor left open
  /// by a read changes it.
  static func nextDescriptor() -> Int32 {
    let descriptor = open("/dev/null", O_RDONLY)
    if descriptor >= 0 { close(descriptor) }
    return descriptor
  }
}

extension Result {
  /// The error, when the result is one.
  fileprivate var failure: Failure? {
    if case .failure(let failure) = self { return failure }
    return nil
  }
}
