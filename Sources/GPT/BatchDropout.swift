import Tensor

/// Where a micro-batch sits in the global batch of a data-parallel step. Dropout masks are
/// drawn for the global batch (its seed mixes all of its tokens) and each rank applies them
/// from its first sequence on, so N ranks drop exactly what one process with the whole batch drops.
public struct BatchShard: Sendable {
    /// The global micro-batch's input tokens, `[N·B, T]`.
    public let globalTokens: [Int32]
    /// Index in the global batch of this micro-batch's first sequence.
    public let firstSequence: Int

    public init(globalTokens: [Int32], firstSequence: Int) {
        self.globalTokens = globalTokens
        self.firstSequence = firstSequence
    }

    /// A batch that is the whole global batch (one process).
    public static func whole(_ tokens: [Int32]) -> BatchShard {
        BatchShard(globalTokens: tokens, firstSequence: 0)
    }
}

/// The dropout of one training batch (nanoGPT's `dropout`): on the embeddings, on every block's
/// attention probabilities and on both residual branches. Each site's mask is regenerated from
/// its seed in the backward pass instead of being stored.
struct BatchDropout {
    enum Site: Int, CaseIterable {
        case embedding, attentionProbabilities, attentionResidual, mlpResidual
    }

    let probability: Float
    let batchSeed: UInt64
    /// Mask rows before this batch's first sequence: `[T]` rows per sequence for the token
    /// sites, `[heads·T]` for the attention probabilities.
    let firstSequence: Int
    let length: Int
    let heads: Int

    init(probability: Float, dropoutSeed: UInt64, shard: BatchShard, length: Int, heads: Int) {
        self.probability = probability
        batchSeed = Dropout.batchSeed(dropoutSeed, tokens: shard.globalTokens)
        firstSequence = shard.firstSequence
        self.length = length
        self.heads = heads
    }

    /// The mask of `site` in block `layer` (the embedding's is layer 0's).
    func mask(layer: Int, _ site: Site) -> DropoutMask {
        let rowsPerSequence = site == .attentionProbabilities ? heads * length : length
        return DropoutMask(probability: probability,
                           seed: Dropout.siteSeed(batchSeed, site: layer * Site.allCases.count + site.rawValue),
                           rowOffset: firstSequence * rowsPerSequence)
    }
}
