import CKernels

/// One query attending to the keys and values of one head in a KV cache: what a decoding step
/// does per (sequence, head), where a GEMM would be a 1 × d by d × T product.
public enum CachedAttention {
    /// out[width] = softmax(scale · query · keysᵀ) · values over the `count` cached positions,
    /// position j's key at keys + j · stride (values alike). `scores` holds `count` floats of scratch.
    /// Scores take eight keys per pass (independent FMA chains, one transposing reduction) and
    /// the weighted sum keeps 64 output columns in registers across positions, instead of a
    /// horizontal sum per key and a load and store of `out` per position.
    public static func attend(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        count: Int, width: Int, scale: Float, scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        finch_attention_scores(query, keys, stride, count, width, scores)
        Softmax.normalise(scores, scores, valid: count, scale: scale)
        finch_attention_weighted_sum(scores, values, stride, count, width, out)
    }

    /// `attend` for two heads of one sequence (the same `count` positions): their weighted sums
    /// run interleaved, each output bit for bit the one `attend` gives. `scores` holds 2 · `count` floats.
    public static func attendPair(
        queries: (UnsafePointer<Float>, UnsafePointer<Float>), keys: (UnsafePointer<Float>, UnsafePointer<Float>),
        values: (UnsafePointer<Float>, UnsafePointer<Float>), stride: Int, count: Int, width: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, into out: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    ) {
        let second = scores + count
        finch_attention_scores(queries.0, keys.0, stride, count, width, scores)
        finch_attention_scores(queries.1, keys.1, stride, count, width, second)
        Softmax.normalise(scores, scores, valid: count, scale: scale)
        Softmax.normalise(second, second, valid: count, scale: scale)
        finch_attention_weighted_sum_pair(scores, values.0, out.0, second, values.1, out.1, stride, count, width)
    }
}
