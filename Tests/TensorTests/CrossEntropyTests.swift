import Foundation
import Tensor
import XCTest

final class CrossEntropyTests: XCTestCase {
    /// -log softmax(row)[target] in Double, straight from the definition (no shift-by-max
    /// trick beyond what keeps exp finite).
    static func referenceLoss(_ row: ArraySlice<Double>, target: Int) -> Double {
        let maximum = row.max()!
        let total = row.reduce(0) { $0 + Foundation.exp($1 - maximum) }
        return Foundation.log(total) + maximum - row[row.startIndex + target]
    }

    /// Per-row losses (0 for an ignored row), their sum and the number of scored rows.
    static func reference(_ logits: [Double], _ targets: [Int32], vocab: Int) -> (losses: [Double], sum: Double, count: Int) {
        var losses = [Double]()
        for (r, target) in targets.enumerated() {
            if target == CrossEntropy.ignoreIndex {
                losses.append(0)
            } else {
                losses.append(referenceLoss(logits[(r * vocab)..<((r + 1) * vocab)], target: Int(target)))
            }
        }
        return (losses, losses.reduce(0, +), targets.filter { $0 != CrossEntropy.ignoreIndex }.count)
    }

    struct Case {
        let logits: [Float]
        let targets: [Int32]
        let rows, vocab: Int

        /// Every third row (and the second) is ignored, as padded or masked positions are.
        init(rows: Int, vocab: Int, seed: UInt64, spread: Float = 6) {
            var data = TestData(seed: seed)
            self.rows = rows
            self.vocab = vocab
            logits = data.uniform(rows * vocab, -spread, spread)
            var targets = data.indices(rows, below: vocab)
            for r in stride(from: 1, to: rows, by: 3) { targets[r] = CrossEntropy.ignoreIndex }
            self.targets = targets
        }

        func forward() -> (losses: [Float], sum: Double, count: Int) {
            var losses = [Float](repeating: .nan, count: rows)
            let (sum, count) = CrossEntropy.forward(losses: &losses, logits: logits, targets: targets, rows: rows, vocab: vocab)
            return (losses, sum, count)
        }

        func forwardBackward(gradientScale: Float) -> (gradients: [Float], losses: [Float], sum: Double, count: Int) {
            var buffer = logits
            var losses = [Float](repeating: .nan, count: rows)
            let (sum, count) = CrossEntropy.forwardBackward(logitsToGradients: &buffer, losses: &losses, targets: targets,
                                                           rows: rows, vocab: vocab, gradientScale: gradientScale)
            return (buffer, losses, sum, count)
        }
    }

    static let shapes = [(1, 1), (1, 3), (3, 17), (17, 65), (5, 129), (2, 8)]

    func testForwardMatchesDoubleReference() {
        for (rows, vocab) in Self.shapes {
            let test = Case(rows: rows, vocab: vocab, seed: UInt64(rows * 131 + vocab))
            let expected = Self.reference(test.logits.doubles, test.targets, vocab: vocab)
            let (losses, sum, count) = test.forward()
            XCTAssertEqual(count, expected.count, "scored rows [\(rows), \(vocab)]")
            assertClose(losses, expected.losses, rtol: 1e-5, "losses [\(rows), \(vocab)]")
            XCTAssertEqual(sum, expected.sum, accuracy: 1e-5 * max(1, expected.sum), "loss sum [\(rows), \(vocab)]")
        }
    }

    func testForwardBackwardMatchesForwardAndFiniteDifferences() {
        for (rows, vocab) in Self.shapes {
            let test = Case(rows: rows, vocab: vocab, seed: UInt64(rows * 17 + vocab))
            let expected = Self.reference(test.logits.doubles, test.targets, vocab: vocab)
            let gradientScale = 1 / Float(max(1, expected.count))
            let (gradients, losses, sum, count) = test.forwardBackward(gradientScale: gradientScale)
            XCTAssertEqual(count, expected.count, "scored rows [\(rows), \(vocab)]")
            assertClose(losses, expected.losses, rtol: 1e-5, "fused losses [\(rows), \(vocab)]")
            XCTAssertEqual(sum, expected.sum, accuracy: 1e-5 * max(1, expected.sum), "fused loss sum [\(rows), \(vocab)]")

            // L = gradientScale · Σ losses, the mean loss the trainer differentiates.
            var expectedGradients = [Double]()
            for r in 0..<rows {
                let range = (r * vocab)..<((r + 1) * vocab)
                for j in 0..<vocab {
                    if test.targets[r] == CrossEntropy.ignoreIndex {
                        expectedGradients.append(0)
                        continue
                    }
                    expectedGradients.append(centralDifference(Array(test.logits[range]).doubles, j) {
                        Double(gradientScale) * Self.referenceLoss($0[...], target: Int(test.targets[r]))
                    })
                }
            }
            if vocab == 1 {
                XCTAssertEqual(gradients, [Float](repeating: 0, count: rows), "one-word vocabulary has zero gradient")
            } else {
                assertClose(gradients, expectedGradients, rtol: 1e-3, "logit gradients [\(rows), \(vocab)]")
            }
            for r in 0..<rows where test.targets[r] == CrossEntropy.ignoreIndex {
                XCTAssertEqual(losses[r], 0, "ignored row \(r) has no loss")
                XCTAssertTrue(gradients[(r * vocab)..<((r + 1) * vocab)].allSatisfy { $0 == 0 }, "ignored row \(r) has no gradient")
            }
        }
    }

