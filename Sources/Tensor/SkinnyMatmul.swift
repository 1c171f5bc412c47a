import CKernels

/// out[M, N] = a[M, K] · b[N, K]ᵀ (+ bias[N]) for a few rows M: one query sentence's tokens, a
/// decoding step. OpenBLAS repacks b on every call, which for M ≲ 16 costs more than the product
/// itself (a 9-token sentence spent half its time in sgemm_incopy); here each row of b is read
/// once, straight from memory, and dotted with every row of a while it is in L1.
///
/// On CPUs with AVX-512 the C kernel `finch_encoder_skinny_gemm` does this with four weight rows
/// against up to six activation rows at a time and software prefetch (a query is bound by reading
/// the weights from memory); elsewhere the SIMD8 loops below.
public enum SkinnyMatmul {
    /// Up to this many rows the kernel beats OpenBLAS's pack-then-multiply.
    public static let maximumRows = 16

    /// Whether `multiply` takes the AVX-512 kernel on this CPU.
    public static let avx512Available = finch_encoder_skinny_gemm_available() == 1

    /// b is [N, K] (PyTorch's nn.Linear layout), so every dot product runs over contiguous memory.
    /// `avx512: false` forces the portable loops (for tests on a machine that has the C kernel).
    public static func multiply(
        out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows m: Int, inner k: Int, columns n: Int, avx512: Bool = avx512Available
    ) {
        if avx512 {
            // Blocks of four columns, the kernel's width, split over the cores.
            let blocks = (n + 3) / 4
            Parallel.forEachChunk(blocks, costPerItem: 8 * m * k) { range in
                finch_encoder_skinny_gemm(out, a, b, bias, m, k, n, 4 * range.lowerBound, min(n, 4 * range.upperBound))
            }
            return
        }
        Parallel.forEachChunk(n, costPerItem: 2 * m * k) { columns in
            var j = columns.lowerBound
            while j + 2 <= columns.upperBound {
                for r in stride(from: 0, to: m, by: 4) {
                    fourRowsTwoColumns(out, a, b, bias, row: r, validRows: min(4, m - r), column: j, k: k, n: n)
                }
                j += 2
            }
            if j < columns.upperBound {
                for r in 0..<m { out[r * n + j] = VectorMath.dot(a + r * k, b + j * k, k) + (bias?[j] ?? 0) }
            }
        }
    }

    /// Rows r..<r+4 against columns j, j+1: eight accumulators, and six loads per eight FMAs.
    /// A last group of fewer rows repeats its last row in the missing slots and stores only the
    /// valid ones, so the two weight rows are still read once.
    @inline(__always)
    static func fourRowsTwoColumns(
        _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
        row r: Int, validRows: Int, column j: Int, k: Int, n: Int
    ) {
        typealias V = VectorMath.Vector
        let rowStart = { (offset: Int) in a + (r + min(offset, validRows - 1)) * k }
        let (a0, a1, a2, a3) = (rowStart(0), rowStart(1), rowStart(2), rowStart(3))
        let (b0, b1) = (b + j * k, b + (j + 1) * k)
        var (c00, c01, c10, c11, c20, c21, c30, c31) = (V(), V(), V(), V(), V(), V(), V(), V())
        var i = 0
        while i + 8 <= k {
            let w0 = VectorMath.load(b0 + i), w1 = VectorMath.load(b1 + i)
            let x0 = VectorMath.load(a0 + i)
            c00 = c00.addingProduct(x0, w0); c01 = c01.addingProduct(x0, w1)
            let x1 = VectorMath.load(a1 + i)
            c10 = c10.addingProduct(x1, w0); c11 = c11.addingProduct(x1, w1)
            let x2 = VectorMath.load(a2 + i)
            c20 = c20.addingProduct(x2, w0); c21 = c21.addingProduct(x2, w1)
            let x3 = VectorMath.load(a3 + i)
            c30 = c30.addingProduct(x3, w0); c31 = c31.addingProduct(x3, w1)
            i += 8
        }
        // Lanes 2·row and 2·row + 1 hold row's dot products with the two weight rows.
        var sums = SIMD8<Float>(c00.sum(), c01.sum(), c10.sum(), c11.sum(), c20.sum(), c21.sum(), c30.sum(), c31.sum())
        let rows = (a0, a1, a2, a3)
        while i < k {
            sums[0] += rows.0[i] * b0[i]; sums[1] += rows.0[i] * b1[i]
            sums[2] += rows.1[i] * b0[i]; sums[3] += rows.1[i] * b1[i]
            sums[4] += rows.2[i] * b0[i]; sums[5] += rows.2[i] * b1[i]
            sums[6] += rows.3[i] * b0[i]; sums[7] += rows.3[i] * b1[i]
            i += 1
        }
        for row in 0..<validRows {
            out[(r + row) * n + j] = sums[2 * row] + (bias?[j] ?? 0)
            out[(r + row) * n + j + 1] = sums[2 * row + 1] + (bias?[j + 1] ?? 0)
        }
    }
}
