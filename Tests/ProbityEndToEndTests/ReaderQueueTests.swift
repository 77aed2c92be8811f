import Foundation
import ProbityCore
import ProbityEngine
import ProbityFilings
import ProbityLanguage
import Testing

@testable import probity

/// The reader's queue of a file: records the evaluator is done with go back to the
/// reader's thread to be freed (glibc's `free` locks the arena a block came from), and
/// none is kept once the file is done: kept, the last records of every file of a run of
/// many files waited for the end of the run (24 files of 9,449 records, the US pack:
/// 578 MiB against 453 MiB).
@Suite("The reader's queue")
struct ReaderQueueTests {
  static func batch(_ count: Int, from first: Int = 1) -> [PreparedRecord] {
    (first..<first + count).map {
      PreparedRecord(Record(kind: .receipt, provenance: Provenance(file: "f.csv", line: $0)))
    }
  }

  @Test func batchesKeepTheirOrderAndAreLeftEmpty() {
    let queue = ParallelReader.Queue(capacity: 64)
    var first = Self.batch(3)
    queue.push(&first)  // the queue was empty: moved in whole
    var second = Self.batch(3, from: 4)
    queue.push(&second)  // appended
    #expect(first.isEmpty && second.isEmpty)
    let taken = queue.take()
    #expect(taken.batches.count == 2)
    #expect(taken.batches.joined().map(\.record.provenance.line) == [1, 2, 3, 4, 5, 6])
    var third = Self.batch(2, from: 7)
    queue.push(&third)
    queue.finish(ParallelReader.FileResult())
    let last = queue.take()
    #expect(last.batches.joined().map(\.record.provenance.line) == [7, 8] && last.done)
  }

  @Test func recordsGivenBackAreFreedAtTheNextHandOver() {
    let queue = ParallelReader.Queue(capacity: 64)
    var first = Self.batch(4)
    var second = Self.batch(4, from: 5)
    // Where each record's values lie, to see whether the pool gets the same arrays back
    // unshared (emptied in place, not copied).
    let addresses = Set(
      (first + second).map {
        $0.record.values.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
      })
    queue.push(&first)
    queue.push(&second)
    // Given back as the consumer does: its own reference gone with the call.
    queue.giveBack(queue.take().batches)
    #expect(queue.spent.count == 2)
    let pool = RecordValuesPool()
    var recycled: [Int] = []
    var next = Self.batch(1, from: 9)
    queue.push(
      &next,
      recycle: {
        recycled.append($0.record.provenance.line)
        pool.give($0.record.values)
      })
    #expect(queue.spent.count == 0)
    // Every record given back, each once, moved out of its batch: the newest batch
    // first, each last record first.
    #expect(recycled == [8, 7, 6, 5, 4, 3, 2, 1])
    // The reader goes on with the emptied array of a batch given back (room for 4).
    #expect(next.isEmpty && next.capacity >= 4)
    // Once the records are gone, the pool holds the only reference to each array: taking
    // one empties it in place, at the address it had (a shared one would be copied).
    #expect(pool.count == 8)
    let taken = (0..<8).map { _ in
      pool.take().withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
    }
    #expect(Set(taken) == addresses)
  }

  @Test func recordsGivenBackBeforeTheEndAreFreedWhenTheFileEnds() {
    let queue = ParallelReader.Queue(capacity: 64)
    var records3 = Self.batch(3)
    queue.push(&records3)
    queue.giveBack(queue.take().batches)
    #expect(queue.spent.count == 1)
    queue.finish(ParallelReader.FileResult())
    #expect(queue.spent.count == 0)
  }

  @Test func recordsGivenBackAfterTheEndAreNotKept() {
    let queue = ParallelReader.Queue(capacity: 64)
    var records5 = Self.batch(5)
    queue.push(&records5)
    let taken = queue.take()
    // The reader finishes the file while the evaluator still holds the batch.
    queue.finish(ParallelReader.FileResult())
    queue.giveBack(taken.batches)
    #expect(queue.spent.count == 0)
    let last = queue.take()
    #expect(last.batches.isEmpty && last.done)
  }

  /// A filing of fewer records than a batch goes to the consumer as read: the reader's
  /// thread never prepares one, so it never compiles a preparer (a seventh of a check's
  /// start-up). Every record still arrives, in order.
  @Test func aSmallFilingMakesNoPreparer() throws {
    final class Count: @unchecked Sendable {
      let lock = NSLock()
      var made = 0
    }
    let count = Count()
    let source = SourceFile(
      path: "small.probity",
      text: """
        rule SMALL-001 {
          title "Big"
          severity error
          category data-quality
          citation "none"
          applies receipt
          when amount > $100.00
          message "big"
        }
        """)
    let (compiled, diagnostics) = RulePackCompiler.compile(sources: [source])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.rendered() })")
    let run = CheckRun(ruleSet: try #require(compiled))
    let preparers = run.preparerSource()
    let records = ParallelReader.batchSize - 1
    let read: FileRead = { path, _, _, onRecord, _ throws(FilingError) in
      for line in 1...records {
        onRecord(Record(kind: .receipt, provenance: Provenance(file: path, line: line)))
      }
      return ReadStatistics()
    }
    var lines: [Int] = []
    ParallelReader(
      files: ["small.csv"], threads: 1,
      preparer: {
        count.lock.lock()
        count.made += 1
        count.lock.unlock()
        return preparers.make()
      }, read: read
    ).run(consume: { lines.append($0.record.provenance.line) }, finished: { _, _ in })
    #expect(lines == Array(1...records))
    #expect(count.made == (ParallelReader.preparation == .always ? 1 : 0))
  }

  /// Readers of small files (each fits in its queue, so a reader never waits on it) read
  /// no further ahead of the consumer than `filesAhead` files: a pile of thousands of
  /// small filings is not held in memory whole. The consumer here is slow, so readers
  /// would run ahead of it to the last file.
  @Test func readersOfSmallFilesStayAFewFilesAheadOfTheConsumer() {
    let files = (0..<200).map { "small-\($0).csv" }
    let read: FileRead = { path, _, _, onRecord, _ throws(FilingError) in
      for line in 1...3 {
        onRecord(Record(kind: .receipt, provenance: Provenance(file: path, line: line)))
      }
      return ReadStatistics()
    }
    let reader = ParallelReader(files: files, threads: 2, read: read)
    var seen: [String] = []
    reader.run(
      consume: { prepared in
        if seen.last != prepared.record.provenance.file {
          seen.append(prepared.record.provenance.file)
          usleep(200)
        }
      }, finished: { _, _ in })
    #expect(seen == files)
    #expect(reader.filesAhead == 4)
    #expect(reader.mostAhead <= reader.filesAhead && reader.mostAhead >= 1)
  }
}
