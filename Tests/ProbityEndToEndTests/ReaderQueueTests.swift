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
  static func batch(_ count: Int, file: String = "filing.csv") -> [PreparedRecord] {
    (1...count).map {
      PreparedRecord(Record(kind: .receipt, provenance: Provenance(file: file, line: $0)))
    }
  }

  @Test func recordsGivenBackAreFreedAtTheNextHandOver() {
    let queue = ParallelReader.Queue(capacity: 64)
    queue.push(Self.batch(4))
    let taken = queue.take()
    #expect(taken.records.count == 4 && !taken.done)
    queue.giveBack(taken.records)
    #expect(queue.spent.count == 1)
    queue.push(Self.batch(2))
    #expect(queue.spent.count == 0)
  }

  @Test func recordsGivenBackBeforeTheEndAreFreedWhenTheFileEnds() {
    let queue = ParallelReader.Queue(capacity: 64)
    queue.push(Self.batch(3))
    queue.giveBack(queue.take().records)
    #expect(queue.spent.count == 1)
    queue.finish(ParallelReader.FileResult())
    #expect(queue.spent.count == 0)
  }

  @Test func recordsGivenBackAfterTheEndAreNotKept() {
    let queue = ParallelReader.Queue(capacity: 64)
    queue.push(Self.batch(5))
    let taken = queue.take()
    // The reader finishes the file while the evaluator still holds the batch.
    queue.finish(ParallelReader.FileResult())
    queue.giveBack(taken.records)
    #expect(queue.spent.count == 0)
    let last = queue.take()
    #expect(last.records.isEmpty && last.done)
  }
}
