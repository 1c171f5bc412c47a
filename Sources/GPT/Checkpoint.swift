import Foundation
import Tensor

/// Checkpoints in Hugging Face's GPT-2 layout: a directory with `config.json` (GPT2Config keys)
/// and `model.safetensors` (GPT-2 tensor names, Conv1D weights `[in, out]`, no `lm_head.weight`
/// since the head is tied). A real `gpt2` / `distilgpt2` download loads, and a Finch checkpoint
/// loads in `transformers`' `GPT2LMHeadModel.from_pretrained`.
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"

    // MARK: config.json

    /// Reads the model shape from `directory/config.json`.
    public static func loadConfig(directory: String) throws -> GPTConfig {
        let path = (directory as NSString).appendingPathComponent(configFile)
        guard FileManager.default.fileExists(atPath: path) else {
            throw GPTError.checkpoint("\(path): not found (a checkpoint directory holds config.json and model.safetensors)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: RegularFile.contents(of: path, limit: 1 << 20))
        } catch let error as RegularFileError {
            throw GPTError.checkpoint(error.message)
        } catch {
            throw GPTError.checkpoint("\(path): not valid JSON (\(error.localizedDescription))")
        }
        guard let json = object as? [String: Any] else {
            throw GPTError.checkpoint("\(path): expected a JSON object")
        }
        func integer(_ keys: [String], default fallback: Int? = nil) throws -> Int {
            for key in keys {
                guard let value = json[key], !(value is NSNull) else { continue }
                // Int(exactly:) rather than Int(_:): a huge or fractional number is an error, not a trap.
                // objCType "c" is a JSON true/false, which Foundation on Linux also bridges to numbers.
                guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
                      let integer = Int(exactly: number.doubleValue) else {
                    throw GPTError.checkpoint("\(path): \(key) must be an integer (got \(value))")
                }
                return integer
            }
            if let fallback { return fallback }
            throw GPTError.checkpoint("\(path): missing integer key \"\(keys[0])\"")
        }
        if let type = json["model_type"] as? String, type != "gpt2" {
            throw GPTError.checkpoint("\(path): model_type \"\(type)\" is not supported (only \"gpt2\")")
        }
        if let activation = json["activation_function"] as? String,
           !["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(activation) {
            throw GPTError.checkpoint("\(path): activation_function \"\(activation)\" is not supported (Finch uses GELU's tanh form, \"gelu_new\")")
        }
        // Settings that change the computation and that Finch's model does not implement.
        let unsupported: [(key: String, honoured: Bool, reason: String)] = [
            ("scale_attn_weights", true, "Finch always scales attention scores by 1/√head_size"),
            ("tie_word_embeddings", true, "Finch's LM head is the token embedding (wte); an untied lm_head would be ignored"),
            ("scale_attn_by_inverse_layer_idx", false, "Finch does not scale attention by layer"),
            ("add_cross_attention", false, "Finch has no cross-attention"),
        ]
        for setting in unsupported {
            if let value = json[setting.key] as? Bool, value != setting.honoured {
                throw GPTError.checkpoint("\(path): \(setting.key) is \(value), which Finch cannot honour (\(setting.reason))")
            }
        }
        if json["n_inner"] != nil, !(json["n_inner"] is NSNull),
           try integer(["n_inner"]) != SizeCheck.product(4, try integer(["n_embd"])) {
            throw GPTError.checkpoint("\(path): n_inner \(try integer(["n_inner"])) is not supported (Finch's MLP is 4 × n_embd)")
        }
        let epsilon = (json["layer_norm_epsilon"] as? NSNumber)?.doubleValue ?? 1e-5
        let config = GPTConfig(
            layerCount: try integer(["n_layer"]),
            headCount: try integer(["n_head"]),
            embeddingSize: try integer(["n_embd"]),
            contextLength: try integer(["n_positions", "n_ctx"]),
            vocabSize: try integer(["vocab_size"]),
            layerNormEpsilon: Float(epsilon))
        if let problem = config.problem { throw GPTError.checkpoint("\(path): \(problem)") }
        return config
    }

    /// GPT2Config JSON for `config`, trained with `dropout`; `extra` keys (e.g. a quantization
    /// note) are merged in.
    public static func configJSON(_ config: GPTConfig, dropout: Float = 0, extra: [String: Any] = [:]) throws -> Data {
        // HF's GPT2Config reads these when training continues there; a missing key means 0.1.
        let pdrop = (Double(dropout) * 1e6).rounded() / 1e6
        var json: [String: Any] = [
            "model_type": "gpt2",
            "architectures": ["GPT2LMHeadModel"],
            "n_layer": config.layerCount,
            "n_head": config.headCount,
            "n_embd": config.embeddingSize,
            "n_positions": config.contextLength,
            "n_ctx": config.contextLength,
            "vocab_size": config.vocabSize,
            "layer_norm_epsilon": Double(config.layerNormEpsilon),
            "activation_function": "gelu_new",
            "tie_word_embeddings": true,
            "resid_pdrop": pdrop,
            "embd_pdrop": pdrop,
            "attn_pdrop": pdrop,
            "initializer_range": 0.02,
            "scale_attn_weights": true,
            "bos_token_id": 50256,
            "eos_token_id": 50256,
            "torch_dtype": "float32",
        ]
        json.merge(extra) { _, new in new }
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }

    // MARK: load / save

    /// Loads a float checkpoint directory into a new model.
    public static func load(directory: String) throws -> GPTModel {
        let config = try loadConfig(directory: directory)
        let path = (directory as NSString).appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: path) else {
            throw GPTError.checkpoint("\(path): not found")
        }
        let file = try SafeTensorsFile(path: path)
        try checkFits(config, file: file, directory: directory)
        let model = GPTModel(config: config)
        try loadParameters(into: model, from: file)
        return model
    }

    /// Refuses a config.json whose model would not fit in memory, or that asks for far more
    /// parameters than the weights file holds, before anything of that size is allocated. (A
    /// near miss, such as one layer too many, is left to the per-tensor checks, which name the
    /// tensor.) A quantized file packs several parameters per stored value, so its value count is
    /// no bound (`countsValues: false`); its tensors are checked one by one as they are mapped.
    public static func checkFits(_ config: GPTConfig, file: SafeTensorsFile, directory: String, countsValues: Bool = true) throws {
        let configPath = (directory as NSString).appendingPathComponent(configFile)
        if let problem = config.memoryProblem(bytesPerParameter: 4, source: configPath) {
            throw GPTError.checkpoint(problem)
        }
        guard countsValues else { return }
        let held = file.names.reduce(0) { $0 + (file.info($1)?.elementCount ?? 0) }
        if let needed = config.checkedParameterCount, needed / 2 > held {
            throw GPTError.checkpoint("\(configPath) implies \(needed) parameters but \(file.path) holds only \(held) values: its tensors' shapes cannot match config.json")
        }
    }

    /// Copies every parameter of `model` from `file`, accepting names with or without the
    /// `transformer.` prefix and checking each shape against the model's config.
    public static func loadParameters(into model: GPTModel, from file: SafeTensorsFile) throws {
        let available = Set(file.names)
        for entry in model.layout.entries {
            let candidates = ["transformer." + entry.name, entry.name]
            guard let name = candidates.first(where: available.contains) else {
                throw GPTError.checkpoint("\(file.path): no tensor named \"transformer.\(entry.name)\" (config.json says \(model.config.layerCount) layers)")
            }
            let shape = file.info(name)?.shape ?? []
            guard shape == entry.shape else {
                throw GPTError.checkpoint("\(file.path): \(name) has shape \(shape) but config.json implies \(entry.shape)")
            }
            try file.copyFloats(name, into: model.parameters.pointer + entry.offset, count: entry.count)
        }
        let known = Set(model.layout.entries.flatMap { ["transformer." + $0.name, $0.name] })
        let unexpected = file.names.filter { name in
            !known.contains(name) && !isIgnorableBuffer(name)
        }
        if let first = unexpected.first {
            throw GPTError.checkpoint("\(file.path): unexpected tensor \"\(first)\" (\(unexpected.count) in all): the checkpoint does not match config.json")
        }
    }

    /// Tensors some GPT-2 files carry that are not parameters: the causal-mask buffers of old
    /// exports, and an explicit copy of the tied LM head.
    static func isIgnorableBuffer(_ name: String) -> Bool {
        name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") || name == "lm_head.weight"
    }

    /// The training step recorded in a checkpoint written by the trainer, or nil.
    public static func savedStep(directory: String) throws -> Int? {
        let file = try SafeTensorsFile(path: (directory as NSString).appendingPathComponent(weightsFile))
        return file.metadata["step"].flatMap { Int($0) }
    }

    /// Writes `directory/config.json` and `directory/model.safetensors`, each atomically (or
    /// staged in `set`, to be replaced with the rest of a training checkpoint).
    public static func save(_ model: GPTModel, directory: String, metadata: [String: String] = [:],
                            in set: FileSet? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var writer = SafeTensorsWriter()
        writer.metadata = metadata.merging(["format": "pt"]) { current, _ in current }
        for entry in model.layout.entries {
            try writer.add("transformer." + entry.name,
                       floats: UnsafeBufferPointer(start: model.parameters.pointer + entry.offset, count: entry.count),
                       shape: entry.shape)
        }
        try writer.write(to: (directory as NSString).appendingPathComponent(weightsFile), in: set)
        try AtomicFile.write(try configJSON(model.config, dropout: model.dropout),
                             to: (directory as NSString).appendingPathComponent(configFile), in: set)
    }
}
