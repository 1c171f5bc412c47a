import Tensor

/// The dropout of one training batch (nanoGPT's `dropout`): on the embeddings, on every block's
/// attention probabilities and on both residual branches. Each site's mask is regenerated from
/// its seed in the backward pass instead of being stored.
struct BatchDropout {
    enum Site: Int, CaseIterable {
        case embedding, attentionProbabilities, attentionResidual, mlpResidual
    }

    let probability: Float
    let batchSeed: UInt64

    /// The mask of `site` in block `layer` (the embedding's is layer 0's).
    func mask(layer: Int, _ site: Site) -> DropoutMask {
        DropoutMask(probability: probability,
                    seed: Dropout.siteSeed(batchSeed, site: layer * Site.allCases.count + site.rawValue))
    }
}