    /// A target whose probability underflows float32 (logit 200 below the best one) still
    /// has a finite loss of about 200, in both passes.
    func testConfidentWrongPredictionHasFiniteLoss() {
        let logits: [Float] = [100, -100, 0, 3, 50, 50, -20, 7, 1]
        let targets: [Int32] = [1, 2, 0]
        let expected = Self.reference(logits.doubles, targets, vocab: 3)
        var forwardLosses = [Float](repeating: .nan, count: 3)
        CrossEntropy.forward(losses: &forwardLosses, logits: logits, targets: targets, rows: 3, vocab: 3)
        // forward rounds log-sum-exp at the scale of the largest logit (100) before subtracting.
        assertClose(forwardLosses, expected.losses, rtol: 1e-6, minimumScale: 100, "forward losses")
        var buffer = logits
        var fusedLosses = [Float](repeating: .nan, count: 3)
        let (sum, _) = CrossEntropy.forwardBackward(logitsToGradients: &buffer, losses: &fusedLosses, targets: targets,
                                                    rows: 3, vocab: 3, gradientScale: 1)
        assertClose(fusedLosses, expected.losses, rtol: 1e-6, floor: 0, "fused losses")
        XCTAssertEqual(sum, expected.sum, accuracy: 1e-4, "fused loss sum")
        XCTAssertEqual(buffer[0], 1, accuracy: 1e-6, "gradient towards the confident wrong answer")
        XCTAssertEqual(buffer[1], -1, accuracy: 1e-6, "gradient towards the unlikely target")
    }

    /// Vocabulary-long rows (as with GPT-2's 50257): the largest logit first, in the middle or
    /// last, and a long stretch masked to -∞. The gradient is checked against the closed form
    /// (softmax - onehot) · scale, which the finite differences above confirm on short rows.
    func testLongRowsWithMaskedLogits() {
        let (rows, vocab) = (4, 4099)
        var data = TestData(seed: 10)
        var logits = data.uniform(rows * vocab, -8, 8)
        logits[0 * vocab + 5] = 30
        logits[1 * vocab + 3000] = 30
        logits[2 * vocab + 4098] = 30
        for j in 0..<2048 { logits[3 * vocab + j] = -.infinity }
        let targets: [Int32] = [5, 17, 4000, 2500]
        let expected = Self.reference(logits.doubles, targets, vocab: vocab)

        var forwardLosses = [Float](repeating: .nan, count: rows)
        CrossEntropy.forward(losses: &forwardLosses, logits: logits, targets: targets, rows: rows, vocab: vocab)
        assertClose(forwardLosses, expected.losses, rtol: 1e-5, "forward losses of long rows")

        var gradients = logits
        var fusedLosses = [Float](repeating: .nan, count: rows)
        CrossEntropy.forwardBackward(logitsToGradients: &gradients, losses: &fusedLosses, targets: targets,
                                     rows: rows, vocab: vocab, gradientScale: 0.25)
        assertClose(fusedLosses, expected.losses, rtol: 1e-5, "fused losses of long rows")
        var expectedGradients = [Double]()
        for r in 0..<rows {
            let row = logits[(r * vocab)..<((r + 1) * vocab)].map(Double.init)
            let maximum = row.max()!
            let logTotal = maximum + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - maximum) })
            for (j, value) in row.enumerated() {
                expectedGradients.append(0.25 * (Foundation.exp(value - logTotal) - (j == Int(targets[r]) ? 1 : 0)))
            }
        }
        assertClose(gradients, expectedGradients, rtol: 1e-4, floor: 1e-3, "gradients of long rows")
    }

    func testAllRowsIgnored() {
        let logits: [Float] = [1, 2, 3, 4, 5, 6]
        let targets = [Int32](repeating: CrossEntropy.ignoreIndex, count: 2)
        let forward = CrossEntropy.forward(losses: nil, logits: logits, targets: targets, rows: 2, vocab: 3)
        XCTAssertEqual(forward.sum, 0)
        XCTAssertEqual(forward.count, 0)
        var buffer = logits
        let fused = CrossEntropy.forwardBackward(logitsToGradients: &buffer, losses: nil, targets: targets,
                                                 rows: 2, vocab: 3, gradientScale: 1)
        XCTAssertEqual(fused.count, 0)
        XCTAssertEqual(buffer, [Float](repeating: 0, count: 6))
    }

    /// forward costs 2·vocab per row and forwardBackward 4·vocab: [129, 257] splits both over two threads.
    func testMultiThreadedMatchesRowByRow() {
        let (rows, vocab) = (129, 257)
        assertSplitsOverThreads(rows * 2 * vocab, "CrossEntropy.forward [129, 257]")
        let test = Case(rows: rows, vocab: vocab, seed: 9, spread: 10)
        let expected = Self.reference(test.logits.doubles, test.targets, vocab: vocab)
        let (losses, sum, count) = test.forward()
        XCTAssertEqual(count, expected.count)
        assertClose(losses, expected.losses, rtol: 1e-5, "threaded losses")
        XCTAssertEqual(sum, expected.sum, accuracy: 1e-5 * expected.sum, "threaded loss sum")

        let gradientScale = 1 / Float(count)
        let fused = test.forwardBackward(gradientScale: gradientScale)
        XCTAssertEqual(fused.count, expected.count)
        XCTAssertEqual(fused.sum, expected.sum, accuracy: 1e-5 * expected.sum, "threaded fused loss sum")
        for r in 0..<rows {
            let range = (r * vocab)..<((r + 1) * vocab)
            var row = Array(test.logits[range])
            var loss: Float = .nan
            CrossEntropy.forwardBackward(logitsToGradients: &row, losses: &loss, targets: [test.targets[r]],
                                         rows: 1, vocab: vocab, gradientScale: gradientScale)
            XCTAssertEqual(Array(fused.gradients[range]), row, "threaded gradients of row \(r)")
            XCTAssertEqual(fused.losses[r], loss, "threaded loss of row \(r)")
        }
    }
}
