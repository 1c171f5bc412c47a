import CKernels
import Tensor

/// A float projection whose decoding products (one to four rows) stream every weight once, bound
/// by memory bandwidth (`Sources/CKernels/FloatGEMV.c`, split over the cores by the `SpinPool`).
/// - Conv1D `[in, out]`, up to `finch_f32_gemv_max_rows` rows: contiguous chunks of 64 weight
///   rows into partial sums added in chunk order. OpenBLAS's `sgemv` on this layout (a transposed
///   product) reached about half the bandwidth, and its GEMM packs the weights for a few rows.
/// - `[out, in]` (the tied head, `wte` [V, C]), one row: four rows' dot products share each
///   load of x, the rows ahead prefetched.
/// The pool's workers spin only between a token's products; OpenBLAS's pool (`sched_yield`) and
/// Dispatch's hand-off cost a fifth of the decode time on 2 cores.
/// More rows (prefill, perplexity) go to the wrapped operator's GEMM, except the head of a
/// batched decoding step (a few rows against `wte`): OpenBLAS packs the 103 MB table for each
/// such product, where `batchedRowDotProducts` reads it once.
public struct StreamingFloatLinear: LinearOperator, @unchecked Sendable {
    public let base: FloatLinear

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }
    /// Up to this many rows against an `[out, in]` weight take the streaming kernel.
    public static let batchedRowLimit = 16
    /// The kernels' instruction set, checked once.
    static let instructionSet = finch_f32_gemv_best_isa()

    public init(_ base: FloatLinear) {
        self.base = base
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let threads = Int32(Parallel.coreCount)
        if base.rowsAreOutputs, rows == 1 {
            finch_f32_gemv_rows(Self.instructionSet, threads, base.weight, inFeatures, outFeatures, input, base.bias, output)
        } else if base.rowsAreOutputs, rows <= Self.batchedRowLimit {
            Self.batchedRowDotProducts(weight: base.weight, bias: base.bias, inFeatures: inFeatures,
                                       outFeatures: outFeatures, rows: rows, x: input, y: output)
        } else if !base.rowsAreOutputs, rows <= finch_f32_gemv_max_rows {
            finch_f32_gemv_columns(Self.instructionSet, threads, base.weight, inFeatures, outFeatures, input, rows,
                                   base.bias, output)
        } else {
            base.apply(rows: rows, input: input, output: output)
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
