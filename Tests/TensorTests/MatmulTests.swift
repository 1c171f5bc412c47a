import Tensor
import XCTest

final class MatmulTests: XCTestCase {
    /// C = alpha · op(A) · op(B) + beta · C by the triple loop, in Double, with explicit strides.
    static func naive(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
        a: [Float], lda: Int, b: [Float], ldb: Int, beta: Double = 0, c: [Float], ldc: Int
    ) -> [Double] {
        var result = c.doubles
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k {
                    let aValue = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bValue = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    total += Double(aValue) * Double(bValue)
                }
                // beta = 0 ignores C entirely (BLAS semantics), so garbage in C never leaks through.
                result[i * ldc + j] = alpha * total + (beta == 0 ? 0 : beta * Double(c[i * ldc + j]))
            }
        }
        return result
    }

    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (3, 17, 65), (17, 3, 129), (65, 129, 3), (1, 65, 17), (129, 1, 3), (8, 16, 32),
    ]
    static let transposes = [(false, false), (false, true), (true, false), (true, true)]

    func testGemmEveryTransposeMatchesTripleLoop() {
        var data = TestData(seed: 1)
        for (m, n, k) in Self.shapes {
            for (transposeA, transposeB) in Self.transposes {
                let a = data.uniform(m * k), b = data.uniform(k * n)
                var c = [Float](repeating: .nan, count: m * n)
                Matmul.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, b: b, c: &c)
                let expected = Self.naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                          a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n,
                                          c: [Float](repeating: 0, count: m * n), ldc: n)
                assertClose(c, expected, rtol: 1e-5, "gemm \(transposeA ? "T" : "N")\(transposeB ? "T" : "N") m\(m) n\(n) k\(k)")
            }
        }
    }

    func testGemmAlphaBetaAndStrides() {
        var data = TestData(seed: 2)
        let (m, n, k) = (17, 13, 29)
        // A, B and C are column blocks of wider row-major matrices (a head's slice of [T, 3C]).
        let ldc = n + 3
        for (transposeA, transposeB) in Self.transposes {
            let aRows = transposeA ? k : m, bRows = transposeB ? n : k
            let aLeading = (transposeA ? m : k) + 5, bLeading = (transposeB ? k : n) + 7
            let a = data.uniform(aRows * aLeading), b = data.uniform(bRows * bLeading)
            let start = data.uniform(m * ldc)
            var c = start
            Matmul.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                        a: a, lda: aLeading, b: b, ldb: bLeading, beta: 2, c: &c, ldc: ldc)
            let expected = Self.naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                                      a: a, lda: aLeading, b: b, ldb: bLeading, beta: 2, c: start, ldc: ldc)
            assertClose(c, expected, rtol: 1e-5, "strided gemm \(transposeA) \(transposeB)")
            for i in 0..<m {
                for j in n..<ldc {
                    XCTAssertEqual(c[i * ldc + j], start[i * ldc + j], "padding column \(j) of row \(i) untouched")
                }
            }
        }
    }

    func testGemmWithEmptyInnerDimension() {
        let start: [Float] = [1, .nan, 3, 4, 5, 6]
        for beta: Float in [0, 1, 0.5] {
            var c = start
            Matmul.gemm(m: 2, n: 3, k: 0, a: [], b: [], beta: beta, c: &c)
            let expected = start.map { beta == 0 ? 0 : $0 * beta }
            for i in 0..<6 where !(expected[i].isNaN && c[i].isNaN) {
                XCTAssertEqual(c[i], expected[i], "element \(i) with beta \(beta)")
            }
        }
    }

    /// An empty inner dimension is a product of zeros, and an empty batch an empty result.
    func testTensorMatmulWithEmptyDimensions() {
        let product = Matmul.matmul(Tensor(zeros: [2, 0]), Tensor(zeros: [0, 3]))
        XCTAssertEqual(product, Tensor(zeros: [2, 3]))
        let batched = Matmul.matmul(Tensor(zeros: [3, 2, 0]), Tensor(zeros: [3, 0, 4]))
        XCTAssertEqual(batched, Tensor(zeros: [3, 2, 4]))
        XCTAssertEqual(Matmul.matmul(Tensor(zeros: [0, 2, 5]), Tensor(zeros: [5, 4])).shape, [0, 2, 4])
    }

    func testGemvBothOrientationsMatchTripleLoop() {
        var data = TestData(seed: 3)
        for (rows, columns) in [(1, 1), (3, 17), (65, 3), (129, 65)] {
            let a = data.uniform(rows * columns)
            for transpose in [false, true] {
                let inputCount = transpose ? rows : columns, outputCount = transpose ? columns : rows
                let x = data.uniform(inputCount), start = data.uniform(outputCount)
                var y = start
                Matmul.gemv(transpose: transpose, rows: rows, columns: columns, alpha: 2, a: a, x: x, beta: 1, y: &y)
                // y = 2 · op(A) · x + y is the product with a one-column matrix.
                let expected = Self.naive(transposeA: transpose, transposeB: false, m: outputCount, n: 1, k: inputCount,
                                          alpha: 2, a: a, lda: columns, b: x, ldb: 1, beta: 1, c: start, ldc: 1)
                assertClose(y, expected, rtol: 1e-5, "gemv transpose \(transpose) [\(rows), \(columns)]")
            }
        }
    }

    func testSerialGEMVMatchesTripleLoopWithAndWithoutAccumulating() {
        var data = TestData(seed: 5)
        // Row counts around the kernel's blocks of four, widths around its 16-float steps.
        for (rows, columns) in [(1, 1), (3, 17), (4, 16), (7, 33), (129, 384)] {
            let a = data.uniform(rows * columns), x = data.uniform(columns), start = data.uniform(rows)
            for accumulate in [false, true] {
                var y = start
                SerialGEMV.apply(rows: rows, columns: columns, a: a, x: x, accumulate: accumulate, y: &y)
                let expected = Self.naive(transposeA: false, transposeB: false, m: rows, n: 1, k: columns, alpha: 1,
                                          a: a, lda: columns, b: x, ldb: 1, beta: accumulate ? 1 : 0, c: start, ldc: 1)
                assertClose(y, expected, rtol: 1e-5, "serial gemv accumulate \(accumulate) [\(rows), \(columns)]")
            }
        }
    }

    func testTensorMatmul2D() {
        var data = TestData(seed: 4)
        let (m, n, k) = (17, 65, 3)
        for (transposeA, transposeB) in Self.transposes {
            let a = Tensor(shape: transposeA ? [k, m] : [m, k], data: data.uniform(m * k))
            let b = Tensor(shape: transposeB ? [n, k] : [k, n], data: data.uniform(k * n))
            let c = Matmul.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
            XCTAssertEqual(c.shape, [m, n])
            let expected = Self.naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                      a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1],
                                      c: [Float](repeating: 0, count: m * n), ldc: n)
            assertClose(c.data, expected, rtol: 1e-5, "2-D matmul \(transposeA) \(transposeB)")
        }
    }

    /// [batch, m, k] · [batch, k, n], and a 2-D operand shared by every batch entry.
    func testTensorMatmulBatched() {
        var data = TestData(seed: 5)
        let (batch, m, n, k) = (3, 17, 5, 65)
        for (transposeA, transposeB) in Self.transposes {
            for (batchedA, batchedB) in [(true, true), (true, false), (false, true)] {
                let aMatrix = transposeA ? [k, m] : [m, k], bMatrix = transposeB ? [n, k] : [k, n]
                let a = Tensor(shape: (batchedA ? [batch] : []) + aMatrix, data: data.uniform((batchedA ? batch : 1) * m * k))
                let b = Tensor(shape: (batchedB ? [batch] : []) + bMatrix, data: data.uniform((batchedB ? batch : 1) * k * n))
                let c = Matmul.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                XCTAssertEqual(c.shape, [batch, m, n])
                var expected = [Double]()
                for entry in 0..<batch {
                    let aEntry = batchedA ? Array(a.data[(entry * m * k)..<((entry + 1) * m * k)]) : a.data
                    let bEntry = batchedB ? Array(b.data[(entry * k * n)..<((entry + 1) * k * n)]) : b.data
                    expected += Self.naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                           a: aEntry, lda: aMatrix[1], b: bEntry, ldb: bMatrix[1],
                                           c: [Float](repeating: 0, count: m * n), ldc: n)
                }
                assertClose(c.data, expected, rtol: 1e-5,
                            "batched matmul A\(a.shape) B\(b.shape) transposes \(transposeA) \(transposeB)")
            }
        }
    }

    /// The gradients of the attention products through transposed GEMMs, as the attention
    /// backward computes them: scores = α·Q·Kᵀ gives dQ = α·dS·K and dK = α·dSᵀ·Q;
    /// out = P·V gives dP = dOut·Vᵀ and dV = Pᵀ·dOut.
    func testProductGradientsMatchFiniteDifferences() {
        var data = TestData(seed: 6)
        let (t, d, alpha) = (17, 3, 0.25)
        let q = data.uniform(t * d), key = data.uniform(t * d), dScores = data.uniform(t * t)
        let scores = { (q: [Double], key: [Double]) -> [Double] in
            (0..<(t * t)).map { index in
                let (i, j) = (index / t, index % t)
                return alpha * (0..<d).reduce(0.0) { $0 + q[i * d + $1] * key[j * d + $1] }
            }
        }
        var dQ = [Float](repeating: 0, count: t * d), dK = [Float](repeating: 0, count: t * d)
        Matmul.gemm(m: t, n: d, k: t, alpha: Float(alpha), a: dScores, b: key, beta: 1, c: &dQ)
        Matmul.gemm(transposeA: true, m: t, n: d, k: t, alpha: Float(alpha), a: dScores, b: q, beta: 1, c: &dK)
        assertClose(dQ, (0..<(t * d)).map { i in centralDifference(q.doubles, i) { weightedSum(scores($0, key.doubles), dScores) } },
                    rtol: 1e-3, "dQ")
        assertClose(dK, (0..<(t * d)).map { i in centralDifference(key.doubles, i) { weightedSum(scores(q.doubles, $0), dScores) } },
                    rtol: 1e-3, "dK")

        let probs = data.uniform(t * t, 0, 1), v = data.uniform(t * d), dOut = data.uniform(t * d)
        let product = { (p: [Double], v: [Double]) -> [Double] in
            (0..<(t * d)).map { index in
                let (i, j) = (index / d, index % d)
                return (0..<t).reduce(0.0) { $0 + p[i * t + $1] * v[$1 * d + j] }
            }
        }
        var dProbs = [Float](repeating: 0, count: t * t), dV = [Float](repeating: 0, count: t * d)
        Matmul.gemm(transposeB: true, m: t, n: t, k: d, a: dOut, b: v, c: &dProbs)
        Matmul.gemm(transposeA: true, m: t, n: d, k: t, a: probs, b: dOut, beta: 1, c: &dV)
        assertClose(dProbs, (0..<(t * t)).map { i in centralDifference(probs.doubles, i) { weightedSum(product($0, v.doubles), dOut) } },
                    rtol: 1e-3, "dProbs")
        assertClose(dV, (0..<(t * d)).map { i in centralDifference(v.doubles, i) { weightedSum(product(probs.doubles, $0), dOut) } },
                    rtol: 1e-3, "dV")
    }
}
