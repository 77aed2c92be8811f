import Foundation

/// Progress on standard error while an audit runs: files, records, MB/s, findings so
/// far and the time left. Silent when standard error is not a terminal.
struct Progress {
  let files: Int
  let bytes: Int
  let enabled = isatty(STDERR_FILENO) != 0
  let start = Date()
  var filesDone = 0
  var bytesDone = 0
  var records = 0
  var lastShown = Date.distantPast

  init(files: Int, bytes: Int) {
    self.files = files
    self.bytes = bytes
  }

  mutating func record(findings: Int) {
    records += 1
    if enabled && records % 4096 == 0 { show(findings: findings) }
  }

  mutating func file(bytes: Int, findings: Int) {
    filesDone += 1
    bytesDone += bytes
    if enabled { show(findings: findings, force: true) }
  }

  mutating func show(findings: Int, force: Bool = false) {
    let now = Date()
    guard force || now.timeIntervalSince(lastShown) > 0.25 else { return }
    lastShown = now
    let elapsed = max(now.timeIntervalSince(start), 0.001)
    let rate = Double(bytesDone) / elapsed / 1_000_000
    let left = rate > 0 ? Double(bytes - bytesDone) / 1_000_000 / rate : 0
    let remaining = left > 0 ? "\(Int(left) / 60):" + String(format: "%02d", Int(left) % 60) : "-"
    let line =
      "\r  files \(filesDone)/\(files)  records \(records)  " + String(format: "%.1f", rate)
      + " MB/s  findings \(findings)  \(remaining) left "
    FileHandle.standardError.write(Data(line.utf8))
  }

  func done() {
    if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}
