import Tensor

/// Causal multi-head self-attention on a fused QKV activation, per (batch, head) through GEMMs:
/// out = softmax(Q·Kᵀ/√d + causal mask)·V. Q, K and V are read in place from `qkv`
/// `[B, T, 3C]` with a row stride of 3C, so no head is ever copied out.
enum Attention {
    /// qkv: [B, T, 3C] → probs: [B, H, T, T] (kept for backward), out: [B, T, C].
    static func forward(
        out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
        batchSize: Int, length t: Int, channels c: Int, heads: Int
    ) {
        let headSize = c / heads
        let scale = 1 / Float(headSize).squareRoot()
        for b in 0..<batchSize {
            for h in 0..<heads {
                let q = qkv + b * t * 3 * c + h * headSize
                let k = q + c
                let v = q + 2 * c
                let headProbs = probs + (b * heads + h) * t * t
                // scores [T, T] = Q [T, d] · Kᵀ
                Matmul.gemm(transposeB: true, m: t, n: t, k: headSize,
                            a: q, lda: 3 * c, b: k, ldb: 3 * c, c: headProbs)
                Softmax.causalForward(probs: headProbs, scores: headProbs, rows: t, columns: t, scale: scale)
                // out_h [T, d] = P [T, T] · V [T, d], written into its columns of [T, C]
                Matmul.gemm(m: t, n: headSize, k: t,
                            a: headProbs, b: v, ldb: 3 * c,
                            c: out + b * t * c + h * headSize, ldc: c)
            }
        }
    }

    /// Accumulates dQKV [B, T, 3C] from dOut [B, T, C]. `scratch` holds one head's [T, T].
    static func backward(
        dQKV: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        batchSize: Int, length t: Int, channels c: Int, heads: Int
    ) {
        let headSize = c / heads
        let scale = 1 / Float(headSize).squareRoot()
        for b in 0..<batchSize {
            for h in 0..<heads {
                let offset = b * t * 3 * c + h * headSize
                let q = qkv + offset, k = q + c, v = q + 2 * c
                let dq = dQKV + offset, dk = dq + c, dv = dq + 2 * c
                let headProbs = probs + (b * heads + h) * t * t
                let dHeadOut = dOut + b * t * c + h * headSize
                // dP [T, T] = dOut_h [T, d] · Vᵀ
                Matmul.gemm(transposeB: true, m: t, n: t, k: headSize,
                            a: dHeadOut, lda: c, b: v, ldb: 3 * c, c: scratch)
                // dV [T, d] += Pᵀ · dOut_h
                Matmul.gemm(transposeA: true, m: t, n: headSize, k: t,
                            a: headProbs, b: dHeadOut, ldb: c, beta: 1, c: dv, ldc: 3 * c)
                // dScores = scale · P ⊙ (dP - rowsum(P ⊙ dP)), in place
                Softmax.causalBackward(dScores: scratch, dProbs: scratch, probs: headProbs,
                                       rows: t, columns: t, scale: scale)
                // dQ [T, d] += dS · K ;  dK [T, d] += dSᵀ · Q
                Matmul.gemm(m: t, n: headSize, k: t,
                            a: scratch, b: k, ldb: 3 * c, beta: 1, c: dq, ldc: 3 * c)
                Matmul.gemm(transposeA: true, m: t, n: headSize, k: t,
                            a: scratch, b: q, ldb: 3 * c, beta: 1, c: dk, ldc: 3 * c)
            }
        }
    }
}
