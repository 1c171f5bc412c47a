import Foundation
import Tensor

/// A checkpoint directory opened for decoding: the operators to run and what they cost on disk.
public struct LoadedInferenceModel {
    public var weights: InferenceWeights
    /// The quantized matrices when the weights are quantized (loaded so, or quantized at load).
    public var quantized: QuantizedModelWeights?
    /// Size of the checkpoint's weights file; after quantizing at load, the size the quantized
    /// checkpoint would have (codes, scales and the float tensors).
    public var modelBytes: Int
}

/// How to quantize a float checkpoint as it loads (a quantized checkpoint loads as it is).
public struct LoadQuantization: Sendable {
    public var format: QuantizationFormat
    /// The embedding / LM head's format; nil is the projections'.
    public var embeddingFormat: QuantizationFormat?
    public var searchScale: Bool

    public init(format: QuantizationFormat, embeddingFormat: QuantizationFormat? = nil, searchScale: Bool = true) {
        self.format = format
        self.embeddingFormat = embeddingFormat
        self.searchScale = searchScale
    }
}

public enum InferenceCheckpoint {
    /// Loads a float or quantized checkpoint (told apart by config.json's "quantization") for
    /// decoding; `quantize` quantizes a float checkpoint's matrices as it loads. A `shortlist.json`
    /// in the directory restricts the head to its tokens (`OutputShortlist`).
    public static func load(directory: String, quantize: LoadQuantization? = nil) throws -> LoadedInferenceModel {
        if let formats = try QuantizedCheckpoint.formats(directory: directory) {
            let (model, quantized) = try QuantizedCheckpoint.load(directory: directory, formats: formats)
            return LoadedInferenceModel(
                weights: try withShortlist(try InferenceWeights(model: model, quantized: quantized), quantized, directory),
                quantized: quantized, modelBytes: try weightsFileBytes(directory: directory))
        }
        let model = try Checkpoint.load(directory: directory)
        guard let quantize else {
            return LoadedInferenceModel(
                weights: try withShortlist(InferenceWeights(model: model).streamingFloatProjections(), nil, directory),
                quantized: nil, modelBytes: try weightsFileBytes(directory: directory))
        }
        let quantized = try quantizeChecked(model, quantize, directory: directory)
        let floatBytes = (model.layout.count - QuantizedCheckpoint.quantizedParameterCount(model.layout)) * MemoryLayout<Float>.size
        return LoadedInferenceModel(
            weights: try withShortlist(try InferenceWeights(model: model, quantized: quantized), quantized, directory),
            quantized: quantized, modelBytes: quantized.byteCount + floatBytes)
    }

    /// `weights` with the head restricted to the checkpoint's `shortlist.json`, when it has one.
    static func withShortlist(_ weights: InferenceWeights, _ quantized: QuantizedModelWeights?,
                              _ directory: String) throws -> InferenceWeights {
        guard let shortlist = try OutputShortlist.load(directory: directory, vocabSize: weights.model.config.vocabSize) else {
            return weights
        }
        return try weights.shortlisted(shortlist, quantized: quantized)
    }

    /// Quantizes `model`, naming the checkpoint when its weights cannot be quantized (NaN or ∞).
    public static func quantizeChecked(_ model: GPTModel, _ quantization: LoadQuantization,
                                       directory: String) throws -> QuantizedModelWeights {
        do {
            return try QuantizedModelWeights(quantizing: model, format: quantization.format,
                                             embeddingFormat: quantization.embeddingFormat,
                                             searchScale: quantization.searchScale)
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
