import Foundation
import Tensor
import XCTest

final class VectorMathTests: XCTestCase {
    /// Evaluates the eight-lane function on `inputs` (padding the last group).
    func lanes(_ inputs: [Float], _ function: (VectorMath.Vector) -> VectorMath.Vector) -> [Float] {
        var outputs = [Float]()
        outputs.reserveCapacity(inputs.count + 8)
        var i = 0
        while i < inputs.count {
            var vector = VectorMath.Vector()
            for lane in 0..<8 where i + lane < inputs.count { vector[lane] = inputs[i + lane] }
            let result = function(vector)
            for lane in 0..<8 where i + lane < inputs.count { outputs.append(result[lane]) }
            i += 8
        }
        return outputs
    }

    /// Measured worst case is 8.1e-8 (under one float ulp) on a dense sweep of the whole range.
    func testExpRelativeErrorOverTheNormalRange() {
        // Every representable result from the smallest normal float (e^-87.3365) to the largest.
        var inputs = stride(from: Float(-87.3365), through: 88.7228, by: 0.0071).map { $0 }
        inputs += [0, -0, 1e-10, -1e-10, 1, -1, 0.5, 88.5, 88.72, 88.72283]
        let results = lanes(inputs, VectorMath.exp)
        var worst = 0.0, worstInput: Float = 0
        for (x, value) in zip(inputs, results) {
            let expected = Foundation.exp(Double(x))
            let error = abs(Double(value) - expected) / expected
            if !(error <= worst) { worst = error; worstInput = x }
        }
        XCTAssertLessThanOrEqual(worst, 1.5e-7, "worst relative error of exp, at x = \(worstInput)")
    }

    func testExpAtTheEnds() {
        // Below the smallest normal result: exactly 0 (the true values are subnormal, under 1.2e-38).
        let veryNegative: [Float] = [-87.34, -88, -100, -1000, -.greatestFiniteMagnitude, -.infinity]
        XCTAssertEqual(lanes(veryNegative, VectorMath.exp), [Float](repeating: 0, count: veryNegative.count))
        // Above log(Float.greatestFiniteMagnitude): a finite, saturated value, never NaN.
        let large: [Float] = [88.7229, 89, 100, 1e6, .infinity]
        for value in lanes(large, VectorMath.exp) {
            XCTAssertTrue(value.isFinite && value >= 3.4e38, "saturated exp is \(value)")
        }
    }

    func testScalarExpAgreesWithTheVectorForm() {
        var data = TestData(seed: 1)
        let inputs = data.uniform(64, -90, 90)
        let vector = lanes(inputs, VectorMath.exp)
        XCTAssertEqual(inputs.map { VectorMath.exp($0) }, vector)
    }

    /// tanh(u) = 1 - 2/(e^(2u) + 1) loses relative accuracy near 0 by cancellation, so its error
    /// is bounded absolutely (measured worst: 1.8e-7), which is what GELU's ½(1 + tanh) needs.
    func testTanhAbsoluteError() {
        var inputs = stride(from: Float(-20), through: 20, by: 0.0013).map { $0 }
        inputs += [0, 1e-8, -1e-8, 50, -50, 1e4, -1e4]
        let results = lanes(inputs, VectorMath.tanh)
        var worst = 0.0, worstInput: Float = 0
        for (u, value) in zip(inputs, results) {
            let error = abs(Double(value) - Foundation.tanh(Double(u)))
            if !(error <= worst) { worst = error; worstInput = u }
        }
        XCTAssertLessThanOrEqual(worst, 3e-7, "worst absolute error of tanh, at u = \(worstInput)")
        XCTAssertEqual(lanes([50, -50, 1e4, -1e4], VectorMath.tanh), [1, -1, 1, -1], "saturated tanh")
    }

    /// Lengths 0...40 cover empty input, tails only, one and two full 16-wide blocks and the
    /// 8-wide blocks of max; the arrays start one element in so the loads are unaligned.
    func testReductionsOnEveryLengthUpTo40() {
        var data = TestData(seed: 2)
        for n in 0...40 {
            let x = data.uniform(n + 1, -3, 3), y = data.uniform(n + 1, -3, 3)
            let xs = Array(x.dropFirst()).doubles, ys = Array(y.dropFirst()).doubles
            let (sum, dot, maximum) = x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    let (px, py) = (xb.baseAddress! + 1, yb.baseAddress! + 1)
                    return (VectorMath.sum(px, n), VectorMath.dot(px, py, n), VectorMath.max(px, n))
                }
            }
            let magnitude = xs.reduce(0) { $0 + abs($1) }
            XCTAssertEqual(Double(sum), xs.reduce(0, +), accuracy: 1e-6 * max(magnitude, 1e-30), "sum of \(n)")
            let dotMagnitude = zip(xs, ys).reduce(0) { $0 + abs($1.0 * $1.1) }
            XCTAssertEqual(Double(dot), zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-6 * max(dotMagnitude, 1e-30), "dot of \(n)")
            XCTAssertEqual(Double(maximum), xs.max() ?? -.infinity, "max of \(n)")
        }
    }

    /// The maximum may sit in any lane or in the scalar tail.
    func testMaxFindsEveryPosition() {
        for n in [1, 7, 8, 9, 17, 40] {
            for position in 0..<n {
                var x = [Float](repeating: -5, count: n)
                x[position] = 2
                XCTAssertEqual(VectorMath.max(x, n), 2, "max at \(position) of \(n)")
            }
        }
    }
}
