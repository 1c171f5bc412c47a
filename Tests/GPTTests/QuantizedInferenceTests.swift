import Foundation
import Tensor
import TestSupport
import XCTest
@testable import GPT

final class QuantizedInferenceTests: XCTestCase {
    func randomModel(_ config: GPTConfig, seed: UInt64) -> GPTModel {
        let model = GPTModel(config: config, seed: seed)
        // Non-zero biases and LayerNorm parameters so every float tensor takes part.
        var generator = SeededGenerator(seed: seed + 1)
        for entry in model.layout.entries where entry.shape.count == 1 {
            let p = model.parameters.pointer + entry.offset
            for i in 0..<entry.count { p[i] += 0.05 * generator.nextNormal() }
        }
        return model
    }

    let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 64, contextLength: 32, vocabSize: 211)

    /// A float model whose matrices are exactly the int8 weights' dequantized values.
    func dequantizedCopy(of model: GPTModel, _ int8: QuantizedModelWeights) -> GPTModel {
        let copy = GPTModel(config: model.config)
        copy.parameters.pointer.update(from: model.parameters.pointer, count: model.layout.count)
        let matrices = QuantizedCheckpoint.matrices(int8)
        for entry in model.layout.entries {
            guard let matrix = matrices[entry.name] else { continue }
            let values = matrix.dequantized()
            XCTAssertEqual(values.count, entry.count)
            (copy.parameters.pointer + entry.offset).update(from: values, count: entry.count)
        }
        return copy
    }

    func logitsOfEveryStep(_ weights: InferenceWeights, prompt: [Int], steps: [Int]) throws -> [Float] {
        let session = InferenceSession(weights: weights)
        var all = Array(try session.prefill(prompt))
        for token in steps { all += Array(try session.next(token)) }
        return all
    }

    func testInt8LinearIsTheProductWithTheDequantizedWeight() throws {
        let model = randomModel(config, seed: 3)
        let c = config.embeddingSize
        let offsets = model.layout.blocks[1]
        let p = model.parameters.pointer
        let matrix = try QuantizedMatrix(quantizing: p + offsets.fcWeight, inFeatures: c, outFeatures: 4 * c, layout: .conv1D)
        let int8 = QuantizedLinear(matrix: matrix, bias: p + offsets.fcBias, biasOwner: model.parameters)
        let dequantized = matrix.dequantized()
        var generator = SeededGenerator(seed: 4)
        for rows in [1, 5] {
            let input = (0..<(rows * c)).map { _ in generator.nextNormal() }
            var output = [Float](repeating: .nan, count: rows * 4 * c)
            var expected = [Float](repeating: 0, count: rows * 4 * c)
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { int8.apply(rows: rows, input: x.baseAddress!, output: $0.baseAddress!) }
                dequantized.withUnsafeBufferPointer { w in
                    expected.withUnsafeMutableBufferPointer { y in
                        FloatLinear(weight: w.baseAddress!, bias: p + offsets.fcBias, inFeatures: c, outFeatures: 4 * c)
                            .apply(rows: rows, input: x.baseAddress!, output: y.baseAddress!)
                    }
                }
            }
            assertClose(output, expected, rtol: 1e-5, atol: 1e-5, "rows \(rows)")
        }
    }

    /// The int8 session with float activations (prefill and decode steps, embedding rows and head)
    /// equals a float session over the dequantized weights, and stays near the original float model.
    func testInt8SessionEqualsTheDequantizedFloatModel() throws {
        let model = randomModel(config, seed: 11)
        let int8 = try QuantizedModelWeights(quantizing: model, format: try QuantizationFormat(bits: 8, groupSize: 32))
        let prompt = [3, 200, 17, 45, 99, 1], steps = [7, 150, 2]
        let quantized = try logitsOfEveryStep(try InferenceWeights(model: model, quantized: int8, activations: .float),
                                              prompt: prompt, steps: steps)
        let reference = try logitsOfEveryStep(InferenceWeights(model: dequantizedCopy(of: model, int8)), prompt: prompt, steps: steps)
        assertClose(quantized, reference, rtol: 1e-4, atol: 1e-5, "int8 vs dequantized float")

        let original = try logitsOfEveryStep(InferenceWeights(model: model), prompt: prompt, steps: steps)
        let error = zip(quantized, original).map { abs($0 - $1) }.max() ?? 0
        let scale = original.map(abs).max() ?? 1
        XCTAssertGreaterThan(error, 0, "int8 rounding should change something")
        XCTAssertLessThan(error, 0.05 * scale, "int8 logits stray from the float model's")

        // Int8 activations (the default where the CPU has VNNI) add the inputs' rounding only.
        let w8a8 = try logitsOfEveryStep(try InferenceWeights(model: model, quantized: int8), prompt: prompt, steps: steps)
        let w8a8Error = zip(w8a8, original).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(w8a8Error, 0.05 * scale, "int8 × int8 logits stray from the float model's")
    }

    func testSavedCheckpointLoadsByMemoryMapToTheSameLogits() throws {
        let model = randomModel(GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 128, contextLength: 32, vocabSize: 3000),
                                seed: 5)
        let int8 = try QuantizedModelWeights(quantizing: model)
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Checkpoint.save(model, directory: folder + "/float")
        try QuantizedCheckpoint.save(model: model, weights: int8, directory: folder + "/int8")

        let loaded = try InferenceCheckpoint.load(directory: folder + "/int8")
        XCTAssertEqual(loaded.quantized?.format, .int8)
        let prompt = [5, 2999, 40], steps = [1000, 7]
        XCTAssertEqual(try logitsOfEveryStep(loaded.weights, prompt: prompt, steps: steps),
                       try logitsOfEveryStep(try InferenceWeights(model: model, quantized: int8), prompt: prompt, steps: steps))

        let file = try SafeTensorsFile(path: folder + "/int8/model.safetensors")
        XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight")?.dtype, .int8)
        XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight")?.shape, [512, 128], "[out, in]")
        XCTAssertEqual(file.info("transformer.h.0.mlp.c_fc.weight_scale")?.shape, [512, 2])
        XCTAssertEqual(file.info("transformer.wte.weight_scale")?.dtype, .float32)
        XCTAssertEqual(file.info("transformer.h.1.ln_2.bias")?.dtype, .float32)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/int8/config.json"))) as? [String: Any])
        let quantization = try XCTUnwrap(config["quantization"] as? [String: Any])
        XCTAssertEqual(quantization["bits"] as? Int, 8)
        XCTAssertEqual(quantization["scheme"] as? String, "symmetric")

        let floatBytes = try InferenceCheckpoint.weightsFileBytes(directory: folder + "/float")
        XCTAssertLessThan(Double(loaded.modelBytes), 0.30 * Double(floatBytes))
        let atLoad = try InferenceCheckpoint.load(directory: folder + "/float", quantize: LoadQuantization(format: .int8))
        XCTAssertEqual(Double(atLoad.modelBytes), Double(loaded.modelBytes), accuracy: 0.01 * Double(loaded.modelBytes),
                       "quantizing at load reports the size the int8 file has")
    }

    func testInt8PerplexityStaysNearFloatOnTheGoldenCheckpoint() throws {
        let model = try Checkpoint.load(directory: Fixtures.tinyGPT2)
        var generator = SeededGenerator(seed: 77)
        let tokens = TokenArray((0..<300).map { _ in Int32(generator.nextInt(below: model.config.vocabSize)) })
        let float = try Perplexity.evaluate(session: InferenceSession(model: model), source: tokens, name: "t", block: 64)
        let int8 = try Perplexity.evaluate(
            session: InferenceSession(weights: try InferenceWeights(model: model, quantized: try QuantizedModelWeights(quantizing: model))),
            source: tokens, name: "t", block: 64)
        XCTAssertEqual(int8.tokensScored, float.tokensScored)
        XCTAssertNotEqual(int8.negativeLogLikelihood, float.negativeLogLikelihood)
        XCTAssertEqual(int8.perplexity / float.perplexity, 1, accuracy: 0.01)
    }

    func testBrokenInt8CheckpointsAreOneClearError() throws {
        let model = randomModel(config, seed: 8)
        let int8 = try QuantizedModelWeights(quantizing: model)
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizedCheckpoint.save(model: model, weights: int8, directory: folder)
        let configPath = folder + "/config.json", weightsPath = folder + "/model.safetensors"
        let goodConfig = try Data(contentsOf: URL(fileURLWithPath: configPath))

        func loadError() -> String {
            do { _ = try InferenceCheckpoint.load(directory: folder) } catch { return "\(error)" }
            return "no error"
        }
        func editConfig(_ edit: (inout [String: Any]) -> Void) throws {
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: goodConfig) as? [String: Any])
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: configPath))
        }

        try editConfig { $0["quantization"] = ["bits": 5, "group_size": 64, "scheme": "symmetric"] }
        XCTAssertTrue(loadError().hasSuffix("config.json: \"quantization\": bits must be 4 or 8, got 5"), loadError())
        try editConfig { $0["quantization"] = ["bits": 4, "group_size": 64, "scheme": "symmetric"] }
        XCTAssertTrue(loadError().contains("transformer.wte.weight is I8"), loadError())
        try editConfig { $0["quantization"] = ["bits": 8, "group_size": 32, "scheme": "symmetric"] }
        XCTAssertTrue(loadError().contains("_scale"), loadError())
        try editConfig { $0["n_layer"] = 3 }
        XCTAssertTrue(loadError().contains("h.2"), loadError())
        try editConfig { $0["n_embd"] = 32; $0["n_head"] = 2 }
        XCTAssertTrue(loadError().contains("config.json"), loadError())
        try goodConfig.write(to: URL(fileURLWithPath: configPath))

        // The same tensors with one scale missing.
        let file = try SafeTensorsFile(path: weightsPath)
        var writer = SafeTensorsWriter()
        for name in file.names where name != "transformer.h.1.attn.c_proj.weight_scale" {
            let info = try XCTUnwrap(file.info(name))
            try writer.add(name, dtype: info.dtype, shape: info.shape, bytes: Array(try file.rawBytes(name)))
        }
        try writer.write(to: weightsPath)
        XCTAssertTrue(loadError().contains("transformer.h.1.attn.c_proj.weight_scale"), loadError())
    }

    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("finch-int8-\(UUID().uuidString)").path
    }
}
