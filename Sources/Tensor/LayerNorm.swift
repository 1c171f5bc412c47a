/// LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) · weight + bias,
/// with the biased variance, as PyTorch.
public enum LayerNorm {
    /// input, out: [N, C]; mean, rstd: [N] (saved for the backward pass).
    public static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        rows: Int, channels c: Int, eps: Float = 1e-5
    ) {
        Parallel.forEachChunk(rows, costPerItem: 3 * c) { range in
            for r in range {
                let x = input + r * c
                let y = out + r * c
                let m = VectorMath.sum(x, c) / Float(c)
                var variance: Float = 0
                for i in 0..<c {
                    let d = x[i] - m
                    variance += d * d
                }
                let s = 1 / (variance / Float(c) + eps).squareRoot()
                for i in 0..<c { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
                mean?[r] = m
                rstd?[r] = s
            }
        }
    }

    /// Accumulates dInput, dWeight, dBias (each may be nil) from dOut: [N, C].
    public static func backward(
        dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        rows: Int, channels c: Int
    ) {
        let partials = FloatBuffer(count: Parallel.coreCount * 2 * c)
        let used = Parallel.forEachChunkIndexed(rows, costPerItem: 6 * c) { chunk, range in
            let partialWeight = partials.pointer + chunk * 2 * c
            let partialBias = partialWeight + c
            for r in range {
                let x = input + r * c
                let dy = dOut + r * c
                let m = mean[r], s = rstd[r]
                // dnorm = dy · weight; dx = s · (dnorm - mean(dnorm) - norm · mean(dnorm · norm))
                var meanDNorm: Float = 0, meanDNormNorm: Float = 0
                for i in 0..<c {
                    let norm = (x[i] - m) * s
                    let dNorm = weight[i] * dy[i]
                    meanDNorm += dNorm
                    meanDNormNorm += dNorm * norm
                    partialBias[i] += dy[i]
                    partialWeight[i] += norm * dy[i]
                }
                meanDNorm /= Float(c)
                meanDNormNorm /= Float(c)
                if let dInput {
                    let dx = dInput + r * c
                    for i in 0..<c {
                        let norm = (x[i] - m) * s
                        dx[i] += (weight[i] * dy[i] - meanDNorm - norm * meanDNormNorm) * s
                    }
                }
            }
        }
        for chunk in 0..<used {
            let partialWeight = partials.pointer + chunk * 2 * c
            for i in 0..<c {
                dWeight?[i] += partialWeight[i]
                dBias?[i] += partialWeight[c + i]
            }
        }
    }
}
