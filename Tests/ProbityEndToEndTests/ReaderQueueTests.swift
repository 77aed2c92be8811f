import ProbityCore
import ProbityEngine
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
    #expect(queue.take().records.map(\.record.provenance.line) == [1, 2, 3, 4, 5, 6])
    var third = Self.batch(2, from: 7)
    queue.push(&third)
    queue.finish(ParallelReader.FileResult())
    let last = queue.take()
    #expect(last.records.map(\.record.provenance.line) == [7, 8] && last.done)
  }

  @Test func recordsGivenBackAreFreedAtTheNextHandOver() {
    let queue = ParallelReader.Queue(capacity: 64)
    var records4 = Self.batch(4)
    queue.push(&records4)
    let taken = queue.take()
    #expect(taken.records.count == 4 && !taken.done)
    queue.giveBack(taken.records)
    #expect(queue.spent.count == 1)
    var records2 = Self.batch(2)
    queue.push(&records2)
    #expect(queue.spent.count == 0)
  }

  @Test func recordsGivenBackBeforeTheEndAreFreedWhenTheFileEnds() {
    let queue = ParallelReader.Queue(capacity: 64)
    var records3 = Self.batch(3)
    queue.push(&records3)
    queue.giveBack(queue.take().records)
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
    queue.giveBack(taken.records)
    #expect(queue.spent.count == 0)
    let last = queue.take()
    #expect(last.records.isEmpty && last.done)
  }
}
