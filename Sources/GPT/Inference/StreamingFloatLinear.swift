import Tensor

/// A float projection in GPT-2's Conv1D layout `[in, out]` whose batch-1 product streams the
/// weight row by row: y[out] += x[i] · W[i, :], four input rows per pass, each thread owning a
/// contiguous range of outputs that stays in L1. Decoding reads every weight once per token, so
/// this product is bound by memory bandwidth; OpenBLAS's `sgemv` on this layout (a transposed
/// product) reached about half of it here, measured over the slm60m projections from memory.
/// Several rows (prefill, perplexity) go to the wrapped operator's GEMM.
public struct StreamingFloatLinear: LinearOperator, @unchecked Sendable {
    public let base: FloatLinear

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }

    /// nil for the `[out, in]` layout (the tied head), which OpenBLAS streams well.
    public init?(_ base: FloatLinear) {
        guard !base.rowsAreOutputs else { return nil }
        self.base = base
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        guard rows == 1 else {
            base.apply(rows: rows, input: input, output: output)
            return
        }
        Self.multiply(weight: base.weight, bias: base.bias, inFeatures: inFeatures, outFeatures: outFeatures,
                      x: input, y: output)
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
    /// These weights with every float Conv1D projection decoding through `StreamingFloatLinear`;
    /// other operators (int8, LoRA, the head) are kept as they are.
    public func streamingFloatProjections() -> InferenceWeights {
        func streamed(_ op: any LinearOperator) -> any LinearOperator {
            (op as? FloatLinear).flatMap(StreamingFloatLinear.init) ?? op
        }
        var weights = self
        weights.blocks = blocks.map { block in
            Block(attention: streamed(block.attention), attentionProjection: streamed(block.attentionProjection),
                  fc: streamed(block.fc), fcProjection: streamed(block.fcProjection))
        }
        return weights
    }
}
