// swift-tools-version:6.0
// Probity's libFuzzer target: a package of its own, so the normal build never sees
// libFuzzer. Built and run by scripts/fuzz (docs/fuzzing.md), which passes
// `-sanitize=fuzzer,address` to every module, Probity's included.
import Foundation
import PackageDescription

// The main package is the folder above; SwiftPM names a path dependency after its folder.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
  name: "probity-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .executableTarget(
      name: "ProbityFuzz",
      dependencies: [.product(name: "ProbityFuzzHarness", package: root.lastPathComponent)]
    )
  ],
  swiftLanguageModes: [.v6]
)
