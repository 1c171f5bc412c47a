/// The sizes of a BERT encoder, read from a Hugging Face `config.json` (BertConfig keys), so any
/// BERT-family checkpoint of this layout loads, not only MiniLM.
public struct BERTConfig: Equatable, Sendable {
    /// The feed-forward nonlinearity: BERT's exact erf form, or the tanh approximation some
    /// checkpoints name ("gelu_new", "gelu_pytorch_tanh").
    public enum Activation: String, Sendable {
        case exactGELU = "gelu"
        case tanhGELU = "gelu_new"
    }

    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maximumPositions: Int
    public var tokenTypeCount: Int
    public var layerNormEpsilon: Float
    public var activation: Activation

    public var headSize: Int { hiddenSize / headCount }

    public init(
        vocabularySize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
        maximumPositions: Int, tokenTypeCount: Int = 2, layerNormEpsilon: Float = 1e-12, activation: Activation = .exactGELU
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maximumPositions = maximumPositions
        self.tokenTypeCount = tokenTypeCount
        self.layerNormEpsilon = layerNormEpsilon
        self.activation = activation
    }

    /// The keys of BertConfig this encoder reads.
    private struct File: Decodable {
        let vocab_size: Int
        let hidden_size: Int
        let num_hidden_layers: Int
        let num_attention_heads: Int
        let intermediate_size: Int
        let max_position_embeddings: Int
        let type_vocab_size: Int?
        let layer_norm_eps: Double?
        let hidden_act: String?
        let position_embedding_type: String?
    }

    public init(contentsOf path: String) throws {
        let file = try JSONFile.decode(File.self, at: path)
        let activation: Activation
        switch file.hidden_act ?? "gelu" {
        case "gelu": activation = .exactGELU
        case "gelu_new", "gelu_pytorch_tanh": activation = .tanhGELU
        case let other: throw EmbeddingError("\(path): hidden_act \"\(other)\" is not supported (gelu, gelu_new)")
        }
        if let positions = file.position_embedding_type, positions != "absolute" {
            throw EmbeddingError("\(path): position_embedding_type \"\(positions)\" is not supported (only \"absolute\")")
        }
        self.init(vocabularySize: file.vocab_size, hiddenSize: file.hidden_size, layerCount: file.num_hidden_layers,
                  headCount: file.num_attention_heads, intermediateSize: file.intermediate_size,
                  maximumPositions: file.max_position_embeddings, tokenTypeCount: file.type_vocab_size ?? 2,
                  layerNormEpsilon: Float(file.layer_norm_eps ?? 1e-12), activation: activation)
        if let problem { throw EmbeddingError("\(path): \(problem)") }
    }

    /// Why these sizes cannot describe an encoder, or nil.
    public var problem: String? {
        let sizes = [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                     ("num_attention_heads", headCount), ("intermediate_size", intermediateSize),
                     ("max_position_embeddings", maximumPositions), ("type_vocab_size", tokenTypeCount)]
        if let (key, value) = sizes.first(where: { $0.1 <= 0 }) { return "\(key) must be positive, not \(value)" }
        if hiddenSize % headCount != 0 {
            return "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)"
        }
        if !(layerNormEpsilon > 0) { return "layer_norm_eps must be positive" }
        return nil
    }
}
