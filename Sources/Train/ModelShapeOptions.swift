import ArgumentParser
import GPT

/// `--preset` or explicit sizes for a new model.
struct ModelShapeOptions: ParsableArguments {
    @Option(help: "Model size: tiny, small, slm60m or gpt2 (default tiny).")
    var preset: String?

    @Option(name: .customLong("n-layer"), help: "Number of transformer blocks.")
    var layerCount: Int?

    @Option(name: .customLong("n-head"), help: "Attention heads per block.")
    var headCount: Int?

    @Option(name: .customLong("n-embd"), help: "Embedding width.")
    var embeddingSize: Int?

    @Option(help: "Training sequence length; also the new model's context (n_positions) unless the preset's is longer.")
    var blockSize: Int?

    /// The config of a new model: the preset, with any size flag overriding it.
    func config(vocabSize: Int) throws -> GPTConfig {
        let name = preset ?? "tiny"
        guard var config = GPTConfig.presets[name] else {
            throw ValidationError("--preset \(name) is unknown; choose one of \(GPTConfig.presets.keys.sorted().joined(separator: ", "))")
        }
        config.vocabSize = vocabSize
        if let layerCount { config.layerCount = layerCount }
        if let headCount { config.headCount = headCount }
        if let embeddingSize { config.embeddingSize = embeddingSize }
        if let blockSize, blockSize > config.contextLength, preset != nil {
            throw ValidationError("--block-size \(blockSize) exceeds the \(name) preset's context of \(config.contextLength)")
        }
        if let blockSize, preset == nil { config.contextLength = max(blockSize, 1) }
        if let problem = config.problem {
            // Named after the flags that set them: the config keys mean nothing on a command line.
            var message = problem
            for (key, flag) in [("n_layer", "--n-layer"), ("n_head", "--n-head"), ("n_embd", "--n-embd"),
                                ("n_positions", "--block-size")] {
                message = message.replacingOccurrences(of: key, with: flag)
            }
            throw ValidationError(message)
        }
        return config
    }

    /// The config the flags ask for, if they ask for any shape at all (to compare with a
    /// checkpoint being resumed or initialised from).
    func requestedConfig(vocabSize: Int) throws -> GPTConfig? {
        guard preset != nil || layerCount != nil || headCount != nil || embeddingSize != nil else { return nil }
        var config = try config(vocabSize: vocabSize)
        if preset == nil, let blockSize { config.contextLength = blockSize }
        return config
    }
}

func describe(_ config: GPTConfig) -> String {
    "\(config.layerCount) layers, \(config.headCount) heads, \(config.embeddingSize) wide, context \(config.contextLength), vocab \(config.vocabSize)"
}
