import ArgumentParser
import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage
import ProbityReports

struct AuditCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Audit a pile of filings: all formats, folders, amendments, one report people read.",
    discussion: """
      Takes files and folders (searched recursively; files are taken in path order \
      whatever the order they are given in, each once), reads every filing \
      Probity recognises (.fec of every version, FEC bulk, the UK Electoral Commission \
      exports, CSV, XML) on all cores, and evaluates the rule pack over all of them \
      together, so a donor's gifts across a committee's reports add up. Results come out \
      in the same order whatever the number of threads.

      Amendments: an amended FEC report (F3A, F3XA, ...) replaces the report it amends, \
      identified by filer, form and report period; the replaced filing is listed as \
      superseded and not counted. Among several amendments the one with the highest \
      filing number (its file name) stands. A replaced file that holds a second filing \
      after its own (F0025) is reported unreadable: its records are not read, and the \
      filing joined to it is not checked.

      Writes to the audit folder (--out): summary.txt, findings.json, findings.csv (for \
      spreadsheets), findings.sarif (for code-scanning tools) and report.html (one self-contained file: charts, top filers, a \
      sortable and filterable table of findings, each with its explanation). Prints the \
      summary by rule, category and filer. Shows progress on a terminal.

      Examples:
        probity audit --rules Rules/us-federal ../shared/data/fec
        probity audit --rules Rules/us-federal --out audit-2024 --as-of 2024-12-31 filings/
      """
  )

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The rule pack: a directory of .probity files, or one file.", valueName: "pack"))
  var rules: String

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The audit folder to write: new, empty, or one an earlier audit wrote (created if needed).",
      valueName: "dir"))
  var out: String = "audit-out"

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The date open windows are judged at, as YYYY-MM-DD. Default: the latest record date in the input.",
      valueName: "date"))
  var asOf: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "How many files to read at once (default: the number of cores).", valueName: "n"))
  var jobs: Int?

  @Option(
    name: .long, help: "Exit 1 when a finding is at or above this severity: error, warning or info."
  )
  var failLevel: FindingSeverity = .error

  @Flag(
    name: .long,
    help: "Show donors' names as stable pseudonyms and withhold their addresses and employers.")
  var withholdPersonalData = false

  @OptionGroup var limitOptions: LimitOptions

  @Argument(help: ArgumentHelp("Filings and folders of filings.", valueName: "path"))
  var paths: [String]

  func validate() throws {
    if paths.isEmpty { throw ValidationError("give at least one filing or folder") }
    try validateAsOf(asOf)
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    try AuditCommand.validateAuditFolder(out)
  }

  /// The files an audit writes in its folder (replacing those an earlier audit wrote).
  static let outputs = [
    "summary.txt", "findings.json", "findings.csv", "findings.sarif", "report.html",
  ]

  /// The documents written as they are made (`writeInPieces`), through a file beside
  /// each named `NAME.partial-PID`.
  static let writtenInPieces = ["findings.json", "findings.csv", "report.html"]

  /// The process whose document `name` is, when `name` is that of a document an audit
  /// was writing (`writeInPieces`): `findings.json.partial-` and digits (ASCII).
  static func leftoverWriter(_ name: String) -> pid_t? {
    for output in writtenInPieces where name.hasPrefix(output + ".partial-") {
      let digits = name.utf8.dropFirst(output.utf8.count + ".partial-".utf8.count)
      guard !digits.isEmpty, digits.count <= 9,
        digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
      else { return nil }
      return pid_t(String(decoding: digits, as: UTF8.self))
    }
    return nil
  }

  /// Whether `name` is that of a document an audit was writing: the audit's own.
  static func isLeftover(_ name: String) -> Bool { leftoverWriter(name) != nil }

  /// Removes from the audit folder what audits that were stopped left half written: each
  /// a file (never a folder or a link), whose writer is no longer running (another
  /// audit of the folder may be writing its own).
  static func removeLeftovers(_ out: String) {
    for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [] {
      guard let writer = leftoverWriter(name), writer != getpid(),
        kill(writer, 0) != 0, errno == ESRCH
      else { continue }
      var status = stat()
      let path = out + "/" + name
      guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
      unlink(path)
    }
  }

  /// The audit folder must be new, empty, or one an earlier audit wrote (its files and
  /// no other, `summary.txt` among them): an audit replaces its files, and a folder of
  /// the user's own (`--out .`, or a folder of filings) may hold a `findings.csv` of
  /// theirs, replaced without a word.
  static func validateAuditFolder(_ out: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: out, isDirectory: &isFolder) else { return }
    guard isFolder.boolValue else {
      throw ValidationError("--out \(out) is a file: the audit folder must be a folder")
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
    let others = names.filter { !outputs.contains($0) && !isLeftover($0) }
    guard names.isEmpty || (others.isEmpty && names.contains("summary.txt")) else {
      let example = others.first ?? names[0]
      throw ValidationError(
        "the audit folder \(out) holds files an audit did not write ('\(example)'\(names.count > 1 ? ", and \(names.count - 1) more" : "")): give a new or empty folder, or one an earlier audit wrote (an audit replaces \(outputs.joined(separator: ", ")) in it)"
      )
    }
  }

  func run() throws {
    var entries: [AuditReport.FileEntry] = []
    // 1. The files, and their formats (nil: told when it is read, which says why it
    // cannot be). A file found in a folder is skipped when it is not a filing; one
    // named on the command line, or one that cannot be opened, is read, and reported
    // unreadable as `check` reports it.
    var filings: [(path: String, format: InputFormat?)] = []
    let (collected, unnamed) = try collect(paths)
    // A file whose name is not UTF-8 cannot be opened by its name here: unreadable, and
    // said (exit 2), never left out unsaid.
    let unnamedErrors = unnamed.map { path in
      Diagnostic(
        id: FilingsCatalogue.cannotOpen.id,
        message:
          "cannot open the filing: its name is not UTF-8 (the bytes shown as \\xNN), so it cannot be opened by name",
        file: path,
        hint: "rename it with a UTF-8 name (as unzip -O CP437, or convmv, can) and audit again")
    }
    for (path, error) in zip(unnamed, unnamedErrors) {
      printError(error.rendered())
      entries.append(
        .init(path: path, format: nil, status: .unreadable, note: error.message, records: 0))
    }
    for (path, explicit) in collected {
      do {
        filings.append((path, try FilingReader.detectFormat(path: path)))
      } catch {
        if explicit || error.diagnostic.id != FilingsCatalogue.unknownFormat.id {
          filings.append((path, nil))
        } else {
          entries.append(
            .init(
              path: path, format: nil, status: .skipped,
              note: "not a filing Probity reads"
                + (FilingReader.packaging(path: path).map { " (\($0))" } ?? ""),
              records: 0))
        }
      }
    }
    // Nothing to audit (an empty folder, or only files that are no filings): an audit
    // that reads nothing cannot pass, and writes no report that says it did.
    if filings.isEmpty {
      if !unnamed.isEmpty { throw Exit.unusable }
      let skipped = entries.count
      printError(
        "error: no filing found in \(paths.joined(separator: ", "))"
          + (skipped == 0
            ? ": no file"
            : ": \(skipped) file\(skipped == 1 ? "" : "s"), none a filing Probity reads")
          + "\n  = help: give the folders or files of the filings")
      throw Exit.unusable
    }
    // 2. One file named twice (a folder and a file in it, a link, a hard link) is read
    // once; a report an amendment replaces is not read (`InputSelection`).
    let formatOf = Dictionary(filings.map { ($0.path, $0.format) }, uniquingKeysWith: { a, _ in a })
    let selection = InputSelection(filings.map(\.path), mapping: nil) { formatOf[$0] ?? nil }
    for (path, first) in selection.repeats {
      entries.append(
        .init(
          path: path, format: (formatOf[path] ?? nil)?.rawValue, status: .superseded,
          note: "the same file as \(first): read once", records: 0))
    }
    // A replaced file that holds another filing after its own: none of its records is
    // read (its report is replaced: read, it would be counted twice, beside its
    // amendment), and it is unreadable (F0025, exit 2), as the filing joined to it cannot
    // be checked under its cover.
    var joined: [Diagnostic] = unnamedErrors
    for (path, by, stop) in selection.replaced {
      if let stop {
        printError(stop.rendered())
        joined.append(stop)
        entries.append(
          .init(
            path: path, format: "fec", status: .unreadable,
            note: "\(stop.message) (its own filing is replaced by \(by), and not read)",
            records: 0))
      } else {
        entries.append(
          .init(
            path: path, format: (formatOf[path] ?? nil)?.rawValue, status: .superseded,
            note: replacedReason(by: by), records: 0))
      }
    }
    for (path, within) in selection.contained {
      entries.append(
        .init(
          path: path, format: (formatOf[path] ?? nil)?.rawValue, status: .superseded,
          note: OverlappingInputs.containedReason(within: within), records: 0))
    }
    for (path, within) in selection.copies {
      entries.append(
        .init(
          path: path, format: (formatOf[path] ?? nil)?.rawValue, status: .superseded,
          note: OverlappingInputs.containedReason(within: within, kind: .reportParts),
          records: 0))
    }
    for (path, error) in selection.overlapping {
      printError(error.rendered())
      joined.append(error)
      entries.append(
        .init(
          path: path, format: (formatOf[path] ?? nil)?.rawValue, status: .unreadable,
          note: "\(error.message) (\(error.id)): not read", records: 0))
    }
    let checked = selection.read.map { (path: $0, format: formatOf[$0] ?? nil) }
    // 3. Read on all cores, evaluate in file order.
    let (run, _) = try prepareRun(
      rules: rules, mapping: nil, asOf: asOf, withholdPersonalData: withholdPersonalData)
    let formats = checked.reduce(into: [String: InputFormat]()) { $0[$1.path] = $1.format }
    let threads = jobs ?? ProcessInfo.processInfo.activeProcessorCount
    let limits = limitOptions.limits
    // Only the fields the run reads are decoded; the output is the same.
    let fields = run.fieldsRead
    let read: FileRead = {
      path, lines, pool, onRecord, onProblem throws(FilingError) in
      try FilingReader.read(
        path: path, format: formats[path], mapping: nil, limits: limits, lines: lines,
        pool: pool, fields: fields, onRecord: onRecord, onProblem: onProblem)
    }
    let files = checked.map(\.path)
    var progress = Progress(files: files.count, bytes: checked.reduce(0) { $0 + fileSize($1.path) })
    var outcome = EvaluationOutcome(run: run)
    outcome.inputErrors = joined
    outcome.unreadable = !joined.isEmpty
    // Each reader thread prepares its records (what depends on a record alone).
    outcome.run.indexForReplay()
    let preparer = outcome.run.preparerSource()
    let makePreparer: @Sendable () -> RecordPreparer? = { preparer.make() }
    var identities: [FileIdentity?] = Array(repeating: nil, count: files.count)
    ParallelReader(files: files, threads: threads, preparer: makePreparer, read: read).run(
      consume: { record in
        outcome.run.evaluate(record)
        progress.record(findings: outcome.run.unsortedFindingCount)
      },
      finished: { index, result in
        identities[index] = result.identity
        outcome.take(result, of: files[index])
        entries.append(
          .init(
            path: files[index], format: formats[files[index]]?.rawValue,
            status: result.error == nil ? .checked : .unreadable,
            note: result.error?.diagnostic.message,
            records: result.statistics.recordsRead))
        progress.file(bytes: result.bytes, findings: outcome.run.unsortedFindingCount)
      })
    progress.done()
    outcome.run.finish()
    if outcome.run.needsReplay {
      TestSeam.pauseBeforeTrails()
      let lines = outcome.run.replaySelection()
      ParallelReader(
        files: files, threads: threads, preparer: makePreparer, lines: lines, read: read
      ).run(
        consume: { outcome.run.replay($0) },
        finished: { index, result in
          guard
            let error = outcome.takeReplay(
              result, of: files[index], first: identities[index], wanted: lines)
          else { return }
          // Its entry says so too (summary.txt, report.html), not only findings.json.
          if let at = entries.firstIndex(where: { $0.path == files[index] && $0.status == .checked }
          ) {
            let entry = entries[at]
            entries[at] = .init(
              path: entry.path, format: entry.format, status: .unreadable, note: error.message,
              records: entry.records)
          }
        })
      outcome.run.finishReplay()
    }
    // 4. The audit folder. The report and its gate are those `check` makes of the same
    // files (without waivers or a baseline): findings.json and findings.sarif are the
    // documents `check --format json` and `--format sarif` write, fingerprints of records
    // without a transaction id by their key fields (read again: the run decoded only the
    // fields it reads) and the inputs that could not be read included.
    var check = outcome.report(rulePack: rules, inputs: files)
    // The files not read, and why, in findings.json and findings.sarif too.
    check.setAside = entries.filter { $0.status == .superseded }.sorted { $0.path < $1.path }
      .map { SetAsideInput(file: $0.path, reason: $0.note ?? "not read") }
    let gate = GateResult(
      report: check, failLevel: failLevel,
      recordKeys: findingRecordKeys(check, format: { formats[$0] }, mapping: nil, limits: limits),
      inputErrors: outcome.inputErrors, toolVersion: Probity.version)
    check.gate = gate
    let order = Dictionary(
      uniqueKeysWithValues: (entries.map(\.path)).enumerated().map { ($1, $0) })
    let audit = AuditReport(
      check: check,
      files: entries.sorted {
        $0.path < $1.path || ($0.path == $1.path && order[$0.path]! < order[$1.path]!)
      })
    let summary = noWorkflowCommands(terminalSafe(ReportRenderer.auditSummary(audit)))
    // The four documents are made and written at once, on all the cores (each from the
    // same report, none from another: the whole UK register's are 106 MB of JSON, 69 MB
    // of HTML, 32 MB of CSV), each written by the thread that made it, so that none is
    // kept waiting for the others. The first failure, in this order, is reported.
    let report = check
    let folder = out
    let documents: [(name: String, write: @Sendable (String) throws -> Void)] = [
      (
        "findings.json",
        { path in
          try writeInPieces(to: path) { write in
            try ReportRenderer.writeJSON(report) { chunk in try write(chunk) }
          }
        }
      ),
      (
        "findings.csv",
        {
          try writeInPieces(to: $0) { write in
            try ReportRenderer.writeFindingsCSV(report) { piece in try write(Array(piece.utf8)) }
          }
        }
      ),
      (
        "findings.sarif",
        {
          try SARIFRenderer.render(report, gate: gate).text.write(
            toFile: $0, atomically: true, encoding: .utf8)
        }
      ),
      (
        "report.html",
        { path in
          try writeInPieces(to: path) { write in
            try ReportRenderer.writeAuditHTML(audit) { piece in try write(Array(piece.utf8)) }
          }
        }
      ),
    ]
    do {
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      Self.removeLeftovers(out)
      try write(summary, "summary.txt")
      var failures = [(any Error)?](repeating: nil, count: documents.count)
      failures.withUnsafeMutableBufferPointer { failures in
        // Each written at its own place, by one thread.
        nonisolated(unsafe) let failures = failures
        DispatchQueue.concurrentPerform(iterations: documents.count) { index in
          do {
            try documents[index].write(folder + "/" + documents[index].name)
          } catch {
            failures[index] = error
          }
        }
      }
      if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    } catch {
      printError("error: cannot write the audit folder \(out): \(error.localizedDescription)")
      throw Exit.unusable
    }
    print(summary, terminator: "")
    print(
      "\naudit folder: \(out)/ (summary.txt, findings.json, findings.csv, findings.sarif, report.html)"
    )
    switch gate.exitCode(check) {
    case 0: return
    case 1: throw Exit.findings
    default: throw Exit.unusable
    }
  }

  func write(_ text: String, _ name: String) throws {
    try text.write(toFile: out + "/" + name, atomically: true, encoding: .utf8)
  }

  /// Every file under the paths, in path order whatever the order of the paths (so the
  /// output does not depend on it), each once; `explicit` for files named on the command
  /// line (an unreadable one is an error, an unrecognised one in a folder is skipped).
  /// The files to audit, each with whether it was named on the command line; and the
  /// files in the folders whose names are not UTF-8 (`walk`).
  func collect(_ paths: [String]) throws -> (files: [(String, Bool)], unnamed: [String]) {
    var result: [(String, Bool)] = []
    var unnamed: [String] = []
    // The audit folder, when it is in a folder searched: an earlier audit's output
    // (report.html, findings.*) is no filing of the pile, and reading it would make
    // every audit after the first fail (its HTML taken for XML). Told by its device and
    // inode, whatever the spelling of --out.
    var outStatus = stat()
    let outKey =
      stat(out, &outStatus) == 0 ? [UInt64(outStatus.st_dev), UInt64(outStatus.st_ino)] : nil
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        printError("\(path): error: no such file or folder")
        throw Exit.unusable
      }
      guard isDirectory.boolValue else {
        result.append((path, true))
        continue
      }
      let root = path.hasSuffix("/") ? String(path.dropLast()) : path
      var found: [String] = []
      AuditCommand.walk(root, outKey: outKey, into: &found, unnamed: &unnamed)
      result.append(contentsOf: found.map { ($0, false) })
    }
    var seen: Set<String> = []
    let files = result.sorted { ($0.0, $0.1 ? 0 : 1) < ($1.0, $1.1 ? 0 : 1) }.filter {
      seen.insert($0.0).inserted
    }
    return (files, unnamed.sorted())
  }
}

