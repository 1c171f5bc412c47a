import Foundation
import Tensor
import XCTest

final class ExactGELUTests: XCTestCase {
    /// x · Φ(x) with libm's double-precision erf.
    static func reference(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
    }

    func forward(_ input: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: input.count)
        ExactGELU.forward(out: &out, input: input, count: input.count)
        return out
    }

    func testForwardMatchesDoubleReference() {
        var data = TestData(seed: 3)
        for count in [1, 7, 9, 64, 131] {
            let input = data.uniform(count, -8, 8)
            let expected = input.map { Self.reference(Double($0)) }
            assertWithinErfError(forward(input), input)
        }
    }

    func testDiffersFromTheTanhForm() {
        // Where the two forms part most (|x| ≈ 2): a test that cannot tell them apart proves nothing.
        var exact = [Float](repeating: 0, count: 1), tanhForm = exact
        ExactGELU.forward(out: &exact, input: [-2.2], count: 1)
        GELU.forward(out: &tanhForm, input: [-2.2], count: 1)
        XCTAssertGreaterThan(abs(exact[0] - tanhForm[0]), 1e-4)
        XCTAssertEqual(Double(exact[0]), Self.reference(-2.2), accuracy: 1e-6)
    }

    func testSaturatedEnds() {
        let extremes: [Float] = [0, 30, -30, 1e4, -1e4, 1e-6]
        let out = forward(extremes)
        XCTAssertEqual(out[0], 0)
        XCTAssertEqual(out[1], 30)
        XCTAssertEqual(out[2], 0, accuracy: 1e-30)
        XCTAssertEqual(out[3], 1e4)
        XCTAssertEqual(out[4], 0, accuracy: 1e-30)
        XCTAssertEqual(Double(out[5]), Self.reference(1e-6), accuracy: 1e-12)
    }

    func testErfAgainstLibm() {
        var data = TestData(seed: 4)
        let x = data.uniform(4000, -6, 6)
        var worst = 0.0
        for start in stride(from: 0, to: x.count, by: 8) {
            let lanes = ExactGELU.erf(VectorMath.Vector(x[start..<start + 8]))
            for lane in 0..<8 { worst = max(worst, abs(Double(lanes[lane]) - Foundation.erf(Double(x[start + lane])))) }
        }
        // A&S 7.1.26 is within 1.5e-7 in exact arithmetic; float32 evaluation adds a few ulps of 1.
        XCTAssertLessThan(worst, 6e-7)
    }

    func testSplitsOverThreadsLikeTheOtherKernels() {
        var data = TestData(seed: 5)
        let input = data.uniform(40_000, -4, 4)
        assertSplitsOverThreads(input.count * 12, "exact GELU")
        assertWithinErfError(forward(input), input)
    }

    /// An absolute bound: erf's error (≤ 6e-7) reaches gelu as ½|x| times it, and in the left tail
    /// the value itself is almost zero, so a relative bound would be meaningless there.
    func assertWithinErfError(_ actual: [Float], _ input: [Float], file: StaticString = #filePath, line: UInt = #line) {
        for (i, value) in actual.enumerated() {
            let expected = Self.reference(Double(input[i]))
            XCTAssertEqual(Double(value), expected, accuracy: 3e-7 * max(1, abs(Double(input[i]))) + 1e-7 * abs(expected),
                           "gelu(\(input[i]))", file: file, line: line)
        }
    }
}
