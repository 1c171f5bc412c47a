import Tensor
import XCTest

final class SymmetricInverseTests: XCTestCase {
    /// A · A⁻¹ = I for a random symmetric positive-definite A = MᵀM + I.
    func testInverseTimesMatrixIsIdentity() {
        let n = 40
        var generator = SystemRandomNumberGenerator()
        let m = (0..<n * n).map { _ in Double.random(in: -1...1, using: &generator) }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                a[i * n + j] = (0..<n).reduce(i == j ? 1 : 0) { $0 + m[$1 * n + i] * m[$1 * n + j] }
            }
        }
        var inverse = a
        XCTAssertTrue(SymmetricInverse.invert(&inverse, n: n))
        for i in 0..<n {
            for j in 0..<n {
                let product = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * inverse[$1 * n + j] }
                XCTAssertEqual(product, i == j ? 1 : 0, accuracy: 1e-8, "(A·A⁻¹)[\(i), \(j)]")
            }
        }
    }

    func testNotPositiveDefiniteIsRefused() {
        var a: [Double] = [1, 2, 2, 1]  // eigenvalues 3 and -1
        XCTAssertFalse(SymmetricInverse.invert(&a, n: 2))
    }
}
