import ArgumentParser

/// A command whose last argument is a list of paths (filings, folders, rule files), which
/// a shell's `*.fec` may make thousands long.
protocol TakesPaths: ParsableCommand {
  static var givenPaths: WritableKeyPath<Self, [String]> { get }
}

extension CheckCommand: TakesPaths {
  static var givenPaths: WritableKeyPath<Self, [String]> { \.files }
}
extension AuditCommand: TakesPaths {
  static var givenPaths: WritableKeyPath<Self, [String]> { \.paths }
}
extension ExplainCommand: TakesPaths {
  static var givenPaths: WritableKeyPath<Self, [String]> { \.files }
}
extension FmtCommand: TakesPaths {
  static var givenPaths: WritableKeyPath<Self, [String]> { \.paths }
}

/// Long runs of paths held back from the argument parser, which takes time in the square
/// of a list argument's length: swift-argument-parser copies the list, and the set of
/// the places it came from, at each element (8,000 filings given to `probity audit`
/// took 4 s to parse; 30,000 would take a minute). A run of at least `longest` arguments
/// in a row that do not start with `-` is given to the parser as its first argument,
/// one stand-in, and its last; the stand-in is replaced by the run's middle in the
/// parsed command's paths. Every argument of that middle follows an argument that is no
/// option, so it is a path, whatever the first was (an option's value, a subcommand's
/// name, a path): no option of Probity takes more than one value. The stand-in holds a
/// NUL, which no argument can: it cannot be mistaken for a path given.
///
/// Anything unexpected (the command takes no paths, the stand-in is not among its paths
/// once, the parser reports an error) parses the arguments as given instead, so that
/// the command, and any error message, are the parser's own.
struct HeldPaths {
  static let standIn = "\u{0}probity: paths held back from the argument parser"
  static let longest = 64

  /// The arguments to give the parser, and the middle of the long run held back (empty:
  /// the arguments as given). Only the first long run is held: one is what a shell's
  /// pattern makes.
  static func hold(_ arguments: [String]) -> (arguments: [String], held: [String]) {
    var start = 0
    while start < arguments.count {
      guard !arguments[start].hasPrefix("-") else {
        start += 1
        continue
      }
      var end = start
      while end < arguments.count && !arguments[end].hasPrefix("-") { end += 1 }
      if end - start >= longest {
        let held = Array(arguments[(start + 1)..<(end - 1)])
        var given = Array(arguments[...start])
        given.append(standIn)
        given.append(contentsOf: arguments[(end - 1)...])
        return (given, held)
      }
      start = end
    }
    return (arguments, [])
  }

  /// The command parsed from `arguments`, with any long run of paths held back from the
  /// parser and put back into it.
  static func parse(_ arguments: [String]) throws -> any ParsableCommand {
    let (given, held) = hold(arguments)
    guard !held.isEmpty else { return try Probity.parseAsRoot(arguments) }
    if let command = (try? Probity.parseAsRoot(given)) as? any TakesPaths,
      var command = restoring(held, into: command)
    {
      // Checked again with every path (`--write-baseline` must name none of them); an
      // error is reported by the parser, below.
      if (try? command.validate()) != nil { return command }
    }
    return try Probity.parseAsRoot(arguments)
  }

  /// The command with the stand-in among its paths replaced by `held`; nil unless it is
  /// there once.
  private static func restoring<Command: TakesPaths>(_ held: [String], into command: Command)
    -> Command?
  {
    guard let paths = restore(held, into: command[keyPath: Command.givenPaths]) else { return nil }
    var restored = command
    restored[keyPath: Command.givenPaths] = paths
    return restored
  }

  /// `paths` with the stand-in replaced by `held`; nil unless it is there once.
  static func restore(_ held: [String], into paths: [String]) -> [String]? {
    guard let index = paths.firstIndex(of: standIn), paths.lastIndex(of: standIn) == index
    else { return nil }
    var restored = Array(paths[..<index])
    restored.append(contentsOf: held)
    restored.append(contentsOf: paths[(index + 1)...])
    return restored
  }
}
