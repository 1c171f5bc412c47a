import Tensor

/// A GPT-2 style decoder: token + learned position embeddings, pre-LayerNorm blocks of causal
/// self-attention and a GELU MLP, a final LayerNorm and an LM head tied to the token embedding.
///
/// All parameters live in one buffer (`parameters`), laid out by `layout`. Training allocates
/// a gradient buffer of the same layout and per-shape activation buffers on first use.
public final class GPTModel: @unchecked Sendable {
    public let config: GPTConfig
    public let layout: ParameterLayout
    public let parameters: FloatBuffer
    /// Allocated by the first backward pass; `nil` for inference-only use.
    public private(set) var gradients: FloatBuffer?

    var activations: Activations?

    /// Extra trainable terms on the projections (LoRA); nil for plain training and inference.
    public var adapter: ProjectionAdapter?
    /// When true the backward pass computes no gradient for the model's own parameters, only
    /// what flows through them to the adapter: fine-tuning needs no gradient buffer for the base.
    public var isFrozen = false
    /// Where a frozen model's block projections get their weights when not from `parameters`
    /// (which then no longer hold them); only valid with `isFrozen`.
    public var frozenProjectionWeights: FrozenProjectionWeights?
    /// Dropout probability while training (nanoGPT's `dropout`): on the embeddings, the attention
    /// probabilities and both residual branches of every block. Only `forwardBackward` drops;
    /// `logits`, `loss` and inference never do.
    public var dropout: Float = 0
    /// The seed the dropout masks derive from, mixed with each batch's tokens
    /// (`Dropout.batchSeed`), so a resumed run draws the masks an uninterrupted one would.
    public var dropoutSeed: UInt64 = 0

    /// A model with zeroed parameters, for loading a checkpoint into.
    public init(config: GPTConfig) {
        self.config = config
        layout = ParameterLayout(config: config)
        parameters = FloatBuffer(count: layout.count)
        parameters.adviseHugePages()
    }

    /// A freshly initialised model, as nanoGPT/GPT-2 do it: weights N(0, 0.02), the residual
    /// projections N(0, 0.02/√(2·n_layer)) so the residual stream's variance does not grow
    /// with depth, biases 0, LayerNorm weights 1.
    public convenience init(config: GPTConfig, seed: UInt64) {
        self.init(config: config)
        var generator = SeededGenerator(seed: seed)
        let residualStd = 0.02 / Float(2 * config.layerCount).squareRoot()
        let p = parameters.pointer
        for entry in layout.entries {
            let target = p + entry.offset
            if entry.name.hasSuffix("ln_1.weight") || entry.name.hasSuffix("ln_2.weight")
                || entry.name == "ln_f.weight" {
                target.update(repeating: 1, count: entry.count)
            } else if entry.shape.count >= 2 {
                let std = entry.name.hasSuffix("c_proj.weight") ? residualStd : 0.02
                for i in 0..<entry.count { target[i] = std * generator.nextNormal() }
            }
        }
    }

    public var parameterCount: Int { layout.count }

    /// The parameter count nanoGPT reports: without the position embedding, which is not
    /// shared with the head the way the token embedding is.
    public var nonEmbeddingParameterCount: Int { layout.count - config.contextLength * config.embeddingSize }

    /// Pointer to a parameter by offset (see `layout`).
    @inline(__always)
    func weight(_ offset: Int) -> UnsafeMutablePointer<Float> { parameters.pointer + offset }

    /// Creates (or clears) the gradient buffer. A frozen model keeps a one-element placeholder.
    public func zeroGradients() {
        if isFrozen {
            if gradients == nil { gradients = FloatBuffer(count: 0) }
            return
        }
        if let gradients {
            gradients.zero()
        } else {
            gradients = FloatBuffer(count: layout.count)
        }
    }

    /// Drops the gradient and activation buffers (after training, before inference).
    public func releaseTrainingMemory() {
        gradients = nil
        activations = nil
    }
}
