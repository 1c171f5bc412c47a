import Tensor

/// One pre-LayerNorm block, forward and backward side by side:
///   x = x + dropout(attn.c_proj(attention(attn.c_attn(ln_1(x)))))
///   x = x + dropout(mlp.c_proj(gelu(mlp.c_fc(ln_2(x)))))
/// (dropout only while training with `GPTModel.dropout` > 0, as the attention probabilities').
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
        let act = activations!
        Attention.forward(out: saved.attentionOut.pointer, probs: saved.attentionProbs.pointer,
                          qkv: saved.qkv.pointer, dropout: act.dropout?.mask(layer: l, .attentionProbabilities),
                          dropped: act.droppedProbabilities.pointer, batchSize: batchSize, length: length,
                          channels: c, heads: config.headCount)
        // afterAttention = input + dropout(c_proj(attentionOut))
        let branch = act.branch.pointer
        projectionForward(l, .attentionProjection, out: branch, input: saved.attentionOut.pointer,
                          weight: p.attentionProjWeight, bias: p.attentionProjBias, rows: n, inFeatures: c, outFeatures: c)
        adapter?.forward(layer: l, projection: .attentionProjection, input: saved.attentionOut.pointer,
                         output: branch, rows: n)
        act.dropout?.mask(layer: l, .attentionResidual).apply(branch, into: branch, rows: n, columns: c)
        Elementwise.add(out: saved.afterAttention.pointer, saved.input.pointer, branch, count: n * c)

        LayerNorm.forward(out: saved.ln2.pointer, mean: saved.ln2Mean.pointer, rstd: saved.ln2Rstd.pointer,
                          input: saved.afterAttention.pointer, weight: weight(p.ln2Weight), bias: weight(p.ln2Bias),
                          rows: n, channels: c, eps: config.layerNormEpsilon)
        projectionForward(l, .fc, out: saved.fc.pointer, input: saved.ln2.pointer,
                          weight: p.fcWeight, bias: p.fcBias, rows: n, inFeatures: c, outFeatures: 4 * c)
        adapter?.forward(layer: l, projection: .fc, input: saved.ln2.pointer, output: saved.fc.pointer, rows: n)
        let gelu = act.geluOut.pointer
        GELU.forward(out: gelu, input: saved.fc.pointer, count: n * 4 * c)
        // output = afterAttention + dropout(c_proj(gelu))
        projectionForward(l, .fcProjection, out: branch, input: gelu, weight: p.fcProjWeight, bias: p.fcProjBias,
                          rows: n, inFeatures: 4 * c, outFeatures: c)
        adapter?.forward(layer: l, projection: .fcProjection, input: gelu, output: branch, rows: n)
        act.dropout?.mask(layer: l, .mlpResidual).apply(branch, into: branch, rows: n, columns: c)
        Elementwise.add(out: output, saved.afterAttention.pointer, branch, count: n * c)
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
        let dMLPBranch = branchGradient(scratch.dropout?.mask(layer: l, .mlpResidual), dResidual: dResidual,
                                        scratch: scratch.branch.pointer, rows: n)
        scratch.gradGelu.zero()
        projectionBackward(l, .fcProjection, dInput: scratch.gradGelu.pointer, dWeight: grads.map { $0 + p.fcProjWeight },
                           dBias: grads.map { $0 + p.fcProjBias }, dOut: dMLPBranch, input: gelu, weight: p.fcProjWeight,
                           rows: n, inFeatures: 4 * c, outFeatures: c)
        adapter?.backward(layer: l, projection: .fcProjection, input: gelu, dOut: dMLPBranch,
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
        let dAttentionBranch = branchGradient(scratch.dropout?.mask(layer: l, .attentionResidual), dResidual: dResidual,
                                              scratch: scratch.branch.pointer, rows: n)
        scratch.gradAttentionOut.zero()
        projectionBackward(l, .attentionProjection, dInput: scratch.gradAttentionOut.pointer,
                           dWeight: grads.map { $0 + p.attentionProjWeight }, dBias: grads.map { $0 + p.attentionProjBias },
                           dOut: dAttentionBranch, input: saved.attentionOut.pointer, weight: p.attentionProjWeight,
                           rows: n, inFeatures: c, outFeatures: c)
        adapter?.backward(layer: l, projection: .attentionProjection, input: saved.attentionOut.pointer,
                          dOut: dAttentionBranch, dInput: scratch.gradAttentionOut.pointer, rows: n)
        scratch.gradQKV.zero()
        Attention.backward(dQKV: scratch.gradQKV.pointer, dOut: scratch.gradAttentionOut.pointer,
                           probs: saved.attentionProbs.pointer, qkv: saved.qkv.pointer,
                           scratch: scratch.gradAttentionProbs.pointer,
                           dropout: scratch.dropout?.mask(layer: l, .attentionProbabilities),
                           dropped: scratch.droppedProbabilities.pointer,
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

    /// d(branch output) of a residual branch: the stream's gradient, masked as the forward
    /// masked the branch (written to `scratch`), or the stream's gradient itself without dropout.
    func branchGradient(_ mask: DropoutMask?, dResidual: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                        rows n: Int) -> UnsafePointer<Float> {
        guard let mask else { return dResidual }
        mask.apply(dResidual, into: scratch, rows: n, columns: config.embeddingSize)
        return UnsafePointer(scratch)
    }
}
