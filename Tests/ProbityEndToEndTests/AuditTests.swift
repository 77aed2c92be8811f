import Foundation
import ProbityTestSupport
import Testing

@testable import probity

/// `probity audit`: folders, amendments, determinism across thread counts, the audit
/// folder, and the HTML report in a real headless browser.
@Suite(.serialized) struct Audit {
  static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
  static var sharedPresent: Bool { FileManager.default.fileExists(atPath: shared.path) }

  func temporaryDirectory(_ name: String) throws -> URL {
    let url = scratchFolder.appendingPathComponent(
      "probity-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// A pile of filings: a real amended FEC report (1550126.fec, an F3A), the original it
  /// amends (made from it: same filer, form and period, marked new, with one receipt more
  /// that must not be counted), and the US fixtures.
  func pile() throws -> URL {
    let pile = try temporaryDirectory("pile")
    let amended = try Data(contentsOf: Audit.shared.appendingPathComponent("fec/1550126.fec"))
    try amended.write(to: pile.appendingPathComponent("1550126.fec"))
    var original = String(decoding: amended, as: UTF8.self)
    original = original.replacingOccurrences(of: "\nF3A\u{1C}", with: "\nF3N\u{1C}")
    let extra =
      original.split(separator: "\n").first { $0.hasPrefix("SA11AI") }.map(String.init) ?? ""
    original += extra.replacingOccurrences(of: "SA11AI.4265", with: "SA11AI.EXTRA") + "\n"
    try original.write(
      to: pile.appendingPathComponent("1549000.fec"), atomically: true, encoding: .utf8)
    let fixtures = pile.appendingPathComponent("fixtures")
    try FileManager.default.createDirectory(at: fixtures, withIntermediateDirectories: true)
    for name in ["aggregates.csv", "pac-receipts.csv"] {
      try FileManager.default.copyItem(
        at: packageRoot.appendingPathComponent("Fixtures/us-federal/\(name)"),
        to: fixtures.appendingPathComponent(name))
    }
    try "not a filing\n".write(
      to: fixtures.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
    return pile
  }

  /// A document that cannot be written whole (a full disk: its file beside the old one
  /// is a link to /dev/full) leaves the old document as it was, no file beside it, and
  /// an error naming the path and the system's reason; its maker is stopped at the
  /// first piece that failed, not given the rest to write.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full"))
  func aFullDiskStopsTheDocumentAndKeepsTheOld() throws {
    let folder = try temporaryDirectory("full")
    let path = folder.path + "/findings.json"
    try "old".write(toFile: path, atomically: false, encoding: .utf8)
    let beside = path + ".partial-\(getpid())"
    try FileManager.default.createSymbolicLink(atPath: beside, withDestinationPath: "/dev/full")
    // Pieces larger than stdio's buffer, written through at once.
    let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 16)
    var made = 0
    #expect {
      try writeInPieces(to: path) { write in
        for _ in 0..<10 {
          made += 1
          try write(piece)
        }
      }
    } throws: { error in
      (error as? WriteError)?.code == ENOSPC
        && error.localizedDescription.hasPrefix(path + ": ")
    }
    #expect(made == 1)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: beside)) == nil)
    // A write that works replaces the old document.
    try writeInPieces(to: path) { write in try write(Array("new".utf8)) }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["findings.json"])
  }

  /// The audit folder's SARIF says what the audit's exit says: its fail level, and the
  /// inputs that could not be read (exit 2, the run not successful).
  @Test func sarifExitIsTheAudits() throws {
    func invocation(_ out: URL) throws -> [String: Any] {
      let data = try Data(contentsOf: out.appendingPathComponent("findings.sarif"))
      let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      let runs = try #require(json["runs"] as? [[String: Any]])
      let invocations = try #require(runs.first?["invocations"] as? [[String: Any]])
      return try #require(invocations.first)
    }
    let pile = try temporaryDirectory("exits")
    defer { try? FileManager.default.removeItem(at: pile) }
    let junk = pile.appendingPathComponent("junk.csv")
    try "not a filing\n".write(to: junk, atomically: true, encoding: .utf8)
    let receipts = packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv").path
    for (arguments, status) in [
      (["--fail-level", "info", receipts], Int32(1)), ([receipts, junk.path], Int32(2)),
    ] {
      let out = try temporaryDirectory("audit-exit")
      defer { try? FileManager.default.removeItem(at: out) }
      let result = try runProbity(
        ["audit", "--rules", "Rules/us-federal", "--out", out.path] + arguments)
      #expect(result.status == status, "\(result.stderr)")
      let run = try invocation(out)
      #expect(run["exitCode"] as? Int == Int(status), "\(arguments)")
      #expect(run["executionSuccessful"] as? Bool == (status != 2), "\(arguments)")
    }
  }

