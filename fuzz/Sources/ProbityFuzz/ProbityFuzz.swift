import ProbityFuzzHarness

#if canImport(Glibc)
  import Glibc
#endif

/// libFuzzer's driver, called from `main` (SwiftPM gives executables a `main` of their
/// own, so libFuzzer's is not used).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target this process fuzzes, from `PROBITY_FUZZ_TARGET` (rules, csv, fec, xml).
nonisolated(unsafe) var target = FuzzTarget.csv

/// Writes a line to standard error.
func say(_ text: String) {
  let line = Array((text + "\n").utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// One input through the target (`FuzzHarness`). A broken invariant stops the fuzzer
/// like a crash, and libFuzzer saves the input.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  let broken = FuzzHarness.run(target, input)
  if !broken.isEmpty {
    say("invariant broken (\(target.rawValue)): \(broken.joined(separator: "; "))")
    abort()
  }
  return 0
}

@main
enum ProbityFuzz {
  static func main() {
    let name = getenv("PROBITY_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let chosen = FuzzTarget(rawValue: name) else {
      say("set PROBITY_FUZZ_TARGET to one of: rules, csv, fec, xml")
      exit(2)
    }
    target = chosen
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv) { fuzz($0, $1) })
  }
}
