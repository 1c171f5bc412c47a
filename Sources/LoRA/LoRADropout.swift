import Tensor

/// Inverted dropout on an adapter's input whose mask is a pure function of (seed, row, column),
/// so the backward pass regenerates it instead of keeping a `[rows, in]` mask per adapter.
/// Each row draws from its own generator, which lets rows be filled in parallel.
enum LoRADropout {
    /// out = x ⊙ mask / (1 − p)
    static func apply(seed: UInt64, probability p: Float, input: UnsafePointer<Float>,
                      output: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        forEachRowMultiplier(seed: seed, probability: p, rows: rows, columns: columns) { row, multiplier in
            let x = input + row * columns, y = output + row * columns
            for j in 0..<columns { y[j] = x[j] * multiplier[j] }
        }
    }

    /// into += gradient ⊙ mask / (1 − p): the backward of `apply`.
    static func accumulate(seed: UInt64, probability p: Float, gradient: UnsafePointer<Float>,
                           into: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        forEachRowMultiplier(seed: seed, probability: p, rows: rows, columns: columns) { row, multiplier in
            let g = gradient + row * columns, d = into + row * columns
            for j in 0..<columns { d[j] += g[j] * multiplier[j] }
        }
    }

    /// Calls `body(row, multiplier)` for every row, in parallel chunks, where multiplier[j] is
    /// 0 for a dropped column and 1/(1 − p) for a kept one. A column is dropped when its 16-bit
    /// draw is below p·2¹⁶ (four draws per 64-bit random word), so p is honoured to within 2⁻¹⁶.
    private static func forEachRowMultiplier(
        seed: UInt64, probability p: Float, rows: Int, columns: Int,
        _ body: (Int, UnsafePointer<Float>) -> Void
    ) {
        let threshold = UInt64(min(65536, max(0, (Double(p) * 65536).rounded())))
        let scale = 1 / (1 - p)
        let words = (columns + 3) / 4
        Parallel.forEachChunk(rows, costPerItem: 4 * columns) { range in
            let multiplier = UnsafeMutablePointer<Float>.allocate(capacity: 4 * words)
            defer { multiplier.deallocate() }
            for row in range {
                var generator = SeededGenerator(seed: seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
                for w in 0..<words {
                    let bits = generator.next()
                    for k in 0..<4 {
                        multiplier[4 * w + k] = (bits >> UInt64(16 * k)) & 0xFFFF >= threshold ? scale : 0
                    }
                }
                body(row, multiplier)
            }
        }
    }
}
