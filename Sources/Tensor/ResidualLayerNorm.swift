/// A post-LayerNorm residual (BERT's "Add & Norm") in one pass:
/// x = LayerNorm(x + sublayer + sublayerBias) · weight + bias.
/// Separately — broadcasting the projection's bias before its GEMM, adding the residual, then
/// normalising — the same work takes three passes over [N, C].
public enum ResidualLayerNorm {
    /// x, sublayer: [N, C]; sublayerBias, weight, bias: [C]. `sublayer` is used as scratch.
    public static func forward(
        x: UnsafeMutablePointer<Float>, sublayer: UnsafeMutablePointer<Float>, sublayerBias: UnsafePointer<Float>?,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, channels c: Int, eps: Float
    ) {
        Parallel.forEachChunk(rows, costPerItem: 5 * c) { range in
            for r in range {
                let (row, sum) = (x + r * c, sublayer + r * c)
                var i = 0
                while i + 8 <= c {
                    var v = VectorMath.load(row + i) + VectorMath.load(sum + i)
                    if let sublayerBias { v += VectorMath.load(sublayerBias + i) }
                    VectorMath.store(v, sum + i)
                    i += 8
                }
                while i < c { sum[i] += row[i] + (sublayerBias?[i] ?? 0); i += 1 }
                let mean = VectorMath.sum(sum, c) / Float(c)
                let scale = 1 / (LayerNorm.sumOfSquaredDeviations(sum, c, from: mean) / Float(c) + eps).squareRoot()
                let (mv, sv) = (VectorMath.Vector(repeating: mean), VectorMath.Vector(repeating: scale))
                i = 0
                while i + 8 <= c {
                    let normalised = (VectorMath.load(sum + i) - mv) * sv
                    VectorMath.store(normalised * VectorMath.load(weight + i) + VectorMath.load(bias + i), row + i)
                    i += 8
                }
                while i < c { row[i] = (sum[i] - mean) * scale * weight[i] + bias[i]; i += 1 }
            }
        }
    }
}
