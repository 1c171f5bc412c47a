/// The shape of a GPT-2 style model, named after Hugging Face's GPT2Config keys.
public struct GPTConfig: Equatable, Sendable, Codable {
    public var layerCount: Int
    public var headCount: Int
    public var embeddingSize: Int
    /// The longest context the position table covers (`n_positions`).
    public var contextLength: Int
    public var vocabSize: Int
    public var layerNormEpsilon: Float

    public init(layerCount: Int, headCount: Int, embeddingSize: Int, contextLength: Int,
                vocabSize: Int = 50257, layerNormEpsilon: Float = 1e-5) {
        self.layerCount = layerCount
        self.headCount = headCount
        self.embeddingSize = embeddingSize
        self.contextLength = contextLength
        self.vocabSize = vocabSize
        self.layerNormEpsilon = layerNormEpsilon
    }

    public var headSize: Int { embeddingSize / headCount }

    /// GPT-2's vocabulary: 50,000 merges, 256 bytes and `<|endoftext|>`.
    public static let gpt2VocabularySize = 50257

    /// The named sizes users pick with `--preset`.
    public static let presets: [String: GPTConfig] = [
        "tiny": GPTConfig(layerCount: 4, headCount: 4, embeddingSize: 128, contextLength: 128),
        "small": GPTConfig(layerCount: 6, headCount: 6, embeddingSize: 384, contextLength: 256),
        "slm60m": GPTConfig(layerCount: 10, headCount: 8, embeddingSize: 512, contextLength: 512),
        "gpt2": GPTConfig(layerCount: 12, headCount: 12, embeddingSize: 768, contextLength: 1024),
    ]

    /// Why this shape cannot be built, or nil when it can.
    public var problem: String? {
        if layerCount < 1 { return "n_layer must be at least 1 (got \(layerCount))" }
        if headCount < 1 { return "n_head must be at least 1 (got \(headCount))" }
        if embeddingSize < 1 { return "n_embd must be at least 1 (got \(embeddingSize))" }
        if embeddingSize % headCount != 0 {
            return "n_embd (\(embeddingSize)) must be a multiple of n_head (\(headCount))"
        }
        if contextLength < 1 { return "n_positions must be at least 1 (got \(contextLength))" }
        if vocabSize < 1 { return "vocab_size must be at least 1 (got \(vocabSize))" }
        if !(layerNormEpsilon > 0) { return "layer_norm_epsilon must be positive" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case layerCount = "n_layer"
        case headCount = "n_head"
        case embeddingSize = "n_embd"
        case contextLength = "n_positions"
        case vocabSize = "vocab_size"
        case layerNormEpsilon = "layer_norm_epsilon"
    }
}
