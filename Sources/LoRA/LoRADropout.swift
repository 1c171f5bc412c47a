import Tensor

/// Inverted dropout on an adapter's input whose mask is a pure function of (seed, row, column),
/// so the backward pass regenerates it instead of keeping a `[rows, in]` mask per adapter.
/// Each row draws from its own generator, which lets rows be filled in parallel.
enum LoRADropout {
    /// out = x ⊙ mask / (1 − p)
    static func apply(seed: UInt64, probability p: Float, input: UnsafePointer<Float>,
                      output: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        forEachMaskedRow(seed: seed, probability: p, rows: rows, columns: columns) { row, keep, scale in
            let x = input + row * columns, y = output + row * columns
            for j in 0..<columns { y[j] = keep(j) ? x[j] * scale : 0 }
        }
    }

    /// into += gradient ⊙ mask / (1 − p): the backward of `apply`.
    static func accumulate(seed: UInt64, probability p: Float, gradient: UnsafePointer<Float>,
                           into: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        forEachMaskedRow(seed: seed, probability: p, rows: rows, columns: columns) { row, keep, scale in
            let g = gradient + row * columns, d = into + row * columns
            for j in 0..<columns where keep(j) { d[j] += g[j] * scale }
        }
    }

    /// Calls `body(row, keep, scale)` for every row, in parallel chunks; `keep(j)` says whether
    /// column j survives. A column is dropped when its 16-bit draw is below p·2¹⁶ (four draws
    /// per 64-bit random word), so p is honoured to within 2⁻¹⁶.
    private static func forEachMaskedRow(
        seed: UInt64, probability p: Float, rows: Int, columns: Int,
        _ body: (Int, (Int) -> Bool, Float) -> Void
    ) {
        let threshold = UInt16(clamping: Int((Double(p) * 65536).rounded()))
        let scale = 1 / (1 - p)
        let words = (columns + 3) / 4
        Parallel.forEachChunk(rows, costPerItem: columns) { range in
            var draws = [UInt64](repeating: 0, count: words)
            for row in range {
                var generator = SeededGenerator(seed: seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
                for w in 0..<words { draws[w] = generator.next() }
                draws.withUnsafeBufferPointer { bits in
                    body(row, { j in UInt16(truncatingIfNeeded: bits[j >> 2] >> (UInt64(j & 3) * 16)) >= threshold }, scale)
                }
            }
        }
    }
}
