@testable import Embedding
import Foundation
import Tensor
import TestSupport
import XCTest

/// The feed-forward activation against gelu(x) = ½·x·(1 + erf(x/√2)) in Double, on widths with
/// and without a tail of the kernel's 16 lanes, both paths.
final class BiasGELUTests: XCTestCase {
    func check(rows: Int, columns: Int, kernel: Bool, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var input = (0..<rows * columns).map { _ in Float.random(in: -7...7, using: &generator) }
        // Zero, signed zero, the tails of erf and values around erf's polynomial knee.
        for (i, value) in [Float(0), -0.0, 12, -12, 0.5, -0.5, 3, -3].enumerated() where i < input.count { input[i] = value }
        let bias = (0..<columns).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        let expected = (0..<rows * columns).map { i -> Float in
            let x = Double(input[i]) + Double(bias[i % columns])
            return Float(0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())))
        }
        var out = input
        out.withUnsafeMutableBufferPointer { buffer in
            BiasGELU.forward(out: buffer.baseAddress!, input: buffer.baseAddress!, bias: bias, rows: rows, columns: columns, kernel: kernel)
        }
        assertClose(out, expected, rtol: 1e-6, atol: 5e-7, "\(rows) × \(columns), kernel \(kernel)")
    }

    func testTheKernelMatchesTheDoubleReference() throws {
        try XCTSkipUnless(SkinnyMatmul.avx512Available, "no AVX-512F: the GELU kernel is not used here")
        for (rows, columns) in [(1, 1), (3, 15), (2, 16), (5, 37), (7, 1536), (40, 1536)] {
            check(rows: rows, columns: columns, kernel: true, seed: UInt64(rows * 10_000 + columns))
        }
    }

    func testThePortablePathMatchesTheDoubleReference() {
        check(rows: 5, columns: 37, kernel: false, seed: 9)
    }
}
