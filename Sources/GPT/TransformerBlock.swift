import Tensor

/// One pre-LayerNorm block, forward and backward side by side:
///   x = x + attn.c_proj(attention(attn.c_attn(ln_1(x))))
///   x = x + mlp.c_proj(gelu(mlp.c_fc(ln_2(x))))
extension GPTModel {
    /// Runs block `l` on `saved.input`, keeping what backward needs in `saved`, and writes the
    /// block's output (the residual stream) to `output` [B, T, C].
    func blockForward(_ l: Int, saved: Activations.Block, output: UnsafeMutablePointer<Float>, rows n: Int,
                      batchSize: Int, length: Int) {
        let c = config.embeddingSize
        let p = layout.blocks[l]
        LayerNorm.forward(out: saved.ln1.pointer, mean: saved.ln1Mean.pointer, rstd: saved.ln1Rstd.pointer,
                          input: saved.input.pointer, weight: weight(p.ln1Weight), bias: weight(p.ln1Bias),
                          rows: n, channels: c, eps: config.layerNormEpsilon)
        projectionForward(l, .attention, out: saved.qkv.pointer, input: saved.ln1.pointer,
                          weight: p.attentionWeight, bias: p.attentionBias, rows: n, inFeatures: c, outFeatures: 3 * c)
        adapter?.forward(layer: l, projection: .attention, input: saved.ln1.pointer, output: saved.qkv.pointer, rows: n)
        Attention.forward(out: saved.attentionOut.pointer, probs: saved.attentionProbs.pointer,
                          qkv: saved.qkv.pointer, batchSize: batchSize, length: length,
                          channels: c, heads: config.headCount)
        // afterAttention = input + c_proj(attentionOut): the projection accumulates onto a copy of the input.
        saved.afterAttention.pointer.update(from: saved.input.pointer, count: n * c)
        accumulateProduct(l, .attentionProjection, input: saved.attentionOut.pointer, weight: p.attentionProjWeight,
                          output: saved.afterAttention.pointer, rows: n, inFeatures: c, outFeatures: c)
        addBias(saved.afterAttention.pointer, weight(p.attentionProjBias), rows: n, columns: c)
        adapter?.forward(layer: l, projection: .attentionProjection, input: saved.attentionOut.pointer,
                         output: saved.afterAttention.pointer, rows: n)

        LayerNorm.forward(out: saved.ln2.pointer, mean: saved.ln2Mean.pointer, rstd: saved.ln2Rstd.pointer,
                          input: saved.afterAttention.pointer, weight: weight(p.ln2Weight), bias: weight(p.ln2Bias),
                          rows: n, channels: c, eps: config.layerNormEpsilon)
        projectionForward(l, .fc, out: saved.fc.pointer, input: saved.ln2.pointer,
                          weight: p.fcWeight, bias: p.fcBias, rows: n, inFeatures: c, outFeatures: 4 * c)
        adapter?.forward(layer: l, projection: .fc, input: saved.ln2.pointer, output: saved.fc.pointer, rows: n)
        let gelu = activations!.geluOut.pointer
        GELU.forward(out: gelu, input: saved.fc.pointer, count: n * 4 * c)
        output.update(from: saved.afterAttention.pointer, count: n * c)
        accumulateProduct(l, .fcProjection, input: gelu, weight: p.fcProjWeight, output: output,
                          rows: n, inFeatures: 4 * c, outFeatures: c)
        addBias(output, weight(p.fcProjBias), rows: n, columns: c)
        adapter?.forward(layer: l, projection: .fcProjection, input: gelu, output: output, rows: n)
    }