extension AuditCommand {
  /// The files under `folder`, by their names' bytes (`readdir`): hidden names (`.x`) and
  /// the audit folder (`outKey`: its device and inode) left out, a link to a folder not
  /// followed, a link that leads nowhere (its target gone, or a loop) kept (it is read,
  /// and reported unreadable, not left out unsaid). A name that is not UTF-8 (a Latin-1
  /// `Müller.csv` from a Windows zip) cannot be given to a reader by a Swift path: it is
  /// put in `unnamed`, shown with its bytes escaped, to be reported unreadable. (Walked
  /// by Foundation's enumerator, whose names are Strings, such a file was left out with
  /// no word.)
  static func walk(
    _ folder: String, outKey: [UInt64]?, into found: inout [String], unnamed: inout [String]
  ) {
    guard let handle = opendir(folder) else { return }
    defer { closedir(handle) }
    while let entry = readdir(handle) {
      let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        Array(raw.prefix { $0 != 0 })
      }
      guard let first = bytes.first, first != UInt8(ascii: ".") else { continue }
      guard let name = String(validating: bytes, as: UTF8.self) else {
        unnamed.append(folder + "/" + shownBytes(bytes))
        continue
      }
      let full = folder + "/" + name
      var status = stat()
      guard lstat(full, &status) == 0 else { continue }
      switch status.st_mode & S_IFMT {
      case S_IFDIR:
        if let outKey, [UInt64(status.st_dev), UInt64(status.st_ino)] == outKey { continue }
        walk(full, outKey: outKey, into: &found, unnamed: &unnamed)
      case S_IFLNK:
        var target = stat()
        if stat(full, &target) == 0, target.st_mode & S_IFMT == S_IFDIR { continue }
        found.append(full)
      default:
        found.append(full)
      }
    }
  }

}

