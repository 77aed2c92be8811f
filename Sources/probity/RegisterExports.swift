import Foundation
import ProbityCore
import ProbityFilings

/// Electoral Commission register exports given together that hold the same donations.
///
/// The Commission's exports are cuts of one register: the whole of it, a year of it, the
/// impermissible donations of it. Each donation has its reference (`ECRef`, read into
/// `transaction_id`) wherever it is exported. Given the whole register and a year of it,
/// each of the year's donations was counted twice: a donor's total could cross a
/// reporting threshold that only the doubled donations cross. So:
///
/// - an export all of whose donations another export given holds, the same reference
///   with the same values, is set aside, as a file given twice is (of two exports holding
///   the same donations, the later in the order given);
/// - an export that holds some donations of another and some of its own, or holds one of
///   another's references with other values, cannot be read without counting some
///   donation twice or choosing between two versions of it: it is an input error
///   (F0027, exit 2), and it is not read.
///
/// Each export is read whole for its references and values (a few MB: the whole register
/// is 91,341 rows), only when two or more are given.
enum RegisterExports {
  struct Outcome {
    /// Each set-aside export, with the export that holds all of its donations.
    var contained: [(path: String, within: String)] = []
    /// Each export that overlaps another in part, with the error that says so.
    var overlapping: [(path: String, error: Diagnostic)] = []
  }

  /// The donations of one export: reference → a hash of its values (its line aside).
  struct Donations {
    var byReference: [String: Int] = [:]
  }

  static func read(_ path: String, format: InputFormat) -> Donations? {
    var donations = Donations()
    do {
      _ = try FilingReader.read(
        path: path, format: format, mapping: nil,
        onRecord: { record in
          guard let reference = record.transactionID, !reference.isEmpty else { return }
          var hasher = Hasher()
          hasher.combine(record.kind)
          hasher.combine(record.values)
          donations.byReference[reference] = hasher.finalize()
        }, onProblem: { _ in })
    } catch {
      return nil  // Its own read says why.
    }
    return donations
  }

  /// `paths`: the exports given, in order, with their formats (uk-ec or uk-pef).
  static func overlaps(_ paths: [(path: String, format: InputFormat)]) -> Outcome {
    var outcome = Outcome()
    guard paths.count > 1 else { return outcome }
    let lock = NSLock()
    nonisolated(unsafe) var found: [Int: Donations] = [:]
    DispatchQueue.concurrentPerform(iterations: paths.count) { index in
      guard let donations = read(paths[index].path, format: paths[index].format) else { return }
      lock.lock()
      found[index] = donations
      lock.unlock()
    }
    /// What two exports share: how many references, and those whose values differ.
    func shared(_ a: Donations, _ b: Donations) -> (count: Int, differing: [String], first: String?)
    {
      var count = 0
      var differing: [String] = []
      var first: String?
      for (reference, hash) in a.byReference {
        guard let other = b.byReference[reference] else { continue }
        count += 1
        if first.map({ reference < $0 }) ?? true { first = reference }
        if other != hash { differing.append(reference) }
      }
      return (count, differing.sorted(), first)
    }
    var standing = paths.indices.filter { found[$0]?.byReference.isEmpty == false }
    // 1. An export another standing one holds whole is set aside: the smallest first (a
    // year within the register), and of two holding the same donations the later.
    let bySize = standing.sorted {
      (found[$0]!.byReference.count, $0) < (found[$1]!.byReference.count, $1)
    }
    for index in bySize {
      let mine = found[index]!
      let holder = standing.first { other in
        guard other != index, let theirs = found[other] else { return false }
        let same = mine.byReference.count == theirs.byReference.count
        guard mine.byReference.count <= theirs.byReference.count, !same || other < index
        else { return false }
        let (count, differing, _) = shared(mine, theirs)
        return count == mine.byReference.count && differing.isEmpty
      }
      if let holder {
        outcome.contained.append((paths[index].path, paths[holder].path))
        standing.removeAll { $0 == index }
      }
    }
    // 2. Of two standing exports that share donations, the later cannot be read.
    for index in standing {
      guard let mine = found[index] else { continue }
      for other in standing where other < index {
        guard let theirs = found[other] else { continue }
        let (count, differing, first) = shared(mine, theirs)
        guard count > 0, let first else { continue }
        let own = mine.byReference.count - count
        let values =
          differing.isEmpty
          ? "" : ", \(differing.count) of them with other values (\(differing[0]))"
        let message =
          "holds \(count) donation\(count == 1 ? "" : "s") that \(paths[other].path) holds too (the same reference, \(first))\(values), and \(own) of its own: read beside it, those donations would be counted twice"
        outcome.overlapping.append(
          (
            paths[index].path,
            Diagnostic(
              id: FilingsCatalogue.overlappingExport.id, message: message,
              file: paths[index].path,
              hint:
                "give each donation once: the whole register, or exports that do not overlap (a year, and the years before it)"
            )
          ))
        break
      }
    }
    outcome.contained.sort { $0.path < $1.path }
    return outcome
  }

  /// Why an export is set aside.
  static func containedReason(within: String) -> String {
    "holds only donations that \(within) holds too (the same references, the same values): not read, so that none is counted twice"
  }
}