  /// Audits `pile` into an audit folder of its own (the caller removes it), expecting
  /// exit 2: some input could not be read.
  func unreadableAudit(
    of pile: URL, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> (RunResult, URL) {
    let out = try temporaryDirectory("audit-unreadable")
    let audit = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(audit.status == 2, "\(audit.stderr)", sourceLocation: sourceLocation)
    return (audit, out)
  }

  /// A zip archive in a folder (the Electoral Commission's exports come zipped) is
  /// passed over as no filing, but the audit says what it is: its filings are not read.
  @Test func aZipInAFolderIsNamedAsOne() throws {
    let pile = try temporaryDirectory("zipped")
    defer { try? FileManager.default.removeItem(at: pile) }
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"),
      to: pile.appendingPathComponent("aggregates.csv"))
    try Data([0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 40)).write(
      to: pile.appendingPathComponent("export.zip"))
    let out = try temporaryDirectory("zipped-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--as-of", "2025-06-01", "--out", out.path,
      pile.path,
    ])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(
      result.stdout.contains("export.zip: skipped: not a filing Probity reads (a zip archive)\n"),
      "\(result.stdout)")
  }

  /// A file whose name is not UTF-8 (a Latin-1 `Müller.csv`, as Windows zips make them)
  /// cannot be opened by a Swift path: walked by Foundation's enumerator, it was left out
  /// with no word, and the audit passed on the files beside it. It is listed unreadable,
  /// its bad byte shown as `\xFC`, and the audit cannot pass (exit 2).
  @Test func aFileNamedInLatin1IsReportedNotLeftOut() throws {
    let pile = try temporaryDirectory("latin1")
    defer { try? FileManager.default.removeItem(at: pile) }
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"),
      to: pile.appendingPathComponent("ok.csv"))
    let bytes = Array(pile.path.utf8) + Array("/M".utf8) + [0xFC] + Array("ller.csv".utf8) + [0]
    let descriptor = bytes.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { creat($0.baseAddress!, 0o644) }
    }
    #expect(descriptor >= 0)
    close(descriptor)
    let out = try temporaryDirectory("latin1-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--as-of", "2025-06-01", "--out", out.path,
      pile.path,
    ])
    #expect(result.status == 2, "\(result.stderr)")
    #expect(
      result.stdout.contains(
        "M\\xFCller.csv: unreadable: cannot open the filing: its name is not UTF-8"),
      "\(result.stdout)")
    #expect(result.stderr.contains("error[F0001]"), "\(result.stderr)")
  }

  /// A folder holding a filing that cannot be read: every output of the audit names it.
  /// The HTML report says at its top that the audit is incomplete and lists the file
  /// with the reader's error, and the file skipped with why; findings.json is the
  /// document `check --format json` writes for the files the audit read (gate, input
  /// errors, trails and all), byte for byte.
  @Test func anUnreadableInputIsNamedInTheHTMLAndTheJSON() throws {
    let pile = try temporaryDirectory("unreadable")
    defer { try? FileManager.default.removeItem(at: pile) }
    for name in ["us-federal/aggregates.csv", "bad/unknown-version.fec"] {
      try FileManager.default.copyItem(
        at: packageRoot.appendingPathComponent("Fixtures/\(name)"),
        to: pile.appendingPathComponent(name.split(separator: "/").last.map(String.init)!))
    }
    try "not a filing\n".write(
      to: pile.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
    let unreadable = pile.appendingPathComponent("unknown-version.fec").path
    let (audit, out) = try unreadableAudit(of: pile)
    defer { try? FileManager.default.removeItem(at: out) }
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    let top = try #require(html.components(separatedBy: "<div class=\"cards\">").first)
    #expect(top.contains("Incomplete audit: 1 input could not be read"))
    #expect(top.contains("3 files (1 checked, 1 skipped, 1 unreadable)"))
    #expect(top.contains("(exit 2)"))
    #expect(
      top.contains(
        "<tr class=\"unreadable\"><td>\(unreadable)</td><td class=\"sev-error\">unreadable</td><td>error[F0015] (line 1): unsupported .fec version"
      ))
    #expect(
      top.contains(
        "<td>\(pile.path)/README.txt</td><td>skipped</td><td>not a filing Probity reads</td>"))

    let data = try Data(contentsOf: out.appendingPathComponent("findings.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let errors = try #require(json["input_errors"] as? [[String: Any]])
    #expect(errors.count == 1)
    #expect(errors.first?["file"] as? String == unreadable)
    #expect(errors.first?["id"] as? String == "F0015")
    #expect(errors.first?["line"] as? Int == 1)
    let summary = try #require(json["summary"] as? [String: Any])
    #expect((summary["gate"] as? [String: Any])?["exit_code"] as? Int == 2)
    let findings = try #require(json["findings"] as? [[String: Any]])
    #expect(!findings.isEmpty)
    #expect(findings.allSatisfy { $0["fingerprint"] is String && $0["gate"] is [String: Any] })
    #expect(findings.contains { !(($0["trail"] as? [Any]) ?? []).isEmpty })

    let inputs = try #require(json["inputs"] as? [String])
    #expect(inputs == ["\(pile.path)/aggregates.csv", unreadable])
    let check = try runProbity(
      ["check", "--rules", "Rules/us-federal", "--format", "json"] + inputs)
    #expect(check.status == 2)
    #expect(check.stdout == String(decoding: data, as: UTF8.self))
    #expect(audit.stdout.contains("\(unreadable): unreadable: unsupported .fec version"))
  }

  /// A file in a folder that cannot be opened is not "not a filing": it is unreadable,
  /// and the audit says so and exits 2.
  @Test(.enabled(if: getuid() != 0, "root opens any file"))
  func aFileThatCannotBeOpenedIsUnreadableNotSkipped() throws {
    let pile = try temporaryDirectory("closed")
    defer { try? FileManager.default.removeItem(at: pile) }
    let closed = pile.appendingPathComponent("closed.csv")
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"), to: closed)
    try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: closed.path)
    let (audit, out) = try unreadableAudit(of: pile)
    defer { try? FileManager.default.removeItem(at: out) }
    #expect(audit.stdout.contains("\(closed.path): unreadable: cannot open the filing"))
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("error[F0001]"))
  }

  /// A link in a folder that leads nowhere (its target gone, or a loop) is a file that
  /// cannot be opened: unreadable, named, exit 2; it was left out unsaid, and the audit
  /// of the folder passed.
  @Test func aBrokenLinkInAFolderIsUnreadableNotLeftOut() throws {
    let pile = try temporaryDirectory("links")
    defer { try? FileManager.default.removeItem(at: pile) }
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/pac-receipts.csv"),
      to: pile.appendingPathComponent("pac-receipts.csv"))
    let gone = pile.appendingPathComponent("q2.fec").path
    let loop = pile.appendingPathComponent("q3.fec").path
    try FileManager.default.createSymbolicLink(
      atPath: gone, withDestinationPath: "/nonexistent/mount/q2.fec")
    try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: "q3.fec")
    let (audit, out) = try unreadableAudit(of: pile)
    defer { try? FileManager.default.removeItem(at: out) }
    #expect(audit.stdout.contains("files: 3 (2 unreadable, 1 checked)"))
    #expect(audit.stdout.contains("\(gone): unreadable: cannot open the filing"))
    #expect(audit.stdout.contains("\(loop): unreadable: cannot open the filing"))
  }

  /// The audit folder inside the folder audited (`probity audit .`, whose default
  /// --out is ./audit-out) is not audited: the second run read the first one's
  /// report.html as XML, called it unreadable and exited 2.
  @Test func anAuditDoesNotReadItsOwnFolder() throws {
    let pile = try temporaryDirectory("own-out")
    defer { try? FileManager.default.removeItem(at: pile) }
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv"),
      to: pile.appendingPathComponent("receipts.csv"))
    let out = pile.appendingPathComponent("audit-out").path
    var summaries: [String] = []
    for _ in 1...2 {
      let result = try runProbity([
        "audit", "--rules", "Rules/us-federal", "--out", out, pile.path,
      ])
      #expect(result.status == 1, "\(result.stderr)")
      #expect(result.stdout.contains("files: 1 (1 checked)"))
      summaries.append(try String(contentsOfFile: out + "/summary.txt", encoding: .utf8))
    }
    #expect(summaries[0] == summaries[1])
  }

  /// The audit folder must be new, empty or an earlier audit's: an audit replaces its
  /// files, and `--out` naming a folder of the user's own (a folder of filings, one with
  /// a findings.csv of theirs) replaced them without a word.
  @Test func anAuditFolderOfOtherFilesIsRefused() throws {
    let folder = try temporaryDirectory("out-others")
    defer { try? FileManager.default.removeItem(at: folder) }
    let receipts = packageRoot.appendingPathComponent("Fixtures/us-federal/receipts.csv").path
    let mine = folder.appendingPathComponent("findings.csv")
    try "my own notes\n".write(to: mine, atomically: true, encoding: .utf8)
    for extra in [nil, "q1.fec"] {
      if let extra {
        try FileManager.default.copyItem(
          atPath: receipts, toPath: folder.appendingPathComponent(extra).path)
      }
      let result = try runProbity([
        "audit", "--rules", "Rules/us-federal", "--out", folder.path, receipts,
      ])
      #expect(result.status == 2)
      #expect(result.stderr.contains("holds files an audit did not write"), "\(result.stderr)")
      #expect(try String(contentsOf: mine, encoding: .utf8) == "my own notes\n")
    }
    // A file is no folder.
    let file = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", mine.path, receipts,
    ])
    #expect(file.status == 2)
    #expect(file.stderr.contains("the audit folder must be a folder"))
    // An empty folder, then the folder that audit wrote, are taken.
    let fresh = folder.appendingPathComponent("fresh")
    try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
    for _ in 1...2 {
      let result = try runProbity([
        "audit", "--rules", "Rules/us-federal", "--out", fresh.path, receipts,
      ])
      #expect(result.status == 1, "\(result.stderr)")
    }
    // A document left half written by an audit that was stopped (its process gone) is
    // the audit's own: taken, and removed. One whose writer still runs (another audit
    // of the folder), or that is a folder, is taken and left; a name like it that is
    // not one an audit writes is refused.
    let written = try String(contentsOfFile: fresh.path + "/findings.json", encoding: .utf8)
    let leftover = fresh.path + "/findings.json.partial-999999999"
    try "{\"half".write(toFile: leftover, atomically: false, encoding: .utf8)
    let running = fresh.path + "/findings.csv.partial-\(getpid())"
    try "rule,".write(toFile: running, atomically: false, encoding: .utf8)
    let folderLike = fresh.path + "/report.html.partial-999999998"
    try FileManager.default.createDirectory(atPath: folderLike, withIntermediateDirectories: false)
    try "notes".write(toFile: folderLike + "/notes.txt", atomically: false, encoding: .utf8)
    let again = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", fresh.path, receipts,
    ])
    #expect(again.status == 1, "\(again.stderr)")
    #expect(!FileManager.default.fileExists(atPath: leftover))
    #expect(FileManager.default.fileExists(atPath: running))
    #expect(FileManager.default.fileExists(atPath: folderLike + "/notes.txt"))
    #expect(try String(contentsOfFile: fresh.path + "/findings.json", encoding: .utf8) == written)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: fresh.path).sorted()
        == (AuditCommand.outputs + [running, folderLike].map { ($0 as NSString).lastPathComponent })
        .sorted())
    try FileManager.default.removeItem(atPath: running)
    try FileManager.default.removeItem(atPath: folderLike)
    for name in [
      "findings.json.partial-x", "summary.txt.partial-12", "findings.csv.partial-1\u{301}",
    ] {
      let path = fresh.path + "/" + name
      try "x".write(toFile: path, atomically: false, encoding: .utf8)
      let refused = try runProbity([
        "audit", "--rules", "Rules/us-federal", "--out", fresh.path, receipts,
      ])
      #expect(refused.status == 2, "\(name)")
      #expect(refused.stderr.contains("holds files an audit did not write"), "\(refused.stderr)")
      try FileManager.default.removeItem(atPath: path)
    }
  }

  /// A folder with no filing in it (empty, or only a README) is nothing audited: exit 2
  /// and no audit folder, as `check` needs a filing; it passed with "files: 0 ()".
  @Test func aFolderWithoutFilingsIsAnError() throws {
    let pile = try temporaryDirectory("no-filings")
    let out = try temporaryDirectory("no-filings-out").appendingPathComponent("audit")
    defer {
      try? FileManager.default.removeItem(at: pile)
      try? FileManager.default.removeItem(at: out.deletingLastPathComponent())
    }
    let empty = pile.appendingPathComponent("empty")
    let readme = pile.appendingPathComponent("readme")
    for folder in [empty, readme] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    try "not a filing\n".write(
      to: readme.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
    for (folder, why) in [(empty, "no file"), (readme, "1 file, none a filing Probity reads")] {
      let result = try runProbity([
        "audit", "--rules", "Rules/us-federal", "--out", out.path, folder.path,
      ])
      #expect(result.status == 2)
      #expect(result.stderr.contains("error: no filing found in \(folder.path): \(why)"))
      #expect(!FileManager.default.fileExists(atPath: out.path))
    }
  }

  /// An audit reads its files in path order: a committee's second-quarter report named
  /// before its first (an amendment filed later has a higher number) puts a donor's
  /// gifts out of date order, and US-REMEDY-001 cannot judge the donor (an evaluation
  /// error, exit 1). The summary (printed and summary.txt) and the HTML report say so,
  /// with the record and why: they said "findings: 0" and nothing else, the run failing
  /// without a word of why outside findings.json and findings.sarif.
  @Test func evaluationErrorsAreInTheSummaryAndTheHTML() throws {
    let pile = try temporaryDirectory("out-of-order")
    let out = try temporaryDirectory("out-of-order-out")
    defer {
      try? FileManager.default.removeItem(at: pile)
      try? FileManager.default.removeItem(at: out)
    }
    // An excess whose refund gives no zip code: the refund cannot be placed, and may be
    // the one that cured it, so neither limit rule judges the gift (an evaluation error
    // each, and the audit fails for them alone).
    let header =
      "kind,filer_id,committee_type,form_type,transaction_id,back_reference,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code,report_period_end"
    let rows = [
      header,
      "receipt,C00587782,H,SA11AI,Q1.1,,IND,\"HILLMAN, TATNALL\",1 Elm St,Wilmington,DE,19801,Self,Investor,2018-01-10,3000.00,3000.00,P2018,2018-03-31",
      "disbursement,C00587782,H,SB20A,Q1.2,Q1.1,IND,\"HILLMAN, TATNALL\",1 Elm St,Wilmington,DE,,,,2018-02-01,300.00,,P2018,2018-03-31",
      "",
    ]
    try rows.joined(separator: "\n").write(
      to: pile.appendingPathComponent("1-q1.csv"), atomically: true, encoding: .utf8)
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, "--as-of", "2026-12-01",
      pile.path,
    ])
    #expect(result.status == 1, "\(result.stderr)")
    let summary = try String(contentsOf: out.appendingPathComponent("summary.txt"), encoding: .utf8)
    #expect(result.stdout.contains(summary))
    #expect(summary.contains("findings: 0 "))
    #expect(summary.contains("evaluation errors: 2 (could not be evaluated: the audit fails)"))
    #expect(
      summary.contains("by rule, could not be evaluated:\n  US-EXCESS-001  1\n  US-REMEDY-001  1"))
    #expect(
      summary.contains(
        "1-q1.csv:2: evaluation error[US-EXCESS-001] not judged: line 3, which takes $300.00"))
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("<h2>Could not be evaluated</h2>"))
    #expect(html.contains("<table id=\"evaluation-errors\">"))
    #expect(html.contains("1-q1.csv:2 Q1.1"))
    #expect(html.contains("not judged: line 3, which takes $300.00"))
  }

  /// The audit folder's SARIF fingerprints are those `check --format sarif` gives, for
  /// records without a transaction id too (fingerprinted by their key fields, read
  /// again): a waiver or baseline made from one holds for the other.
  @Test func sarifFingerprintsAreCheck() throws {
    let pile = try temporaryDirectory("notid")
    defer { try? FileManager.default.removeItem(at: pile) }
    let fixture = try String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/us-federal/aggregates.csv"),
      encoding: .utf8)
    var lines = fixture.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let column = try #require(lines[0].split(separator: ",").firstIndex(of: "transaction_id"))
    for index in lines.indices.dropFirst() where !lines[index].isEmpty {
      var cells = lines[index].split(separator: ",", omittingEmptySubsequences: false)
      cells[column] = ""
      lines[index] = cells.joined(separator: ",")
    }
    let file = pile.appendingPathComponent("notid.csv")
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let out = try temporaryDirectory("audit-notid")
    defer { try? FileManager.default.removeItem(at: out) }
    let audit = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(audit.status == 1, "\(audit.stderr)")
    let check = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "sarif", file.path,
    ])
    func fingerprints(_ data: Data) throws -> [String] {
      let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      let runs = try #require(json["runs"] as? [[String: Any]])
      let results = try #require(runs.first?["results"] as? [[String: Any]])
      return results.compactMap { ($0["partialFingerprints"] as? [String: String])?["probity/v2"] }
    }
    let fromAudit = try fingerprints(Data(contentsOf: out.appendingPathComponent("findings.sarif")))
    let fromCheck = try fingerprints(Data(check.stdout.utf8))
    #expect(!fromAudit.isEmpty)
    #expect(Set(fromAudit).count == fromAudit.count)
    #expect(fromAudit == fromCheck)
  }

  /// An amendment whose header names the filing it amends (`FEC-1542500`) replaces that
  /// filing even when it corrects the report's coverage dates: matched by filer, form and
  /// period alone, both were read and the report's gifts counted twice.
  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func anAmendmentReplacesTheFilingItsHeaderNames() throws {
    let pile = try temporaryDirectory("audit-named")
    defer { try? FileManager.default.removeItem(at: pile) }
    let amendment = try Data(contentsOf: Audit.shared.appendingPathComponent("fec/1550126.fec"))
    try amendment.write(to: pile.appendingPathComponent("1550126.fec"))
    // The original, as filed before the amendment moved its coverage's start.
    var original = String(decoding: amendment, as: UTF8.self)
    #expect(original.contains("\u{1C}FEC-1542500\u{1C}"))
    #expect(original.contains("\u{1C}20210701\u{1C}20210930\u{1C}"))
    original = original.replacingOccurrences(of: "\nF3A\u{1C}", with: "\nF3N\u{1C}")
      .replacingOccurrences(of: "\u{1C}FEC-1542500\u{1C}", with: "\u{1C}\u{1C}")
      .replacingOccurrences(
        of: "\u{1C}20210701\u{1C}20210930\u{1C}", with: "\u{1C}20210702\u{1C}20210930\u{1C}")
    try original.write(
      to: pile.appendingPathComponent("1542500.fec"), atomically: true, encoding: .utf8)
    let out = try temporaryDirectory("audit-named-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(
      result.stdout.contains("1542500.fec: superseded: replaced by \(pile.path)/1550126.fec"),
      "\(result.stdout)")
    let check = try runProbity([
      "check", "--rules", "Rules/us-federal",
      pile.appendingPathComponent("1542500.fec").path,
      pile.appendingPathComponent("1550126.fec").path,
    ])
    #expect(check.stderr.contains("1542500.fec: replaced by"), "\(check.stderr)")
  }

  /// Among amendments of one report the highest filing number stands, whether the file is
  /// named `1550999.fec` or as the FEC writes an id, `FEC-1550999.fec` (which ranked below
  /// every numbered name).
  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func theLatestAmendmentStandsWhateverItsNameSpelling() throws {
    let pile = try temporaryDirectory("audit-fec-names")
    defer { try? FileManager.default.removeItem(at: pile) }
    let amendment = try Data(contentsOf: Audit.shared.appendingPathComponent("fec/1550126.fec"))
    try amendment.write(to: pile.appendingPathComponent("1550126.fec"))
    try amendment.write(to: pile.appendingPathComponent("FEC-1550999.fec"))
    let out = try temporaryDirectory("audit-fec-names-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(
      result.stdout.contains("1550126.fec: superseded: replaced by \(pile.path)/FEC-1550999.fec"),
      "\(result.stdout)")
  }

  /// One filing reached by two paths in an audit (a link, a hard link, a file also named
  /// in its folder) is read once, and the others say so: they were "amended by" the file
  /// they are.
  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func auditReadsAFileReachedTwiceOnce() throws {
    let pile = try temporaryDirectory("audit-twice")
    defer { try? FileManager.default.removeItem(at: pile) }
    let filing = pile.appendingPathComponent("1550126.fec").path
    try FileManager.default.copyItem(
      atPath: Audit.shared.appendingPathComponent("fec/1550126.fec").path, toPath: filing)
    try FileManager.default.createSymbolicLink(
      atPath: pile.appendingPathComponent("link.fec").path, withDestinationPath: "1550126.fec")
    try FileManager.default.linkItem(
      atPath: filing, toPath: pile.appendingPathComponent("hard.fec").path)
    let out = try temporaryDirectory("audit-twice-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path, filing,
    ])
    #expect(!result.stdout.contains("amended by"), "\(result.stdout)")
    #expect(!result.stdout.contains("replaced by"), "\(result.stdout)")
    let json = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: out.appendingPathComponent("findings.json"))) as? [String: Any])
    #expect((json["inputs"] as? [String])?.count == 1)
    let setAside = try #require(json["inputs_set_aside"] as? [[String: String]])
    #expect(
      setAside.map { ($0["file"] ?? "").split(separator: "/").last } == ["hard.fec", "link.fec"])
    #expect(setAside.allSatisfy { $0["reason"]?.hasSuffix(": read once") == true })
    let alone = try runProbity(["check", "--rules", "Rules/us-federal", "--format", "json", filing])
    let aloneJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(alone.stdout.utf8)) as? [String: Any])
    #expect(
      (json["summary"] as? [String: Any])?["records_read"] as? Int
        == (aloneJSON["summary"] as? [String: Any])?["records_read"] as? Int)
  }

  /// `check` reads a file given twice once, and leaves out a report that an amendment
  /// given beside it replaces, as `audit` does: what both report would be counted twice.
  /// It says so on standard error and in every format of the report.
  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func checkSetsAsideAReportGivenWithItsAmendmentAndAFileGivenTwice() throws {
    let pile = try pile()
    defer { try? FileManager.default.removeItem(at: pile) }
    let original = pile.appendingPathComponent("1549000.fec").path
    let amendment = pile.appendingPathComponent("1550126.fec").path
    let replaced =
      "replaced by \(amendment), an amendment or a later copy of the same report: not read, so that what both report is not counted twice"
    let alone = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", amendment,
    ])
    #expect(!alone.stderr.contains("warning:"))
    let both = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", original, amendment,
    ])
    #expect(both.stderr.contains("warning: \(original): \(replaced)"))
    // The same findings and counts as the amendment alone: the original is not read.
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any])
    let aloneJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(alone.stdout.utf8)) as? [String: Any])
    #expect(json["inputs"] as? [String] == [amendment])
    let setAside = try #require(json["inputs_set_aside"] as? [[String: String]])
    #expect(setAside == [["file": original, "reason": replaced]])
    #expect(aloneJSON["inputs_set_aside"] as? [[String: String]] == [])
    #expect(
      (json["findings"] as? [Any])?.count == (aloneJSON["findings"] as? [Any])?.count)
    let summary = try #require(json["summary"] as? [String: Any])
    let aloneSummary = try #require(aloneJSON["summary"] as? [String: Any])
    #expect(summary["records_read"] as? Int == aloneSummary["records_read"] as? Int)
    #expect(both.status == alone.status)
    // SARIF, JUnit and GitHub annotations say it too.
    let sarif = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "sarif", original, amendment,
    ])
    #expect(sarif.stdout.contains("\"probity/input-set-aside\""))
    #expect(sarif.stdout.contains(replaced))
    let junit = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "junit", original, amendment,
    ])
    #expect(junit.stdout.contains("<skipped message=\"\(replaced)\"/>"))
    let github = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "github", original, amendment,
    ])
    #expect(github.stdout.contains("::warning file=\(original),title=input set aside::\(replaced)"))

    let twice = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", amendment, amendment,
    ])
    #expect(twice.stderr.contains("warning: \(amendment): given more than once: read once"))
    #expect(!twice.stderr.contains("replaced by"))
    let twiceJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(twice.stdout.utf8)) as? [String: Any])
    #expect(twiceJSON["inputs"] as? [String] == [amendment])
    #expect(
      (twiceJSON["summary"] as? [String: Any])?["records_read"] as? Int
        == aloneSummary["records_read"] as? Int)
    // `explain` reads what `check` reads: the same verdicts, the file read once.
    let explainOnce = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "\(amendment):4", amendment,
    ])
    let explainTwice = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "\(amendment):4", amendment, amendment,
    ])
    #expect(explainOnce.status == 0)
    #expect(explainTwice.stdout == explainOnce.stdout)
    #expect(explainTwice.stderr.contains("given more than once: read once"))
    // A record of the report set aside is not searched for: said so, not "no record".
    let explainReplaced = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "\(original):4", original, amendment,
    ])
    #expect(explainReplaced.status == 2)
    #expect(explainReplaced.stderr.contains("error: \(original) was not read: \(replaced)"))
    // Two spellings of one file are one file.
    let spelt = pile.appendingPathComponent(".").appendingPathComponent("1550126.fec").path
    let twoWays = try runProbity(["check", "--rules", "Rules/us-federal", amendment, spelt])
    #expect(
      twoWays.stderr.contains(
        "warning: \(spelt): given more than once (as \(amendment) too): read once"))
    #expect(!twoWays.stderr.contains("replaced by"))
    // A hard link is the same file too.
    let linked = pile.appendingPathComponent("linked.fec").path
    try FileManager.default.linkItem(atPath: amendment, toPath: linked)
    let hard = try runProbity(["check", "--rules", "Rules/us-federal", amendment, linked])
    #expect(
      hard.stderr.contains("warning: \(linked): given more than once (as \(amendment) too)"))
  }

  /// A report's identity is read from its first lines, and from the whole file when none
  /// of them is a record: an amendment opening with 80 text records still replaces.
  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func anAmendmentWhoseRecordsComeLateStillReplaces() throws {
    let pile = try pile()
    defer { try? FileManager.default.removeItem(at: pile) }
    let amendment = pile.appendingPathComponent("1550126.fec")
    var lines = try String(contentsOf: amendment, encoding: .utf8)
      .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let notes = (1...80).map { "TEXT\u{1C}C00772335\u{1C}NOTE\($0)\u{1C}\u{1C}F3A\u{1C}a note" }
    lines.insert(contentsOf: notes, at: 2)
    try lines.joined(separator: "\n").write(to: amendment, atomically: true, encoding: .utf8)
    let out = try temporaryDirectory("audit-late")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(
      result.stdout.contains(
        "1549000.fec: superseded: replaced by \(pile.path)/1550126.fec, an amendment or a later copy of the same report"
      ))
  }

  /// A report with another filing joined after it (two .fec files in one) is not listed
  /// as superseded by its amendment: the joined filing would go unchecked with exit 0. It
  /// is unreadable (F0025, exit 2), and none of its records is read: read beside its
  /// amendment, the report would be counted twice (US-AGG-001 raised on its donors).
  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func aReportWithAnotherFilingJoinedIsNotReplaced() throws {
    let pile = try pile()
    defer { try? FileManager.default.removeItem(at: pile) }
    let alone = try temporaryDirectory("audit-alone")
    defer { try? FileManager.default.removeItem(at: alone) }
    let baseline = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", alone.path, pile.path,
    ])
    let original = pile.appendingPathComponent("1549000.fec")
    var joined = try Data(contentsOf: original)
    joined.append(try Data(contentsOf: Audit.shared.appendingPathComponent("fec/1229017.fec")))
    try joined.write(to: original)
    let out = try temporaryDirectory("audit-joined")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(result.status == 2, "\(result.stderr)")
    #expect(!result.stdout.contains("1549000.fec: superseded"), "\(result.stdout)")
    #expect(result.stderr.contains("F0025") || result.stdout.contains("F0025"))
    #expect(result.stdout.contains("1549000.fec: unreadable: a second header"), "\(result.stdout)")
    // The report is not counted twice: the same records and findings as without the join.
    func counts(_ text: String) -> [Substring] {
      text.split(separator: "\n").filter { $0.hasPrefix("records:") || $0.hasPrefix("findings:") }
    }
    #expect(counts(result.stdout) == counts(baseline.stdout), "\(result.stdout)")
    // `check` and `explain` too: the joined filing cannot be checked (exit 2), where
    // setting the replaced file aside left it unchecked and the run passing.
    let amendment = pile.appendingPathComponent("1550126.fec").path
    for format in ["text", "json", "sarif", "junit"] {
      let check = try runProbity([
        "check", "--rules", "Rules/us-federal", "--format", format, original.path, amendment,
      ])
      #expect(check.status == 2, "\(format): \(check.stderr)")
      #expect(check.stderr.contains("error[F0025]"))
      if format == "junit" {
        // An error in the report too, not a skipped file (the JUnit report was all green).
        #expect(check.stdout.contains("<error type=\"F0025\""), "\(check.stdout)")
        #expect(!check.stdout.contains("<skipped"))
        #expect(check.stdout.contains("errors=\"1\" skipped=\"0\""))
      }
      if format == "json" {
        let json = try #require(
          try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        let errors = try #require(json["input_errors"] as? [[String: Any]])
        #expect(errors.map { $0["id"] as? String } == ["F0025"])
      }
    }
    let explain = try runProbity([
      "explain", "--rules", "Rules/us-federal", "--record", "\(amendment):4", original.path,
      amendment,
    ])
    #expect(explain.status == 2, "\(explain.stderr)")
    #expect(explain.stderr.contains("error[F0025]"))
  }

  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func amendmentsReplaceTheReportsTheyAmend() throws {
    let pile = try pile()
    defer { try? FileManager.default.removeItem(at: pile) }
    let out = try temporaryDirectory("audit")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path, pile.path,
    ])
    #expect(result.status == 1, "\(result.stderr)")
    let replaced =
      "replaced by \(pile.path)/1550126.fec, an amendment or a later copy of the same report: not read, so that what both report is not counted twice"
    #expect(result.stdout.contains("1549000.fec: superseded: \(replaced)"))
    #expect(result.stdout.contains("README.txt: skipped: not a filing Probity reads\n"))
    // The superseded report's records are not counted: its extra receipt is nowhere, and
    // findings.json names it only as set aside.
    let text = try String(contentsOf: out.appendingPathComponent("findings.json"), encoding: .utf8)
    #expect(!text.contains("SA11AI.EXTRA"))
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(
      json["inputs_set_aside"] as? [[String: String]] == [
        ["file": "\(pile.path)/1549000.fec", "reason": replaced]
      ])
    #expect((json["inputs"] as? [String])?.contains { $0.hasSuffix("1549000.fec") } == false)
    #expect(
      (json["findings"] as? [[String: Any]])?.contains {
        ($0["file"] as? String)?.hasSuffix("1549000.fec") == true
      } == false)
    for name in ["summary.txt", "findings.json", "findings.csv", "findings.sarif", "report.html"] {
      #expect(
        FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
    }
    let sarif = try JSONSerialization.jsonObject(
      with: Data(contentsOf: out.appendingPathComponent("findings.sarif")))
    #expect((sarif as? [String: Any])?["version"] as? String == "2.1.0")
    // Progress is for terminals only.
    #expect(!result.stderr.contains("records "))
  }

  @Test(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
  func theSameBytesWhateverTheThreads() throws {
    let pile = try pile()
    let outs = try temporaryDirectory("outs")
    defer {
      try? FileManager.default.removeItem(at: pile)
      try? FileManager.default.removeItem(at: outs)
    }
    var outputs: [[String]] = []
    for jobs in ["1", "2", "4"] {
      let out = outs.appendingPathComponent("audit-\(jobs)")
      let result = try runProbity([
        "audit", "--rules", "Rules/us-federal", "--jobs", jobs, "--out", out.path, pile.path,
      ])
      #expect(result.status == 1)
      outputs.append(
        try ["summary.txt", "findings.json", "findings.csv", "findings.sarif", "report.html"].map {
          try String(contentsOf: out.appendingPathComponent($0), encoding: .utf8)
        })
    }
    for other in outputs.dropFirst() {
      for (index, name) in [
        "summary.txt", "findings.json", "findings.csv", "findings.sarif", "report.html",
      ].enumerated() {
        #expect(other[index] == outputs[0][index], "\(name) differs with another number of threads")
      }
    }
  }

  /// On a terminal (`script` gives the run one), the audit shows its progress.
  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "no script(1) here"))
  func progressOnATerminal() throws {
    let out = try temporaryDirectory("tty")
    defer { try? FileManager.default.removeItem(at: out) }
    let log = out.appendingPathComponent("terminal.log")
    let command =
      "\(try probityBinary().path) audit --rules Rules/us-federal --out \(out.path)/audit Fixtures/us-federal"
    _ = try runTool("/usr/bin/script", ["-qec", command, log.path])
    let terminal = String(decoding: try Data(contentsOf: log), as: UTF8.self)
    #expect(terminal.contains("files 1/"), "no progress line")
    #expect(terminal.contains("MB/s") && terminal.contains("left"))
  }

  @Test func csvHasOneRowPerFinding() throws {
    let out = try temporaryDirectory("csv")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path,
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 1)
    let csv = try String(contentsOf: out.appendingPathComponent("findings.csv"), encoding: .utf8)
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: out.appendingPathComponent("findings.json")))
    let findings = ((json as? [String: Any])?["findings"] as? [Any])?.count ?? -1
    // Quoted fields may hold line breaks; records end with CRLF.
    #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == findings + 1)
    #expect(csv.hasPrefix("rule,severity,category,title,citation,file,line,record"))
  }

  /// The HTML report in a real headless browser: it loads with no network, its script
  /// runs (the table says how many findings it shows), and a screenshot is taken.
  @Test func htmlRendersInAHeadlessBrowser() throws {
    guard
      let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first(where: {
          FileManager.default.isExecutableFile(atPath: $0)
        })
    else {
      if ProcessInfo.processInfo.environment["CI"] != nil {
        Issue.record("chromium is missing: .ci/run installs it")
      }
      return
    }
    let out = try temporaryDirectory("html")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--out", out.path,
      "Fixtures/us-federal/aggregates.csv",
    ])
    #expect(result.status == 1)
    let page = out.appendingPathComponent("report.html")
    let dom = try runTool(
      chromium,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--dump-dom",
        page.absoluteString,
      ])
    #expect(dom.contains("12 of 12 shown"), "the report's script did not run")
    #expect(dom.contains("US-EXCESS-001") && dom.contains("chart-rules"))
    let shot = out.appendingPathComponent("report.png")
    _ = try runTool(
      chromium,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--screenshot=\(shot.path)", page.absoluteString,
      ])
    let png = try Data(contentsOf: shot)
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
  }
}