/// A file's size in bytes (0 when it cannot be told). By `stat`: Foundation's
/// `attributesOfItem` builds a dictionary of every attribute, a few percent of the time
/// of a pile of small filings.
func fileSize(_ path: String) -> Int {
  var status = stat()
  return stat(path, &status) == 0 ? Int(status.st_size) : 0
}

/// Which FEC reports replace which: an amendment (F3A, F3XA, ...) replaces the report of
/// the same filer, form and period; among several, the highest filing number stands.
enum Amendments {
  struct Identity: Hashable {
    let filer: String
    let form: String
    let period: String
  }

  /// Superseded path → the path that replaces it. Reports are one when they share a
  /// filer, form and period, or when an amendment's header names the other's filing
  /// (`amended_filing`, of the same filer and form: an amendment that corrects its
  /// coverage dates still replaces the report it amends).
  ///
  /// A `.fec` file is one filing, told by its first record. A CSV or XML file is a report
  /// only when every record of it gives the same filer, form, period and amendment (read
  /// whole for those fields): a file of several reports or filers is never set aside.
  /// What `superseded` finds among the reports given.
  struct Reading {
    /// Superseded path → the path that replaces it.
    var replaced: [String: String] = [:]
    /// The CSV or XML files of each report that two or more of are read (in the order
    /// given): parts of it, or copies of it (`OverlappingInputs`, `reportParts`).
    var parts: [[String]] = []
  }

