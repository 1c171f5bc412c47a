import Tensor

/// The operators a decoding session runs, one set per block plus the embeddings and head.
/// Built from a float model, or with int8 / LoRA operators substituted.
public struct InferenceWeights: @unchecked Sendable {
    public struct Block: Sendable {
        public var attention: any LinearOperator            // c_attn  C → 3C
        public var attentionProjection: any LinearOperator  // attn.c_proj  C → C
        public var fc: any LinearOperator                   // mlp.c_fc  C → 4C
        public var fcProjection: any LinearOperator         // mlp.c_proj  4C → C
    }

    public let model: GPTModel
    public var blocks: [Block]
    /// The LM head, logits = x · wteᵀ.
    public var head: any LinearOperator
    /// Writes the token embedding row of `token` into `out` [C].
    public var tokenEmbedding: @Sendable (Int, UnsafeMutablePointer<Float>) -> Void

    /// Float operators reading the model's own parameters.
    public init(model: GPTModel) {
        self.model = model
        let c = model.config.embeddingSize
        let p = model.parameters.pointer
        blocks = model.layout.blocks.map { b in
            Block(
                attention: FloatLinear(weight: p + b.attentionWeight, bias: p + b.attentionBias, inFeatures: c, outFeatures: 3 * c),
                attentionProjection: FloatLinear(weight: p + b.attentionProjWeight, bias: p + b.attentionProjBias, inFeatures: c, outFeatures: c),
                fc: FloatLinear(weight: p + b.fcWeight, bias: p + b.fcBias, inFeatures: c, outFeatures: 4 * c),
                fcProjection: FloatLinear(weight: p + b.fcProjWeight, bias: p + b.fcProjBias, inFeatures: 4 * c, outFeatures: c))
        }
        let wte = UnsafePointer(p + model.layout.tokenEmbedding)
        head = FloatLinear(weight: wte, bias: nil, inFeatures: c, outFeatures: model.config.vocabSize, rowsAreOutputs: true)
        let table = UncheckedPointer(wte)
        tokenEmbedding = { token, out in out.update(from: table.pointer + token * c, count: c) }
    }
}

/// A pointer that closures may capture; the model it points into outlives them.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}
