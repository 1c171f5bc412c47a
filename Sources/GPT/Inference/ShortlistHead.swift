import Tensor

/// The tied LM head restricted to an `OutputShortlist`: the product runs over the shortlist's
/// embedding rows only (gathered once at load: S × C instead of V × C), and each logit lands in
/// its token's column of the full row `[V]`, whose other entries are −∞. So samplers, logits
/// processors and the generators see the usual `[V]` rows and never draw a token off the list.
///
/// `BatchedForward` keeps its logits buffer at −∞ off the list from when it is made (nothing
/// downstream raises a logit) and calls `applyShortlisted`, so a step writes only S logits a row;
/// `apply`, for any other caller, fills the whole rows.
public struct ShortlistHead: LinearOperator, @unchecked Sendable {
    public let shortlist: OutputShortlist
    /// The head over the shortlist's rows: `[rows, C] → [rows, S]`.
    public let products: any LinearOperator
    /// Keeps gathered float rows alive (the quantized formats own theirs).
    let storage: AnyObject?

    public var inFeatures: Int { products.inFeatures }
    public var outFeatures: Int { shortlist.vocabSize }
    /// S, the logits computed per row.
    public var shortlistCount: Int { shortlist.tokens.count }

    /// The quantized embedding `[V, C]`'s shortlisted rows, multiplied as the full head would be
    /// (same format, same `activations`): each shortlisted logit is the full head's, bit for bit.
    public init(shortlist: OutputShortlist, embedding: any QuantizedWeight, activations: QuantizedActivations) throws {
        self.shortlist = shortlist
        products = QuantizedLinear(matrix: try embedding.gatheringRows(shortlist.tokens), bias: nil, biasOwner: nil,
                                   activations: activations)
        storage = nil
    }

    /// A float embedding `wte` `[V, C]`'s shortlisted rows, streamed as the full float head is.
    public init(shortlist: OutputShortlist, embedding wte: UnsafePointer<Float>, channels: Int) {
        self.shortlist = shortlist
        let rows = FloatBuffer(count: shortlist.tokens.count * channels)
        for (k, token) in shortlist.tokens.enumerated() {
            (rows.pointer + k * channels).update(from: wte + token * channels, count: channels)
        }
        products = StreamingFloatLinear(FloatLinear(weight: rows.pointer, bias: nil, inFeatures: channels,
                                                    outFeatures: shortlist.tokens.count, rowsAreOutputs: true))
        storage = rows
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        output.update(repeating: -.infinity, count: rows * outFeatures)
        let scratch = FloatBuffer(count: rows * shortlistCount)
        applyShortlisted(rows: rows, input: input, scratch: scratch.pointer, output: output)
    }

    /// Writes the shortlisted logits of `rows` rows into `output` `[rows, V]`, leaving its other
    /// entries as they are (−∞ in a buffer kept so); `scratch` holds `[rows, S]`.
    public func applyShortlisted(rows: Int, input: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                 output: UnsafeMutablePointer<Float>) {
        products.apply(rows: rows, input: input, output: scratch)
        let count = shortlistCount, vocabulary = outFeatures
        shortlist.tokens.withUnsafeBufferPointer { tokens in
            for r in 0..<rows {
                let source = scratch + r * count, row = output + r * vocabulary
                for k in 0..<count { row[tokens[k]] = source[k] }
            }
        }
    }
}

extension InferenceWeights {
    /// These weights with the head restricted to `shortlist`: over the quantized embedding when
    /// there is one (as the weights were loaded), else over the float `wte`.
    public func shortlisted(_ shortlist: OutputShortlist, quantized: QuantizedModelWeights?,
                            activations: QuantizedActivations = .int8) throws -> InferenceWeights {
        let config = model.config
        guard shortlist.vocabSize == config.vocabSize else {
            throw GPTError.invalidConfig("an output shortlist for a vocabulary of \(shortlist.vocabSize) does not fit a model of \(config.vocabSize)")
        }
        var weights = self
        if let quantized {
            weights.head = try ShortlistHead(shortlist: shortlist, embedding: quantized.tokenEmbedding, activations: activations)
        } else {
            weights.head = ShortlistHead(shortlist: shortlist, embedding: model.parameters.pointer + model.layout.tokenEmbedding,
                                         channels: config.embeddingSize)
        }
        return weights
    }
}
