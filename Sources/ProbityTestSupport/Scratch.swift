import Foundation

/// The folder the tests write their scratch files in: one per test process, under the
/// system's temporary folder, and removed with everything in it when the process exits.
/// (Written straight into the temporary folder, each run of the suite left some three
/// thousand files there.)
public let scratchFolder: URL = {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "probity-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  // A C function: it captures nothing, and finds the folder again through the global.
  atexit { try? FileManager.default.removeItem(at: scratchFolder) }
  return url
}()
