import Tensor

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

    /// The largest sizes Finch builds, far beyond any GPT-2-family model, so that every product
    /// of them fits an `Int` (token ids are 32-bit; a block's index arrays are per layer).
    public static let limits = (layers: 4096, embedding: 1 << 16, context: 1 << 20, vocabulary: 1 << 24)

    /// Why this shape cannot be built, or nil when it can.
    public var problem: String? {
        let limits = Self.limits
        if let problem = SizeCheck.problem("n_layer", layerCount, in: 1...limits.layers) { return problem }
        if let problem = SizeCheck.problem("n_embd", embeddingSize, in: 1...limits.embedding) { return problem }
        if let problem = SizeCheck.problem("n_head", headCount, in: 1...embeddingSize) { return problem }
        if embeddingSize % headCount != 0 {
            return "n_embd (\(embeddingSize)) must be a multiple of n_head (\(headCount))"
        }
        if let problem = SizeCheck.problem("n_positions", contextLength, in: 1...limits.context) { return problem }
        if let problem = SizeCheck.problem("vocab_size", vocabSize, in: 1...limits.vocabulary) { return problem }
        if !(layerNormEpsilon > 0) || !layerNormEpsilon.isFinite { return "layer_norm_epsilon must be positive and finite" }
        return nil
    }

    /// Parameters of a model of this shape, overflow-checked (nil when it does not fit an Int):
    /// the embeddings, 12·C² + 13·C per block, the final LayerNorm.
    public var checkedParameterCount: Int? {
        let c = embeddingSize
        let perBlock = SizeCheck.sum([SizeCheck.product(12, c, c), SizeCheck.product(13, c)])
        return SizeCheck.sum([SizeCheck.product(vocabSize, c), SizeCheck.product(contextLength, c),
                              perBlock.flatMap { SizeCheck.product(layerCount, $0) }, SizeCheck.product(2, c)])
    }

    /// Why a model of this shape, at `bytesPerParameter` (4 to load it, 16 to train it), does
    /// not fit this machine's memory, naming `source` (a file or the flags), or nil.
    public func memoryProblem(bytesPerParameter: Int, source: String) -> String? {
        let parameters = checkedParameterCount
        let what = "\(source): a model of \(parameters.map(String.init) ?? "too many") parameters (n_layer \(layerCount), n_embd \(embeddingSize), n_positions \(contextLength), vocab_size \(vocabSize))"
        return SizeCheck.memoryProblem(parameters.flatMap { SizeCheck.product($0, bytesPerParameter) }, for: what)
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
