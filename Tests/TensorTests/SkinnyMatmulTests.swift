import Tensor
import XCTest

/// Both paths of SkinnyMatmul (the AVX-512 C kernel where the CPU has it, and the portable SIMD8
/// loops) against a Double reference, at sizes that hit every row group (1–16 rows, split into
/// groups of at most six), column tails (not multiples of 4) and masked tails of k.
final class SkinnyMatmulTests: XCTestCase {
    /// out[r, j] = Σ_i a[r, i]·b[j, i] + bias[j], in Double, b in nn.Linear's [N, K] layout.
    static func reference(_ a: [Float], _ b: [Float], _ bias: [Float]?, rows m: Int, inner k: Int, columns n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for r in 0..<m {
            for j in 0..<n {
                var total = Double(bias?[j] ?? 0)
                for i in 0..<k { total += Double(a[r * k + i]) * Double(b[j * k + i]) }
                out[r * n + j] = total
            }
        }
        return out
    }

    func check(avx512: Bool) {
        let shapes = [(1, 1, 1), (1, 16, 4), (2, 17, 5), (3, 15, 3), (5, 37, 9), (6, 48, 8), (7, 33, 13),
                      (9, 384, 130), (11, 31, 6), (13, 64, 1), (16, 97, 21), (16, 1536, 11)]
        for (index, (m, k, n)) in shapes.enumerated() {
            var data = TestData(seed: UInt64(100 + index))
            let a = data.uniform(m * k), b = data.uniform(n * k)
            let bias = index.isMultiple(of: 2) ? data.uniform(n) : nil
            // Float sums of up to 1,536 products are off by about 1e-5 relative, the old loops as much.
            var out = [Float](repeating: .nan, count: m * n)
            SkinnyMatmul.multiply(out: &out, a: a, b: b, bias: bias, rows: m, inner: k, columns: n, avx512: avx512)
            assertClose(out, Self.reference(a, b, bias, rows: m, inner: k, columns: n), rtol: 1e-4,
                        "\(avx512 ? "AVX-512" : "portable") \(m)×\(k) · (\(n)×\(k))ᵀ")
        }
    }

    func testPortableLoopsMatchTheDoubleReference() {
        check(avx512: false)
    }

    func testAVX512KernelMatchesTheDoubleReference() throws {
        try XCTSkipUnless(SkinnyMatmul.avx512Available, "this CPU has no AVX-512F")
        check(avx512: true)
    }
}
