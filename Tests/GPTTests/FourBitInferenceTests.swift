import Foundation
import Tensor
import TestSupport
import XCTest
@testable import GPT

/// 4-bit weights through a whole model: sessions, checkpoints and the bad files they must refuse.
extension QuantizedInferenceTests {
    static let fourBitFormats = QuantizationFormat.Scheme.allCases.map { try! QuantizationFormat(bits: 4, scheme: $0) }

    /// The 4-bit session stays close to a float session over the dequantized weights (the
    /// kernels round the activations to int8, `Q4MatrixTests` checks that arithmetic exactly),
    /// closer than to the original float model.
    func testFourBitSessionIsCloseToTheDequantizedFloatModel() throws {
        let model = randomModel(config, seed: 21)
        let prompt = [3, 200, 17, 45, 99, 1], steps = [7, 150, 2]
        let original = try logitsOfEveryStep(InferenceWeights(model: model), prompt: prompt, steps: steps)
        for format in Self.fourBitFormats {
            let weights = try QuantizedModelWeights(quantizing: model, format: format)
            let quantized = try logitsOfEveryStep(try InferenceWeights(model: model, quantized: weights), prompt: prompt, steps: steps)
            let reference = try logitsOfEveryStep(InferenceWeights(model: dequantizedCopy(of: model, weights)), prompt: prompt, steps: steps)
            let scale = Double(reference.map(abs).max() ?? 1)
            let toDequantized = zip(quantized, reference).map { Double(abs($0 - $1)) }.max() ?? 0
            let toOriginal = zip(quantized, original).map { Double(abs($0 - $1)) }.max() ?? 0
            XCTAssertLessThan(toDequantized, 0.02 * scale, "\(format): 4-bit logits vs the dequantized float model's")
            XCTAssertLessThan(toDequantized, 0.5 * toOriginal, "\(format): the rounding of the weights should dominate")
            XCTAssertLessThan(toOriginal, 0.2 * scale, "\(format): 4-bit logits stray from the float model's")
        }
    }