  static func superseded(
    _ paths: [String], format: (String) -> InputFormat? = { _ in .fec }, mapping: Mapping? = nil
  ) -> Reading {
    var identities: [(path: String, identity: Identity, amendment: Bool, amends: String?)] = []
    let lock = NSLock()
    nonisolated(unsafe) var found: [Int: (Identity, Bool, String?)] = [:]
    let formats = paths.map(format)
    // A CSV or XML report may be given in parts (its receipts and its disbursements, two
    // files of receipts), each with the report's filer, form and period: only an
    // amendment replaces one, and an amendment is never replaced (two could be two parts
    // of one amended report). Its period must be given by dates: a report type alone
    // (Q1) is every year's.
    var wholeFiling: [String: Bool] = [:]
    for (path, format) in zip(paths, formats) { wholeFiling[path] = format == .fec }
    DispatchQueue.concurrentPerform(iterations: paths.count) { index in
      let first =
        formats[index] == .fec
        ? firstRecord(paths[index])
        : wholeReport(paths[index], format: formats[index], mapping: mapping)
      guard let first else { return }
      let filer = first["filer_id"].stringValue ?? ""
      let form = first["report_form"].stringValue ?? ""
      let start = first["report_period_start"]
      let end = first["report_period_end"]
      let type = first["report_type"].stringValue ?? ""
      if formats[index] != .fec, start.isMissing || end.isMissing { return }
      let period = start.isMissing && end.isMissing ? type : "\(start.plainText)..\(end.plainText)"
      guard !filer.isEmpty, !form.isEmpty, !period.isEmpty else { return }
      let amendment = first["amendment"] == .boolean(true)
      let amends = amendment ? first["amended_filing"].stringValue : nil
      lock.lock()
      found[index] = (Identity(filer: filer, form: form, period: period), amendment, amends)
      lock.unlock()
    }
    for (index, path) in paths.enumerated() {
      if let (identity, amendment, amends) = found[index] {
        identities.append((path, identity, amendment, amends))
      }
    }
    // One report: the same identity, or an amendment and the filing its header names.
    var parent = Array(identities.indices)
    func root(_ i: Int) -> Int {
      var i = i
      while parent[i] != i {
        parent[i] = parent[parent[i]]
        i = parent[i]
      }
      return i
    }
    func join(_ a: Int, _ b: Int) { parent[root(a)] = root(b) }
    var byIdentity: [Identity: Int] = [:]
    var byFiling: [Int: [Int]] = [:]
    for (index, entry) in identities.enumerated() {
      if let first = byIdentity[entry.identity] {
        join(index, first)
      } else {
        byIdentity[entry.identity] = index
      }
      byFiling[filingNumber(entry.path), default: []].append(index)
    }
    for (index, entry) in identities.enumerated() {
      guard let amends = entry.amends, let number = filingNumber(named: amends) else { continue }
      for other in byFiling[number] ?? []
      where identities[other].identity.filer == entry.identity.filer
        && identities[other].identity.form == entry.identity.form
      {
        join(index, other)
      }
    }
    let components = Dictionary(grouping: identities.indices, by: root).values.map {
      $0.map { identities[$0] }
    }
    var result: [String: String] = [:]
    var parts: [[String]] = []
    for members in components where members.count > 1 {
      let ranked = members.sorted { a, b in
        (a.amendment ? 1 : 0, filingNumber(a.path), a.path) < (
          b.amendment ? 1 : 0, filingNumber(b.path), b.path
        )
      }
      guard let winner = ranked.last else { continue }
      // The filings another amendment of the report names (`amended_filing`): replaced,
      // whatever their format (a CSV amendment of an amendment).
      let named = Set(members.compactMap { $0.amends.flatMap(filingNumber(named:)) })
      for member in ranked.dropLast() {
        let amended = named.contains(filingNumber(member.path))
        if wholeFiling[member.path] != true && !amended
          && (member.amendment || !winner.amendment)
        {
          continue
        }
        result[member.path] = winner.path
      }
      let read = members.filter { result[$0.path] == nil && wholeFiling[$0.path] != true }
      if read.count > 1 {
        let order = Dictionary(uniqueKeysWithValues: paths.enumerated().map { ($1, $0) })
        parts.append(read.map(\.path).sorted { order[$0]! < order[$1]! })
      }
    }
    parts.sort { $0[0] < $1[0] }
    return Reading(replaced: result, parts: parts)
  }

