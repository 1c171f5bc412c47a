import Tensor
import XCTest

final class RandomTests: XCTestCase {
    func testSameSeedGivesBitIdenticalTensors() {
        var first = SeededGenerator(seed: 1234), second = SeededGenerator(seed: 1234)
        let normalA = Tensor.randomNormal([17, 65], mean: 0.5, std: 0.02, generator: &first)
        let normalB = Tensor.randomNormal([17, 65], mean: 0.5, std: 0.02, generator: &second)
        XCTAssertEqual(normalA.shape, [17, 65])
        XCTAssertEqual(normalA.data.map(\.bitPattern), normalB.data.map(\.bitPattern))
        let uniformA = Tensor.randomUniform([3, 129], low: -2, high: 3, generator: &first)
        let uniformB = Tensor.randomUniform([3, 129], low: -2, high: 3, generator: &second)
        XCTAssertEqual(uniformA.data.map(\.bitPattern), uniformB.data.map(\.bitPattern))
        XCTAssertEqual(first, second, "the generators end in the same state")
    }

    func testDifferentSeedsDiffer() {
        var first = SeededGenerator(seed: 1), second = SeededGenerator(seed: 2)
        let a = Tensor.randomNormal([1000], generator: &first)
        let b = Tensor.randomNormal([1000], generator: &second)
        let equal = zip(a.data, b.data).filter { $0 == $1 }.count
        XCTAssertLessThan(equal, 5, "two seeds share \(equal) of 1000 samples")
        XCTAssertNotEqual(SeededGenerator(seed: 0), SeededGenerator(seed: 1))
    }

    /// Loose bounds: with 100k samples the standard errors are 0.003 (mean) and 0.0022 (std).
    func testNormalAndUniformMoments() {
        var generator = SeededGenerator(seed: 42)
        let normal = Tensor.randomNormal([100_000], generator: &generator).data.doubles
        let mean = normal.reduce(0, +) / Double(normal.count)
        let std = (normal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(normal.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(std, 1, accuracy: 0.02)
        let beyondThree = normal.filter { abs($0) > 3 }.count
        XCTAssertEqual(Double(beyondThree) / Double(normal.count), 0.0027, accuracy: 0.001, "tail mass beyond 3σ")

        let uniform = Tensor.randomUniform([100_000], low: -1, high: 3, generator: &generator).data
        XCTAssertTrue(uniform.allSatisfy { $0 >= -1 && $0 < 3 }, "uniform samples lie in [low, high)")
        let uniformMean = uniform.doubles.reduce(0, +) / Double(uniform.count)
        XCTAssertEqual(uniformMean, 1, accuracy: 0.02)
    }

    func testSavedStateContinuesTheSameSequence() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<13 { _ = generator.next() }
        let saved = generator.stateWords
        let continued = (0..<20).map { _ in generator.next() }
        let continuedNormals = Tensor.randomNormal([9], generator: &generator)

        var restored = SeededGenerator(stateWords: saved)
        XCTAssertEqual((0..<20).map { _ in restored.next() }, continued)
        XCTAssertEqual(Tensor.randomNormal([9], generator: &restored), continuedNormals)
        XCTAssertEqual(restored, generator)
    }

    func testNextIntStaysBelowItsBoundAndCoversIt() {
        var generator = SeededGenerator(seed: 3)
        var seen = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 {
            let value = generator.nextInt(below: 7)
            XCTAssertTrue((0..<7).contains(value))
            if (0..<7).contains(value) { seen[value] += 1 }
        }
        XCTAssertTrue(seen.allSatisfy { $0 > 850 && $0 < 1150 }, "counts per value: \(seen)")
    }
}