/// Runs a tool and returns its standard output.
func runTool(_ path: String, _ arguments: [String]) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let output = scratchFolder.appendingPathComponent(
    "tool-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: output.path, contents: nil)
  defer { try? FileManager.default.removeItem(at: output) }
  let handle = try FileHandle(forWritingTo: output)
  process.standardOutput = handle
  process.standardError = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  try handle.close()
  return try String(contentsOf: output, encoding: .utf8)
}

/// Amendments in CSV and XML: a report given beside its amendment (the canonical CSV's
/// `amendment` and `amended_filing` columns, the XML `<report amendment="true">`) is set
/// aside as a `.fec` report is, in `check` and `audit`: both read, a donor's $2,000 was
/// counted twice and called an excess. A CSV holding several filers' records is never one
/// report, and is read whatever else is given.
@Suite struct CSVAndXMLAmendments {
  static let header =
    "kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code,memo,memo_text,report_form,report_type,report_period_start,report_period_end,amendment,amended_filing"
  static func row(
    filer: String = "C00999001", id: String = "A1", name: String = "\"SMITH, JOHN\"",
    amount: String = "2000.00", amends: String = ","
  )
    -> String
  {
    "receipt,\(filer),H,SA11AI,\(id),IND,\(name),1 Oak St,Dayton,OH,45402,Acme,Engineer,2024-02-01,\(amount),\(amount),P2024,,,F3,Q1,2024-01-01,2024-03-31,\(amends)"
  }

