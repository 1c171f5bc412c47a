import CBLAS

/// The inverse of a symmetric positive-definite matrix through its Cholesky factor (LAPACK
/// `dpotrf` then `dpotri`, multithreaded by OpenBLAS), in double precision: a Gram matrix plus a
/// ridge, as EASE inverts, can be ill-conditioned enough to lose float32's few digits.
public enum SymmetricInverse {
    /// Replaces `matrix` [n, n] (row-major, symmetric) by its inverse; false, with `matrix`
    /// unspecified, when it is not positive definite.
    public static func invert(_ matrix: inout [Double], n: Int) -> Bool {
        precondition(matrix.count == n * n, "a square [n, n] matrix")
        guard n > 0 else { return true }
        var info: Int32 = 0
        var order = Int32(n)
        var upper = CChar(UInt8(ascii: "L"))
        matrix.withUnsafeMutableBufferPointer { a in
            dpotrf_(&upper, &order, a.baseAddress!, &order, &info)
            if info == 0 { dpotri_(&upper, &order, a.baseAddress!, &order, &info) }
        }
        guard info == 0 else { return false }
        // Column-major "L" is the row-major upper triangle; dpotri leaves the other one stale.
        for i in 1..<n {
            for j in 0..<i { matrix[i * n + j] = matrix[j * n + i] }
        }
        return true
    }
}