  /// The number of the filing an amendment names: `1222311`, or as the FEC writes it,
  /// `FEC-1222311` (a CSV's `amended_filing` column may hold either).
  static func filingNumber(named text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    return Int(trimmed.uppercased().hasPrefix("FEC-") ? String(trimmed.dropFirst(4)) : trimmed)
  }

  /// The number in a file's name (FEC filings are named by their filing id, `1238500.fec`,
  /// or as the FEC writes a filing's id, `FEC-1238500.fec`).
  static func filingNumber(_ path: String) -> Int {
    var name = Substring(path.split(separator: "/").last.map(String.init) ?? path)
    if name.uppercased().hasPrefix("FEC-") { name = name.dropFirst(4) }
    return Int(name.prefix { $0.isASCII && $0.isNumber }) ?? -1
  }

  /// The first record of a `.fec` file, with its cover's values: read from the file's
  /// first lines alone (the reader stops after the last line asked for), or, when none
  /// of them is a record (a filing opening with many text records), from the whole file.
  static func firstRecord(_ path: String) -> Record? {
    for lines in [LineSelection(lines: Set(1...firstLines)), nil] {
      var first: Record?
      _ = try? FilingReader.read(
        path: path, format: .fec, mapping: nil, lines: lines,
        onRecord: { if first == nil { first = $0 } }, onProblem: { _ in })
      if let first { return first }
    }
    return nil
  }

