import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings

/// Reads one file (`FilingReader.read`): its path, the lines of the records wanted
/// (nil: all), the arrays of values to fill again (see `RecordValuesPool`), where records
/// and problems go.
typealias FileRead =
  @Sendable (
    String, LineSelection?, RecordValuesPool, (consuming Record) -> Void, (Diagnostic) -> Void
  )
  throws(FilingError) -> ReadStatistics

/// Reads files on several threads while one consumer takes their records in file order.
///
/// Files are handed to readers in order, each into its own bounded queue, so the file
/// the consumer needs next is always being read (no deadlock), and a reader starts a
/// file only when it is fewer than `filesAhead` files after the one the consumer is
/// taking: memory holds at most `capacity` records of each of those files. (Without that
/// bound, readers of small files never waited: each file's records fit in its queue, so
/// they read ahead of the consumer as far as they could, and a pile of thousands of small
/// filings was held in memory whole once reading them got fast.) The consumer sees every file's records, then its
/// problems and counts, in the same order whatever the number of threads: the output
/// does not depend on it.
final class ParallelReader: @unchecked Sendable {
  struct FileResult {
    var statistics = ReadStatistics()
    var problems: [Diagnostic] = []
    var problemCount = 0
    var error: FilingError?
    var bytes: Int = 0
    /// The file as it was when its read began (nil: not a regular file, or gone).
    var identity: FileIdentity?
  }

  final class Queue: @unchecked Sendable {
    let condition = NSCondition()
    /// The batches waiting, in file order, each moved in whole: appending a batch's
    /// records one by one would retain all each holds, and the batch's release undo it.
    var batches: [[PreparedRecord]] = []
    /// The records in `batches`.
    var waiting = 0
    var finished = false
    var result = FileResult()
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Whether the consumer found no record waiting since the last batch was handed over.
    var starved = false

    /// Records the consumer is done with, handed back so that the reader's thread frees
    /// them: glibc's malloc locks the arena a block came from to free it, and a record
    /// made on one thread and freed on the other had both threads queueing on that
    /// lock in the kernel (a quarter of the time of reading alone, by `perf`).
    var spent: [[PreparedRecord]] = []

    /// Hands over a batch of records (one lock per batch, not per record), leaving
    /// `batch` empty (the emptied array of a batch given back, when there is one, so that
    /// its room is used again). Returns whether the consumer had to wait for records
    /// since the last batch. The records the consumer gave back go to `recycle` (which
    /// keeps what can be filled again), then are freed.
    @discardableResult
    func push(
      _ batch: inout [PreparedRecord], recycle: ((PreparedRecord) -> Void)? = nil
    ) -> Bool {
      condition.lock()
      while waiting >= capacity { condition.wait() }
      waiting += batch.count
      let size = batch.count
      var handed: [PreparedRecord] = []
      swap(&handed, &batch)
      // Moved, not copied: the consumer lends its records in place, which would copy a
      // batch whose array the reader still held.
      batches.append(consume handed)
      let wasStarved = starved
      starved = false
      var freed: [[PreparedRecord]] = []
      swap(&freed, &spent)
      condition.broadcast()
      condition.unlock()
      // Freed here, on the reader's thread, outside the lock. Each record is moved out
      // of its batch (a copy retained all it holds, and the batch's release released it
      // all again), what can be filled again is kept, and the rest freed with the record,
      // so that what is kept holds the only references left. Last first: the order in
      // which arrays and caches are kept for filling again does not matter.
      var reused: [PreparedRecord]?
      while var spentBatch = freed.popLast() {
        while let prepared = spentBatch.popLast() { recycle?(prepared) }
        reused = spentBatch
      }
      if let reused { batch = reused }
      if batch.capacity < size { batch.reserveCapacity(size) }
      return wasStarved
    }

    /// Gives back records the consumer has done with (see `spent`). Once the reader is
    /// done with the file, it frees nothing more here: the consumer frees them itself
    /// (kept, the last records of every file of an audit would wait for the run's end).
    func giveBack(_ batches: consuming [[PreparedRecord]]) {
      condition.lock()
      if finished {
        condition.unlock()
        return
      }
      spent.append(contentsOf: batches)
      condition.unlock()
    }

    func finish(_ result: FileResult) {
      condition.lock()
      self.result = result
      finished = true
      var freed: [[PreparedRecord]] = []
      swap(&freed, &spent)
      condition.broadcast()
      condition.unlock()
      freed.removeAll()
    }

    /// The batches of records read so far (waiting for some), and whether the file is
    /// done.
    func take() -> (batches: [[PreparedRecord]], done: Bool) {
      condition.lock()
      if batches.isEmpty && !finished { starved = true }
      while batches.isEmpty && !finished { condition.wait() }
      var taken: [[PreparedRecord]] = []
      swap(&taken, &batches)
      waiting = 0
      let done = finished
      condition.broadcast()
      condition.unlock()
      return (taken, done)
    }
  }

