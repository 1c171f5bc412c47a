import Tensor
import XCTest

final class LinearTests: XCTestCase {
    /// out[r, o] = Σ_i input[r, i]·weight[i, o] + bias[o], in Double (Conv1D layout).
    static func reference(
        _ input: [Double], _ weight: [Double], _ bias: [Double]?, rows: Int, inFeatures: Int, outFeatures: Int
    ) -> [Double] {
        var out = [Double](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var total = bias?[o] ?? 0
                for i in 0..<inFeatures { total += input[r * inFeatures + i] * weight[i * outFeatures + o] }
                out[r * outFeatures + o] = total
            }
        }
        return out
    }

    struct Case {
        let input, weight, bias, dOut: [Float]
        let rows, inFeatures, outFeatures: Int

        init(rows: Int, inFeatures: Int, outFeatures: Int, seed: UInt64) {
            var data = TestData(seed: seed)
            (self.rows, self.inFeatures, self.outFeatures) = (rows, inFeatures, outFeatures)
            input = data.uniform(rows * inFeatures)
            weight = data.uniform(inFeatures * outFeatures)
            bias = data.uniform(outFeatures)
            dOut = data.uniform(rows * outFeatures)
        }

        func objective(input: [Double], weight: [Double], bias: [Double]) -> Double {
            weightedSum(LinearTests.reference(input, weight, bias, rows: rows, inFeatures: inFeatures,
                                              outFeatures: outFeatures), dOut)
        }

        /// ∂L/∂input[index] from the input's row alone: the other rows do not depend on it.
        func inputDifference(_ index: Int) -> Double {
            let r = index / inFeatures
            let row = Array(input[(r * inFeatures)..<((r + 1) * inFeatures)]).doubles
            let rowWeights = Array(dOut[(r * outFeatures)..<((r + 1) * outFeatures)])
            return centralDifference(row, index % inFeatures) {
                weightedSum(LinearTests.reference($0, weight.doubles, bias.doubles, rows: 1, inFeatures: inFeatures,
                                                  outFeatures: outFeatures), rowWeights)
            }
        }

        func backward(
            into start: (dInput: [Float], dWeight: [Float], dBias: [Float])
        ) -> (dInput: [Float], dWeight: [Float], dBias: [Float]) {
            var (dInput, dWeight, dBias) = start
            Linear.backward(dInput: &dInput, dWeight: &dWeight, dBias: &dBias, dOut: dOut, input: input, weight: weight,
                            rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            return (dInput, dWeight, dBias)
        }

        func backwardFromZero() -> (dInput: [Float], dWeight: [Float], dBias: [Float]) {
            backward(into: ([Float](repeating: 0, count: input.count), [Float](repeating: 0, count: weight.count),
                            [Float](repeating: 0, count: bias.count)))
        }
    }

    static let shapes = [(1, 1, 1), (1, 3, 17), (3, 17, 65), (17, 65, 3), (5, 129, 17)]

    func testForwardMatchesDoubleReference() {
        for (rows, inFeatures, outFeatures) in Self.shapes {
            let test = Case(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: UInt64(rows + inFeatures + outFeatures))
            for withBias in [true, false] {
                // A stale output must not leak into the result, with or without a bias.
                var out = [Float](repeating: .nan, count: rows * outFeatures)
                Linear.forward(out: &out, input: test.input, weight: test.weight, bias: withBias ? test.bias : nil,
                               rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
                let expected = Self.reference(test.input.doubles, test.weight.doubles, withBias ? test.bias.doubles : nil,
                                              rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
                assertClose(out, expected, rtol: 1e-5, "linear [\(rows), \(inFeatures)] → \(outFeatures), bias \(withBias)")
            }
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        for (rows, inFeatures, outFeatures) in Self.shapes {
            let test = Case(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: UInt64(rows * inFeatures + outFeatures))
            let (dInput, dWeight, dBias) = test.backwardFromZero()
            let (x, w, b) = (test.input.doubles, test.weight.doubles, test.bias.doubles)
            // The weight has up to 129·17 entries and each difference reruns the whole layer: sample it.
            var data = TestData(seed: 7)
            let weightIndices = data.sample(96, from: w.count)
            let label = "[\(rows), \(inFeatures)] → \(outFeatures)"
            assertClose(dInput, (0..<x.count).map(test.inputDifference), rtol: 1e-3, "dInput \(label)")
            assertClose(weightIndices.map { dWeight[$0] },
                        weightIndices.map { i in centralDifference(w, i) { test.objective(input: x, weight: $0, bias: b) } },
                        rtol: 1e-3, "dWeight \(label)")
            assertClose(dBias, (0..<b.count).map { i in centralDifference(b, i) { test.objective(input: x, weight: w, bias: $0) } },
                        rtol: 1e-3, "dBias \(label)")
        }
    }

    func testBackwardAccumulatesAndSkipsNilGradients() {
        let test = Case(rows: 3, inFeatures: 17, outFeatures: 5, seed: 3)
        var data = TestData(seed: 4)
        let start = (data.uniform(3 * 17), data.uniform(17 * 5), data.uniform(5))
        let fresh = test.backwardFromZero()
        let accumulated = test.backward(into: start)
        assertClose(accumulated.dInput, zip(start.0, fresh.dInput).map { Double($0) + Double($1) }, rtol: 1e-6, "dInput accumulates")
        assertClose(accumulated.dWeight, zip(start.1, fresh.dWeight).map { Double($0) + Double($1) }, rtol: 1e-6, "dWeight accumulates")
        assertClose(accumulated.dBias, zip(start.2, fresh.dBias).map { Double($0) + Double($1) }, rtol: 1e-6, "dBias accumulates")

        var onlyWeight = [Float](repeating: 0, count: 17 * 5)
        Linear.backward(dInput: nil, dWeight: &onlyWeight, dBias: nil, dOut: test.dOut, input: test.input,
                        weight: test.weight, rows: 3, inFeatures: 17, outFeatures: 5)
        XCTAssertEqual(onlyWeight, fresh.dWeight, "a frozen input and bias leave dWeight unchanged")
        var onlyInput = [Float](repeating: 0, count: 3 * 17)
        Linear.backward(dInput: &onlyInput, dWeight: nil, dBias: nil, dOut: test.dOut, input: test.input,
                        weight: test.weight, rows: 3, inFeatures: 17, outFeatures: 5)
        XCTAssertEqual(onlyInput, fresh.dInput, "a frozen weight leaves dInput unchanged")
    }

    /// The bias broadcast and the bias gradient's column sums split rows over threads
    /// (per-thread partial sums) once rows·outFeatures is large.
    func testMultiThreadedBiasPathsMatchReferences() {
        let (rows, inFeatures, outFeatures) = (129, 3, 513)
        assertSplitsOverThreads(rows * outFeatures, "Linear bias paths [129, 513]")
        let test = Case(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: 5)
        var out = [Float](repeating: .nan, count: rows * outFeatures)
        Linear.forward(out: &out, input: test.input, weight: test.weight, bias: test.bias,
                       rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        let expected = Self.reference(test.input.doubles, test.weight.doubles, test.bias.doubles,
                                      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        assertClose(out, expected, rtol: 1e-5, "threaded forward")

        var data = TestData(seed: 6)
        let start = data.uniform(outFeatures)
        var dBias = start
        Linear.columnSums(test.dOut, rows: rows, columns: outFeatures, accumulateInto: &dBias)
        let columnTotals = (0..<outFeatures).map { j in
            Double(start[j]) + (0..<rows).reduce(0.0) { $0 + Double(test.dOut[$1 * outFeatures + j]) }
        }
        assertClose(dBias, columnTotals, rtol: 1e-5, "threaded column sums")
        let (dInput, dWeight, dBiasFromZero) = test.backwardFromZero()
        assertClose(dBiasFromZero, columnTotals.enumerated().map { $1 - Double(start[$0]) }, rtol: 1e-5, "threaded dBias")
        let (x, w, b) = (test.input.doubles, test.weight.doubles, test.bias.doubles)
        let weightIndices = data.sample(12, from: w.count), inputIndices = data.sample(12, from: x.count)
        assertClose(weightIndices.map { dWeight[$0] },
                    weightIndices.map { i in centralDifference(w, i) { test.objective(input: x, weight: $0, bias: b) } },
                    rtol: 1e-3, "threaded dWeight, sampled")
        assertClose(inputIndices.map { dInput[$0] },
                    inputIndices.map(test.inputDifference),
                    rtol: 1e-3, "threaded dInput, sampled")
    }

    func testForwardWithOutInWeightMatchesTheTransposedConv1DLayout() {
        // Few rows take SkinnyMatmul (every row-group and column tail); more rows take the GEMM.
        for (rows, inFeatures, outFeatures, withBias) in [(3, 5, 4, true), (7, 16, 9, false), (9, 37, 7, true),
                                                          (16, 24, 6, true), (40, 19, 11, true)] {
            var data = TestData(seed: UInt64(rows))
            let input = data.uniform(rows * inFeatures), weight = data.uniform(inFeatures * outFeatures)
            let bias = withBias ? data.uniform(outFeatures) : nil
            // The same matrix stored [out, in], as PyTorch's nn.Linear stores it.
            var outInWeight = [Float](repeating: 0, count: weight.count)
            for i in 0..<inFeatures { for o in 0..<outFeatures { outInWeight[o * inFeatures + i] = weight[i * outFeatures + o] } }
            var out = [Float](repeating: .nan, count: rows * outFeatures)
            Linear.forward(out: &out, input: input, outInWeight: outInWeight, bias: bias,
                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            let expected = Self.reference(input.doubles, weight.doubles, bias?.doubles,
                                          rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            assertClose(out, expected, rtol: 1e-5, "nn.Linear-layout forward \(rows)×\(inFeatures)→\(outFeatures)")
        }
    }
}