  /// The fields that tell a report: its filer, form, period, and whether it amends one.
  static let reportFieldIDs = [
    "filer_id", "report_form", "report_type", "report_period_start", "report_period_end",
    "amendment", "amended_filing",
  ].compactMap { CanonicalSchema.id(named: $0) }
  static let reportFields = FieldSet(reportFieldIDs)

  /// The first record of a CSV or XML file all of whose records give the same report
  /// fields (`reportFields`), with a filer and a form; nil otherwise, or when it cannot be
  /// read (its reading then says why).
  static func wholeReport(_ path: String, format: InputFormat?, mapping: Mapping?) -> Record? {
    // Its first lines first: a file whose first record names no filer and form (most
    // CSVs, which have no such columns) is not read whole.
    var opening: Record?
    _ = try? FilingReader.read(
      path: path, format: format, mapping: mapping,
      lines: LineSelection(lines: Set(1...firstLines)),
      fields: reportFields, onRecord: { if opening == nil { opening = $0 } }, onProblem: { _ in })
    guard let opening, opening["filer_id"].stringValue?.isEmpty == false,
      opening["report_form"].stringValue?.isEmpty == false
    else { return nil }
    let fields = reportFieldIDs
    var first: Record?
    var uniform = true
    do {
      _ = try FilingReader.read(
        path: path, format: format, mapping: mapping, fields: reportFields,
        onRecord: { record in
          guard uniform else { return }
          if let first {
            uniform = fields.allSatisfy { first[$0] == record[$0] }
          } else {
            first = record
          }
        }, onProblem: { _ in })
    } catch {
      return nil
    }
    guard uniform, let first, first["filer_id"].stringValue?.isEmpty == false,
      first["report_form"].stringValue?.isEmpty == false
    else { return nil }
    return first
  }

