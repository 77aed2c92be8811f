import Foundation
import ProbityFuzzHarness
import Testing

/// The package root (the folder holding Package.swift), found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// Every input the fuzzers found a bug with (minimized, in `Fixtures/fuzz/TARGET/`), run
/// through the same harness as the fuzz target: each must now pass without a crash, a
/// hang or a broken invariant (docs/fuzzing.md).
@Suite struct FuzzRegressions {
  static func inputs(_ target: FuzzTarget) -> [URL] {
    let folder = packageRoot.appendingPathComponent("Fixtures/fuzz/\(target.rawValue)")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map {
      folder.appendingPathComponent($0)
    }
  }

  @Test(arguments: FuzzTarget.allCases)
  func foundInputsNowPass(_ target: FuzzTarget) throws {
    #expect(!Self.inputs(target).isEmpty, "Fixtures/fuzz/\(target.rawValue) is missing")
    for url in Self.inputs(target) {
      let input = [UInt8](try Data(contentsOf: url))
      let started = Date()
      let broken = FuzzHarness.run(target, input)
      #expect(broken.isEmpty, "\(url.lastPathComponent): \(broken)")
      #expect(Date().timeIntervalSince(started) < 10, "\(url.lastPathComponent) took too long")
    }
  }
}