    /// Backward through block `l`. On entry `scratch.gradResidual` holds d(output); on return it
    /// holds d(input). Parameter gradients accumulate into `grads`; a frozen base passes nil and
    /// gets none, while d(input) still flows down to earlier adapters.
    func blockBackward(_ l: Int, saved: Activations.Block, scratch: Activations,
                       grads: UnsafeMutablePointer<Float>?, rows n: Int, batchSize: Int, length: Int) {
        let c = config.embeddingSize
        let p = layout.blocks[l]
        let dResidual = scratch.gradResidual.pointer

        // MLP branch. The GELU output is recomputed rather than stored.
        let gelu = scratch.geluOut.pointer
        GELU.forward(out: gelu, input: saved.fc.pointer, count: n * 4 * c)
        scratch.gradGelu.zero()
        projectionBackward(l, .fcProjection, dInput: scratch.gradGelu.pointer, dWeight: grads.map { $0 + p.fcProjWeight },
                           dBias: grads.map { $0 + p.fcProjBias }, dOut: dResidual, input: gelu, weight: p.fcProjWeight,
                           rows: n, inFeatures: 4 * c, outFeatures: c)
        adapter?.backward(layer: l, projection: .fcProjection, input: gelu, dOut: dResidual,
                          dInput: scratch.gradGelu.pointer, rows: n)
        scratch.gradFC.zero()
        GELU.backward(dInput: scratch.gradFC.pointer, dOut: scratch.gradGelu.pointer, input: saved.fc.pointer,
                      count: n * 4 * c)
        scratch.gradNormed.zero()
        projectionBackward(l, .fc, dInput: scratch.gradNormed.pointer, dWeight: grads.map { $0 + p.fcWeight },
                           dBias: grads.map { $0 + p.fcBias }, dOut: scratch.gradFC.pointer, input: saved.ln2.pointer,
                           weight: p.fcWeight, rows: n, inFeatures: c, outFeatures: 4 * c)
        adapter?.backward(layer: l, projection: .fc, input: saved.ln2.pointer, dOut: scratch.gradFC.pointer,
                          dInput: scratch.gradNormed.pointer, rows: n)
        // The residual path passes dResidual through unchanged; ln_2's path adds to it.
        LayerNorm.backward(dInput: dResidual, dWeight: grads.map { $0 + p.ln2Weight }, dBias: grads.map { $0 + p.ln2Bias },
                           dOut: scratch.gradNormed.pointer, input: saved.afterAttention.pointer,
                           weight: weight(p.ln2Weight), mean: saved.ln2Mean.pointer, rstd: saved.ln2Rstd.pointer,
                           rows: n, channels: c)

        // Attention branch.
        scratch.gradAttentionOut.zero()
        projectionBackward(l, .attentionProjection, dInput: scratch.gradAttentionOut.pointer,
                           dWeight: grads.map { $0 + p.attentionProjWeight }, dBias: grads.map { $0 + p.attentionProjBias },
                           dOut: dResidual, input: saved.attentionOut.pointer, weight: p.attentionProjWeight,
                           rows: n, inFeatures: c, outFeatures: c)
        adapter?.backward(layer: l, projection: .attentionProjection, input: saved.attentionOut.pointer,
                          dOut: dResidual, dInput: scratch.gradAttentionOut.pointer, rows: n)
        scratch.gradQKV.zero()
        Attention.backward(dQKV: scratch.gradQKV.pointer, dOut: scratch.gradAttentionOut.pointer,
                           probs: saved.attentionProbs.pointer, qkv: saved.qkv.pointer,
                           scratch: scratch.gradAttentionProbs.pointer,
                           batchSize: batchSize, length: length, channels: c, heads: config.headCount)
        scratch.gradNormed.zero()
        projectionBackward(l, .attention, dInput: scratch.gradNormed.pointer, dWeight: grads.map { $0 + p.attentionWeight },
                           dBias: grads.map { $0 + p.attentionBias }, dOut: scratch.gradQKV.pointer, input: saved.ln1.pointer,
                           weight: p.attentionWeight, rows: n, inFeatures: c, outFeatures: 3 * c)
        adapter?.backward(layer: l, projection: .attention, input: saved.ln1.pointer, dOut: scratch.gradQKV.pointer,
                          dInput: scratch.gradNormed.pointer, rows: n)
        LayerNorm.backward(dInput: dResidual, dWeight: grads.map { $0 + p.ln1Weight }, dBias: grads.map { $0 + p.ln1Bias },
                           dOut: scratch.gradNormed.pointer, input: saved.input.pointer,
                           weight: weight(p.ln1Weight), mean: saved.ln1Mean.pointer, rstd: saved.ln1Rstd.pointer,
                           rows: n, channels: c)
    }

    /// out = input · W + bias for a block projection, W from `frozenProjectionWeights` when set.
    func projectionForward(_ l: Int, _ projection: Projection, out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                           weight w: Int, bias b: Int, rows n: Int, inFeatures: Int, outFeatures: Int) {
        guard let frozen = frozenProjectionWeights else {
            Linear.forward(out: out, input: input, weight: weight(w), bias: weight(b), rows: n,
                           inFeatures: inFeatures, outFeatures: outFeatures)
            return
        }
        for r in 0..<n { (out + r * outFeatures).update(from: weight(b), count: outFeatures) }
        frozen.accumulateProduct(layer: l, projection: projection, input: input, output: out, rows: n)
    }

    /// output += input · W (the residual projections, which accumulate onto the stream).
    func accumulateProduct(_ l: Int, _ projection: Projection, input: UnsafePointer<Float>, weight w: Int,
                           output: UnsafeMutablePointer<Float>, rows n: Int, inFeatures: Int, outFeatures: Int) {
        if let frozen = frozenProjectionWeights {
            frozen.accumulateProduct(layer: l, projection: projection, input: input, output: output, rows: n)
        } else {
            Matmul.gemm(m: n, n: outFeatures, k: inFeatures, a: input, b: weight(w), beta: 1, c: output)
        }
    }

    /// A projection's backward; with `frozenProjectionWeights` there are no weight gradients
    /// (the model is frozen), only d(input).
    func projectionBackward(_ l: Int, _ projection: Projection, dInput: UnsafeMutablePointer<Float>,
                            dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                            dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, weight w: Int,
                            rows n: Int, inFeatures: Int, outFeatures: Int) {
        if let frozen = frozenProjectionWeights {
            frozen.accumulateInputGradient(layer: l, projection: projection, dOut: dOut, dInput: dInput, rows: n)
        } else {
            Linear.backward(dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input, weight: weight(w),
                            rows: n, inFeatures: inFeatures, outFeatures: outFeatures)
        }
    }

    /// x[r, :] += bias for every row.
    func addBias(_ x: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int) {
        Parallel.forEachChunk(rows, costPerItem: columns) { range in
            for r in range {
                let row = x + r * columns
                for j in 0..<columns { row[j] += bias[j] }
            }
        }
    }
}
