import Tensor

/// BERT's encoder, inference only: word + position + token-type embeddings and LayerNorm, then
/// post-LayerNorm blocks (self-attention, residual, LayerNorm; feed-forward with GELU, residual,
/// LayerNorm), as Hugging Face's BertModel computes them.
///
/// Sentences go in packed back to back, R rows in all, so every projection is one GEMM over the
/// whole batch and no FLOP is spent on padding (see `BidirectionalAttention`).
public final class BERTEncoder: @unchecked Sendable {
    public let weights: BERTWeights
    public var config: BERTConfig { weights.config }

    public init(weights: BERTWeights) {
        self.weights = weights
    }

    /// The activations of one batch of up to `rows` tokens, reused from batch to batch.
    final class Workspace {
        let rows: Int
        let hidden: FloatBuffer        // [R, C]: the residual stream, the encoder's output
        let qkv: FloatBuffer           // [R, 3C]
        let context: FloatBuffer       // [R, C]: attention output before its projection
        let projected: FloatBuffer     // [R, C]: a sublayer's output before the residual add
        let intermediate: FloatBuffer  // [R, I]

        init(rows: Int, config: BERTConfig) {
            let c = config.hiddenSize
            self.rows = rows
            hidden = FloatBuffer(count: rows * c)
            qkv = FloatBuffer(count: rows * 3 * c)
            context = FloatBuffer(count: rows * c)
            projected = FloatBuffer(count: rows * c)
            intermediate = FloatBuffer(count: rows * config.intermediateSize)
        }
    }

    /// Final hidden states [R, C] of sentences given as token ids, each starting at
    /// `offsets[s]` in `tokens` (offsets has one more entry than sentences: the total R).
    public func forward(tokens: [Int32], offsets: [Int]) throws -> [Float] {
        try validate(tokens: tokens, offsets: offsets)
        let workspace = Workspace(rows: tokens.count, config: config)
        forward(tokens: tokens, offsets: offsets, workspace: workspace)
        return Array(UnsafeBufferPointer(start: workspace.hidden.pointer, count: tokens.count * config.hiddenSize))
    }

    func validate(tokens: [Int32], offsets: [Int]) throws {
        guard offsets.first == 0, offsets.last == tokens.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw EmbeddingError("sentence offsets \(offsets.prefix(8)) do not cover \(tokens.count) tokens in increasing order")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            throw EmbeddingError("token id \(bad) is outside the model's vocabulary of \(config.vocabularySize)")
        }
        if let longest = zip(offsets, offsets.dropFirst()).map({ $1 - $0 }).max(), longest > config.maximumPositions {
            throw EmbeddingError("a sentence of \(longest) tokens exceeds the model's \(config.maximumPositions) positions")
        }
    }

    /// Leaves the hidden states in `workspace.hidden`; inputs already validated.
    func forward(tokens: [Int32], offsets: [Int], workspace: Workspace) {
        let (rows, c, ff) = (tokens.count, config.hiddenSize, config.intermediateSize)
        precondition(rows <= workspace.rows, "workspace holds \(workspace.rows) rows, batch has \(rows)")
        let x = workspace.hidden.pointer
        embed(into: x, tokens: tokens, offsets: offsets)
        for layer in weights.layers {
            Linear.forward(out: workspace.qkv.pointer, input: x, outInWeight: layer.qkvWeight, bias: layer.qkvBias,
                           rows: rows, inFeatures: c, outFeatures: 3 * c)
            BidirectionalAttention.forward(out: workspace.context.pointer, qkv: workspace.qkv.pointer,
                                           offsets: offsets, channels: c, heads: config.headCount)
            // The biases of the other three projections are added in the pass after their GEMM.
            Linear.forward(out: workspace.projected.pointer, input: workspace.context.pointer,
                           outInWeight: layer.attentionOutputWeight, bias: nil, rows: rows, inFeatures: c, outFeatures: c)
            ResidualLayerNorm.forward(x: x, sublayer: workspace.projected.pointer, sublayerBias: layer.attentionOutputBias,
                                      weight: layer.attentionNormWeight, bias: layer.attentionNormBias,
                                      rows: rows, channels: c, eps: config.layerNormEpsilon)

            let h = workspace.intermediate.pointer
            let exact = config.activation == .exactGELU
            Linear.forward(out: h, input: x, outInWeight: layer.intermediateWeight, bias: exact ? nil : layer.intermediateBias,
                           rows: rows, inFeatures: c, outFeatures: ff)
            if exact {
                BiasGELU.forward(out: h, input: h, bias: layer.intermediateBias, rows: rows, columns: ff)
            } else {
                GELU.forward(out: h, input: h, count: rows * ff)
            }
            Linear.forward(out: workspace.projected.pointer, input: h, outInWeight: layer.outputWeight,
                           bias: nil, rows: rows, inFeatures: ff, outFeatures: c)
            ResidualLayerNorm.forward(x: x, sublayer: workspace.projected.pointer, sublayerBias: layer.outputBias,
                                      weight: layer.outputNormWeight, bias: layer.outputNormBias,
                                      rows: rows, channels: c, eps: config.layerNormEpsilon)
        }
    }

    /// x[r] = LayerNorm(word[token r] + position[r's index in its sentence] + tokenType[0]).
    /// Every input is one segment (sentence-transformers passes token_type_ids of 0).
    private func embed(into x: UnsafeMutablePointer<Float>, tokens: [Int32], offsets: [Int]) {
        let c = config.hiddenSize
        let w = weights
        tokens.withUnsafeBufferPointer { ids in
            Parallel.forEachChunk(offsets.count - 1, costPerItem: 3 * c * max(1, ids.count / max(1, offsets.count - 1))) { sentences in
                for s in sentences {
                    for row in offsets[s]..<offsets[s + 1] {
                        let word = w.wordEmbeddings + Int(ids[row]) * c
                        let position = w.positionEmbeddings + (row - offsets[s]) * c
                        let target = x + row * c
                        for i in 0..<c { target[i] = word[i] + position[i] + w.tokenTypeEmbeddings[i] }
                    }
                }
            }
        }
        LayerNorm.forward(out: x, mean: nil, rstd: nil, input: x, weight: w.embeddingNormWeight, bias: w.embeddingNormBias,
                          rows: tokens.count, channels: c, eps: config.layerNormEpsilon)
    }
}
