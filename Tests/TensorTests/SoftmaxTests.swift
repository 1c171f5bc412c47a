import Foundation
import Tensor
import XCTest

final class SoftmaxTests: XCTestCase {
    /// softmax(scale · x[0..<valid]) followed by zeros for the masked columns, in Double.
    static func referenceRow(_ x: ArraySlice<Double>, valid: Int, scale: Double = 1) -> [Double] {
        let scaled = x.prefix(valid).map { $0 * scale }
        let maximum = scaled.max() ?? 0
        let exps = scaled.map { Foundation.exp($0 - maximum) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total } + [Double](repeating: 0, count: x.count - valid)
    }

    /// Row r of a causal softmax with `offset` earlier positions sees columns 0...(r + offset).
    static func reference(_ x: [Double], rows: Int, columns: Int, causalOffset: Int?, scale: Double = 1) -> [Double] {
        (0..<rows).flatMap { r in
            let valid = causalOffset.map { min(columns, r + $0 + 1) } ?? columns
            return referenceRow(x[(r * columns)..<((r + 1) * columns)], valid: valid, scale: scale)
        }
    }

    /// ∂(Σ_j out[r, j]·weights[r, j])/∂x[r, j] for every element: rows are independent, so each
    /// difference recomputes one row.
    static func finiteDifferences(
        _ x: [Float], weights: [Float], rows: Int, columns: Int, causalOffset: Int?, scale: Double = 1
    ) -> [Double] {
        var gradient = [Double]()
        for r in 0..<rows {
            let range = (r * columns)..<((r + 1) * columns)
            let valid = causalOffset.map { min(columns, r + $0 + 1) } ?? columns
            let rowWeights = Array(weights[range])
            for j in 0..<columns {
                gradient.append(centralDifference(Array(x[range]).doubles, j) {
                    weightedSum(referenceRow($0[...], valid: valid, scale: scale), rowWeights)
                })
            }
        }
        return gradient
    }

    func testForwardMatchesDoubleReference() {
        var data = TestData(seed: 1)
        for (rows, columns) in [(1, 1), (1, 3), (3, 17), (17, 65), (2, 129)] {
            // Spread wide enough that some probabilities underflow towards 0.
            let x = data.uniform(rows * columns, -20, 20)
            var probs = [Float](repeating: .nan, count: x.count)
            Softmax.forward(probs: &probs, input: x, rows: rows, columns: columns)
            let expected = Self.reference(x.doubles, rows: rows, columns: columns, causalOffset: nil)
            assertClose(probs, expected, rtol: 1e-5, floor: 1e-6, "softmax [\(rows), \(columns)]")
        }
    }

    func testForwardIsShiftInvariantForLargeLogits() {
        let x: [Float] = [1000, 999, 998, -1000, 1000]
        var probs = [Float](repeating: .nan, count: 5)
        Softmax.forward(probs: &probs, input: x, rows: 1, columns: 5)
        assertClose(probs, Self.reference(x.doubles, rows: 1, columns: 5, causalOffset: nil), rtol: 1e-6, floor: 0, "large logits")
    }

    func testBackwardMatchesFiniteDifferences() {
        var data = TestData(seed: 2)
        for (rows, columns) in [(1, 1), (1, 3), (3, 17), (17, 65), (2, 129)] {
            let x = data.uniform(rows * columns, -4, 4), dProbs = data.uniform(rows * columns)
            var probs = [Float](repeating: 0, count: x.count)
            Softmax.forward(probs: &probs, input: x, rows: rows, columns: columns)
            let start = data.uniform(x.count)
            var dInput = start
            Softmax.backward(dInput: &dInput, dProbs: dProbs, probs: probs, rows: rows, columns: columns)
            let expected = Self.finiteDifferences(x, weights: dProbs, rows: rows, columns: columns, causalOffset: nil)
            // A one-column softmax is constant 1: its gradient is exactly 0 and dInput keeps its start.
            if columns == 1 {
                XCTAssertEqual(dInput, start, "one-column softmax leaves dInput as it was")
            } else {
                let accumulated = zip(start, expected).map { Double($0) + $1 }
                assertClose(dInput.enumerated().map { $1 - start[$0] }, expected, rtol: 1e-3, "softmax backward [\(rows), \(columns)]")
                assertClose(dInput, accumulated, rtol: 1e-3, "softmax backward accumulates [\(rows), \(columns)]")
            }
        }
    }

    /// Full-sequence causal attention (offset 0, square) and decoding (offset > 0: `rows` new
    /// positions after `offset` cached ones, columns = offset + rows), with the 1/√d scale.
    static let causalCases: [(rows: Int, columns: Int, offset: Int, scale: Double)] = [
        (1, 1, 0, 1), (3, 3, 0, 0.125), (17, 17, 0, 1 / 8.0.squareRoot()), (65, 65, 0, 0.3),
        (1, 18, 17, 0.25), (3, 20, 17, 0.5), (17, 129, 112, 1 / 64.0.squareRoot()),
        // An offset that reaches past the last column: every row sees every column.
        (3, 5, 9, 1),
    ]

    func testCausalForwardMatchesDoubleReference() {
        var data = TestData(seed: 3)
        for (rows, columns, offset, scale) in Self.causalCases {
            let scores = data.uniform(rows * columns, -10, 10)
            var probs = [Float](repeating: .nan, count: scores.count)
            Softmax.causalForward(probs: &probs, scores: scores, rows: rows, columns: columns, offset: offset, scale: Float(scale))
            let expected = Self.reference(scores.doubles, rows: rows, columns: columns, causalOffset: offset, scale: scale)
            assertClose(probs, expected, rtol: 1e-5, floor: 1e-6, "causal softmax [\(rows), \(columns)] offset \(offset)")
            for r in 0..<rows {
                for j in min(columns, r + offset + 1)..<columns {
                    XCTAssertEqual(probs[r * columns + j], 0, "masked entry [\(r), \(j)] offset \(offset)")
                }
            }
        }
    }

