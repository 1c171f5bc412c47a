@testable import Embedding
import Tensor
import XCTest

/// How `SentenceEncoder` splits its input: every distinct sentence in exactly one batch, duplicates
/// encoded once, and batches of nearly equal size in a multiple of the cores.
final class SentenceBatchesTests: XCTestCase {
    static func sentences(count: Int, seed: UInt64) -> [[Int32]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let length = Int.random(in: 3...14, using: &generator)
            return (0..<length).map { _ in Int32.random(in: 0..<50, using: &generator) }
        }
    }

    func testEveryDistinctSentenceIsInExactlyOneBatchAndDuplicatesPointToIt() {
        var input = Self.sentences(count: 997, seed: 11)
        input += [input[3], input[500], input[3]]
        let plan = SentenceBatches(input, batchTokens: 1000, workers: 2, minimumTokens: 256)
        XCTAssertEqual(plan.unique.count, 997)
        XCTAssertEqual(plan.uniqueIndex.count, input.count)
        for (sentence, index) in plan.uniqueIndex.enumerated() { XCTAssertEqual(plan.unique[index], input[sentence]) }
        let placed = plan.batches.flatMap(\.sentences).sorted()
        XCTAssertEqual(placed, Array(0..<997))
        for batch in plan.batches {
            XCTAssertEqual(batch.tokens, batch.sentences.flatMap { plan.unique[$0] })
            XCTAssertEqual(batch.offsets, batch.sentences.reduce(into: [0]) { $0.append($0.last! + plan.unique[$1].count) })
        }
    }

    func testBatchesAreEqualToASentenceAndAMultipleOfTheWorkers() {
        let input = Self.sentences(count: 3001, seed: 12)
        for (batchTokens, workers) in [(4096, 2), (1000, 3), (50_000, 2), (777, 1)] {
            let plan = SentenceBatches(input, batchTokens: batchTokens, workers: workers, minimumTokens: 256)
            let total = plan.unique.reduce(0) { $0 + $1.count }
            let sizes = plan.batches.map(\.tokens.count)
            XCTAssertEqual(sizes.reduce(0, +), total)
            XCTAssertEqual(plan.largestBatch, sizes.max())
            if workers > 1 {
                XCTAssertEqual(sizes.count % workers, 0, "\(sizes)")
                XCTAssertGreaterThanOrEqual(sizes.count, 2 * workers, "\(sizes)")
            }
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 2 * 14, "\(sizes)")
            XCTAssertLessThanOrEqual(sizes.max()!, max(batchTokens, total / max(1, sizes.count)) + 14, "\(sizes)")
            // Longest first: a batch's shortest sentence is at least as long as the next batch's longest.
            for (a, b) in zip(plan.batches, plan.batches.dropFirst()) {
                XCTAssertGreaterThanOrEqual(a.sentences.map { plan.unique[$0].count }.min()!, b.sentences.map { plan.unique[$0].count }.max()!)
            }
        }
    }

    func testLittleWorkStaysInOneBatch() {
        let plan = SentenceBatches([[1, 2, 3], [4, 5]], batchTokens: 4096, workers: 2, minimumTokens: 256)
        XCTAssertEqual(plan.batches.count, 1)
        XCTAssertEqual(plan.batches[0].tokens, [1, 2, 3, 4, 5])
        XCTAssertTrue(SentenceBatches([], batchTokens: 4096, workers: 2, minimumTokens: 256).batches.isEmpty)
    }
}
