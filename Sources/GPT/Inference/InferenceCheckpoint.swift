import Foundation
import Tensor

/// A checkpoint directory opened for decoding: the operators to run and what they cost on disk.
public struct LoadedInferenceModel {
    public var weights: InferenceWeights
    /// The int8 matrices when the weights are int8 (loaded so, or quantized at load).
    public var int8: Int8ModelWeights?
    /// Size of the checkpoint's weights file; after quantizing at load, the size the int8
    /// checkpoint would have (int8 values, scales and the float tensors).
    public var modelBytes: Int
}

public enum InferenceCheckpoint {
    /// Loads a float or int8 checkpoint (told apart by config.json's "quantization") for
    /// decoding; `quantize` turns a float checkpoint's matrices into int8 as it loads.
    public static func load(directory: String, quantize: Bool = false,
                            groupSize: Int = QuantizedMatrix.defaultGroupSize) throws -> LoadedInferenceModel {
        if let savedGroupSize = try Int8Checkpoint.groupSize(directory: directory) {
            let (model, int8) = try Int8Checkpoint.load(directory: directory, groupSize: savedGroupSize)
            return LoadedInferenceModel(weights: try InferenceWeights(model: model, int8: int8), int8: int8,
                                        modelBytes: try weightsFileBytes(directory: directory))
        }
        let model = try Checkpoint.load(directory: directory)
        guard quantize else {
            return LoadedInferenceModel(weights: InferenceWeights(model: model).streamingFloatProjections(), int8: nil,
                                        modelBytes: try weightsFileBytes(directory: directory))
        }
        let int8 = try quantizeChecked(model, groupSize: groupSize, directory: directory)
        let floatBytes = (model.layout.count - Int8Checkpoint.quantizedParameterCount(model.layout)) * MemoryLayout<Float>.size
        return LoadedInferenceModel(weights: try InferenceWeights(model: model, int8: int8), int8: int8,
                                    modelBytes: int8.byteCount + floatBytes)
    }

    /// Quantizes `model`, naming the checkpoint when its weights cannot be quantized (NaN or ∞).
    public static func quantizeChecked(_ model: GPTModel, groupSize: Int, directory: String) throws -> Int8ModelWeights {
        do {
            return try Int8ModelWeights(quantizing: model, groupSize: groupSize)
        } catch let error as QuantizationError {
            throw GPTError.checkpoint("\(directory): \(error.message)")
        }
    }

    /// Size of `directory/model.safetensors`.
    public static func weightsFileBytes(directory: String) throws -> Int {
        let path = (directory as NSString).appendingPathComponent(Checkpoint.weightsFile)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }
}