  static func write(_ lines: [String], _ url: URL) throws {
    try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
  }

  @Test func aCSVReportGivenWithItsAmendmentIsSetAside() throws {
    let folder = try scratchSubfolder("csv-amendments")
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = folder.appendingPathComponent("q1.csv")
    let amendment = folder.appendingPathComponent("q1-amended.csv")
    let several = folder.appendingPathComponent("several.csv")
    try Self.write([Self.header, Self.row()], original)
    try Self.write([Self.header, Self.row(amends: "true,FEC-111")], amendment)
    try Self.write(
      [Self.header, Self.row(), Self.row(filer: "C00999002", name: "\"DOE, JANE\"")], several)
    let both = try runProbity([
      "check", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--format", "json",
      original.path, amendment.path,
    ])
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any])
    #expect(json["inputs"] as? [String] == [amendment.path])
    #expect((json["findings"] as? [Any])?.isEmpty == true, "\(both.stdout)")
    #expect(both.status == 0, "\(both.stderr)")
    #expect(both.stderr.contains("warning: \(original.path): replaced by \(amendment.path)"))
    // A file of several filers' records is no one report: read.
    let mixed = try runProbity([
      "check", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--format", "json",
      several.path, amendment.path,
    ])
    let mixedJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(mixed.stdout.utf8)) as? [String: Any])
    #expect(mixedJSON["inputs"] as? [String] == [several.path, amendment.path])
    #expect(!mixed.stderr.contains("replaced by"))
    // audit says so too.
    let out = folder.appendingPathComponent("out")
    let audit = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--out", out.path,
      original.path, amendment.path,
    ])
    #expect(
      audit.stdout.contains("q1.csv: superseded: replaced by \(amendment.path)"), "\(audit.stdout)")
    #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
  }

  @Test func anXMLReportGivenWithItsAmendmentIsSetAside() throws {
    let folder = try scratchSubfolder("xml-amendments")
    defer { try? FileManager.default.removeItem(at: folder) }
    let fixture = try String(
      contentsOf: packageRoot.appendingPathComponent("Fixtures/xml/receipts.xml"), encoding: .utf8)
    let original = folder.appendingPathComponent("q2.xml")
    let amendment = folder.appendingPathComponent("q2-amended.xml")
    try fixture.write(to: original, atomically: true, encoding: .utf8)
    try fixture.replacingOccurrences(of: "amendment=\"false\"", with: "amendment=\"true\"")
      .write(to: amendment, atomically: true, encoding: .utf8)
    let alone = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", amendment.path,
    ])
    let both = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", original.path, amendment.path,
    ])
    #expect(both.stderr.contains("warning: \(original.path): replaced by \(amendment.path)"))
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any])
    let aloneJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(alone.stdout.utf8)) as? [String: Any])
    #expect((json["findings"] as? [Any])?.count == (aloneJSON["findings"] as? [Any])?.count)
  }

  /// A CSV report given in parts (its receipts in one file, its disbursements in
  /// another: each row gives the report's filer, form and period) is read whole: only an
  /// amendment replaces a CSV report, and an amendment is never replaced (two may be two
  /// parts of one amended report); a period given by report type alone (Q1, every year's)
  /// tells no report.
  @Test func aCSVReportInPartsIsReadWhole() throws {
    let folder = try scratchSubfolder("csv-parts")
    defer { try? FileManager.default.removeItem(at: folder) }
    let receipts = folder.appendingPathComponent("receipts.csv")
    let more = folder.appendingPathComponent("receipts-2.csv")
    let amended = folder.appendingPathComponent("amended-1.csv")
    let amendedMore = folder.appendingPathComponent("amended-2.csv")
    // A filing's transaction ids are its own: its parts share none.
    try Self.write([Self.header, Self.row()], receipts)
    try Self.write([Self.header, Self.row(id: "A2", name: "\"DOE, JANE\"")], more)
    try Self.write([Self.header, Self.row(amends: "true,")], amended)
    try Self.write(
      [Self.header, Self.row(id: "A2", name: "\"DOE, JANE\"", amends: "true,")], amendedMore)
    let parts = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", receipts.path, more.path,
    ])
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(parts.stdout.utf8)) as? [String: Any])
    #expect(json["inputs"] as? [String] == [receipts.path, more.path])
    #expect(!parts.stderr.contains("replaced by"), "\(parts.stderr)")
    // Both parts of the amendment replace both parts of the report, and are both read.
    let all = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", receipts.path, more.path,
      amended.path, amendedMore.path,
    ])
    let allJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
    #expect(allJSON["inputs"] as? [String] == [amended.path, amendedMore.path])
    // Q1 of two years, told by report type alone: two reports.
    let dateless = Self.header.replacingOccurrences(
      of: ",report_period_start,report_period_end", with: "")
    func q1(_ year: String, _ url: URL) throws {
      try Self.write(
        [
          dateless,
          "receipt,C00999001,H,SA11AI,A1,IND,\"SMITH, JOHN\",1 Oak St,Dayton,OH,45402,Acme,Engineer,\(year)-02-01,2000.00,2000.00,P\(year),,,F3,Q1,,",
        ], url)
    }
    let first = folder.appendingPathComponent("2023-q1.csv")
    let second = folder.appendingPathComponent("2024-q1.csv")
    try q1("2023", first)
    try q1("2024", second)
    let years = try runProbity([
      "check", "--rules", "Rules/us-federal", "--format", "json", first.path, second.path,
    ])
    let yearsJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(years.stdout.utf8)) as? [String: Any])
    #expect(yearsJSON["inputs"] as? [String] == [first.path, second.path])
  }

  /// Files of one report (its filer, form and period) that no amendment replaced and that
  /// hold the same transactions: two amendments with no filing number to rank them, or a
  /// copy of the report under another name. Both read, a donor's $2,000 was $4,000, an
  /// excess. A copy (every transaction the same) is set aside; files that share some
  /// transactions, or hold one with other values, are an input error (F0028, exit 2): the
  /// run cannot tell which version stands.
  @Test func filesOfOneReportThatShareTransactionsAreNotBothRead() throws {
    let folder = try scratchSubfolder("csv-report-overlaps")
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = folder.appendingPathComponent("q1.csv")
    let copy = folder.appendingPathComponent("q1-copy.csv")
    let first = folder.appendingPathComponent("amended.csv")
    let second = folder.appendingPathComponent("amended-again.csv")
    try Self.write([Self.header, Self.row(), Self.row(id: "A2", name: "\"DOE, JANE\"")], original)
    try Self.write([Self.header, Self.row(), Self.row(id: "A2", name: "\"DOE, JANE\"")], copy)
    try Self.write(
      [
        Self.header, Self.row(amends: "true,"),
        Self.row(id: "A2", name: "\"DOE, JANE\"", amends: "true,"),
      ],
      first)
    try Self.write(
      [
        Self.header, Self.row(amount: "1500.00", amends: "true,"),
        Self.row(id: "A2", name: "\"DOE, JANE\"", amends: "true,"),
      ], second)
    func check(_ files: [URL]) throws -> (json: [String: Any], stderr: String, status: Int32) {
      let result = try runProbity(
        ["check", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--format", "json"]
          + files.map(\.path))
      let json = try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
      return (json, result.stderr, result.status)
    }
    let copies = try check([original, copy])
    #expect(copies.json["inputs"] as? [String] == [original.path])
    #expect((copies.json["findings"] as? [Any])?.isEmpty == true, "\(copies.json)")
    #expect(
      copies.stderr.contains(
        "warning: \(copy.path): holds only transactions that \(original.path), a file of the same report, holds too"
      ), "\(copies.stderr)")
    #expect(copies.status == 0, "\(copies.stderr)")
    let amendments = try check([first, second])
    #expect(amendments.json["inputs"] as? [String] == [first.path])
    #expect(
      amendments.stderr.contains(
        "\(second.path): holds 2 transactions that \(first.path) holds too (the same reference, A1), 1 of them with other values (A1), and 0 of its own"
      ), "\(amendments.stderr)")
    #expect(amendments.stderr.contains("F0028"))
    let errors = try #require(amendments.json["input_errors"] as? [[String: Any]])
    #expect(errors.map { $0["id"] as? String } == ["F0028"])
    #expect(amendments.status == 2)
    // A copy with a row of its own that has no transaction id is no copy: the row's gift
    // was not read (set aside as "holding only transactions the other holds").
    let withRow = folder.appendingPathComponent("q1-with-row.csv")
    try Self.write(
      [
        Self.header, Self.row(), Self.row(id: "A2", name: "\"DOE, JANE\""),
        Self.row(id: "", name: "\"ROE, RICHARD\"", amount: "3500.00"),
      ], withRow)
    let unmatched = try check([original, withRow])
    #expect(unmatched.json["inputs"] as? [String] == [original.path], "\(unmatched.stderr)")
    #expect(unmatched.stderr.contains("and 1 of its own"), "\(unmatched.stderr)")
    #expect(unmatched.status == 2)
    // audit says so too, and exits 2.
    let out = folder.appendingPathComponent("out")
    let audit = try runProbity([
      "audit", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--out", out.path,
      first.path, second.path,
    ])
    #expect(audit.stdout.contains("(F0028): not read"), "\(audit.stdout)")
    #expect(audit.status == 2, "\(audit.stdout)\(audit.stderr)")
  }

  /// A CSV amendment of an amendment: the filing it names (`amended_filing`, by the
  /// number in its file name) is replaced too; both amendments read, a donor's $2,000
  /// was $4,000, an excess.
  @Test func aCSVAmendmentReplacesTheAmendmentItNames() throws {
    let folder = try scratchSubfolder("csv-amendment-chain")
    defer { try? FileManager.default.removeItem(at: folder) }
    let files = ["100.csv", "101.csv", "102.csv"].map { folder.appendingPathComponent($0) }
    try Self.write([Self.header, Self.row()], files[0])
    try Self.write([Self.header, Self.row(amends: "true,FEC-100")], files[1])
    try Self.write([Self.header, Self.row(amends: "true,FEC-101")], files[2])
    let result = try runProbity(
      ["check", "--rules", "Rules/us-federal", "--as-of", "2025-01-01", "--format", "json"]
        + files.map(\.path))
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(json["inputs"] as? [String] == [files[2].path])
    #expect((json["findings"] as? [Any])?.isEmpty == true, "\(result.stdout)")
  }
}

