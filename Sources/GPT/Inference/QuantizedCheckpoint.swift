import Foundation
import Tensor

/// Quantized checkpoints: the Hugging Face GPT-2 directory layout with every projection weight
/// and the token embedding stored by output channel (`[out, …]` whatever the original layout)
/// as the tensors `QuantizationFormat.storedTensors` names:
/// - int8: I8 `<name>` `[out, in]` and F32 `<name>_scale` `[out, ⌈in / group⌉]`;
/// - 4-bit: U8 `<name>` `[out, ⌈in / 64⌉ · 32]` (two codes a byte, see `Q4Matrix`), F16
///   `<name>_scale` and, asymmetric, F16 `<name>_min`, both `[out, ⌈in / group⌉]`.
/// The other tensors stay F32 under their usual names. config.json carries
/// `"quantization": {"bits": 4, "group_size": 32, "scheme": "symmetric"}`, plus an
/// `"embedding"` object of the same keys when the embedding / LM head has a format of its own.
/// Loading maps the file and runs the quantized bytes in place.
public enum QuantizedCheckpoint {
    /// The formats (projections, embedding) a checkpoint's config.json declares, or nil for a
    /// float checkpoint.
    public static func formats(directory: String) throws -> (projections: QuantizationFormat, embedding: QuantizationFormat)? {
        let path = (directory as NSString).appendingPathComponent(Checkpoint.configFile)
        guard let data = try? RegularFile.contents(of: path, limit: 1 << 20),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let quantization = json["quantization"] else { return nil }
        func format(_ value: Any) throws -> QuantizationFormat {
            guard let settings = value as? [String: Any], let bits = settings["bits"] as? Int,
                  let schemeName = settings["scheme"] as? String, let scheme = QuantizationFormat.Scheme(rawValue: schemeName),
                  let group = settings["group_size"] as? Int else {
                throw GPTError.checkpoint("\(path): \"quantization\" is \(value); Finch reads {\"bits\": 8 or 4, \"group_size\": N, \"scheme\": \"symmetric\" or \"asymmetric\"}")
            }
            do {
                return try QuantizationFormat(bits: bits, scheme: scheme, groupSize: group)
            } catch let error as QuantizationError {
                throw GPTError.checkpoint("\(path): \"quantization\": \(error.message)")
            }
        }
        let projections = try format(quantization)
        let embedding = try ((quantization as? [String: Any])?["embedding"]).map(format) ?? projections
        return (projections, embedding)
    }

    /// Names of the tensors stored quantized, without the `transformer.` prefix.
    static func quantizedNames(_ layout: ParameterLayout) -> Set<String> {
        var names: Set<String> = ["wte.weight"]
        for l in 0..<layout.blocks.count {
            for module in ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"] { names.insert("h.\(l).\(module).weight") }
        }
        return names
    }

    /// Parameters held quantized rather than float.
    static func quantizedParameterCount(_ layout: ParameterLayout) -> Int {
        let names = quantizedNames(layout)
        return layout.entries.filter { names.contains($0.name) }.reduce(0) { $0 + $1.count }
    }

    /// The quantized matrix of each quantized name.
    static func matrices(_ weights: QuantizedModelWeights) -> [String: any QuantizedWeight] {
        var matrices: [String: any QuantizedWeight] = ["wte.weight": weights.tokenEmbedding]
        for (l, block) in weights.blocks.enumerated() {
            matrices["h.\(l).attn.c_attn.weight"] = block.attention
            matrices["h.\(l).attn.c_proj.weight"] = block.attentionProjection
            matrices["h.\(l).mlp.c_fc.weight"] = block.fc
            matrices["h.\(l).mlp.c_proj.weight"] = block.fcProjection
        }
        return matrices
    }

    private static func json(_ format: QuantizationFormat) -> [String: Any] {
        ["bits": format.bits, "group_size": format.groupSize, "scheme": format.scheme.rawValue]
    }