    func testCausalBackwardMatchesFiniteDifferencesAndWrites() {
        var data = TestData(seed: 4)
        for (rows, columns, offset, scale) in Self.causalCases {
            let scores = data.uniform(rows * columns, -4, 4), dProbs = data.uniform(rows * columns)
            var probs = [Float](repeating: 0, count: scores.count)
            Softmax.causalForward(probs: &probs, scores: scores, rows: rows, columns: columns, offset: offset, scale: Float(scale))
            // causalBackward writes: whatever the buffer held before must not show through.
            var dScores = [Float](repeating: .nan, count: scores.count)
            Softmax.causalBackward(dScores: &dScores, dProbs: dProbs, probs: probs, rows: rows, columns: columns,
                                   offset: offset, scale: Float(scale))
            let expected = Self.finiteDifferences(scores, weights: dProbs, rows: rows, columns: columns,
                                                  causalOffset: offset, scale: scale)
            if columns == 1 {
                XCTAssertEqual(dScores, [0], "one-column causal softmax has a zero gradient")
            } else {
                assertClose(dScores, expected, rtol: 1e-3, "causal backward [\(rows), \(columns)] offset \(offset)")
            }
            for r in 0..<rows {
                for j in min(columns, r + offset + 1)..<columns {
                    XCTAssertEqual(dScores[r * columns + j], 0, "masked gradient [\(r), \(j)] offset \(offset)")
                }
            }
        }
    }

    /// The attention layer runs both passes in place (probs over scores, dScores over dProbs);
    /// scale 1 and scale ≠ 1 take different paths through the forward.
    func testCausalPassesInPlace() {
        var data = TestData(seed: 5)
        let (rows, columns, offset) = (17, 20, 3)
        let scores = data.uniform(rows * columns, -3, 3), dProbs = data.uniform(rows * columns)
        for scale: Float in [1, 0.25] {
            var probs = [Float](repeating: 0, count: scores.count)
            Softmax.causalForward(probs: &probs, scores: scores, rows: rows, columns: columns, offset: offset, scale: scale)
            var inPlace = scores
            inPlace.withUnsafeMutableBufferPointer { buffer in
                let p = buffer.baseAddress!
                Softmax.causalForward(probs: p, scores: p, rows: rows, columns: columns, offset: offset, scale: scale)
            }
            XCTAssertEqual(inPlace, probs, "in-place causal forward, scale \(scale)")

            var dScores = [Float](repeating: 0, count: scores.count)
            Softmax.causalBackward(dScores: &dScores, dProbs: dProbs, probs: probs, rows: rows, columns: columns,
                                   offset: offset, scale: scale)
            var gradientInPlace = dProbs
            gradientInPlace.withUnsafeMutableBufferPointer { buffer in
                let p = buffer.baseAddress!
                Softmax.causalBackward(dScores: p, dProbs: p, probs: probs, rows: rows, columns: columns,
                                       offset: offset, scale: scale)
            }
            XCTAssertEqual(gradientInPlace, dScores, "in-place causal backward, scale \(scale)")
        }
    }

    /// Shapes big enough for two threads: plain softmax costs 4·columns per row, causal 2·columns.
    func testMultiThreadedMatchesRowByRow() {
        let (rows, columns) = (129, 257)
        assertSplitsOverThreads(rows * 2 * columns, "Softmax.causalForward [129, 257]")
        var data = TestData(seed: 6)
        let x = data.uniform(rows * columns, -5, 5), dProbs = data.uniform(rows * columns)
        for causal in [false, true] {
            let offset = causal ? columns - rows : 0
            var probs = [Float](repeating: .nan, count: x.count)
            var dInput = [Float](repeating: 0, count: x.count)
            if causal {
                Softmax.causalForward(probs: &probs, scores: x, rows: rows, columns: columns, offset: offset, scale: 0.125)
                Softmax.causalBackward(dScores: &dInput, dProbs: dProbs, probs: probs, rows: rows, columns: columns,
                                       offset: offset, scale: 0.125)
            } else {
                Softmax.forward(probs: &probs, input: x, rows: rows, columns: columns)
                Softmax.backward(dInput: &dInput, dProbs: dProbs, probs: probs, rows: rows, columns: columns)
            }
            let expected = Self.reference(x.doubles, rows: rows, columns: columns,
                                          causalOffset: causal ? offset : nil, scale: causal ? 0.125 : 1)
            assertClose(probs, expected, rtol: 1e-5, floor: 1e-6, "threaded forward, causal \(causal)")
            for r in 0..<rows {
                let range = (r * columns)..<((r + 1) * columns)
                var rowGradient = [Float](repeating: 0, count: columns)
                let rowProbs = Array(probs[range]), rowDProbs = Array(dProbs[range])
                if causal {
                    // A one-row call at offset + r is row r of the full call.
                    Softmax.causalBackward(dScores: &rowGradient, dProbs: rowDProbs, probs: rowProbs, rows: 1,
                                           columns: columns, offset: offset + r, scale: 0.125)
                } else {
                    Softmax.backward(dInput: &rowGradient, dProbs: rowDProbs, probs: rowProbs, rows: 1, columns: columns)
                }
                XCTAssertEqual(Array(dInput[range]), rowGradient, "threaded backward row \(r), causal \(causal)")
            }
        }
    }
}