/// Electoral Commission exports given together that hold the same donations (the same
/// `ECRef`): the whole register and a year of it counted each of the year's donations
/// twice. An export another holds whole is set aside (as a file given twice is); one that
/// shares some donations with another and has others of its own, or holds a donation of
/// the same reference with other values, is an input error (F0027, exit 2), not read.
@Suite(.enabled(if: Audit.sharedPresent, "../shared/data is not beside the repository"))
struct RegisterExportOverlaps {
  /// The 2025-26 export's lines, each with its line break (CR LF).
  static func lines() throws -> [String] {
    let data = try Data(
      contentsOf: Audit.shared.appendingPathComponent("uk/ec_donations_2025_2026.csv"))
    var lines: [String] = []
    var start = data.startIndex
    for index in data.indices where data[index] == 0x0A {
      lines.append(String(decoding: data[start...index], as: UTF8.self))
      start = index + 1
    }
    return lines
  }

  static func write(_ lines: some Sequence<String>, _ url: URL) throws {
    try Data(lines.joined().utf8).write(to: url)
  }

  static func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func anExportAnotherHoldsWholeIsSetAside() throws {
    let folder = try scratchSubfolder("register-exports")
    defer { try? FileManager.default.removeItem(at: folder) }
    let all = try Self.lines()
    let year = folder.appendingPathComponent("a-year.csv")
    let register = folder.appendingPathComponent("register.csv")
    let copy = folder.appendingPathComponent("z-copy.csv")
    try Self.write(all.prefix(301), year)
    try Self.write(all, register)
    try Self.write(all, copy)
    let alone = try runProbity([
      "check", "--rules", "Rules/uk-ppera", "--format", "json", register.path,
    ])
    let together = try runProbity([
      "check", "--rules", "Rules/uk-ppera", "--format", "json", year.path, register.path,
      copy.path,
    ])
    let (a, t) = (try Self.json(alone.stdout), try Self.json(together.stdout))
    #expect(t["inputs"] as? [String] == [register.path])
    let setAside = try #require(t["inputs_set_aside"] as? [[String: String]])
    #expect(setAside.map { $0["file"] } == [year.path, copy.path])
    #expect(
      setAside.allSatisfy {
        $0["reason"]?.hasPrefix("holds only donations that \(register.path) holds too") == true
      })
    // The same findings and counts as the register alone: nothing counted twice.
    #expect((t["findings"] as? [Any])?.count == (a["findings"] as? [Any])?.count)
    // In the other order too (the register first): the year set aside, not the register.
    let reversed = try Self.json(
      try runProbity([
        "check", "--rules", "Rules/uk-ppera", "--format", "json", register.path, year.path,
      ]).stdout)
    #expect(reversed["inputs"] as? [String] == [register.path])
    let summary = try #require(t["summary"] as? [String: Any])
    #expect(
      summary["records_read"] as? Int == (a["summary"] as? [String: Any])?["records_read"] as? Int)
    #expect(together.status == alone.status)
    // audit says it too.
    let out = folder.appendingPathComponent("out")
    let audit = try runProbity([
      "audit", "--rules", "Rules/uk-ppera", "--out", out.path, year.path, register.path,
    ])
    #expect(
      audit.stdout.contains("a-year.csv: superseded: holds only donations that"), "\(audit.stdout)")
  }

  @Test func exportsThatOverlapInPartAreAnInputError() throws {
    let folder = try scratchSubfolder("register-overlap")
    defer { try? FileManager.default.removeItem(at: folder) }
    let all = try Self.lines()
    let first = folder.appendingPathComponent("first.csv")
    let second = folder.appendingPathComponent("second.csv")
    try Self.write(all.prefix(201), first)
    try Self.write([all[0]] + all[101..<301], second)
    let result = try runProbity([
      "check", "--rules", "Rules/uk-ppera", "--format", "json", first.path, second.path,
    ])
    #expect(result.status == 2, "\(result.stderr)")
    #expect(
      result.stderr.contains(
        "\(second.path): error[F0027]: holds 100 donations that \(first.path) holds too"),
      "\(result.stderr)")
    let json = try Self.json(result.stdout)
    #expect(json["inputs"] as? [String] == [first.path])
    let errors = try #require(json["input_errors"] as? [[String: Any]])
    #expect(errors.map { $0["id"] as? String } == ["F0027"])
    // One donation of the same reference with another value: it cannot be told which
    // stands.
    var changed = Array(all.prefix(101))
    changed[50] = changed[50].replacingOccurrences(of: "/20", with: "/19")
    try Self.write(changed, second)
    let differ = try runProbity(["check", "--rules", "Rules/uk-ppera", first.path, second.path])
    #expect(differ.status == 2)
    #expect(differ.stderr.contains("1 of them with other values"), "\(differ.stderr)")
  }
}
