import Foundation
import Tensor

/// Int8 checkpoints: the Hugging Face GPT-2 directory layout with every projection weight and
/// the token embedding stored as I8 `[out, in]` (output channels as rows, for any original
/// layout) plus an F32 `<name>_scale` `[out, ⌈in / group⌉]`; weight[out, in] =
/// scale[out, in / group] · q[out, in]. The other tensors stay F32 under their usual names,
/// and config.json carries `"quantization": {"bits": 8, "group_size": G, "scheme": "symmetric"}`.
/// Loading maps the file and runs the int8 bytes in place.
public enum Int8Checkpoint {
    public static let scaleSuffix = "_scale"
    public static let scheme = "symmetric"

    /// The group size of an int8 checkpoint's config.json, or nil for a float checkpoint.
    public static func groupSize(directory: String) throws -> Int? {
        let path = (directory as NSString).appendingPathComponent(Checkpoint.configFile)
        guard let data = try? RegularFile.contents(of: path, limit: 1 << 20),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let quantization = json["quantization"] else { return nil }
        guard let settings = quantization as? [String: Any], settings["bits"] as? Int == 8,
              settings["scheme"] as? String == scheme, let group = settings["group_size"] as? Int, group > 0 else {
            throw GPTError.checkpoint("\(path): \"quantization\" is \(quantization); Finch reads {\"bits\": 8, \"group_size\": N, \"scheme\": \"symmetric\"}")
        }
        return group
    }

    /// Names of the tensors stored as int8, without the `transformer.` prefix.
    static func quantizedNames(_ layout: ParameterLayout) -> Set<String> {
        var names: Set<String> = ["wte.weight"]
        for l in 0..<layout.blocks.count {
            for module in ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"] { names.insert("h.\(l).\(module).weight") }
        }
        return names
    }

    /// Parameters held as int8 rather than float.
    static func quantizedParameterCount(_ layout: ParameterLayout) -> Int {
        let names = quantizedNames(layout)
        return layout.entries.filter { names.contains($0.name) }.reduce(0) { $0 + $1.count }
    }

    /// The int8 matrix of each quantized name.
    static func matrices(_ weights: Int8ModelWeights) -> [String: QuantizedMatrix] {
        var matrices = ["wte.weight": weights.tokenEmbedding]
        for (l, block) in weights.blocks.enumerated() {
            matrices["h.\(l).attn.c_attn.weight"] = block.attention
            matrices["h.\(l).attn.c_proj.weight"] = block.attentionProjection
            matrices["h.\(l).mlp.c_fc.weight"] = block.fc
            matrices["h.\(l).mlp.c_proj.weight"] = block.fcProjection
        }
        return matrices
    }

