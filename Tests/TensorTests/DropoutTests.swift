import Tensor
import XCTest

final class DropoutTests: XCTestCase {
    func testDropsAboutPAndScalesTheRest() {
        let rows = 64, columns = 100, p: Float = 0.25
        let input = [Float](repeating: 1, count: rows * columns)
        var output = [Float](repeating: 0, count: rows * columns)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                Dropout.apply(seed: 99, probability: p, input: x.baseAddress!, output: y.baseAddress!,
                              rows: rows, columns: columns)
            }
        }
        let dropped = output.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / Double(rows * columns), Double(p), accuracy: 0.03)
        XCTAssertTrue(output.allSatisfy { $0 == 0 || abs($0 - 1 / (1 - p)) < 1e-6 })
    }

    /// The same seed gives the same mask in place, out of place and in the accumulating backward;
    /// another seed gives another mask.
    func testMaskIsAFunctionOfSeedRowAndColumn() {
        let rows = 9, columns = 37, p: Float = 0.4
        var generator = SeededGenerator(seed: 1)
        let x = (0..<rows * columns).map { _ in 1 + generator.nextUniform() }
        var outOfPlace = [Float](repeating: 0, count: x.count)
        var inPlace = x
        var accumulated = [Float](repeating: 0.5, count: x.count)
        var otherSeed = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { input in
            let pointer = input.baseAddress!
            outOfPlace.withUnsafeMutableBufferPointer {
                Dropout.apply(seed: 7, probability: p, input: pointer, output: $0.baseAddress!, rows: rows, columns: columns)
            }
            accumulated.withUnsafeMutableBufferPointer {
                Dropout.accumulate(seed: 7, probability: p, gradient: pointer, into: $0.baseAddress!, rows: rows, columns: columns)
            }
            otherSeed.withUnsafeMutableBufferPointer {
                Dropout.apply(seed: 8, probability: p, input: pointer, output: $0.baseAddress!, rows: rows, columns: columns)
            }
        }
        inPlace.withUnsafeMutableBufferPointer {
            Dropout.apply(seed: 7, probability: p, input: $0.baseAddress!, output: $0.baseAddress!, rows: rows, columns: columns)
        }
        XCTAssertEqual(inPlace, outOfPlace)
        XCTAssertEqual(accumulated, outOfPlace.map { $0 + 0.5 })
        XCTAssertNotEqual(otherSeed, outOfPlace)
    }

    func testSeedsDependOnTokensAndSite() {
        let a = Dropout.batchSeed(5, tokens: [1, 2, 3]), b = Dropout.batchSeed(5, tokens: [1, 2, 4])
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, Dropout.batchSeed(5, tokens: [1, 2, 3]))
        XCTAssertNotEqual(a, Dropout.batchSeed(6, tokens: [1, 2, 3]))
        XCTAssertNotEqual(Dropout.siteSeed(a, site: 0), Dropout.siteSeed(a, site: 1))
    }
}
