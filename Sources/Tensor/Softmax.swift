/// Softmax over the last dimension, plain and causal. Rows are independent.
public enum Softmax {
    /// probs[r, :] = softmax(input[r, :]) for `rows` rows of `columns` values.
    public static func forward(
        probs: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, columns: Int
    ) {
        Parallel.forEachChunk(rows, costPerItem: 4 * columns) { range in
            for r in range {
                normalise(probs + r * columns, input + r * columns, valid: columns)
            }
        }
    }

    /// dInput += probs ⊙ (dProbs - Σ probs·dProbs), row by row.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, dProbs: UnsafePointer<Float>, probs: UnsafePointer<Float>,
        rows: Int, columns: Int
    ) {
        Parallel.forEachChunk(rows, costPerItem: 4 * columns) { range in
            for r in range {
                let o = r * columns
                rowBackward(dInput + o, dProbs + o, probs + o, valid: columns)
            }
        }
    }

    /// Causal softmax of attention scores `[rows, columns]`: row r attends to columns
    /// 0...(r + offset), where `offset` is the number of earlier positions (0 for a full
    /// sequence; the cache length when decoding). Masked entries are written as 0.
    /// `scale` multiplies the scores first (1/√head_dim for attention).
    public static func causalForward(
        probs: UnsafeMutablePointer<Float>, scores: UnsafePointer<Float>,
        rows: Int, columns: Int, offset: Int = 0, scale: Float = 1
    ) {
        forEachCausalRow(rows: rows, columns: columns, offset: offset) { r in
            let valid = min(columns, r + offset + 1)
            let p = probs + r * columns
            normalise(p, scores + r * columns, valid: valid, scale: scale)
            if valid < columns { (p + valid).update(repeating: 0, count: columns - valid) }
        }
    }

    /// dScores = scale · probs ⊙ (dProbs - Σ probs·dProbs) on the causal part, 0 above it.
    /// Writes (does not accumulate) so the caller can reuse the buffer.
    public static func causalBackward(
        dScores: UnsafeMutablePointer<Float>, dProbs: UnsafePointer<Float>, probs: UnsafePointer<Float>,
        rows: Int, columns: Int, offset: Int = 0, scale: Float = 1
    ) {
        forEachCausalRow(rows: rows, columns: columns, offset: offset) { r in
            let valid = min(columns, r + offset + 1)
            let o = r * columns
            let ds = dScores + o, dp = dProbs + o, p = probs + o
            let weighted = VectorMath.dot(p, dp, valid)
            for j in 0..<valid { ds[j] = scale * p[j] * (dp[j] - weighted) }
            if valid < columns { (ds + valid).update(repeating: 0, count: columns - valid) }
        }
    }

    /// Calls `body(r)` for every row, over the cores when the work is large. Row r reads
    /// min(columns, r + offset + 1) values, so equal row counts would leave the thread with the
    /// first rows a third of the work: the rows are cut where the visible values balance
    /// instead, each thread keeping contiguous rows (interleaving them measured slower).
    @inline(__always)
    static func forEachCausalRow(rows: Int, columns: Int, offset: Int, _ body: (Int) -> Void) {
        let parts = Parallel.coreCount
        var visible = 0
        for r in 0..<rows { visible += min(columns, r + offset + 1) }
        /// The first row at which the visible values of the rows before it reach `target`.
        func firstRow(reaching target: Int) -> Int {
            var total = 0, r = 0
            while r < rows && total < target { total += min(columns, r + offset + 1); r += 1 }
            return r
        }
        Parallel.forEachChunk(parts, costPerItem: (rows * 2 * columns + parts - 1) / parts) { range in
            for part in range {
                let end = part == parts - 1 ? rows : firstRow(reaching: (part + 1) * visible / parts)
                for r in firstRow(reaching: part * visible / parts)..<end { body(r) }
            }
        }
    }

    /// out[0..<valid] = softmax(scale · x[0..<valid]); `out` may alias `x`. The scale is
    /// applied inside the max and exp passes rather than in a pass of its own.
    @inline(__always)
    static func normalise(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, valid: Int, scale: Float = 1) {
        let maximum = scaledMaximum(x, valid, scale)
        let scaleVector = VectorMath.Vector(repeating: scale), shift = VectorMath.Vector(repeating: -maximum)
        var j = 0
        var acc = VectorMath.Vector()
        while j + 8 <= valid {
            let e = VectorMath.exp(shift.addingProduct(VectorMath.load(x + j), scaleVector))
            VectorMath.store(e, out + j)
            acc += e
            j += 8
        }
        if j < valid {
            // The last 1...7 values in one vector, padded with -∞ (e^-∞ = 0): scalar exps cost
            // a whole vector each, and causal rows of every length have such tails.
            var tail = VectorMath.Vector(repeating: -.infinity)
            for lane in 0..<(valid - j) { tail[lane] = x[j + lane] * scale - maximum }
            let e = VectorMath.exp(tail)
            for lane in 0..<(valid - j) { out[j + lane] = e[lane] }
            acc += e
        }
        let inverse = 1 / acc.sum()
        for k in 0..<valid { out[k] *= inverse }
    }

    /// max scale · x[i] (for any sign of scale).
    @inline(__always)
    static func scaledMaximum(_ x: UnsafePointer<Float>, _ n: Int, _ scale: Float) -> Float {
        var best = -Float.infinity
        var i = 0
        if n >= 8 {
            let scaleVector = VectorMath.Vector(repeating: scale)
            var acc = VectorMath.Vector(repeating: -.infinity)
            while i + 8 <= n {
                let v = VectorMath.load(x + i) * scaleVector
                acc.replace(with: v, where: v .> acc)
                i += 8
            }
            best = acc.max()
        }
        while i < n { best = Swift.max(best, x[i] * scale); i += 1 }
        return best
    }

    @inline(__always)
    static func rowBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dp: UnsafePointer<Float>, _ p: UnsafePointer<Float>, valid: Int
    ) {
        let weighted = VectorMath.dot(p, dp, valid)
        for j in 0..<valid { dx[j] += p[j] * (dp[j] - weighted) }
    }
}
