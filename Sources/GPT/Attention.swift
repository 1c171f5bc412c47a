import Tensor

/// Causal multi-head self-attention on a fused QKV activation, per (batch, head) through GEMMs:
/// out = softmax(Q·Kᵀ/√d + causal mask)·V. Q, K and V are read in place from `qkv`
/// `[B, T, 3C]` with a row stride of 3C, so no head is ever copied out.
///
/// The T query rows go in blocks: block [r0, r1) only needs keys 0..<r1, so the products skip
/// most of the masked upper triangle (with 4 blocks, 37% of the attention FLOPs). A head's
/// probabilities are stored block after block, block rows with a stride of r1.
///
/// With dropout the probabilities are kept as they are (the softmax backward needs them) and the
/// dropped copy of a block, P ⊙ mask / (1 − p), goes to a scratch block: the forward multiplies
/// it by V, the backward recomputes it for dV and masks dP with it.
enum Attention {
    /// Query rows per block: small enough to skip most of the triangle, large enough for
    /// efficient GEMMs.
    static let blockRows = 128

    /// (first row, end row, offset of the block in a head's probability storage), per block.
    static func blocks(length t: Int) -> [(start: Int, end: Int, offset: Int)] {
        var result: [(Int, Int, Int)] = []
        var offset = 0
        var start = 0
        while start < t {
            let end = min(t, start + blockRows)
            result.append((start, end, offset))
            offset += (end - start) * end
            start = end
        }
        return result
    }

    /// Floats of one head's stored probabilities: Σ over blocks of rows × prefix (≤ T²).
    static func probabilityCount(length t: Int) -> Int {
        blocks(length: t).last.map { $0.offset + ($0.end - $0.start) * $0.end } ?? 0
    }

    /// qkv: [B, T, 3C] → probs: [B, H, probabilityCount(T)] (kept for backward), out: [B, T, C].
    /// `dropped` holds one block of dropped probabilities [≤ blockRows, T] when `dropout` is set.
    static func forward(
        out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
        dropout: DropoutMask?, dropped: UnsafeMutablePointer<Float>,
        batchSize: Int, length t: Int, channels c: Int, heads: Int
    ) {
        let headSize = c / heads
        let scale = 1 / Float(headSize).squareRoot()
        let perHead = probabilityCount(length: t)
        let rowBlocks = blocks(length: t)
        for b in 0..<batchSize {
            for h in 0..<heads {
                let q = qkv + b * t * 3 * c + h * headSize
                let k = q + c
                let v = q + 2 * c
                for block in rowBlocks {
                    let rows = block.end - block.start
                    let p = probs + (b * heads + h) * perHead + block.offset
                    // scores [rows, r1] = Q[r0..<r1] · K[0..<r1]ᵀ
                    Matmul.gemm(transposeB: true, m: rows, n: block.end, k: headSize,
                                a: q + block.start * 3 * c, lda: 3 * c, b: k, ldb: 3 * c, c: p)
                    Softmax.causalForward(probs: p, scores: p, rows: rows, columns: block.end,
                                          offset: block.start, scale: scale)
                    var used = UnsafePointer(p)
                    if let dropout {
                        dropout.apply(p, into: dropped, rows: rows, columns: block.end,
                                      firstRow: (b * heads + h) * t + block.start)
                        used = UnsafePointer(dropped)
                    }
                    // out_h [rows, d] = P [rows, r1] · V[0..<r1], into its columns of [T, C]
                    Matmul.gemm(m: rows, n: headSize, k: block.end, a: used, b: v, ldb: 3 * c,
                                c: out + (b * t + block.start) * c + h * headSize, ldc: c)
                }
            }
        }
    }

    /// Accumulates dQKV [B, T, 3C] from dOut [B, T, C]. `scratch` holds one block's dP, and
    /// `dropped` its dropped probabilities when `dropout` (the forward's mask) is set.
    static func backward(
        dQKV: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        dropout: DropoutMask?, dropped: UnsafeMutablePointer<Float>,
        batchSize: Int, length t: Int, channels c: Int, heads: Int
    ) {
        let headSize = c / heads
        let scale = 1 / Float(headSize).squareRoot()
        let perHead = probabilityCount(length: t)
        let rowBlocks = blocks(length: t)
        for b in 0..<batchSize {
            for h in 0..<heads {
                let offset = b * t * 3 * c + h * headSize
                let q = qkv + offset, k = q + c, v = q + 2 * c
                let dq = dQKV + offset, dk = dq + c, dv = dq + 2 * c
                for block in rowBlocks {
                    let rows = block.end - block.start
                    let p = probs + (b * heads + h) * perHead + block.offset
                    let dHeadOut = dOut + (b * t + block.start) * c + h * headSize
                    // dP [rows, r1] = dOut_h [rows, d] · V[0..<r1]ᵀ
                    Matmul.gemm(transposeB: true, m: rows, n: block.end, k: headSize,
                                a: dHeadOut, lda: c, b: v, ldb: 3 * c, c: scratch)
                    var used = p
                    if let dropout {
                        let firstRow = (b * heads + h) * t + block.start
                        dropout.apply(p, into: dropped, rows: rows, columns: block.end, firstRow: firstRow)
                        dropout.apply(scratch, into: scratch, rows: rows, columns: block.end, firstRow: firstRow)
                        used = UnsafePointer(dropped)
                    }
                    // dV[0..<r1] += Pᵀ · dOut_h  (P as the forward used it)
                    Matmul.gemm(transposeA: true, m: block.end, n: headSize, k: rows,
                                a: used, b: dHeadOut, ldb: c, beta: 1, c: dv, ldc: 3 * c)
                    // dScores = scale · P ⊙ (dP - rowsum(P ⊙ dP)), in place
                    Softmax.causalBackward(dScores: scratch, dProbs: scratch, probs: p,
                                           rows: rows, columns: block.end, offset: block.start, scale: scale)
                    // dQ[r0..<r1] += dS · K[0..<r1] ;  dK[0..<r1] += dSᵀ · Q[r0..<r1]
                    Matmul.gemm(m: rows, n: headSize, k: block.end, a: scratch, b: k, ldb: 3 * c,
                                beta: 1, c: dq + block.start * 3 * c, ldc: 3 * c)
                    Matmul.gemm(transposeA: true, m: block.end, n: headSize, k: rows,
                                a: scratch, b: q + block.start * 3 * c, ldb: 3 * c, beta: 1, c: dk, ldc: 3 * c)
                }
            }
        }
    }
}
