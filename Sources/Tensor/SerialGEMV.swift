import CKernels

/// y = A · x (+ y when `accumulate`) for a row-major A [rows, columns], on the calling thread only.
///
/// For callers that already run many at once — the server's requests ranking the catalogue —
/// where OpenBLAS's `sgemv` hands each small product to its thread pool: with every core busy
/// with other requests, those workers spin and yield instead of computing (measured under wrk:
/// about half of the server's CPU in `exec_blas_async` and `sched_yield`).
public enum SerialGEMV {
    public static func apply(
        rows: Int, columns: Int, a: UnsafePointer<Float>, x: UnsafePointer<Float>,
        accumulate: Bool = false, y: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0 else { return }
        // The kernel reads bias[r] before it writes y[r], so y may be its own bias.
        finch_f32_row_dots(a, columns, x, accumulate ? UnsafePointer(y) : nil, y, 0, rows)
    }
}
