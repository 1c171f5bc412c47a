import Tensor
import XCTest

final class ElementwiseTests: XCTestCase {
    /// out = a + b; its backward is `accumulate` of dOut into both dA and dB.
    func testResidualAddAndItsBackwardMatchFiniteDifferences() {
        var data = TestData(seed: 1)
        for count in [0, 1, 3, 17, 65, 129] {
            let a = data.uniform(count), b = data.uniform(count), dOut = data.uniform(count)
            var out = [Float](repeating: .nan, count: count)
            Elementwise.add(out: &out, a, b, count: count)
            XCTAssertEqual(out, zip(a, b).map { $0 + $1 }, "a + b on \(count) values")

            let start = data.uniform(count)
            var dA = start
            Elementwise.accumulate(into: &dA, from: dOut, count: count)
            let objective = { (a: [Double], b: [Double]) in weightedSum(zip(a, b).map { $0 + $1 }, dOut) }
            let expected = (0..<count).map { i in
                Double(start[i]) + centralDifference(a.doubles, i) { objective($0, b.doubles) }
            }
            assertClose(dA, expected, rtol: 1e-5, "dA += dOut on \(count) values")
        }
    }

    func testScale() {
        var data = TestData(seed: 2)
        for count in [0, 1, 17, 129] {
            let x = data.uniform(count)
            var scaled = x
            Elementwise.scale(&scaled, count: count, by: -0.375)
            XCTAssertEqual(scaled, x.map { $0 * -0.375 }, "scale on \(count) values")
        }
    }

    /// 65537 values: one above two threads' worth of work, so the chunks have unequal ends.
    func testMultiThreadedMatchesSerial() {
        let count = 2 * Parallel.minimumWorkPerThread + 1
        var data = TestData(seed: 3)
        let a = data.uniform(count), b = data.uniform(count)
        var out = [Float](repeating: .nan, count: count)
        Elementwise.add(out: &out, a, b, count: count)
        XCTAssertEqual(out, zip(a, b).map { $0 + $1 }, "threaded add")
        var accumulated = a
        Elementwise.accumulate(into: &accumulated, from: b, count: count)
        XCTAssertEqual(accumulated, out, "threaded accumulate")
        Elementwise.scale(&accumulated, count: count, by: 0.5)
        XCTAssertEqual(accumulated, out.map { $0 * 0.5 }, "threaded scale")
    }
}
