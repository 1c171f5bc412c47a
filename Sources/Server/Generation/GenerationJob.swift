import GPT

/// One completion to generate: the prompt's ids and the request's sampling controls.
public struct GenerationJob: Sendable {
    public var prompt: [Int]
    public var maxNewTokens: Int
    public var sampling: SamplingParameters
    public var seed: UInt64
    public var stops: [String]

    public init(prompt: [Int], maxNewTokens: Int, sampling: SamplingParameters, seed: UInt64, stops: [String]) {
        self.prompt = prompt
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.seed = seed
        self.stops = stops
    }
}

/// OpenAI's `finish_reason`.
public enum FinishReason: String, Sendable, Codable {
    /// `<|endoftext|>` or a stop string.
    case stop
    /// `max_tokens`, or the model's context is full.
    case length
}

/// What a completion's stream carries, in order: text pieces, then one `finished`.
public enum GenerationEvent: Sendable, Equatable {
    /// Newly generated text; never splits a UTF-8 character and never contains a stop string.
    case text(String)
    case finished(FinishReason, completionTokens: Int)
    /// The model failed on this job (it was validated, so this is a bug worth a 500).
    case failed(String)
}
