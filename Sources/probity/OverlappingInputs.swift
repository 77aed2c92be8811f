import Foundation
import ProbityCore
import ProbityFilings

/// Inputs given together that hold the same records: read beside each other, each record
/// they share would be counted twice. Two kinds are compared, each by the reference its
/// records carry (`transaction_id`):
///
/// - Electoral Commission register exports (`registerExports`). The Commission's exports
///   are cuts of one register: the whole of it, a year of it, the impermissible donations
///   of it. Each donation has its reference (`ECRef`) wherever it is exported. Given the
///   whole register and a year of it, each of the year's donations was counted twice: a
///   donor's total could cross a reporting threshold that only the doubled donations
///   cross.
/// - The CSV or XML files of one report (`reportParts`: the same filer, form and period,
///   `Amendments.superseded`) that no amendment replaced: the parts of a report (its
///   receipts, its disbursements) share no transaction, as a filing's transaction ids
///   are its own; two amendments of the report with no filing number to rank them, or a
///   copy of the report under another name, share them all. A record is told by its kind
///   and transaction id.
///
/// So:
///
/// - an input all of whose records another input given holds, the same reference with
///   the same values, is set aside, as a file given twice is (of two holding the same
///   records, the later in the order given);
/// - an input that holds some records of another and some of its own, or holds one of
///   another's references with other values, cannot be read without counting some record
///   twice or choosing between two versions of it: it is an input error (F0027 for
///   exports, F0028 for reports, exit 2), and it is not read.
///
/// Each input is read whole for its references and values (a few MB: the whole register
/// is 91,341 rows), only when two or more of a kind are given.
enum OverlappingInputs {
  enum Kind {
    case registerExports
    case reportParts

    /// What the records are called.
    var records: (one: String, many: String) {
      self == .registerExports ? ("donation", "donations") : ("transaction", "transactions")
    }
  }

  struct Outcome {
    /// Each set-aside input, with the input that holds all of its records.
    var contained: [(path: String, within: String)] = []
    /// Each input that overlaps another in part, with the error that says so.
    var overlapping: [(path: String, error: Diagnostic)] = []
  }

  /// The records of one input: reference → a hash of its values (its line aside).
  struct Records {
    var byReference: [String: Int] = [:]
    /// Records that cannot be matched to another input's: without a reference, or with a
    /// reference another record of the same input has. An input with any is never held
    /// whole by another (a file of one report's transactions and a row without an id
    /// was set aside as a copy, the row's gift not read).
    var unmatched = 0
  }

  static func read(_ path: String, format: InputFormat, mapping: Mapping?, kind: Kind)
    -> Records?
  {
    var records = Records()
    do {
      _ = try FilingReader.read(
        path: path, format: format, mapping: mapping,
        onRecord: { record in
          guard let id = record.transactionID, !id.isEmpty else {
            records.unmatched += 1
            return
          }
          let reference = kind == .registerExports ? id : "\(record.kind)\u{1F}\(id)"
          guard records.byReference[reference] == nil else {
            records.unmatched += 1
            return
          }
          var hasher = Hasher()
          hasher.combine(record.kind)
          hasher.combine(record.values)
          records.byReference[reference] = hasher.finalize()
        }, onProblem: { _ in })
    } catch {
      return nil  // Its own read says why.
    }
    return records
  }

  /// `paths`: the inputs of one kind given, in order, with their formats (uk-ec or uk-pef
  /// exports; the CSV or XML files of one report, read through `mapping` when given).
  static func overlaps(
    _ paths: [(path: String, format: InputFormat)], mapping: Mapping? = nil,
    kind: Kind = .registerExports
  ) -> Outcome {
    var outcome = Outcome()
    guard paths.count > 1 else { return outcome }
    let lock = NSLock()
    nonisolated(unsafe) var found: [Int: Records] = [:]
    DispatchQueue.concurrentPerform(iterations: paths.count) { index in
      guard
        let records = read(
          paths[index].path, format: paths[index].format, mapping: mapping, kind: kind)
      else { return }
      lock.lock()
      found[index] = records
      lock.unlock()
    }
    /// What two inputs share: how many references, and those whose values differ.
    func shared(_ a: Records, _ b: Records) -> (count: Int, differing: [String], first: String?) {
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
    // 1. An input another standing one holds whole is set aside: the smallest first (a
    // year within the register), and of two holding the same records the later.
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
        return mine.unmatched == 0 && count == mine.byReference.count && differing.isEmpty
      }
      if let holder {
        outcome.contained.append((paths[index].path, paths[holder].path))
        standing.removeAll { $0 == index }
      }
    }
    // 2. Of two standing inputs that share records, the later cannot be read.
    for index in standing {
      guard let mine = found[index] else { continue }
      for other in standing where other < index {
        guard let theirs = found[other] else { continue }
        let (count, differing, first) = shared(mine, theirs)
        guard count > 0, let first else { continue }
        let own = mine.byReference.count - count + mine.unmatched
        let (one, many) = kind.records
        let values =
          differing.isEmpty
          ? "" : ", \(differing.count) of them with other values (\(shown(differing[0])))"
        let message =
          "holds \(count) \(count == 1 ? one : many) that \(paths[other].path) holds too (the same reference, \(shown(first)))\(values), and \(own) of its own: read beside it, those \(many) would be counted twice"
        let hint =
          kind == .registerExports
          ? "give each donation once: the whole register, or exports that do not overlap (a year, and the years before it)"
          : "both are files of one report (its filer, form and period): two amendments of it, or two versions of it; give only the latest, or name the report it replaces in each amendment's amended_filing with the filing number in its file name"
        outcome.overlapping.append(
          (
            paths[index].path,
            Diagnostic(
              id: kind == .registerExports
                ? FilingsCatalogue.overlappingExport.id : FilingsCatalogue.overlappingReport.id,
              message: message, file: paths[index].path, hint: hint)
          ))
        break
      }
    }
    outcome.contained.sort { $0.path < $1.path }
    return outcome
  }

  /// A reference as a person reads it: the transaction id, without the record's kind.
  static func shown(_ reference: String) -> String {
    String(reference.split(separator: "\u{1F}").last ?? "")
  }

  /// Why an input is set aside.
  static func containedReason(within: String, kind: Kind = .registerExports) -> String {
    kind == .registerExports
      ? "holds only donations that \(within) holds too (the same references, the same values): not read, so that none is counted twice"
      : "holds only transactions that \(within), a file of the same report, holds too (the same kinds, transaction ids and values): not read, so that none is counted twice"
  }
}
