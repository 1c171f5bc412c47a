import Foundation
import GPT
import LoRA
import Tensor
import TestSupport
import XCTest

/// The golden PEFT adapter (r 4, alpha 8, c_attn/c_proj/c_fc, B non-zero) on the golden tiny
/// GPT-2: logits, loss, every lora_A/lora_B gradient and the merged logits against PEFT's.
final class PEFTParityTests: XCTestCase {
    var directory: String { Fixtures.tinyGPT2 }

    /// The golden base, read tensor by tensor into the model's layout.
    func loadBase() throws -> GPTModel {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/config.json")))
        let values = try XCTUnwrap(json as? [String: Any])
        func int(_ key: String) throws -> Int { try XCTUnwrap(values[key] as? Int, key) }
        let config = GPTConfig(layerCount: try int("n_layer"), headCount: try int("n_head"), embeddingSize: try int("n_embd"),
                               contextLength: try int("n_positions"), vocabSize: try int("vocab_size"))
        let model = GPTModel(config: config)
        let file = try SafeTensorsFile(path: directory + "/model.safetensors")
        for entry in model.layout.entries {
            try file.copyFloats("transformer." + entry.name, into: model.parameters.pointer + entry.offset, count: entry.count)
        }
        return model
    }

    func goldenBatch() throws -> (tokens: [Int32], targets: [Int32], batchSize: Int, length: Int) {
        let file = try SafeTensorsFile(path: directory + "/expected.safetensors")
        let shape = try XCTUnwrap(file.info("input_ids")).shape
        return (try file.int64s("input_ids").map { Int32($0) }, try file.int64s("targets").map { Int32($0) }, shape[0], shape[1])
    }

    var expected: SafeTensorsFile {
        get throws { try SafeTensorsFile(path: directory + "/lora_expected.safetensors") }
    }

    func testLogitsLossAndGradientsMatchPEFT() throws {
        let model = try loadBase()
        let adapter = try LoRAAdapter.load(directory: directory + "/lora", model: model)
        XCTAssertEqual(adapter.configuration.targets, Set(Projection.allCases), "c_proj selects both projections")
        XCTAssertEqual(adapter.scaling, 2)
        let (tokens, targets, b, t) = try goldenBatch()
        let golden = try expected
        model.adapter = adapter
        model.isFrozen = true

        let logits = try model.logits(tokens: tokens, batchSize: b, length: t)
        assertClose(logits.data, try golden.floats("logits"), rtol: 1e-4, atol: 1e-5, "logits")

        adapter.isTraining = true
        adapter.zeroGradients()
        let loss = try model.forwardBackward(tokens: tokens, targets: targets, batchSize: b, length: t)
        assertClose([loss], try golden.floats("loss"), rtol: 1e-4, atol: 0, "loss")
        for slot in adapter.slots {
            for (name, offset, count) in [(slot.nameA, slot.aOffset, adapter.rank * slot.inFeatures),
                                          (slot.nameB, slot.bOffset, slot.outFeatures * adapter.rank)] {
                let goldenName = "grad." + name.replacingOccurrences(of: ".weight", with: ".default.weight")
                let actual = Array(UnsafeBufferPointer(start: adapter.gradients.pointer + offset, count: count))
                assertClose(actual, try golden.floats(goldenName), rtol: 1e-4, atol: 1e-6, goldenName)
            }
        }
        XCTAssertEqual(adapter.slots.count * 2, golden.names.filter { $0.hasPrefix("grad.") }.count)
    }

