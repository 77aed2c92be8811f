// swift-tools-version:6.0
// Probity: an electoral-finance compliance engine.
//
// Module layout (see docs/architecture.md):
//   CLibCSV, CLibXML2  system-library wrappers; only ProbityFilings imports them
//   CPrefetch          a header of one compiler builtin (cache prefetch) for ProbityEngine
//   CMalloc            a header of one glibc setting (large blocks unmapped when freed) for probity
//   CHugePages         a header of one kernel hint (huge pages for large tables) for ProbityEngine
//   ProbityCore        money, civil dates, values, the canonical record schema, diagnostics
//   ProbityLanguage    rule language: lexer, parser, AST, checker, compiler -> CompiledRuleSet
//   ProbityFilings     mappings and readers (CSV through libcsv) -> Records with provenance
//   ProbityEngine      evaluates a CompiledRuleSet over a stream of Records -> findings + trace
//   ProbityReports     renders a check result as text, JSON, SARIF, JUnit, GitHub
//                      annotations and the audit's HTML report
//   probity            the command-line tool (swift-argument-parser)
import PackageDescription

let package = Package(
  name: "probity",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "probity", targets: ["probity"]),
    // For the fuzz targets in fuzz/ (scripts/fuzz), a package of their own.
    .library(name: "ProbityFuzzHarness", targets: ["ProbityFuzzHarness"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    .systemLibrary(
      name: "CLibCSV",
      path: "Sources/CLibCSV",
      providers: [.apt(["libcsv-dev"])]
    ),
    .systemLibrary(
      name: "CLibXML2",
      path: "Sources/CLibXML2",
      pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]
    ),
    // Not a library: one inline C function (a prefetch hint Swift cannot spell).
    .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
    // Not a library either: one inline C function (a glibc malloc setting, mallopt).
    .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
    // And one more: a hint to the kernel (madvise) for the engine's large tables.
    .systemLibrary(name: "CHugePages", path: "Sources/CHugePages"),
    // Only the tests use it: the folder they write scratch files in.
    .target(name: "ProbityTestSupport"),
    .target(name: "ProbityCore"),
    .target(name: "ProbityLanguage", dependencies: ["ProbityCore"]),
    .target(name: "ProbityFilings", dependencies: ["ProbityCore", "CLibCSV", "CLibXML2"]),
    .target(
      name: "ProbityEngine",
      dependencies: ["ProbityCore", "ProbityLanguage", "CPrefetch", "CHugePages"]),
    .target(
      name: "ProbityReports", dependencies: ["ProbityCore", "ProbityLanguage", "ProbityEngine"]),
    .target(
      name: "ProbityFuzzHarness",
      dependencies: ["ProbityCore", "ProbityLanguage", "ProbityFilings", "ProbityEngine"]
    ),
    .executableTarget(
      name: "probity",
      dependencies: [
        "ProbityCore", "ProbityLanguage", "ProbityFilings", "ProbityEngine", "ProbityReports",
        "CMalloc", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "ProbityCoreTests", dependencies: ["ProbityCore"]),
    .testTarget(name: "ProbityLanguageTests", dependencies: ["ProbityCore", "ProbityLanguage"]),
    .testTarget(
      name: "ProbityFilingsTests",
      dependencies: ["ProbityCore", "ProbityFilings", "ProbityTestSupport"]
    ),
    .testTarget(
      name: "ProbityEngineTests",
      dependencies: [
        "ProbityCore", "ProbityLanguage", "ProbityFilings", "ProbityEngine", "ProbityTestSupport",
      ]
    ),
    .testTarget(
      name: "ProbityReportsTests",
      dependencies: [
        "ProbityCore", "ProbityLanguage", "ProbityEngine", "ProbityReports", "ProbityTestSupport",
      ]
    ),
    .testTarget(
      name: "ProbityEndToEndTests", dependencies: ["probity", "ProbityTestSupport"],
      exclude: ["golden"]
    ),
    .testTarget(
      name: "ProbityHostileInputTests",
      dependencies: [
        "ProbityCore", "ProbityLanguage", "ProbityFilings", "ProbityFuzzHarness",
        "ProbityTestSupport",
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)