    func testFourBitCheckpointSavesAndLoadsByMemoryMapToTheSameLogits() throws {
        let model = randomModel(GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 128, contextLength: 32, vocabSize: 1000),
                                seed: 22)
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Checkpoint.save(model, directory: folder + "/float")
        let floatBytes = try InferenceCheckpoint.weightsFileBytes(directory: folder + "/float")
        let prompt = [5, 999, 40], steps = [100, 7]
        for (index, format) in Self.fourBitFormats.enumerated() {
            for embedding in [nil, QuantizationFormat.int8] {
                let directory = folder + "/q4-\(index)-\(embedding == nil ? "all" : "int8-embedding")"
                let weights = try QuantizedModelWeights(quantizing: model, format: format, embeddingFormat: embedding)
                try QuantizedCheckpoint.save(model: model, weights: weights, directory: directory)
                let loaded = try InferenceCheckpoint.load(directory: directory)
                XCTAssertEqual(loaded.quantized?.format, format)
                XCTAssertEqual(loaded.quantized?.embeddingFormat, embedding ?? format)
                XCTAssertEqual(try logitsOfEveryStep(loaded.weights, prompt: prompt, steps: steps),
                               try logitsOfEveryStep(try InferenceWeights(model: model, quantized: weights), prompt: prompt, steps: steps),
                               "\(format), embedding \(embedding.map(\.description) ?? "4-bit")")

                let file = try SafeTensorsFile(path: directory + "/model.safetensors")
                XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight")?.dtype, .uint8)
                XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight")?.shape, [512, 64], "[out, ⌈in / 64⌉ · 32]")
                XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight_scale")?.dtype, .float16)
                XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight_scale")?.shape, [512, 4])
                XCTAssertEqual(file.info("transformer.h.1.mlp.c_proj.weight_min")?.shape,
                               format.scheme == .asymmetric ? [128, 16] : nil)
                XCTAssertEqual(file.info("transformer.wte.weight")?.dtype, embedding == nil ? .uint8 : .int8)
                let config = try XCTUnwrap(JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: directory + "/config.json"))) as? [String: Any])
                let quantization = try XCTUnwrap(config["quantization"] as? [String: Any])
                XCTAssertEqual(quantization["bits"] as? Int, 4)
                XCTAssertEqual(quantization["group_size"] as? Int, 32)
                XCTAssertEqual(quantization["scheme"] as? String, format.scheme.rawValue)
                XCTAssertEqual((quantization["embedding"] as? [String: Any])?["bits"] as? Int, embedding == nil ? nil : 8)
                if embedding == nil {
                    // 4 bits a code and 16 a scale (and minimum) per 32 weights: ≤ 5/32 of float
                    // (widths that are multiples of 64 need no padding).
                    let quantizedBytes = try XCTUnwrap(loaded.quantized?.byteCount)
                    XCTAssertLessThanOrEqual(quantizedBytes, 5 * QuantizedCheckpoint.quantizedParameterCount(model.layout) / 8)
                    XCTAssertLessThan(loaded.modelBytes, floatBytes / 4)
                }
                let atLoad = try InferenceCheckpoint.load(directory: folder + "/float",
                                                          quantize: LoadQuantization(format: format, embeddingFormat: embedding))
                // Up to the file's JSON header (8 KB here).
                XCTAssertEqual(Double(atLoad.modelBytes), Double(loaded.modelBytes), accuracy: 8192,
                               "quantizing at load reports the size the 4-bit file has")
            }
        }
    }

    func testFourBitPerplexityStaysNearFloatOnTheGoldenCheckpoint() throws {
        let model = try Checkpoint.load(directory: Fixtures.tinyGPT2)
        var generator = SeededGenerator(seed: 78)
        let tokens = TokenArray((0..<300).map { _ in Int32(generator.nextInt(below: model.config.vocabSize)) })
        let float = try Perplexity.evaluate(session: InferenceSession(model: model), source: tokens, name: "t", block: 64)
        for format in Self.fourBitFormats {
            let weights = try InferenceWeights(model: model, quantized: try QuantizedModelWeights(quantizing: model, format: format))
            let quantized = try Perplexity.evaluate(session: InferenceSession(weights: weights), source: tokens, name: "t", block: 64)
            XCTAssertEqual(quantized.tokensScored, float.tokensScored)
            XCTAssertNotEqual(quantized.negativeLogLikelihood, float.negativeLogLikelihood)
            XCTAssertEqual(quantized.perplexity / float.perplexity, 1, accuracy: 0.05, "\(format)")
        }
    }

    func testBrokenFourBitCheckpointsAreOneClearErrorNamingTheTensor() throws {
        let model = randomModel(config, seed: 23)
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let format = try QuantizationFormat(bits: 4, scheme: .asymmetric)
        try QuantizedCheckpoint.save(model: model, weights: try QuantizedModelWeights(quantizing: model, format: format),
                                     directory: folder)
        let weightsPath = folder + "/model.safetensors"
        let good = try Data(contentsOf: URL(fileURLWithPath: weightsPath))
        func loadError() -> String {
            do { _ = try InferenceCheckpoint.load(directory: folder) } catch { return "\(error)" }
            return "no error"
        }
        /// Rewrites the file with `name` replaced (or dropped when `replacement` returns nil).
        func rewrite(_ name: String, _ replacement: (SafeTensorsFile.TensorInfo, [UInt8]) -> (SafeTensorsDType, [Int], [UInt8])?) throws {
            try good.write(to: URL(fileURLWithPath: weightsPath))
            let file = try SafeTensorsFile(path: weightsPath)
            var writer = SafeTensorsWriter()
            for tensor in file.names {
                let info = try XCTUnwrap(file.info(tensor))
                let bytes = Array(try file.rawBytes(tensor))
                if tensor != name {
                    try writer.add(tensor, dtype: info.dtype, shape: info.shape, bytes: bytes)
                } else if let (dtype, shape, newBytes) = replacement(info, bytes) {
                    try writer.add(tensor, dtype: dtype, shape: shape, bytes: newBytes)
                }
            }
            try writer.write(to: weightsPath)
        }
        let codes = "transformer.h.1.mlp.c_fc.weight"
        // Truncated nibbles: a row one byte short.
        try rewrite(codes) { info, bytes in (.uint8, [info.shape[0], info.shape[1] - 1], Array(bytes.prefix(info.shape[0] * (info.shape[1] - 1)))) }
        XCTAssertTrue(loadError().contains("\(codes) is U8 [256, 31]; 4-bit asymmetric, group size 32 with this config.json needs U8 [256, 32]"), loadError())
        // Scales of the wrong shape.
        try rewrite(codes + "_scale") { info, bytes in (.float16, [info.shape[1], info.shape[0]], bytes) }
        XCTAssertTrue(loadError().contains("\(codes)_scale is F16 [2, 256]"), loadError())
        try rewrite(codes + "_min") { info, bytes in (.float32, info.shape, bytes + bytes) }
        XCTAssertTrue(loadError().contains("\(codes)_min is F32"), loadError())
        try rewrite(codes + "_min") { _, _ in nil }
        XCTAssertTrue(loadError().contains("no \(codes)_min"), loadError())
        // A scale that is not finite.
        try rewrite(codes + "_scale") { info, bytes in (info.dtype, info.shape, [0x00, 0x7C] + bytes.dropFirst(2)) }
        XCTAssertTrue(loadError().contains("\(codes): scale 0 of a 256×64 4-bit weight is inf"), loadError())
        // A packed tensor whose byte count disagrees with its shape: the header's offsets lie.
        try good.write(to: URL(fileURLWithPath: weightsPath))
        var header = try XCTUnwrap(String(data: good[8..<(8 + Int(good.withUnsafeBytes { $0.load(as: UInt64.self) }))], encoding: .utf8))
        let shape = "\"\(codes)\":{\"dtype\":\"U8\",\"shape\":[256,32]"
        XCTAssertTrue(header.contains(shape), header)
        header = header.replacingOccurrences(of: shape, with: "\"\(codes)\":{\"dtype\":\"U8\",\"shape\":[256,31]")
        var broken = good
        broken.replaceSubrange(8..<(8 + header.utf8.count), with: Data(header.utf8))
        try broken.write(to: URL(fileURLWithPath: weightsPath))
        XCTAssertTrue(loadError().contains(codes), loadError())
    }
}