  /// `anotherFiling` of each path, in their order, the files read on all cores (each is
  /// read whole).
  static func anotherFilings(_ paths: [String]) -> [Diagnostic?] {
    let lock = NSLock()
    nonisolated(unsafe) var found: [Int: Diagnostic] = [:]
    DispatchQueue.concurrentPerform(iterations: paths.count) { index in
      guard let stop = anotherFiling(paths[index]) else { return }
      lock.lock()
      found[index] = stop
      lock.unlock()
    }
    return paths.indices.map { found[$0] }
  }

  /// Why a `.fec` file holds a second filing after its own, if it does: the reader,
  /// reading it whole with no field decoded, stops at a second header (F0025).
  static func anotherFiling(_ path: String) -> Diagnostic? {
    do {
      _ = try FilingReader.read(
        path: path, format: .fec, mapping: nil, fields: FieldSet(), onRecord: { _ in },
        onProblem: { _ in })
      return nil
    } catch {
      // Another filing joined to it: after a second header, or a second cover (F0031).
      let joined = [FilingsCatalogue.fecSecondHeader.id, FilingsCatalogue.fecCoverOutOfPlace.id]
      return joined.contains(error.diagnostic.id) ? error.diagnostic : nil
    }
  }

  /// How many lines `firstRecord` reads before it reads the whole file.
  static let firstLines = 64
}