    /// Writes `directory/config.json` and `directory/model.safetensors`, each atomically; the
    /// float tensors come from `model`, the int8 ones from `weights`.
    public static func save(model: GPTModel, weights: Int8ModelWeights, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let matrices = matrices(weights)
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "quantization": "int8 \(scheme), group size \(weights.groupSize)"])
        for entry in model.layout.entries {
            let name = "transformer." + entry.name
            if let matrix = matrices[entry.name] {
                try writer.add(name, dtype: .int8, shape: matrix.quantizedShape, bytes: UnsafeRawBufferPointer(matrix.quantizedValues))
                try writer.add(name + scaleSuffix, floats: matrix.scales, shape: matrix.scalesShape)
            } else {
                try writer.add(name, floats: UnsafeBufferPointer(start: model.parameters.pointer + entry.offset, count: entry.count),
                               shape: entry.shape)
            }
        }
        // The writer borrows the matrices' memory until it returns.
        try withExtendedLifetime(weights) {
            try writer.write(to: (directory as NSString).appendingPathComponent(Checkpoint.weightsFile))
        }
        let quantization: [String: Any] = ["bits": 8, "group_size": weights.groupSize, "scheme": scheme,
                                           "quantized": "transformer.wte.weight and every attn/mlp projection weight, I8 [out, in] with F32 <name>\(scaleSuffix) [out, ceil(in / group_size)]"]
        try AtomicFile.write(try Checkpoint.configJSON(model.config, extra: ["quantization": quantization]),
                             to: (directory as NSString).appendingPathComponent(Checkpoint.configFile))
    }

    /// Opens an int8 checkpoint by memory map: the float tensors are copied into a new model,
    /// the int8 ones are used in place (the matrices keep the mapped file open).
    public static func load(directory: String, groupSize: Int) throws -> (model: GPTModel, weights: Int8ModelWeights) {
        let config = try Checkpoint.loadConfig(directory: directory)
        let path = (directory as NSString).appendingPathComponent(Checkpoint.weightsFile)
        guard FileManager.default.fileExists(atPath: path) else { throw GPTError.checkpoint("\(path): not found") }
        let file = try SafeTensorsFile(path: path)
        try Checkpoint.checkFits(config, file: file, directory: directory)
        let model = GPTModel(config: config)
        let quantized = quantizedNames(model.layout)
        let available = Set(file.names)
        var used = Set<String>()
        var matrices: [String: QuantizedMatrix] = [:]
        for entry in model.layout.entries {
            guard let name = ["transformer." + entry.name, entry.name].first(where: available.contains),
                  let info = file.info(name) else {
                throw GPTError.checkpoint("\(path): no tensor named \"transformer.\(entry.name)\" (config.json says \(config.layerCount) layers)")
            }
            used.insert(name)
            guard quantized.contains(entry.name) else {
                guard info.shape == entry.shape else {
                    throw GPTError.checkpoint("\(path): \(name) has shape \(info.shape) but config.json implies \(entry.shape)")
                }
                try file.copyFloats(name, into: model.parameters.pointer + entry.offset, count: entry.count)
                continue
            }
            // Conv1D weights are [in, out]; the embedding is [V, C] = [out, in] already.
            let isEmbedding = entry.name == "wte.weight"
            let (inFeatures, outFeatures) = isEmbedding ? (entry.shape[1], entry.shape[0]) : (entry.shape[0], entry.shape[1])
            let scaleName = name + scaleSuffix
            guard let scaleInfo = file.info(scaleName) else {
                throw GPTError.checkpoint("\(path): \(name) has no \(scaleName) (config.json says int8 with group size \(groupSize))")
            }
            used.insert(scaleName)
            let groups = (inFeatures + groupSize - 1) / groupSize
            guard info.dtype == .int8, info.shape == [outFeatures, inFeatures] else {
                throw GPTError.checkpoint("\(path): \(name) is \(info.dtype.rawValue) \(info.shape); an int8 checkpoint of this config.json needs I8 \([outFeatures, inFeatures])")
            }
            guard scaleInfo.dtype == .float32, scaleInfo.shape == [outFeatures, groups] else {
                throw GPTError.checkpoint("\(path): \(scaleName) is \(scaleInfo.dtype.rawValue) \(scaleInfo.shape); group size \(groupSize) needs F32 \([outFeatures, groups])")
            }
            do {
                matrices[entry.name] = try QuantizedMatrix(
                    rows: outFeatures, columns: inFeatures, groupSize: groupSize,
                    layout: isEmbedding ? .rowsAreOutputs : .conv1D,
                    quantizedValues: try file.rawBytes(name), scales: try file.rawBytes(scaleName), owner: file)
            } catch let error as QuantizationError {
                throw GPTError.checkpoint("\(path): \(name): \(error.message)")
            }
        }
        if let extra = file.names.first(where: { !used.contains($0) && !Checkpoint.isIgnorableBuffer($0) }) {
            throw GPTError.checkpoint("\(path): unexpected tensor \"\(extra)\": the checkpoint does not match config.json")
        }
        func matrix(_ name: String) throws -> QuantizedMatrix {
            guard let matrix = matrices[name] else { throw GPTError.checkpoint("\(path): no int8 tensor for \(name)") }
            return matrix
        }
        let blocks = try (0..<config.layerCount).map { l in
            Int8ModelWeights.Block(attention: try matrix("h.\(l).attn.c_attn.weight"),
                                   attentionProjection: try matrix("h.\(l).attn.c_proj.weight"),
                                   fc: try matrix("h.\(l).mlp.c_fc.weight"),
                                   fcProjection: try matrix("h.\(l).mlp.c_proj.weight"))
        }
        return (model, Int8ModelWeights(blocks: blocks, tokenEmbedding: try matrix("wte.weight")))
    }
}
