import Foundation
import GPT
import Tensor

/// Saving and loading adapters in PEFT's directory layout: `adapter_config.json` and
/// `adapter_model.safetensors` with `base_model.model.transformer.h.{i}.{module}.lora_A.weight`
/// `[r, in]` and `.lora_B.weight` `[out, r]`, so PEFT loads them onto the same base and Finch
/// loads what PEFT saves.
extension LoRAAdapter {
    public static let weightsFileName = "adapter_model.safetensors"

    /// Writes the adapter into `directory` (created if needed), each file atomically or staged in
    /// `set`. `baseModel` is recorded as `base_model_name_or_path`.
    public func save(to directory: String, baseModel: String?, in set: FileSet? = nil) throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for slot in slots {
            try writer.add(slot.nameA, floats: UnsafeBufferPointer(start: parameters.pointer + slot.aOffset,
                                                                   count: rank * slot.inFeatures),
                           shape: [rank, slot.inFeatures])
            try writer.add(slot.nameB, floats: UnsafeBufferPointer(start: parameters.pointer + slot.bOffset,
                                                                   count: slot.outFeatures * rank),
                           shape: [slot.outFeatures, rank])
        }
        try writer.write(to: directory + "/" + Self.weightsFileName, in: set)
        let config = PEFTAdapterConfig(configuration: configuration, baseModel: baseModel)
        try AtomicFile.write(try config.jsonData(), to: directory + "/" + PEFTAdapterConfig.fileName, in: set)
    }

    /// Loads a PEFT adapter directory for a base model of shape `modelConfig`. An adapter made
    /// for another shape, with a rank other than its config's, or with tensors for modules
    /// outside its targets is rejected with one line naming the tensor and both shapes.
    public static func load(directory: String, modelConfig: GPTConfig) throws -> LoRAAdapter {
        let config = try PEFTAdapterConfig(path: directory + "/" + PEFTAdapterConfig.fileName)
        let path = directory + "/" + weightsFileName
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoRAError.file("\(path): missing (Finch reads adapters saved as safetensors, PEFT's default)")
        }
        let file = try SafeTensorsFile(path: path)
        let adapter: LoRAAdapter
        do {
            adapter = try LoRAAdapter(modelConfig: modelConfig, configuration: config.configuration)
        } catch {
            throw LoRAError.invalidConfiguration("\(directory)/\(PEFTAdapterConfig.fileName): \(error)")
        }
        let r = adapter.rank
        var used = Set<String>()
        for slot in adapter.slots {
            for (isA, offset) in [(true, slot.aOffset), (false, slot.bOffset)] {
                let expected = isA ? [r, slot.inFeatures] : [slot.outFeatures, r]
                // PEFT saves without the adapter name; its in-memory names carry `.default`.
                let saved = isA ? slot.nameA : slot.nameB
                let candidates = [saved, saved.replacingOccurrences(of: ".weight", with: ".default.weight")]
                guard let name = candidates.first(where: { file.info($0) != nil }), let info = file.info(name) else {
                    throw LoRAError.mismatch(missingTensorMessage(saved, file: file, modelConfig: modelConfig, path: path))
                }
                guard info.shape == expected else {
                    let rankIndex = isA ? 0 : 1
                    if info.shape.count == 2, info.shape[rankIndex] != r {
                        throw LoRAError.mismatch(
                            "\(path): \(name) has rank \(info.shape[rankIndex]) (shape \(info.shape)) but \(PEFTAdapterConfig.fileName) says r = \(r)")
                    }
                    throw LoRAError.mismatch(
                        "\(path): \(name) has shape \(info.shape) but the base model's \(slot.moduleName) needs \(expected) (in \(slot.inFeatures), out \(slot.outFeatures), r \(r)): the adapter was made for another base")
                }
                try file.copyFloats(name, into: adapter.parameters.pointer + offset, count: info.elementCount)
                used.insert(name)
            }
        }
        if let extra = file.names.first(where: { !used.contains($0) }) {
            throw LoRAError.mismatch(
                "\(path): tensor \(extra) does not belong to the adapter's targets (\(config.configuration.targetModules.joined(separator: ", "))) on a \(modelConfig.layerCount)-layer base")
        }
        return adapter
    }

    /// Loads an adapter directory for `model`'s shape.
    public static func load(directory: String, model: GPTModel) throws -> LoRAAdapter {
        try load(directory: directory, modelConfig: model.config)
    }

    /// Why a tensor the base needs is absent: usually an adapter for a model with fewer layers.
    private static func missingTensorMessage(_ name: String, file: SafeTensorsFile, modelConfig: GPTConfig,
                                             path: String) -> String {
        let layers = file.names.compactMap { name -> Int? in
            guard let range = name.range(of: "transformer.h.") else { return nil }
            return Int(name[range.upperBound...].prefix { $0.isNumber })
        }
        if let deepest = layers.max(), deepest + 1 < modelConfig.layerCount {
            return "\(path): the adapter covers \(deepest + 1) layers but the base model has \(modelConfig.layerCount) (no \(name))"
        }
        return "\(path): no tensor \(name), which the adapter's targets need on this base"
    }
}
