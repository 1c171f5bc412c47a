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
        Softmax.causalForward(probs: scores, scores: scores, rows: 1, columns: count, offset: count - 1, scale: scale)
        finch_attention_weighted_sum(scores, values, stride, count, width, out)
    }
}
