import CKernels

/// Attention of one new query against a KV cache: the decoding step's attention. As two BLAS
/// calls per head (scores = q·Kᵀ, out = p·V) at m = 1 it cost a fifth of a 4-bit decoding step on
/// `slm60m` (160 small GEMMs a token, on one thread while the other core idled); here each head
/// is a dot product per cached position (four at a time, in C), a softmax and a weighted sum of
/// value rows held in registers, the heads split over the cores.
public enum DecodeAttention {
    /// out[h·d ..< (h+1)·d] = softmax(scale · q_h · K_hᵀ) · V_h for every head h, where q is
    /// [heads · d], keys and values are [positions, rowStride] with head h at column h·d, and
    /// `scratch` holds heads · positions floats.
    public static func attend(
        query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        rowStride: Int, positions: Int, heads: Int, headSize d: Int, scale: Float,
        scratch: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        guard positions > 0 else { return }
        Parallel.forEachChunk(heads, costPerItem: 4 * positions * d) { range in
            for h in range {
                attendHead(query: q + h * d, keys: keys + h * d, values: values + h * d, rowStride: rowStride,
                           positions: positions, headSize: d, scale: scale, scores: scratch + h * positions,
                           out: out + h * d)
            }
        }
    }

    @inline(__always)
    static func attendHead(
        query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rowStride: Int,
        positions: Int, headSize d: Int, scale: Float, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        finch_attention_scores(q, keys, rowStride, positions, d, scores)
        Softmax.normalise(scores, scores, valid: positions, scale: scale)
        finch_attention_weighted_sum(scores, values, rowStride, positions, d, out)
    }
}
