/// Where each parameter lives in the model's single contiguous buffer (llm.c style), under its
/// Hugging Face GPT-2 name and shape. Linear weights keep GPT-2's Conv1D layout `[in, out]`,
/// so a checkpoint is a straight copy in either direction.
public struct ParameterLayout: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The name in a Hugging Face checkpoint, without the `transformer.` prefix.
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        /// AdamW decays matrices and embeddings, not biases or LayerNorm parameters.
        public var decays: Bool { shape.count >= 2 }
    }

    /// Offsets of one transformer block's parameters.
    public struct Block: Sendable {
        public let ln1Weight, ln1Bias: Int
        public let attentionWeight, attentionBias: Int        // c_attn [C, 3C], [3C]
        public let attentionProjWeight, attentionProjBias: Int  // attn.c_proj [C, C], [C]
        public let ln2Weight, ln2Bias: Int
        public let fcWeight, fcBias: Int                      // mlp.c_fc [C, 4C], [4C]
        public let fcProjWeight, fcProjBias: Int              // mlp.c_proj [4C, C], [C]

        /// Offset of a projection's weight.
        public func weight(of projection: Projection) -> Int {
            switch projection {
            case .attention: attentionWeight
            case .attentionProjection: attentionProjWeight
            case .fc: fcWeight
            case .fcProjection: fcProjWeight
            }
        }
    }

    public let entries: [Entry]
    public let tokenEmbedding: Int     // wte [V, C], also the LM head
    public let positionEmbedding: Int  // wpe [maxT, C]
    public let blocks: [Block]
    public let lnFinalWeight, lnFinalBias: Int
    public let count: Int

    public init(config: GPTConfig) {
        let c = config.embeddingSize
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let entry = Entry(name: name, shape: shape, offset: offset)
            entries.append(entry)
            offset += entry.count
            return entry.offset
        }
        tokenEmbedding = add("wte.weight", [config.vocabSize, c])
        positionEmbedding = add("wpe.weight", [config.contextLength, c])
        var blocks: [Block] = []
        for l in 0..<config.layerCount {
            let p = "h.\(l)."
            blocks.append(Block(
                ln1Weight: add(p + "ln_1.weight", [c]),
                ln1Bias: add(p + "ln_1.bias", [c]),
                attentionWeight: add(p + "attn.c_attn.weight", [c, 3 * c]),
                attentionBias: add(p + "attn.c_attn.bias", [3 * c]),
                attentionProjWeight: add(p + "attn.c_proj.weight", [c, c]),
                attentionProjBias: add(p + "attn.c_proj.bias", [c]),
                ln2Weight: add(p + "ln_2.weight", [c]),
                ln2Bias: add(p + "ln_2.bias", [c]),
                fcWeight: add(p + "mlp.c_fc.weight", [c, 4 * c]),
                fcBias: add(p + "mlp.c_fc.bias", [4 * c]),
                fcProjWeight: add(p + "mlp.c_proj.weight", [4 * c, c]),
                fcProjBias: add(p + "mlp.c_proj.bias", [c])))
        }
        self.blocks = blocks
        lnFinalWeight = add("ln_f.weight", [c])
        lnFinalBias = add("ln_f.bias", [c])
        self.entries = entries
        self.count = offset
    }

    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }
}
