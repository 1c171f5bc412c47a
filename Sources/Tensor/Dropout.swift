/// Inverted dropout whose mask is a pure function of (seed, row, column), so a backward pass
/// regenerates the mask instead of keeping one per activation. Each row draws from its own
/// generator, which lets rows be filled in parallel.
public enum Dropout {
    /// out = x ⊙ mask / (1 − p); `output` may be `input` (in place). The rows are rows
    /// `firstRow…` of the mask, so one mask can be applied a piece at a time.
    public static func apply(seed: UInt64, probability p: Float, input: UnsafePointer<Float>,
                             output: UnsafeMutablePointer<Float>, rows: Int, columns: Int, firstRow: Int = 0) {
        forEachRowMultiplier(seed: seed, probability: p, rows: rows, columns: columns, firstRow: firstRow) { row, multiplier in
            let x = input + row * columns, y = output + row * columns
            for j in 0..<columns { y[j] = x[j] * multiplier[j] }
        }
    }

    /// into += gradient ⊙ mask / (1 − p): the backward of `apply`, accumulating.
    public static func accumulate(seed: UInt64, probability p: Float, gradient: UnsafePointer<Float>,
                                  into: UnsafeMutablePointer<Float>, rows: Int, columns: Int, firstRow: Int = 0) {
        forEachRowMultiplier(seed: seed, probability: p, rows: rows, columns: columns, firstRow: firstRow) { row, multiplier in
            let g = gradient + row * columns, d = into + row * columns
            for j in 0..<columns { d[j] += g[j] * multiplier[j] }
        }
    }

    /// A seed for one batch: `base` mixed with the batch's tokens (FNV-1a). Masks that depend
    /// only on the batch make a resumed run, which replays the same batches, draw the same masks
    /// as an uninterrupted one, with no generator state to save.
    public static func batchSeed(_ base: UInt64, tokens: [Int32]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ base
        for token in tokens {
            hash = (hash ^ UInt64(UInt32(bitPattern: token))) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// An independent seed for one site (a layer's sub-layer) of a batch: SplitMix64 of the pair.
    public static func siteSeed(_ batchSeed: UInt64, site: Int) -> UInt64 {
        mix(batchSeed &+ UInt64(site + 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// SplitMix64's output function: a bijective 64-bit mix.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Calls `body(row, multiplier)` for every row, in parallel chunks, where multiplier[j] is
    /// 0 for a dropped column and 1/(1 − p) for a kept one. A column is dropped when its 16-bit
    /// draw is below p·2¹⁶ (four draws per 64-bit random word), so p is honoured to within 2⁻¹⁶.
    /// Word w of a row is SplitMix64 at position w of the row's own stream: a function of a
    /// counter, with no state carried from word to word, so the words are computed independently
    /// (a sequential generator's dependency chain made this kernel 2× slower).
    private static func forEachRowMultiplier(
        seed: UInt64, probability p: Float, rows: Int, columns: Int, firstRow: Int = 0,
        _ body: (Int, UnsafePointer<Float>) -> Void
    ) {
        let threshold = UInt64(min(65536, max(0, (Double(p) * 65536).rounded())))
        let scale = 1 / (1 - p)
        let words = (columns + 3) / 4
        Parallel.forEachChunk(rows, costPerItem: 4 * columns) { range in
            let multiplier = UnsafeMutablePointer<Float>.allocate(capacity: 4 * words)
            defer { multiplier.deallocate() }
            for row in range {
                let rowSeed = mix(seed &+ UInt64(firstRow + row) &* 0xD1B5_4A32_D192_ED03)
                for w in 0..<words {
                    let bits = mix(rowSeed &+ UInt64(w + 1) &* 0x9E37_79B9_7F4A_7C15)
                    for k in 0..<4 {
                        multiplier[4 * w + k] = (bits >> UInt64(16 * k)) & 0xFFFF >= threshold ? scale : 0
                    }
                }
                body(row, multiplier)
            }
        }
    }
}

/// One mask over rows of `columns` values: a probability and the seed it is regenerated from.
/// A batch's masks are `DropoutMask(probability:, seed: Dropout.siteSeed(batchSeed, site:))`.
public struct DropoutMask: Sendable {
    public let probability: Float
    public let seed: UInt64
    /// Mask row of this batch's row 0: a data-parallel rank holding sequences `s…` of the global
    /// batch applies the global batch's mask from the row where sequence `s` starts.
    public let rowOffset: Int

    public init(probability: Float, seed: UInt64, rowOffset: Int = 0) {
        self.probability = probability
        self.seed = seed
        self.rowOffset = rowOffset
    }

    /// output = input ⊙ mask / (1 − p) for mask rows `firstRow…`; `output` may be `input`.
    public func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                      rows: Int, columns: Int, firstRow: Int = 0) {
        Dropout.apply(seed: seed, probability: probability, input: input, output: output,
                      rows: rows, columns: columns, firstRow: rowOffset + firstRow)
    }

    /// into += gradient ⊙ mask / (1 − p): the backward of `apply`.
    public func accumulate(_ gradient: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>,
                           rows: Int, columns: Int, firstRow: Int = 0) {
        Dropout.accumulate(seed: seed, probability: probability, gradient: gradient, into: into,
                           rows: rows, columns: columns, firstRow: rowOffset + firstRow)
    }
}