  let files: [String]
  let threads: Int
  let read: FileRead
  private let queues: [Queue]
  private let next = NSLock()
  private var nextFile = 0
  /// The file the consumer is taking records from, and the readers waiting for it to
  /// move on.
  private let consumed = NSCondition()
  private var consumerFile = 0
  /// How many files, from the one the consumer is taking, may be read at once.
  let filesAhead: Int

  /// Who computes what depends on a record alone: adaptive (the reader's thread while
  /// the consumer is the slower), or, for measuring one side at a time with instruction
  /// counts that do not depend on the threads' timing, always or never the reader's
  /// thread (`PROBITY_PREPARE=always` or `never`, docs/performance.md). The output is
  /// the same whichever.
  enum Preparation: String { case adaptive, always, never }
  static let preparation: Preparation =
    ProcessInfo.processInfo.environment["PROBITY_PREPARE"].flatMap(Preparation.init) ?? .adaptive

  /// Problems kept per file; all are counted.
  static let problemsKept = 1000
  /// Records handed from a reader to the consumer at a time.
  static let batchSize = 512
  /// How many records ahead of the one consumed `lookAhead` is given: enough for a
  /// load from memory to arrive (a record takes a microsecond or two), few enough that
  /// what it loaded is still in the cache.
  static let lookAheadDistance = 8
  static let lookAheadNear = 4

  /// Makes, for each reader thread, what computes the values that depend on a record
  /// alone (see `RecordPreparer`), so that the consumer is left with less to do.
  let preparer: @Sendable () -> RecordPreparer?
  /// When set, only the records starting on these lines (by file) go to the consumer
  /// (the replay's selection, see `CheckRun.replaySelection`).
  let lines: [String: LineSelection]?

  init(
    files: [String], threads: Int, capacity: Int = 4_096,
    preparer: @escaping @Sendable () -> RecordPreparer? = { nil },
    lines: [String: LineSelection]? = nil,
    read: @escaping FileRead
  ) {
    self.files = files
    self.threads = max(1, min(threads, files.count))
    self.read = read
    self.preparer = preparer
    self.lines = lines
    self.queues = files.map { _ in Queue(capacity: capacity) }
    filesAhead = 2 * self.threads
  }

  /// The highest number of files, counted from the one the consumer was taking, that were
  /// read at once (for the tests).
  private(set) var mostAhead = 0

  /// Runs the readers and gives `consume` each file's records in file order, then
  /// `finished` each file's result. A record is lent `inout` so that it is not copied
  /// for the call; the consumers only read it.
  ///
  /// `lookAhead` is given each record `lookAheadDistance` records before `consume` is
  /// (within a batch), to ask the processor for what it will read (a hint only), and
  /// again `lookAheadNear` records before (`near`), to ask for what that points to.
  func run(
    consume: (inout PreparedRecord) -> Void,
    lookAhead: ((inout PreparedRecord, _ near: Bool) -> Void)? = nil,
    finished: (Int, FileResult) -> Void
  ) {
    for _ in 0..<threads {
      let thread = Thread { [self] in self.work() }
      thread.stackSize = 4 << 20
      thread.start()
    }
    for (index, queue) in queues.enumerated() {
      while true {
        var batches: [[PreparedRecord]]
        let done: Bool
        (batches, done) = queue.take()
        // Each record lent to the consumer in place. (Passed by value, each was copied for
        // the call, which retained the arrays it holds: atomic operations on lines the
        // reader's thread had just written. The compiler cannot tell that `consume`
        // leaves the batch alone.)
        for batch in batches.indices {
          if let lookAhead {
            let count = batches[batch].count
            let far = ParallelReader.lookAheadDistance
            let near = ParallelReader.lookAheadNear
            for index in 0..<min(far, count) { lookAhead(&batches[batch][index], false) }
            for index in 0..<min(near, count) { lookAhead(&batches[batch][index], true) }
            for index in 0..<count {
              // The record the look ahead comes to next, asked for ahead of it.
              if index + 2 * far < count {
                PreparedRecord.prefetch(&batches[batch][index + 2 * far])
              }
              if index + far < count { lookAhead(&batches[batch][index + far], false) }
              if index + near < count { lookAhead(&batches[batch][index + near], true) }
              consume(&batches[batch][index])
            }
          } else {
            for index in batches[batch].indices { consume(&batches[batch][index]) }
          }
        }
        if done { break }
        // Given up here, so that the reader holds the only reference to free them.
        queue.giveBack(consume batches)
      }
      finished(index, queue.result)
      consumed.lock()
      consumerFile = index + 1
      consumed.broadcast()
      consumed.unlock()
    }
  }

