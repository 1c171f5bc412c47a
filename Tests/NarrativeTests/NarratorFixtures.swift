import Foundation
import GPT
import LoRA
import Narrative
import Recommend
import Tensor
import Tokenizer

/// Narrators the tests can build in milliseconds: random GPT-2-vocabulary models (the real
/// narrator is never needed), the project's GPT-2 tokenizer, and the fixture catalogue.
enum NarratorFixtures {
    static let gpt2Directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/gpt2").path

    /// Loaded once: reading the vocabulary is the slow part.
    static let tokenizer: GPT2Tokenizer = {
        do { return try GPT2Tokenizer(directory: gpt2Directory) } catch { fatalError("data/gpt2: \(error)") }
    }()

    /// A random model on the GPT-2 vocabulary with weights five times GPT-2's initial scale, so its
    /// greedy continuations depend on the prompt rather than repeating one token.
    static func randomModel(seed: UInt64 = 11, contextLength: Int = 256, layers: Int = 1) -> GPTModel {
        let config = GPTConfig(layerCount: layers, headCount: 2, embeddingSize: 32, contextLength: contextLength,
                               vocabSize: GPTConfig.gpt2VocabularySize)
        let model = GPTModel(config: config, seed: seed)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 5 }
        return model
    }

    /// A model's own copy, so merging into one leaves the other as it was.
    static func copy(_ model: GPTModel) -> GPTModel {
        let copy = GPTModel(config: model.config)
        copy.parameters.pointer.update(from: model.parameters.pointer, count: model.layout.count)
        return copy
    }

    static func int8Weights(_ model: GPTModel) throws -> InferenceWeights {
        try InferenceWeights(model: model, quantized: try QuantizedModelWeights(quantizing: model))
    }

    /// Adapters on every projection with A and B both random, so the voice changes the text.
    static func voiceAdapter(for config: GPTConfig, seed: UInt64 = 5) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 4, alpha: 8), seed: seed)
        var generator = SeededGenerator(seed: seed &+ 1)
        for slot in adapter.slots {
            let b = adapter.parameters.pointer + slot.bOffset
            for i in 0..<(slot.outFeatures * adapter.rank) { b[i] = 0.5 * (generator.nextUniform() - 0.5) }
        }
        return adapter
    }

    /// A narrator over `weights`; a short token limit keeps the debug-build tests quick.
    static func narrator(_ weights: InferenceWeights, voices: [String: InferenceWeights] = [:],
                         maxNewTokens: Int = 12) throws -> Narrator {
        let model = try NarratorModel(directory: "test-narrator", base: weights, voices: voices, tokenizer: tokenizer)
        return try Narrator(model: model, catalogue: NarrativeFixtures.catalogue, maxNewTokens: maxNewTokens)
    }

    /// The random model quantized to int8, as the narrator ships: its kernels are optimised
    /// even in debug builds, where the float streaming kernels are slow.
    static func int8Narrator(seed: UInt64 = 11, contextLength: Int = 256) throws -> Narrator {
        try narrator(try int8Weights(randomModel(seed: seed, contextLength: contextLength)))
    }

    /// One page: six products, each with another kind or combination of reasons.
    static func page() throws -> [FactSheet] {
        let sheets = try NarrativeFixtures.variedSheets()  // 6 products × 9 reason sets
        return (0..<6).map { sheets[$0 * 9 + $0] }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "finch-narrator-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
