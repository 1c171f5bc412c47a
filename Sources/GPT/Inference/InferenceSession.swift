import Tensor

/// Decoding with a KV cache, one sequence at a time: `prefill` runs the prompt as one forward over
/// all its rows, then each `next` runs a single token against the cached keys and values, never
/// recomputing the past.
///
/// It is `BatchedForward` with one sequence, so a sequence decoded here and the same sequence
/// inside a `BatchedGenerator` page go through the same code: with int8 weights (whose products
/// do not depend on the rows beside them) their logits are equal bit for bit.
public final class InferenceSession {
    public let weights: InferenceWeights
    public let config: GPTConfig
    private let forward: BatchedForward
    private let cache: KeyValueCache

    public init(weights: InferenceWeights) {
        self.weights = weights
        config = weights.model.config
        forward = BatchedForward(weights: weights)
        cache = KeyValueCache(config: config)
    }

    public convenience init(model: GPTModel) {
        self.init(weights: InferenceWeights(model: model))
    }

    /// Tokens held in the cache (the next token's position).
    public var position: Int { cache.position }

    /// The logits `[V]` of the last `prefill` or `next`.
    public var logits: FloatBuffer { forward.logits }

    /// Forgets the cached sequence.
    public func reset() { cache.position = 0 }

    /// Room left in the context.
    public var remainingContext: Int { config.contextLength - position }

    /// Appends `tokens` to the cached sequence and returns the logits `[V]` that predict the
    /// token after the last one (valid until the next call).
    @discardableResult
    public func prefill(_ tokens: [Int]) throws -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw GPTError.invalidInput("nothing to run: the prompt has no tokens") }
        guard tokens.count <= remainingContext else {
            throw GPTError.invalidInput("\(position + tokens.count) tokens exceed the model's context of \(config.contextLength)")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw GPTError.invalidInput("token id \(bad) is outside the vocabulary (size \(config.vocabSize))")
        }
        forward.run([.init(cache: cache, tokens: tokens[...], wantsLogits: true)])
        return UnsafeBufferPointer(start: forward.logits.pointer, count: config.vocabSize)
    }

    /// Runs one token: the decoding step.
    @discardableResult
    public func next(_ token: Int) throws -> UnsafeBufferPointer<Float> {
        try prefill([token])
    }

    /// The final hidden state (before the last LayerNorm) of every row of the last call, [rows, C].
    var hiddenStates: UnsafePointer<Float> { UnsafePointer(forward.hiddenStates) }
}
