import GPT
import Tensor

/// Folding adapters into the base weights and taking them out again. In GPT-2's Conv1D
/// layout W is `[in, out]`, so the update is the transpose of PEFT's `B·A` `[out, in]`:
///   W' = W + s·(B·A)ᵀ = W + s·Aᵀ·Bᵀ.
/// A merged model runs at the base model's cost; detach the adapter (`model.adapter = nil`)
/// while merged, or the update counts twice.
extension LoRAAdapter {
    /// W += s·Aᵀ·Bᵀ for every adapted projection of `model`.
    public func merge(into model: GPTModel) throws {
        try update(model, sign: 1)
    }

    /// W −= s·Aᵀ·Bᵀ: restores the weights `merge(into:)` started from (up to rounding).
    public func unmerge(from model: GPTModel) throws {
        try update(model, sign: -1)
    }

    private func update(_ model: GPTModel, sign: Float) throws {
        try checkCompatible(with: model.config)
        for slot in slots {
            let w = model.parameters.pointer + model.layout.blocks[slot.layer].weight(of: slot.projection)
            // W [in, out] += sign·s · Aᵀ [in, r] · Bᵀ [r, out]
            Matmul.gemm(transposeA: true, transposeB: true, m: slot.inFeatures, n: slot.outFeatures, k: rank,
                        alpha: sign * scaling, a: parameters.pointer + slot.aOffset,
                        b: parameters.pointer + slot.bOffset, beta: 1, c: w)
        }
    }

    /// Throws one line naming the difference when these adapters were not made for a model
    /// of `config`'s shape.
    public func checkCompatible(with config: GPTConfig) throws {
        if config.layerCount != modelConfig.layerCount {
            throw LoRAError.mismatch(
                "the adapter has \(modelConfig.layerCount) layers but the base model has \(config.layerCount) (n_layer)")
        }
        if config.embeddingSize != modelConfig.embeddingSize {
            throw LoRAError.mismatch(
                "the adapter is \(modelConfig.embeddingSize) wide but the base model is \(config.embeddingSize) (n_embd)")
        }
    }
}
