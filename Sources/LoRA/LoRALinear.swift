import GPT
import Tensor

/// A projection with an unmerged adapter on top, for decoding: y = base(x) + s·x·Aᵀ·Bᵀ.
/// The base may be any operator (float or int8), so an adapter runs on a quantized model
/// without touching its weights. No dropout: this is inference.
public struct LoRALinear: LinearOperator, @unchecked Sendable {
    public let base: any LinearOperator
    /// A [r, in] and B [out, r], read in place from the adapter's parameter buffer.
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    public let rank: Int
    public let scaling: Float
    /// Keeps the buffer `a` and `b` point into alive.
    let storage: FloatBuffer

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        base.apply(rows: rows, input: input, output: output)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rows * rank) { h in
            let hidden = h.baseAddress!
            if rows == 1 {
                // h [r] = A · x ;  y [out] += s · B · h
                Matmul.gemv(rows: rank, columns: inFeatures, a: a, x: input, y: hidden)
                Matmul.gemv(rows: outFeatures, columns: rank, alpha: scaling, a: b, x: hidden, beta: 1, y: output)
            } else {
                // h [rows, r] = x · Aᵀ ;  y [rows, out] += s · h · Bᵀ
                Matmul.gemm(transposeB: true, m: rows, n: rank, k: inFeatures, a: input, b: a, c: hidden)
                Matmul.gemm(transposeB: true, m: rows, n: outFeatures, k: rank, alpha: scaling,
                            a: hidden, b: b, beta: 1, c: output)
            }
        }
    }
}

extension LoRAAdapter {
    /// `weights` with every adapted projection wrapped in a `LoRALinear`: how `generate --lora`
    /// applies an adapter without merging it. The operators read this adapter's current values.
    public func wrap(_ weights: InferenceWeights) throws -> InferenceWeights {
        try checkCompatible(with: weights.model.config)
        var wrapped = weights
        for slot in slots {
            let p = parameters.pointer
            func adapted(_ base: any LinearOperator) -> any LinearOperator {
                LoRALinear(base: base, a: p + slot.aOffset, b: p + slot.bOffset, rank: rank, scaling: scaling,
                           storage: parameters)
            }
            switch slot.projection {
            case .attention: wrapped.blocks[slot.layer].attention = adapted(weights.blocks[slot.layer].attention)
            case .attentionProjection:
                wrapped.blocks[slot.layer].attentionProjection = adapted(weights.blocks[slot.layer].attentionProjection)
            case .fc: wrapped.blocks[slot.layer].fc = adapted(weights.blocks[slot.layer].fc)
            case .fcProjection: wrapped.blocks[slot.layer].fcProjection = adapted(weights.blocks[slot.layer].fcProjection)
            }
        }
        return wrapped
    }
}