    func testMergedLogitsMatchPEFTAndTheUnmergedModel() throws {
        let model = try loadBase()
        let adapter = try LoRAAdapter.load(directory: directory + "/lora", model: model)
        let (tokens, _, b, t) = try goldenBatch()
        model.adapter = adapter
        let unmerged = try model.logits(tokens: tokens, batchSize: b, length: t)
        model.adapter = nil
        try adapter.merge(into: model)
        let merged = try model.logits(tokens: tokens, batchSize: b, length: t)
        assertClose(merged.data, try expected.floats("merged_logits"), rtol: 1e-4, atol: 1e-5, "merged logits")
        let worst = zip(merged.data, unmerged.data).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-4, "merged vs unmerged Finch")
    }

    func testSaveThenLoadRoundTripsInPEFTLayout() throws {
        let model = try loadBase()
        let adapter = try LoRAAdapter.load(directory: directory + "/lora", model: model)
        let out = temporaryDirectory()
        try adapter.save(to: out, baseModel: "tiny-gpt2")
        let reloaded = try LoRAAdapter.load(directory: out, model: model)
        XCTAssertEqual(reloaded.parameters.toArray(), adapter.parameters.toArray())
        XCTAssertEqual(reloaded.configuration, adapter.configuration)

        // The names and shapes PEFT saves, and the config keys it needs.
        let saved = try SafeTensorsFile(path: out + "/adapter_model.safetensors")
        let original = try SafeTensorsFile(path: directory + "/lora/adapter_model.safetensors")
        XCTAssertEqual(saved.names, original.names)
        for name in original.names { XCTAssertEqual(saved.info(name)?.shape, original.info(name)?.shape, name) }
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/adapter_config.json"))) as? [String: Any])
        XCTAssertEqual(config["peft_type"] as? String, "LORA")
        XCTAssertEqual(config["r"] as? Int, 4)
        XCTAssertEqual(config["lora_alpha"] as? Double, 8)
        XCTAssertEqual(config["fan_in_fan_out"] as? Bool, true)
        XCTAssertEqual(config["bias"] as? String, "none")
        XCTAssertEqual(config["base_model_name_or_path"] as? String, "tiny-gpt2")
        XCTAssertEqual(Set(try XCTUnwrap(config["target_modules"] as? [String])), ["c_attn", "c_proj", "c_fc"])
    }

    func testMismatchedAdaptersAreRejectedWithClearErrors() throws {
        let base = try loadBase()
        let adapterDirectory = directory + "/lora"
        var wider = base.config
        wider.embeddingSize = 96
        XCTAssertThrowsError(try LoRAAdapter.load(directory: adapterDirectory, modelConfig: wider)) {
            XCTAssertTrue("\($0)".contains("another base"), "\($0)")
        }
        var deeper = base.config
        deeper.layerCount = 3
        XCTAssertThrowsError(try LoRAAdapter.load(directory: adapterDirectory, modelConfig: deeper)) {
            XCTAssertTrue("\($0)".contains("2 layers"), "\($0)")
        }
        var shallower = base.config
        shallower.layerCount = 1
        XCTAssertThrowsError(try LoRAAdapter.load(directory: adapterDirectory, modelConfig: shallower)) {
            XCTAssertTrue("\($0)".contains("h.1"), "\($0)")
        }

        // The same tensors under a config that disagrees on the rank, then on the targets.
        let config = try String(contentsOfFile: adapterDirectory + "/adapter_config.json", encoding: .utf8)
        for (edited, expectedWords) in [(config.replacingOccurrences(of: "\"r\": 4", with: "\"r\": 8"), "rank 4"),
                                        (config.replacingOccurrences(of: "\"c_fc\",", with: ""), "c_fc")] {
            XCTAssertNotEqual(edited, config)
            let copy = temporaryDirectory()
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: adapterDirectory + "/adapter_model.safetensors",
                                             toPath: copy + "/adapter_model.safetensors")
            try edited.write(toFile: copy + "/adapter_config.json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try LoRAAdapter.load(directory: copy, model: base)) {
                XCTAssertTrue("\($0)".contains(expectedWords), "\($0)")
            }
        }
        XCTAssertThrowsError(try LoRAAdapter.load(directory: temporaryDirectory(), model: base)) {
            XCTAssertTrue("\($0)".contains("adapter_config.json"), "\($0)")
        }
    }

    func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finch-lora-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
