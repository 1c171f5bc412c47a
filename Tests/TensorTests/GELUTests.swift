import Foundation
import Tensor
import XCTest

final class GELUTests: XCTestCase {
    /// GPT-2's tanh form, in Double.
    static func reference(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }

    func forward(_ input: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: input.count)
        GELU.forward(out: &out, input: input, count: input.count)
        return out
    }

    func testForwardMatchesDoubleReference() {
        // Wide enough to reach both saturated ends (x → 0 and x → identity) and the tails.
        var data = TestData(seed: 1)
        for count in [1, 3, 17, 65, 129] {
            let input = data.uniform(count, -12, 12)
            assertClose(forward(input), input.map { Self.reference(Double($0)) }, rtol: 1e-5, "gelu on \(count) values")
        }
        let extremes: [Float] = [0, -0, 1e-6, -1e-6, 30, -30, 100, -100, 1e4, -1e4]
        // In the far left tail the true value underflows; anything under 1e-20 counts as that zero.
        assertClose(forward(extremes), extremes.map { Self.reference(Double($0)) }, rtol: 1e-6, floor: 0,
                    minimumScale: 1e-20, "gelu at the extremes")
    }

    func testBackwardMatchesFiniteDifferences() {
        var data = TestData(seed: 2)
        for count in [1, 3, 17, 65, 129] {
            let input = data.uniform(count, -5, 5)
            let dOut = data.uniform(count)
            var dInput = [Float](repeating: 0, count: count)
            GELU.backward(dInput: &dInput, dOut: dOut, input: input, count: count)
            // Element-wise: ∂L/∂x[i] = gelu'(x[i]) · dOut[i].
            let expected = (0..<count).map { i in
                centralDifference([Double(input[i])], 0) { Self.reference($0[0]) } * Double(dOut[i])
            }
            // gelu' is O(1) but crosses zero near x = -0.75 and decays in the left tail, where float32's
            // cancellation in 1 + tanh is absolute: measure relative to the natural scale, max|dOut|.
            let naturalScale = 1e-2 * Double(dOut.map(abs).max()!)
            assertClose(dInput, expected, rtol: 1e-3, minimumScale: naturalScale, "gelu backward on \(count) values")
        }
    }

    func testBackwardAccumulates() {
        var data = TestData(seed: 3)
        let input = data.uniform(17, -3, 3), dOut = data.uniform(17), start = data.uniform(17)
        var fresh = [Float](repeating: 0, count: 17)
        GELU.backward(dInput: &fresh, dOut: dOut, input: input, count: 17)
        var accumulated = start
        GELU.backward(dInput: &accumulated, dOut: dOut, input: input, count: 17)
        assertClose(accumulated, zip(start, fresh).map { Double($0) + Double($1) }, rtol: 1e-6, "dInput accumulates")
    }

    /// 129 × 65 values: forward (8 per value) and backward (10 per value) run on both threads.
    func testMultiThreadedMatchesElementwiseReference() {
        let count = 129 * 65
        assertSplitsOverThreads(count * 8, "GELU.forward on \(count) values")
        var data = TestData(seed: 4)
        let input = data.uniform(count, -6, 6), dOut = data.uniform(count)
        assertClose(forward(input), input.map { Self.reference(Double($0)) }, rtol: 1e-5, "threaded forward")
        var dInput = [Float](repeating: 0, count: count)
        GELU.backward(dInput: &dInput, dOut: dOut, input: input, count: count)
        var oneByOne = [Float](repeating: 0, count: count)
        for i in 0..<count {
            var single: Float = 0
            GELU.backward(dInput: &single, dOut: [dOut[i]], input: [input[i]], count: 1)
            oneByOne[i] = single
        }
        assertClose(dInput, oneByOne, rtol: 1e-6, "threaded backward against one value at a time")
        let sampled = data.sample(64, from: count)
        let expected = sampled.map { i in
            centralDifference([Double(input[i])], 0) { Self.reference($0[0]) } * Double(dOut[i])
        }
        assertClose(sampled.map { dInput[$0] }, expected, rtol: 1e-3, "threaded backward against finite differences")
    }
}