    /// Writes `directory/config.json` and `directory/model.safetensors`, each atomically; the
    /// float tensors come from `model`, the quantized ones from `weights`.
    public static func save(model: GPTModel, weights: QuantizedModelWeights, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let matrices = matrices(weights)
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "quantization": "\(weights.format)"])
        for entry in model.layout.entries {
            let name = "transformer." + entry.name
            if let matrix = matrices[entry.name] {
                let stored = matrix.format.storedTensors(rows: matrix.rows, columns: matrix.columns)
                for (tensor, bytes) in zip(stored, matrix.storedBytes) {
                    try writer.add(name + tensor.suffix, dtype: tensor.dtype, shape: tensor.shape, bytes: bytes)
                }
            } else {
                try writer.add(name, floats: UnsafeBufferPointer(start: model.parameters.pointer + entry.offset, count: entry.count),
                               shape: entry.shape)
            }
        }
        // The writer borrows the matrices' memory until it returns.
        try withExtendedLifetime(weights) {
            try writer.write(to: (directory as NSString).appendingPathComponent(Checkpoint.weightsFile))
        }
        var quantization = json(weights.format)
        if weights.embeddingFormat != weights.format { quantization["embedding"] = json(weights.embeddingFormat) }
        quantization["quantized"] = "transformer.wte.weight and every attn/mlp projection weight, by output channel: "
            + "I8 [out, in] + F32 <name>_scale (8 bits); U8 [out, ceil(in / 64) * 32] + F16 <name>_scale (+ F16 <name>_min, asymmetric) (4 bits); "
            + "scales [out, ceil(in / group_size)]"
        try AtomicFile.write(try Checkpoint.configJSON(model.config, extra: ["quantization": quantization]),
                             to: (directory as NSString).appendingPathComponent(Checkpoint.configFile))
    }

    /// Opens a quantized checkpoint by memory map: the float tensors are copied into a new model,
    /// the quantized ones are used in place (the matrices keep the mapped file open).
    public static func load(
        directory: String, formats: (projections: QuantizationFormat, embedding: QuantizationFormat)
    ) throws -> (model: GPTModel, weights: QuantizedModelWeights) {
        let config = try Checkpoint.loadConfig(directory: directory)
        let path = (directory as NSString).appendingPathComponent(Checkpoint.weightsFile)
        guard FileManager.default.fileExists(atPath: path) else { throw GPTError.checkpoint("\(path): not found") }
        let file = try SafeTensorsFile(path: path)
        try Checkpoint.checkFits(config, file: file, directory: directory, countsValues: false)
        let model = GPTModel(config: config)
        let quantized = quantizedNames(model.layout)
        let available = Set(file.names)
        var used = Set<String>()
        var matrices: [String: any QuantizedWeight] = [:]
        for entry in model.layout.entries {
            guard let name = ["transformer." + entry.name, entry.name].first(where: available.contains),
                  let info = file.info(name) else {
                throw GPTError.checkpoint("\(path): no tensor named \"transformer.\(entry.name)\" (config.json says \(config.layerCount) layers)")
            }
            guard quantized.contains(entry.name) else {
                used.insert(name)
                guard info.shape == entry.shape else {
                    throw GPTError.checkpoint("\(path): \(name) has shape \(info.shape) but config.json implies \(entry.shape)")
                }
                try file.copyFloats(name, into: model.parameters.pointer + entry.offset, count: entry.count)
                continue
            }
            // Conv1D weights are [in, out]; the embedding is [V, C] = [out, in] already.
            let isEmbedding = entry.name == "wte.weight"
            let format = isEmbedding ? formats.embedding : formats.projections
            let (inFeatures, outFeatures) = isEmbedding ? (entry.shape[1], entry.shape[0]) : (entry.shape[0], entry.shape[1])
            var bytes: [UnsafeRawBufferPointer] = []
            for tensor in format.storedTensors(rows: outFeatures, columns: inFeatures) {
                let tensorName = name + tensor.suffix
                guard let tensorInfo = file.info(tensorName) else {
                    throw GPTError.checkpoint("\(path): no \(tensorName) (config.json says \(format))")
                }
                guard tensorInfo.dtype == tensor.dtype, tensorInfo.shape == tensor.shape else {
                    throw GPTError.checkpoint("\(path): \(tensorName) is \(tensorInfo.dtype.rawValue) \(tensorInfo.shape); \(format) with this config.json needs \(tensor.dtype.rawValue) \(tensor.shape)")
                }
                used.insert(tensorName)
                bytes.append(try file.rawBytes(tensorName))
            }
            do {
                matrices[entry.name] = try format.matrix(rows: outFeatures, columns: inFeatures,
                                                         layout: isEmbedding ? .rowsAreOutputs : .conv1D,
                                                         bytes: bytes, owner: file)
            } catch let error as QuantizationError {
                throw GPTError.checkpoint("\(path): \(name): \(error.message)")
            }
        }
        if let extra = file.names.first(where: { !used.contains($0) && !Checkpoint.isIgnorableBuffer($0) }) {
            throw GPTError.checkpoint("\(path): unexpected tensor \"\(extra)\": the checkpoint does not match config.json")
        }
        func matrix(_ name: String) throws -> any QuantizedWeight {
            guard let matrix = matrices[name] else { throw GPTError.checkpoint("\(path): no quantized tensor for \(name)") }
            return matrix
        }
        let blocks = try (0..<config.layerCount).map { l in
            QuantizedModelWeights.Block(attention: try matrix("h.\(l).attn.c_attn.weight"),
                                        attentionProjection: try matrix("h.\(l).attn.c_proj.weight"),
                                        fc: try matrix("h.\(l).mlp.c_fc.weight"),
                                        fcProjection: try matrix("h.\(l).mlp.c_proj.weight"))
        }
        return (model, QuantizedModelWeights(blocks: blocks, tokenEmbedding: try matrix("wte.weight"),
                                             format: formats.projections))
    }
}
