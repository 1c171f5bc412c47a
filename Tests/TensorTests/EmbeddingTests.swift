import Tensor
import XCTest

final class EmbeddingTests: XCTestCase {
    /// out[r, :] = table[indices[r], :] in Double.
    static func reference(_ table: [Double], _ indices: [Int32], channels: Int) -> [Double] {
        indices.flatMap { index in table[(Int(index) * channels)..<((Int(index) + 1) * channels)] }
    }

    func testForwardCopiesAndAccumulatesRows() {
        var data = TestData(seed: 1)
        for (vocab, rows, channels) in [(1, 1, 1), (3, 17, 3), (17, 65, 17), (65, 3, 129)] {
            let table = data.uniform(vocab * channels), indices = data.indices(rows, below: vocab)
            var out = [Float](repeating: .nan, count: rows * channels)
            Embedding.forward(out: &out, table: table, indices: indices, rows: rows, channels: channels)
            XCTAssertEqual(out.doubles, Self.reference(table.doubles, indices, channels: channels), "lookup [\(vocab), \(channels)]")

            // accumulate adds the rows (the position embedding on top of the token embedding).
            let start = data.uniform(rows * channels)
            var sum = start
            Embedding.forward(out: &sum, table: table, indices: indices, rows: rows, channels: channels, accumulate: true)
            let expected = zip(start, out).map { $0 + $1 }
            XCTAssertEqual(sum, expected, "accumulated lookup [\(vocab), \(channels)]")
        }
    }

    /// Repeated indices must add up in the table gradient, never overwrite one another.
    func testBackwardMatchesFiniteDifferencesWithRepeatedIndices() {
        var data = TestData(seed: 2)
        for (vocab, rows, channels) in [(1, 3, 1), (3, 17, 3), (17, 65, 17), (5, 3, 129)] {
            let table = data.uniform(vocab * channels), dOut = data.uniform(rows * channels)
            var indices = data.indices(rows, below: vocab)
            indices[rows - 1] = indices[0]
            let start = data.uniform(table.count)
            var dTable = start
            Embedding.backward(dTable: &dTable, dOut: dOut, indices: indices, rows: rows, channels: channels)
            let gradient = (0..<table.count).map { i in
                centralDifference(table.doubles, i) { weightedSum(Self.reference($0, indices, channels: channels), dOut) }
            }
            assertClose(dTable.enumerated().map { $1 - start[$0] }, gradient, rtol: 1e-3, "dTable [\(vocab), \(channels)]")
            assertClose(dTable, zip(start, gradient).map { Double($0) + $1 }, rtol: 1e-5, "dTable accumulates [\(vocab), \(channels)]")
        }
    }

    /// 129 rows × 513 channels: the backward splits the channels (33 blocks of 16) over two threads.
    func testMultiThreadedBackwardMatchesScatterAdd() {
        let (vocab, rows, channels) = (7, 129, 513)
        assertSplitsOverThreads(rows * channels, "Embedding.backward [129, 513]")
        var data = TestData(seed: 3)
        let dOut = data.uniform(rows * channels), indices = data.indices(rows, below: vocab)
        var dTable = [Float](repeating: 0, count: vocab * channels)
        Embedding.backward(dTable: &dTable, dOut: dOut, indices: indices, rows: rows, channels: channels)
        var expected = [Double](repeating: 0, count: vocab * channels)
        for r in 0..<rows {
            for c in 0..<channels { expected[Int(indices[r]) * channels + c] += Double(dOut[r * channels + c]) }
        }
        assertClose(dTable, expected, rtol: 1e-5, "threaded scatter-add")

        var out = [Float](repeating: .nan, count: rows * channels)
        Embedding.forward(out: &out, table: dTable, indices: indices, rows: rows, channels: channels)
        XCTAssertEqual(out.doubles, Self.reference(dTable.doubles, indices, channels: channels), "threaded lookup")
    }
}
