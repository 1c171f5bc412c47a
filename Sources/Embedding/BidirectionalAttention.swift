import CKernels
import Tensor

/// Multi-head self-attention without a causal mask, on sentences packed back to back: row r of
/// `qkv` [R, 3C] belongs to one sentence, and a sentence's tokens attend to its own tokens only.
/// Packing is BERT's padding mask taken to its end: a padded key gets probability exactly 0
/// (e^(-huge) underflows), so leaving the padding out gives the same numbers without its cost.
enum BidirectionalAttention {
    /// out [R, C] = softmax(Q·Kᵀ/√d)·V per sentence and head; Q, K and V are read in place from
    /// `qkv` with a row stride of 3C. `offsets[s]..<offsets[s + 1]` are sentence s's rows.
    /// `shortKernel: false` keeps every sentence on the Swift paths (for tests on a machine that
    /// has the C kernel).
    static func forward(
        out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
        offsets: [Int], channels c: Int, heads: Int, shortKernel: Bool = SkinnyMatmul.avx512Available
    ) {
        let headSize = c / heads
        let scale = 1 / Float(headSize).squareRoot()
        let sentences = offsets.count - 1
        guard sentences > 0 else { return }
        let shortLength = shortKernel && headSize % 16 == 0 && headSize <= Int(FINCH_ENCODER_SHORT_ATTENTION_HEAD_SIZE)
            ? Int(FINCH_ENCODER_SHORT_ATTENTION_LENGTH) : 0
        let longest = (0..<sentences).map { offsets[$0 + 1] - offsets[$0] }.max() ?? 0
        let work = (0..<sentences).reduce(0) { total, s in
            let length = offsets[s + 1] - offsets[s]
            return total + length * length * headSize * 4
        }
        // One (sentence, head) pair per item; contiguous chunks keep a sentence on one thread.
        Parallel.forEachChunk(sentences * heads, costPerItem: max(1, work / sentences)) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: longest * longest)
            defer { scores.deallocate() }
            var item = range.lowerBound
            while item < range.upperBound {
                let (s, h) = (item / heads, item % heads)
                let (start, length) = (offsets[s], offsets[s + 1] - offsets[s])
                if length <= shortLength {
                    // The sentence's heads in this chunk, in one call.
                    let end = min(heads, h + range.upperBound - item)
                    finch_encoder_short_attention(out + start * c, qkv + start * 3 * c, length, c, h, end, headSize, scale)
                    item += end - h
                    continue
                }
                item += 1
                let q = qkv + start * 3 * c + h * headSize
                if length <= directLength {
                    directHead(out: out + start * c + h * headSize, q: q, length: length, channels: c,
                               headSize: headSize, scale: scale, scores: scores)
                    continue
                }
                // scores [L, L] = Q·Kᵀ / √d
                Matmul.gemm(transposeB: true, m: length, n: length, k: headSize, alpha: scale,
                            a: q, lda: 3 * c, b: q + c, ldb: 3 * c, c: scores)
                for row in 0..<length { softmaxInPlace(scores + row * length, count: length) }
                // out_h [L, d] = P·V, into head h's columns of [R, C]
                Matmul.gemm(m: length, n: headSize, k: length, a: scores, b: q + 2 * c, ldb: 3 * c,
                            c: out + start * c + h * headSize, ldc: c)
            }
        }
    }

    /// Sentences up to this many tokens skip BLAS: a product description is about 8 tokens,
    /// and two sgemm calls per head on [8, 32] operands cost more in call and packing overhead
    /// than the arithmetic (over half a million calls for the catalogue).
    static let directLength = 48

    /// One head of one sentence with plain SIMD loops: scores [L, L] = Q·Kᵀ·scale, softmax by
    /// row, out [L, d] = P·V (row stride C) — the same sums as the GEMM path.
    @inline(__always)
    static func directHead(
        out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, length: Int, channels c: Int,
        headSize: Int, scale: Float, scores: UnsafeMutablePointer<Float>
    ) {
        let (k, v) = (q + c, q + 2 * c)
        for i in 0..<length {
            let row = scores + i * length
            for j in 0..<length { row[j] = scale * VectorMath.dot(q + i * 3 * c, k + j * 3 * c, headSize) }
            softmaxInPlace(row, count: length)
            let target = out + i * c
            var d = 0
            while d + 8 <= headSize {
                var sum = VectorMath.Vector()
                for j in 0..<length { sum += row[j] * VectorMath.load(v + j * 3 * c + d) }
                VectorMath.store(sum, target + d)
                d += 8
            }
            while d < headSize {
                var sum: Float = 0
                for j in 0..<length { sum += row[j] * v[j * 3 * c + d] }
                target[d] = sum
                d += 1
            }
        }
    }

    /// x[0..<count] = softmax(x), single-threaded: it runs inside the per-head parallel loop.
    @inline(__always)
    static func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let shift = VectorMath.Vector(repeating: -VectorMath.max(x, count))
        var total = VectorMath.Vector()
        var i = 0
        while i + 8 <= count {
            let e = VectorMath.exp(VectorMath.load(x + i) + shift)
            VectorMath.store(e, x + i)
            total += e
            i += 8
        }
        var sum = total.sum()
        while i < count {
            let e = VectorMath.exp(x[i] + shift[0])
            x[i] = e
            sum += e
            i += 1
        }
        let inverse = 1 / sum
        for j in 0..<count { x[j] *= inverse }
    }
}
