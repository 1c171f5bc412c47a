import Tensor
import XCTest

final class LayerNormTests: XCTestCase {
    static let eps = 1e-5

    /// One row of LayerNorm in Double, with PyTorch's biased variance.
    static func referenceRow(_ x: ArraySlice<Double>, _ weight: [Double], _ bias: [Double]) -> [Double] {
        let c = Double(x.count)
        let mean = x.reduce(0, +) / c
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / c
        let rstd = 1 / (variance + eps).squareRoot()
        return x.enumerated().map { j, value in (value - mean) * rstd * weight[j] + bias[j] }
    }

    static func reference(_ x: [Double], _ weight: [Double], _ bias: [Double], rows: Int, channels c: Int) -> [Double] {
        (0..<rows).flatMap { r in referenceRow(x[(r * c)..<((r + 1) * c)], weight, bias) }
    }

    struct Case {
        var x, weight, bias, dOut: [Float]
        let rows, channels: Int

        init(rows: Int, channels: Int, seed: UInt64) {
            var data = TestData(seed: seed)
            self.rows = rows
            self.channels = channels
            // An offset mean and a non-unit spread, as a residual stream has.
            x = data.normal(rows * channels, std: 2).map { $0 + 0.5 }
            weight = data.uniform(channels, 0.5, 1.5)
            bias = data.uniform(channels)
            dOut = data.uniform(rows * channels)
        }

        func forward() -> (out: [Float], mean: [Float], rstd: [Float]) {
            var out = [Float](repeating: .nan, count: rows * channels)
            var mean = [Float](repeating: .nan, count: rows)
            var rstd = [Float](repeating: .nan, count: rows)
            LayerNorm.forward(out: &out, mean: &mean, rstd: &rstd, input: x, weight: weight, bias: bias,
                              rows: rows, channels: channels)
            return (out, mean, rstd)
        }

        /// The kernel's gradients accumulated onto the given starting values.
        func backward(
            into start: (dInput: [Float], dWeight: [Float], dBias: [Float])
        ) -> (dInput: [Float], dWeight: [Float], dBias: [Float]) {
            let saved = forward()
            var (dInput, dWeight, dBias) = start
            LayerNorm.backward(dInput: &dInput, dWeight: &dWeight, dBias: &dBias, dOut: dOut, input: x,
                               weight: weight, mean: saved.mean, rstd: saved.rstd, rows: rows, channels: channels)
            return (dInput, dWeight, dBias)
        }

        func backwardFromZero() -> (dInput: [Float], dWeight: [Float], dBias: [Float]) {
            backward(into: ([Float](repeating: 0, count: rows * channels),
                            [Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels)))
        }

        func objective(x: [Double], weight: [Double], bias: [Double]) -> Double {
            weightedSum(LayerNormTests.reference(x, weight, bias, rows: rows, channels: channels), dOut)
        }

        /// ∂L/∂x[r, j] from row r alone: the other rows do not depend on it.
        func inputDifference(row r: Int, column j: Int) -> Double {
            let c = channels
            let rowValues = Array(x[(r * c)..<((r + 1) * c)]).doubles
            let rowWeights = Array(dOut[(r * c)..<((r + 1) * c)])
            return centralDifference(rowValues, j) {
                weightedSum(LayerNormTests.referenceRow($0[...], weight.doubles, bias.doubles), rowWeights)
            }
        }
    }

