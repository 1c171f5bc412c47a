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
                let s = 1 / (sumOfSquaredDeviations(x, c, from: m) / Float(c) + eps).squareRoot()
                // Eight lanes at a time by hand: y may alias nothing, but LLVM cannot know that.
                let (mv, sv) = (VectorMath.Vector(repeating: m), VectorMath.Vector(repeating: s))
                var i = 0
                while i + 8 <= c {
                    let normalised = (VectorMath.load(x + i) - mv) * sv
                    VectorMath.store(normalised * VectorMath.load(weight + i) + VectorMath.load(bias + i), y + i)
                    i += 8
                }
                while i < c { y[i] = (x[i] - m) * s * weight[i] + bias[i]; i += 1 }
                mean?[r] = m
                rstd?[r] = s
            }
        }
    }

    /// Σ (x[i] - mean)², in two vector accumulators (a scalar float reduction does not vectorise).
    @inline(__always)
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, _ c: Int, from mean: Float) -> Float {
        let mv = VectorMath.Vector(repeating: mean)
        var acc0 = VectorMath.Vector(), acc1 = VectorMath.Vector()
        var i = 0
        while i + 16 <= c {
            let d0 = VectorMath.load(x + i) - mv, d1 = VectorMath.load(x + i + 8) - mv
            acc0 = acc0.addingProduct(d0, d0)
            acc1 = acc1.addingProduct(d1, d1)
            i += 16
        }
        var total = (acc0 + acc1).sum()
        while i < c { let d = x[i] - mean; total += d * d; i += 1 }
        return total
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
                let (mv, sv) = (VectorMath.Vector(repeating: m), VectorMath.Vector(repeating: s))
                // dnorm = dy · weight; dx = s · (dnorm - mean(dnorm) - norm · mean(dnorm · norm)).
                // The row sums run in vector accumulators: a scalar float reduction does not vectorise.
                var sumDNorm = VectorMath.Vector(), sumDNormNorm = VectorMath.Vector()
                var i = 0
                while i + 8 <= c {
                    let norm = (VectorMath.load(x + i) - mv) * sv
                    let gradient = VectorMath.load(dy + i)
                    let dNorm = VectorMath.load(weight + i) * gradient
                    sumDNorm += dNorm
                    sumDNormNorm = sumDNormNorm.addingProduct(dNorm, norm)
                    VectorMath.store(VectorMath.load(partialBias + i) + gradient, partialBias + i)
                    VectorMath.store(VectorMath.load(partialWeight + i).addingProduct(norm, gradient), partialWeight + i)
                    i += 8
                }
                var meanDNorm = sumDNorm.sum(), meanDNormNorm = sumDNormNorm.sum()
                while i < c {
                    let norm = (x[i] - m) * s
                    let dNorm = weight[i] * dy[i]
                    meanDNorm += dNorm
                    meanDNormNorm += dNorm * norm
                    partialBias[i] += dy[i]
                    partialWeight[i] += norm * dy[i]
                    i += 1
                }
                meanDNorm /= Float(c)
                meanDNormNorm /= Float(c)
                if let dInput {
                    let dx = dInput + r * c
                    let (meanDNormV, meanDNormNormV) = (VectorMath.Vector(repeating: meanDNorm), VectorMath.Vector(repeating: meanDNormNorm))
                    i = 0
                    while i + 8 <= c {
                        let norm = (VectorMath.load(x + i) - mv) * sv
                        let dNorm = VectorMath.load(weight + i) * VectorMath.load(dy + i)
                        let step = (dNorm - meanDNormV - norm * meanDNormNormV) * sv
                        VectorMath.store(VectorMath.load(dx + i) + step, dx + i)
                        i += 8
                    }
                    while i < c {
                        let norm = (x[i] - m) * s
                        dx[i] += (weight[i] * dy[i] - meanDNorm - norm * meanDNormNorm) * s
                        i += 1
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
