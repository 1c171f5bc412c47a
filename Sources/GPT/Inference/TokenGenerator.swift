/// Why a generation ended.
public enum StopReason: Equatable, Sendable {
    /// The model produced a stop token (`<|endoftext|>`); it is not passed on.
    case stopToken
    /// The caller's token handler asked to stop (e.g. a stop string appeared in the text).
    case stoppedByCaller
    case maxNewTokens
    /// Every position of the model's context is used.
    case contextFull
}

/// Autoregressive generation on a KV-cache session: the prompt is one batched prefill, then
/// each sampled token is fed back as a single decoding step.
public struct TokenGenerator {
    public let session: InferenceSession
    public var sampler: Sampler
    /// Tokens that end a sample without being shown.
    public let stopTokens: Set<Int>
    /// Adjusts each row before the sampler draws (as `BatchedGenerator` does), if set.
    public var processor: (any LogitsProcessor)?
    /// The processed copy of the row [V]: the session's logits are read-only.
    private var processed: [Float] = []

    public init(session: InferenceSession, sampler: Sampler, stopTokens: Set<Int>, processor: (any LogitsProcessor)? = nil) {
        self.session = session
        self.sampler = sampler
        self.stopTokens = stopTokens
        self.processor = processor
    }

    /// The last `contextLength` tokens of `prompt` (a longer prompt is cut from the left),
    /// and how many were dropped.
    public static func fitPrompt(_ prompt: [Int], contextLength: Int) -> (tokens: [Int], dropped: Int) {
        let dropped = max(0, prompt.count - contextLength)
        return (Array(prompt.dropFirst(dropped)), dropped)
    }

    /// Generates one sample after `prompt` (already fitted to the context, not empty).
    /// `onToken` receives each new token as soon as it is sampled and returns false to stop.
    public mutating func generate(prompt: [Int], maxNewTokens: Int, onToken: (Int) throws -> Bool) throws -> StopReason {
        session.reset()
        var history = Set(prompt)
        var logits = try session.prefill(prompt)
        var produced = 0
        while produced < maxNewTokens {
            let token = draw(logits, history: history)
            if stopTokens.contains(token) { return .stopToken }
            produced += 1
            history.insert(token)
            guard try onToken(token) else { return .stoppedByCaller }
            guard produced < maxNewTokens else { break }
            guard session.remainingContext > 0 else { return .contextFull }
            logits = try session.next(token)
        }
        return .maxNewTokens
    }

    private mutating func draw(_ logits: UnsafeBufferPointer<Float>, history: Set<Int>) -> Int {
        guard var processor else { return sampler.next(logits: logits, history: history) }
        processed.removeAll(keepingCapacity: true)
        processed.append(contentsOf: logits)
        let token = processed.withUnsafeMutableBufferPointer { row in
            processor.process(LogitRow(full: row))
            return sampler.next(logits: UnsafeBufferPointer(row), history: history)
        }
        processor.accept(token)
        self.processor = processor
        return token
    }
}
