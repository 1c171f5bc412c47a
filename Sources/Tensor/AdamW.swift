/// AdamW as PyTorch implements it (decoupled weight decay, bias-corrected moments),
/// and the global gradient norm used for clipping.
public struct AdamW: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.95,
                eps: Float = 1e-8, weightDecay: Float = 0.1) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    /// One update of `count` parameters at 1-based `step`. `decay` says whether weight decay
    /// applies to this range (GPT-2 practice: matrices and embeddings yes, biases and norms no).
    public func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
        count: Int, step: Int, decay: Bool
    ) {
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        let stepSize = learningRate / correction1
        let correction2Root = correction2.squareRoot()
        let shrink = decay ? 1 - learningRate * weightDecay : 1
        let (b1, b2, eps) = (beta1, beta2, self.eps)
        Parallel.forEachChunk(count, costPerItem: 8) { range in
            for i in range {
                let g = gradients[i]
                let mi = b1 * m[i] + (1 - b1) * g
                let vi = b2 * v[i] + (1 - b2) * g * g
                m[i] = mi
                v[i] = vi
                // abs (vi ≥ 0 already) tells LLVM the root cannot be of a negative number, so
                // it drops libm's errno path and vectorises the loop (vsqrtps instead of sqrtf calls).
                let denominator = abs(vi).squareRoot() / correction2Root + eps
                parameters[i] = parameters[i] * shrink - stepSize * mi / denominator
            }
        }
    }
}

public enum GradientNorm {
    /// √(Σ g²) over `count` values, accumulated in Double.
    public static func global(_ gradients: UnsafePointer<Float>, count: Int) -> Float {
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: Parallel.coreCount)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: Parallel.coreCount)
        let used = Parallel.forEachChunkIndexed(count, costPerItem: 2) { chunk, range in
            var i = range.lowerBound
            var total = 0.0
            while i < range.upperBound {
                let n = min(4096, range.upperBound - i)
                total += Double(VectorMath.dot(gradients + i, gradients + i, n))
                i += n
            }
            partial[chunk] = total
        }
        var sum = 0.0
        for c in 0..<used { sum += partial[c] }
        return Float(sum.squareRoot())
    }

    /// Scales gradients so their global norm is at most `maxNorm` (as torch's
    /// clip_grad_norm_). Returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
        let norm = global(gradients, count: count)
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 { Elementwise.scale(gradients, count: count, by: coefficient) }
        return norm
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
