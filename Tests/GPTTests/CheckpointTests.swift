import Foundation
import GPT
import Tensor
import XCTest

/// Hugging Face layout round trips and the errors a bad checkpoint must give.
final class CheckpointTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-ckpt-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testSaveThenLoadGivesTheSameModel() throws {
        let config = GPTConfig(layerCount: 3, headCount: 2, embeddingSize: 10, contextLength: 9, vocabSize: 31)
        let model = GPTModel(config: config, seed: 3)
        try Checkpoint.save(model, directory: directory)
        let loaded = try Checkpoint.load(directory: directory)
        XCTAssertEqual(loaded.config, config)
        XCTAssertEqual(loaded.parameters.toArray(), model.parameters.toArray())
        let file = try SafeTensorsFile(path: directory + "/model.safetensors")
        XCTAssertEqual(file.info("transformer.h.2.attn.c_attn.weight")?.shape, [10, 30])
        XCTAssertNil(file.info("lm_head.weight"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/config.json"))) as? [String: Any]
        XCTAssertEqual(json?["model_type"] as? String, "gpt2")
        XCTAssertEqual(json?["activation_function"] as? String, "gelu_new")
        XCTAssertEqual(json?["tie_word_embeddings"] as? Bool, true)
    }

    /// Real `gpt2` downloads name tensors without `transformer.` and carry mask buffers.
    func testLoadsNamesWithoutPrefixAndIgnoresMaskBuffers() throws {
        let source = try SafeTensorsFile(path: Fixtures.tinyGPT2 + "/model.safetensors")
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in source.names {
            let info = try XCTUnwrap(source.info(name))
            try writer.add(String(name.dropFirst("transformer.".count)), floats: try source.floats(name), shape: info.shape)
        }
        try writer.add("h.0.attn.bias", floats: [Float](repeating: 1, count: 64 * 64), shape: [1, 1, 64, 64])
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writer.write(to: directory + "/model.safetensors")
        try FileManager.default.copyItem(atPath: Fixtures.tinyGPT2 + "/config.json", toPath: directory + "/config.json")
        let unprefixed = try Checkpoint.load(directory: directory)
        let golden = try Checkpoint.load(directory: Fixtures.tinyGPT2)
        XCTAssertEqual(unprefixed.parameters.toArray(), golden.parameters.toArray())
    }

    func testConfigThatDisagreesWithTheTensorsIsAClearError() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.tinyGPT2 + "/model.safetensors", toPath: directory + "/model.safetensors")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.tinyGPT2 + "/config.json"))) as? [String: Any])
        json["n_embd"] = 128
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: directory + "/config.json"))
        XCTAssertThrowsError(try Checkpoint.load(directory: directory)) {
            XCTAssertTrue("\($0)".contains("shape"), "\($0)")
        }
        json["n_embd"] = 64
        json["n_layer"] = 1
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: directory + "/config.json"))
        XCTAssertThrowsError(try Checkpoint.load(directory: directory)) {
            XCTAssertTrue("\($0)".contains("unexpected tensor"), "\($0)")
        }
    }

    func testMissingOrCorruptFilesAreClearErrors() throws {
        XCTAssertThrowsError(try Checkpoint.load(directory: directory)) {
            XCTAssertTrue("\($0)".contains("config.json"), "\($0)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        XCTAssertThrowsError(try Checkpoint.load(directory: directory)) {
            XCTAssertTrue("\($0)".contains("JSON"), "\($0)")
        }
        try FileManager.default.removeItem(atPath: directory + "/config.json")
        try FileManager.default.copyItem(atPath: Fixtures.tinyGPT2 + "/config.json", toPath: directory + "/config.json")
        XCTAssertThrowsError(try Checkpoint.load(directory: directory)) {
            XCTAssertTrue("\($0)".contains("model.safetensors"), "\($0)")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.tinyGPT2 + "/model.safetensors"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
        XCTAssertThrowsError(try Checkpoint.load(directory: directory))
    }
}
