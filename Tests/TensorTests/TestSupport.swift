import Tensor
import XCTest

/// Seeded test data, so a failure reproduces exactly.
struct TestData {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func uniform(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in low + (high - low) * generator.nextUniform() }
    }

    mutating func normal(_ count: Int, std: Float = 1) -> [Float] {
        (0..<count).map { _ in std * generator.nextNormal() }
    }

    mutating func indices(_ count: Int, below upperBound: Int) -> [Int32] {
        (0..<count).map { _ in Int32(generator.nextInt(below: upperBound)) }
    }

    /// `count` distinct indices in `0..<upperBound` (all of them when count ≥ upperBound).
    mutating func sample(_ count: Int, from upperBound: Int) -> [Int] {
        guard count < upperBound else { return Array(0..<upperBound) }
        var chosen = Set<Int>()
        while chosen.count < count { chosen.insert(generator.nextInt(below: upperBound)) }
        return chosen.sorted()
    }
}

extension Array where Element == Float {
    var doubles: [Double] { map(Double.init) }
}

/// ∂objective/∂x[index] by central differences in Double. The step is small relative to x
/// because the references are smooth and Double leaves ~1e-10 of rounding at this step.
func centralDifference(_ x: [Double], _ index: Int, step: Double = 1e-5, _ objective: ([Double]) -> Double) -> Double {
    let h = step * Swift.max(1, abs(x[index]))
    var shifted = x
    shifted[index] = x[index] + h
    let above = objective(shifted)
    shifted[index] = x[index] - h
    let below = objective(shifted)
    return (above - below) / (2 * h)
}

/// Σ out·weights: the scalar objective whose gradient with respect to `out` is `weights`,
/// so an analytic backward is checked by calling it with dOut = weights.
func weightedSum(_ out: [Double], _ weights: [Float]) -> Double {
    precondition(out.count == weights.count)
    var total = 0.0
    for i in 0..<out.count { total += out[i] * Double(weights[i]) }
    return total
}

/// Asserts each |actual - expected| ≤ rtol · max(|expected|, floor · max|expected|, minimumScale),
/// reporting the worst element. The floors keep values that cancel to almost nothing (a LayerNorm
/// input gradient sums to zero over a row) from demanding more relative accuracy than float32 holds.
func assertClose(
    _ actual: [Float], _ expected: [Double], rtol: Double, floor: Double = 1e-2, minimumScale: Double = 0,
    _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
    guard actual.count == expected.count, !expected.isEmpty else { return }
    let largest = expected.reduce(0) { Swift.max($0, abs($1)) }
    let smallestScale = Swift.max(floor * largest, minimumScale, 1e-30)
    var worst = 0
    var worstError = -1.0
    for i in 0..<actual.count {
        var error = abs(Double(actual[i]) - expected[i]) / Swift.max(abs(expected[i]), smallestScale)
        if error.isNaN { error = .infinity }
        if error > worstError { worstError = error; worst = i }
    }
    XCTAssertLessThanOrEqual(worstError, rtol,
        "\(what): element \(worst) is \(actual[worst]), expected \(expected[worst]) (relative error \(worstError))",
        file: file, line: line)
}

func assertClose(
    _ actual: [Float], _ expected: [Float], rtol: Double, floor: Double = 1e-2, minimumScale: Double = 0,
    _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    assertClose(actual, expected.doubles, rtol: rtol, floor: floor, minimumScale: minimumScale, what, file: file, line: line)
}

/// Fails when a shape is too small for `Parallel` to split it over two threads, so a
/// "multi-threaded" case cannot silently turn single-threaded.
func assertSplitsOverThreads(_ work: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertGreaterThanOrEqual(work, 2 * Parallel.minimumWorkPerThread,
        "\(what) no longer reaches the multi-threaded path", file: file, line: line)
}
