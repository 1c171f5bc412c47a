import GPT
import Tokenizer

/// What the completion endpoints serve: loaded weights, the tokenizer whose ids they were trained
/// on, and the name clients see in `model` fields.
public struct LanguageModel: Sendable {
    public let name: String
    public let weights: InferenceWeights
    public let tokenizer: GPT2Tokenizer

    public init(name: String, weights: InferenceWeights, tokenizer: GPT2Tokenizer) {
        self.name = name
        self.weights = weights
        self.tokenizer = tokenizer
    }

    public var config: GPTConfig { weights.model.config }

    /// Loads a float or quantized checkpoint directory (a float one quantized as it loads with
    /// `quantize`) to serve with `tokenizer`.
    public static func load(checkpoint: String, tokenizer: GPT2Tokenizer, quantize: LoadQuantization?) throws -> LanguageModel {
        let loaded = try InferenceCheckpoint.load(directory: checkpoint, quantize: quantize)
        let name = checkpoint.split(separator: "/").last.map(String.init) ?? checkpoint
        return LanguageModel(name: name, weights: loaded.weights, tokenizer: tokenizer)
    }
}