    func testForwardMatchesDoubleReference() {
        for (rows, channels) in [(1, 1), (1, 3), (3, 17), (17, 65), (2, 129), (5, 8)] {
            let test = Case(rows: rows, channels: channels, seed: UInt64(rows * 1000 + channels))
            let (out, mean, rstd) = test.forward()
            let expected = Self.reference(test.x.doubles, test.weight.doubles, test.bias.doubles, rows: rows, channels: channels)
            assertClose(out, expected, rtol: 1e-5, "out [\(rows), \(channels)]")
            for r in 0..<rows {
                let row = test.x[(r * channels)..<((r + 1) * channels)].map(Double.init)
                let m = row.reduce(0, +) / Double(channels)
                let variance = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(channels)
                XCTAssertEqual(Double(mean[r]), m, accuracy: 1e-5 * max(1, abs(m)), "mean of row \(r)")
                XCTAssertEqual(Double(rstd[r]), 1 / (variance + Self.eps).squareRoot(), accuracy: 1e-5 / (variance + Self.eps).squareRoot(), "rstd of row \(r)")
            }
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        for (rows, channels) in [(1, 1), (1, 3), (3, 17), (17, 65), (2, 129)] {
            let test = Case(rows: rows, channels: channels, seed: UInt64(rows * 7 + channels))
            let (dInput, dWeight, dBias) = test.backwardFromZero()
            var expectedInput = [Double]()
            for r in 0..<rows {
                for j in 0..<channels { expectedInput.append(test.inputDifference(row: r, column: j)) }
            }
            let (x, w, b) = (test.x.doubles, test.weight.doubles, test.bias.doubles)
            let expectedWeight = (0..<channels).map { j in
                centralDifference(w, j) { test.objective(x: x, weight: $0, bias: b) }
            }
            let expectedBias = (0..<channels).map { j in
                centralDifference(b, j) { test.objective(x: x, weight: w, bias: $0) }
            }
            // A single channel normalises to 0 whatever the input: the input gradient is exactly 0.
            if channels == 1 {
                XCTAssertEqual(dInput, [Float](repeating: 0, count: rows), "dInput with one channel")
            } else {
                assertClose(dInput, expectedInput, rtol: 1e-3, "dInput [\(rows), \(channels)]")
            }
            assertClose(dWeight, expectedWeight, rtol: 1e-3, "dWeight [\(rows), \(channels)]")
            assertClose(dBias, expectedBias, rtol: 1e-3, "dBias [\(rows), \(channels)]")
        }
    }

    func testBackwardAccumulatesAndAcceptsNilGradients() {
        let test = Case(rows: 3, channels: 17, seed: 11)
        var data = TestData(seed: 12)
        let start = (data.uniform(3 * 17), data.uniform(17), data.uniform(17))
        let fresh = test.backwardFromZero()
        let accumulated = test.backward(into: start)
        assertClose(accumulated.dInput, zip(start.0, fresh.dInput).map { Double($0) + Double($1) }, rtol: 1e-6, "dInput accumulates")
        assertClose(accumulated.dWeight, zip(start.1, fresh.dWeight).map { Double($0) + Double($1) }, rtol: 1e-6, "dWeight accumulates")
        assertClose(accumulated.dBias, zip(start.2, fresh.dBias).map { Double($0) + Double($1) }, rtol: 1e-6, "dBias accumulates")

        let saved = test.forward()
        var onlyInput = [Float](repeating: 0, count: 3 * 17)
        LayerNorm.backward(dInput: &onlyInput, dWeight: nil, dBias: nil, dOut: test.dOut, input: test.x,
                           weight: test.weight, mean: saved.mean, rstd: saved.rstd, rows: 3, channels: 17)
        XCTAssertEqual(onlyInput, fresh.dInput, "dInput alone equals dInput computed with the others")
        var onlyWeight = [Float](repeating: 0, count: 17)
        LayerNorm.backward(dInput: nil, dWeight: &onlyWeight, dBias: nil, dOut: test.dOut, input: test.x,
                           weight: test.weight, mean: saved.mean, rstd: saved.rstd, rows: 3, channels: 17)
        XCTAssertEqual(onlyWeight, fresh.dWeight, "dWeight alone equals dWeight computed with the others")
    }

    /// rows = 129, channels = 257 is large enough for both threads to run, in the forward
    /// (3·C per row) and the backward (6·C per row, per-thread partial weight gradients).
    func testMultiThreadedMatchesRowByRowAndFiniteDifferences() {
        let (rows, channels) = (129, 257)
        assertSplitsOverThreads(rows * 3 * channels, "LayerNorm.forward [129, 257]")
        let test = Case(rows: rows, channels: channels, seed: 129)
        let (out, mean, rstd) = test.forward()
        let expected = Self.reference(test.x.doubles, test.weight.doubles, test.bias.doubles, rows: rows, channels: channels)
        assertClose(out, expected, rtol: 1e-5, "threaded forward")

        let threaded = test.backwardFromZero()
        // Row by row each call is far below the threading threshold.
        var dInput = [Float](repeating: 0, count: rows * channels)
        var dWeight = [Float](repeating: 0, count: channels)
        var dBias = [Float](repeating: 0, count: channels)
        for r in 0..<rows {
            let o = r * channels
            let slice = { (array: [Float]) in Array(array[o..<(o + channels)]) }
            var rowInput = [Float](repeating: 0, count: channels)
            LayerNorm.backward(dInput: &rowInput, dWeight: &dWeight, dBias: &dBias, dOut: slice(test.dOut),
                               input: slice(test.x), weight: test.weight, mean: [mean[r]], rstd: [rstd[r]],
                               rows: 1, channels: channels)
            dInput.replaceSubrange(o..<(o + channels), with: rowInput)
        }
        XCTAssertEqual(threaded.dInput, dInput, "threaded dInput equals the row-by-row dInput")
        assertClose(threaded.dWeight, dWeight, rtol: 1e-5, "threaded dWeight")
        assertClose(threaded.dBias, dBias, rtol: 1e-5, "threaded dBias")

        var data = TestData(seed: 130)
        let (x, w, b) = (test.x.doubles, test.weight.doubles, test.bias.doubles)
        var sampledInput = [Float](), expectedInput = [Double]()
        for r in [0, 64, 65, 128] {
            for j in data.sample(4, from: channels) {
                sampledInput.append(threaded.dInput[r * channels + j])
                expectedInput.append(test.inputDifference(row: r, column: j))
            }
        }
        assertClose(sampledInput, expectedInput, rtol: 1e-3, "threaded dInput, sampled")
        let columns = data.sample(4, from: channels)
        let expectedWeight = columns.map { j in centralDifference(w, j) { test.objective(x: x, weight: $0, bias: b) } }
        let expectedBias = columns.map { j in centralDifference(b, j) { test.objective(x: x, weight: w, bias: $0) } }
        assertClose(columns.map { threaded.dWeight[$0] }, expectedWeight, rtol: 1e-3, "threaded dWeight, sampled")
        assertClose(columns.map { threaded.dBias[$0] }, expectedBias, rtol: 1e-3, "threaded dBias, sampled")
    }
}
