import XCTest

/// Asserts |actual - expected| ≤ atol + rtol·|expected| element-wise, reporting the worst element.
public func assertClose(
    _ actual: [Float], _ expected: [Float], rtol: Float = 1e-4, atol: Float = 1e-5,
    _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
    guard actual.count == expected.count else { return }
    var worst = 0
    var worstExcess: Float = -.infinity
    for i in 0..<actual.count {
        let excess = abs(actual[i] - expected[i]) - (atol + rtol * abs(expected[i]))
        if excess > worstExcess || excess.isNaN {
            worstExcess = excess.isNaN ? .infinity : excess
            worst = i
        }
    }
    XCTAssertLessThanOrEqual(worstExcess, 0,
        "\(what): element \(worst) is \(actual[worst]), expected \(expected[worst])", file: file, line: line)
}
