import CBLAS

/// Matrix products, all through OpenBLAS. Row-major throughout.
public enum Matmul {
    /// C[m, n] = alpha · op(A) · op(B) + beta · C, where op(A) is [m, k] and op(B) is [k, n].
    /// `lda`, `ldb`, `ldc` default to the packed row strides.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched only when beta == 1; make the empty product explicit.
            // beta = 0 overwrites, as BLAS does, so stale NaNs in C do not survive.
            let rowStride = ldc ?? n
            for i in 0..<m { for j in 0..<n { c[i * rowStride + j] = beta == 0 ? 0 : beta * c[i * rowStride + j] } }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda ?? (transposeA ? m : k)),
            b, Int32(ldb ?? (transposeB ? k : n)),
            beta, c, Int32(ldc ?? n))
    }

    /// y[m] = alpha · op(A) · x + beta · y, with A stored [rows, columns].
    @inlinable
    public static func gemv(
        transpose: Bool = false, rows: Int, columns: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, columns > 0 else { return }
        cblas_sgemv(
            CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
            Int32(rows), Int32(columns), alpha, a, Int32(lda ?? columns),
            x, 1, beta, y, 1)
    }

    /// Sets OpenBLAS's own thread count (it defaults to every core).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(n))
    }

    // MARK: Tensor API

    /// op(a) · op(b) for 2-D tensors, or batched over the leading dimension for 3-D tensors
    /// (`[batch, m, k] · [batch, k, n]`; a 2-D operand is shared by every batch entry).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition((2...3).contains(a.rank) && (2...3).contains(b.rank), "matmul takes 2-D or 3-D tensors")
        let batch = a.rank == 3 ? a.shape[0] : (b.rank == 3 ? b.shape[0] : 1)
        if a.rank == 3, b.rank == 3 { precondition(a.shape[0] == b.shape[0], "batch sizes differ") }
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == k2, "inner dimensions differ: \(a.shape) · \(b.shape)")
        let aStride = a.rank == 3 ? ar * ac : 0
        let bStride = b.rank == 3 ? br * bc : 0
        // Every element is written by a beta = 0 GEMM, so the result is not zero-filled first
        // (for attention-sized batches that fill cost a fifth of the products' time).
        let data = [Float](unsafeUninitializedCapacity: batch * m * n) { buffer, initialized in
            if let pc = buffer.baseAddress {
                a.withPointer { pa in
                    b.withPointer { pb in
                        for i in 0..<batch {
                            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                 a: pa + i * aStride, b: pb + i * bStride, c: pc + i * m * n)
                        }
                    }
                }
            }
            initialized = batch * m * n
        }
        return Tensor(shape: (a.rank == 3 || b.rank == 3) ? [batch, m, n] : [m, n], data: data)
    }
}