/// Writes a document made in pieces to `path` as they are made, through a file beside it
/// renamed over it at the end (as `write(toFile:atomically:)` does): the document is
/// never held whole, and a run that fails midway leaves the old file, not half a new one.
/// The first write that fails throws out of `make`'s `write`, so that the document's
/// maker stops there (a full disk is not given the rest of a 100 MB report to refuse).
func writeInPieces(
  to path: String, _ make: ((borrowing [UInt8]) throws -> Void) throws -> Void
) throws {
  let temporary = path + ".partial-\(getpid())"
  guard let file = fopen(temporary, "wb") else { throw WriteError(path: path, code: errno) }
  do {
    try make { bytes in
      try bytes.withUnsafeBufferPointer { buffer in
        if !buffer.isEmpty, fwrite(buffer.baseAddress, 1, buffer.count, file) != buffer.count {
          throw WriteError(path: path, code: errno)
        }
      }
    }
  } catch {
    fclose(file)
    unlink(temporary)
    throw error
  }
  var failure: Int32?
  if fclose(file) != 0 { failure = errno }
  if failure == nil, rename(temporary, path) != 0 { failure = errno }
  if let failure {
    unlink(temporary)
    throw WriteError(path: path, code: failure)
  }
}

/// A document that could not be written: its path and the system's reason.
struct WriteError: LocalizedError {
  let path: String
  let code: Int32
  var errorDescription: String? { "\(path): \(String(cString: strerror(code)))" }
}
