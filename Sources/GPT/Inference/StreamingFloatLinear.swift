import CKernels
import Tensor

/// A float projection whose batch-1 product is a streaming loop on the cores' own threads.
/// Decoding reads every weight once per token, so the product is bound by memory bandwidth.
/// - Conv1D `[in, out]`: y[out] += x[i] · W[i, :], four input rows per pass, each thread owning a
///   contiguous range of outputs that stays in L1. OpenBLAS's `sgemv` on this layout (a
///   transposed product) reached about half the bandwidth, measured over the slm60m projections.
/// - `[out, in]` (the tied head, `wte` [V, C]): y[r] = W[r, :] · x, four rows per pass sharing
///   each load of x, rows split over the cores in contiguous ranges.
/// Keeping batch-1 products off OpenBLAS also keeps its worker threads from spinning
/// (`sched_yield`) on the cores while the rest of the step runs: a fifth of the decode time on 2 cores.
/// Several rows (prefill, perplexity) go to the wrapped operator's GEMM, except the head of a
/// batched decoding step (a few rows against `wte`): OpenBLAS packs the 103 MB table for each
/// such product, where `batchedRowDotProducts` reads it once.
public struct StreamingFloatLinear: LinearOperator, @unchecked Sendable {
    public let base: FloatLinear

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }
    /// Up to this many rows against an `[out, in]` weight take the streaming kernel.
    public static let batchedRowLimit = 16

    public init(_ base: FloatLinear) {
        self.base = base
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        if rows > 1, rows <= Self.batchedRowLimit, base.rowsAreOutputs {
            Self.batchedRowDotProducts(weight: base.weight, bias: base.bias, inFeatures: inFeatures,
                                       outFeatures: outFeatures, rows: rows, x: input, y: output)
            return
        }
        guard rows == 1 else {
            base.apply(rows: rows, input: input, output: output)
            return
        }
        if base.rowsAreOutputs {
            Self.rowDotProducts(weight: base.weight, bias: base.bias, inFeatures: inFeatures, outFeatures: outFeatures,
                                x: input, y: output)
        } else {
            Self.multiply(weight: base.weight, bias: base.bias, inFeatures: inFeatures, outFeatures: outFeatures,
                          x: input, y: output)
        }
    }

    /// y[out] = W[out, :] · x (+ bias) for W stored [out, in]: the C kernel prefetches the rows
    /// ahead, which the Swift loop over four interleaved rows could not (it read the 103 MB head
    /// of slm60m at 80% of the projections' rate per byte).
    static func rowDotProducts(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures: Int, outFeatures: Int,
                               x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        // Ranges in whole blocks of four rows, the kernel's unit.
        let blocks = (outFeatures + 3) / 4
        Parallel.forEachChunk(blocks, costPerItem: 4 * inFeatures) { range in
            finch_f32_row_dots(weight, inFeatures, x, bias, y, 4 * range.lowerBound, min(outFeatures, 4 * range.upperBound))
        }
    }

    /// y[j, out] = W[out, :] · x[j, :] (+ bias) for `rows` input rows and W stored [out, in]:
    /// each block of four weight rows is read from memory once and stays in L1 for every input
    /// row, and each output gets exactly the arithmetic of the one-row kernel.
    static func batchedRowDotProducts(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures: Int,
                                      outFeatures: Int, rows: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(outFeatures, costPerItem: inFeatures * rows) { range in
            var r = range.lowerBound
            while r + 4 <= range.upperBound {
                for j in 0..<rows {
                    fourRowDots(weight + r * inFeatures, columns: inFeatures, x: x + j * inFeatures, y: y + j * outFeatures + r)
                }
                r += 4
            }
            while r < range.upperBound {
                for j in 0..<rows { y[j * outFeatures + r] = VectorMath.dot(weight + r * inFeatures, x + j * inFeatures, inFeatures) }
                r += 1
            }
            if let bias { for j in 0..<rows { for r in range { y[j * outFeatures + r] += bias[r] } } }
        }
    }

    @inline(__always)
    static func fourRowDots(_ w0: UnsafePointer<Float>, columns: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        var a0 = VectorMath.Vector(), a1 = VectorMath.Vector(), a2 = VectorMath.Vector(), a3 = VectorMath.Vector()
        let w1 = w0 + columns, w2 = w1 + columns, w3 = w2 + columns
        var i = 0
        while i + 8 <= columns {
            let xv = VectorMath.load(x + i)
            a0.addProduct(VectorMath.load(w0 + i), xv)
            a1.addProduct(VectorMath.load(w1 + i), xv)
            a2.addProduct(VectorMath.load(w2 + i), xv)
            a3.addProduct(VectorMath.load(w3 + i), xv)
            i += 8
        }
        var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
        while i < columns {
            s0 += w0[i] * x[i]
            s1 += w1[i] * x[i]
            s2 += w2[i] * x[i]
            s3 += w3[i] * x[i]
            i += 1
        }
        y[0] = s0
        y[1] = s1
        y[2] = s2
        y[3] = s3
    }

    /// y[out] = x[in] · W[in, out] (+ bias).
    static func multiply(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures: Int, outFeatures: Int,
                         x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        // Work is split in blocks of eight outputs so every thread's loads stay vector-aligned to its range.
        let blocks = (outFeatures + 7) / 8
        Parallel.forEachChunk(blocks, costPerItem: 8 * inFeatures) { range in
            let start = range.lowerBound * 8, end = min(outFeatures, range.upperBound * 8)
            columns(start..<end, weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, x: x, y: y)
        }
    }

    @inline(__always)
    static func columns(_ range: Range<Int>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        inFeatures: Int, outFeatures: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let out = y + range.lowerBound, n = range.count
        if let bias { out.update(from: bias + range.lowerBound, count: n) } else { out.update(repeating: 0, count: n) }
        let vectorEnd = n & ~7
        var i = 0
        while i + 4 <= inFeatures {
            let r0 = weight + i * outFeatures + range.lowerBound
            let r1 = r0 + outFeatures, r2 = r1 + outFeatures, r3 = r2 + outFeatures
            let x0 = VectorMath.Vector(repeating: x[i]), x1 = VectorMath.Vector(repeating: x[i + 1])
            let x2 = VectorMath.Vector(repeating: x[i + 2]), x3 = VectorMath.Vector(repeating: x[i + 3])
            var j = 0
            while j < vectorEnd {
                var sum = VectorMath.load(out + j)
                sum.addProduct(VectorMath.load(r0 + j), x0)
                sum.addProduct(VectorMath.load(r1 + j), x1)
                sum.addProduct(VectorMath.load(r2 + j), x2)
                sum.addProduct(VectorMath.load(r3 + j), x3)
                VectorMath.store(sum, out + j)
                j += 8
            }
            while j < n {
                out[j] += r0[j] * x[i] + r1[j] * x[i + 1] + r2[j] * x[i + 2] + r3[j] * x[i + 3]
                j += 1
            }
            i += 4
        }
        while i < inFeatures {
            let row = weight + i * outFeatures + range.lowerBound
            for j in 0..<n { out[j] += row[j] * x[i] }
            i += 1
        }
    }
}

extension InferenceWeights {
    /// These weights with every float projection and a float head decoding through
    /// `StreamingFloatLinear`; other operators (int8, LoRA) are kept as they are.
    public func streamingFloatProjections() -> InferenceWeights {
        func streamed(_ op: any LinearOperator) -> any LinearOperator {
            (op as? FloatLinear).map(StreamingFloatLinear.init) ?? op
        }
        var weights = self
        weights.blocks = blocks.map { block in
            Block(attention: streamed(block.attention), attentionProjection: streamed(block.attentionProjection),
                  fc: streamed(block.fc), fcProjection: streamed(block.fcProjection))
        }
        weights.head = streamed(head)
        return weights
    }
}