  private func work() {
    // Made when this thread first prepares a record: compiling its kernels is a seventh
    // of the start-up of a check, and a small filing never needs them.
    let preparer = LazyPreparer(make: self.preparer)
    // The arrays of values and the caches of records the consumer is done with, filled
    // again for the records read next.
    let pool = RecordValuesPool()
    let recycle = { (prepared: PreparedRecord) in
      pool.give(prepared.record.values)
      preparer.made?.recycle(prepared)
    }
    while true {
      next.lock()
      let index = nextFile
      nextFile += 1
      next.unlock()
      guard index < files.count else { return }
      // The file the consumer is taking is always started (it is before this one), so
      // this wait ends.
      consumed.lock()
      while index >= consumerFile + filesAhead { consumed.wait() }
      mostAhead = max(mostAhead, index - consumerFile + 1)
      consumed.unlock()
      let queue = queues[index]
      var result = FileResult()
      result.identity = FileIdentity(files[index])
      result.bytes = result.identity?.size ?? fileSize(files[index])
      var batch: [PreparedRecord] = []
      batch.reserveCapacity(ParallelReader.batchSize)
      // The reader prepares records while the consumer is the slower (it never has to
      // wait for records): whatever this thread computes, the consumer need not. When the
      // consumer had to wait since the last batch, the next goes as read. The work is
      // shared out by itself; the results are the same either way.
      var preparing = ParallelReader.preparation == .always
      // By the file each record names (its provenance), as the selection is made.
      var wanted: (file: String, lines: Set<Int>)?
      do {
        result.statistics = try read(
          files[index], lines.map { $0[files[index]] ?? LineSelection(lines: []) }, pool,
          { record in
            if let lines {
              if wanted?.file != record.provenance.file {
                wanted = (record.provenance.file, lines[record.provenance.file]?.lines ?? [])
              }
              guard wanted?.lines.contains(record.provenance.line) == true else { return }
            }
            // Given on (`consuming`) either way: an autoclosure (`??`) would capture the
            // record and copy it.
            if preparing, let made = preparer.preparer {
              batch.append(made.prepare(record))
            } else {
              batch.append(PreparedRecord(record))
            }
            if batch.count == ParallelReader.batchSize {
              let starved = queue.push(&batch, recycle: recycle)
              if ParallelReader.preparation == .adaptive { preparing = !starved }
            }
          },
          { problem in
            result.problemCount += 1
            if result.problems.count < ParallelReader.problemsKept {
              result.problems.append(problem)
            }
          })
      } catch {
        result.error = error
        result.statistics = error.statistics  // the records delivered before it stopped
      }
      // A file written, cut, replaced or removed while it was read: what was read of it
      // is no one version of it (a file emptied half way was a file of half its records).
      if result.error == nil, let before = result.identity, FileIdentity(files[index]) != before {
        var changed = FileIdentity.changed(files[index])
        changed.statistics = result.statistics
        result.error = changed
      }
      // The records given back meanwhile are kept for the next file too.
      if !batch.isEmpty { queue.push(&batch, recycle: recycle) }
      queue.finish(result)
    }
  }
}

/// A reader thread's `RecordPreparer`, made the first time it is asked for.
private final class LazyPreparer {
  private let make: () -> RecordPreparer?
  /// The preparer, if it was made (the records it prepared hand back their caches).
  private(set) var made: RecordPreparer?
  private var tried = false

  init(make: @escaping () -> RecordPreparer?) { self.make = make }

  var preparer: RecordPreparer? {
    if !tried {
      tried = true
      made = make()
    }
    return made
  }
}

/// What tells that a regular file is the one read before: its device, inode, size and
/// time of last modification (not of its last status change: a `chmod` or a hard link
/// made by a backup changes no record). The second pass of a run (the trails) reads its
/// inputs again by path: a file replaced or removed meanwhile gave findings without their
/// trails, or with another file's records.
struct FileIdentity: Equatable, Sendable {
  let device: UInt64
  let inode: UInt64
  let size: Int
  let modified: Int64
  let modifiedNanoseconds: Int

  /// nil: no such file, or not a regular file (a pipe is read once and not compared).
  init?(_ path: String) {
    var status = stat()
    guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
    device = UInt64(status.st_dev)
    inode = UInt64(status.st_ino)
    size = Int(status.st_size)
    modified = Int64(status.st_mtim.tv_sec)
    modifiedNanoseconds = Int(status.st_mtim.tv_nsec)
  }

  /// The input error of a file that changed while the run read it (F0030).
  static func changed(_ path: String) -> FilingError {
    FilingError(
      Diagnostic(
        id: FilingsCatalogue.fileChanged.id,
        message:
          "the file changed, was replaced or removed while it was read: its records are no one version of it",
        file: path,
        hint: "check a copy that nothing writes to while the run reads it"))
  }
}
