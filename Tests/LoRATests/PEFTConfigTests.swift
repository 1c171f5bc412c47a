import Foundation
import GPT
import LoRA
import XCTest

/// Reading `adapter_config.json` variants PEFT writes: regex targets, rsLoRA, and settings
/// Finch cannot honour, which must be refused by name.
final class PEFTConfigTests: XCTestCase {
    func parse(_ fields: [String: Any]) throws -> PEFTAdapterConfig {
        var json: [String: Any] = ["peft_type": "LORA", "r": 8, "lora_alpha": 16, "lora_dropout": 0.1,
                                   "target_modules": ["c_attn"], "bias": "none", "use_dora": false]
        json.merge(fields) { $1 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("adapter_config-\(UUID().uuidString).json").path
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try PEFTAdapterConfig(path: path)
    }

    func testReadsTheSettings() throws {
        let config = try parse([:]).configuration
        XCTAssertEqual(config.rank, 8)
        XCTAssertEqual(config.alpha, 16)
        XCTAssertEqual(config.dropout, 0.1, accuracy: 1e-7)
        XCTAssertEqual(config.targets, [.attention])
        XCTAssertEqual(config.scaling, 2)
        XCTAssertEqual(try parse(["use_rslora": true]).configuration.scaling, 16 / Float(8).squareRoot(), accuracy: 1e-6)
    }

    func testRegularExpressionTargetsAreFullMatchedOnModuleNames() throws {
        XCTAssertEqual(try parse(["target_modules": ".*\\.c_proj"]).configuration.targets, [.attentionProjection, .fcProjection])
        XCTAssertEqual(try parse(["target_modules": ".*mlp\\.(c_fc|c_proj)"]).configuration.targets, [.fc, .fcProjection])
        // `c_proj` alone does not full-match `transformer.h.0.attn.c_proj`.
        XCTAssertThrowsError(try parse(["target_modules": "c_proj"])) { XCTAssertTrue("\($0)".contains("matches none"), "\($0)") }
        XCTAssertThrowsError(try parse(["target_modules": "transformer\\.h\\.0\\..*"])) {
            XCTAssertTrue("\($0)".contains("some layers"), "\($0)")
        }
    }

    func testUnsupportedSettingsAreRefusedByName() {
        for (key, value) in [("use_dora", true as Any), ("rank_pattern", ["h.0.attn.c_attn": 4] as Any),
                             ("layers_to_transform", [0] as Any), ("modules_to_save", ["lm_head"] as Any),
                             ("bias", "all" as Any), ("peft_type", "IA3" as Any), ("r", 0 as Any)] {
            XCTAssertThrowsError(try parse([key: value]), key) { error in
                XCTAssertTrue("\(error)".contains(key == "peft_type" ? "IA3" : key), "\(key): \(error)")
            }
        }
    }
}

/// Fine-tuning data written on Windows: CRLF line ends read as the same examples.
final class CompletionDataTests: XCTestCase {
    func testCRLFJSONLinesReadLikeLF() throws {
        let lines = [#"{"prompt": "a", "completion": "b"}"#, "", #"{"prompt": "c", "completion": "d"}"#]
        var paths: [String] = []
        for separator in ["\n", "\r\n"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("finch-\(UUID().uuidString).jsonl").path
            try Data((lines.joined(separator: separator) + separator).utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        defer { paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let examples = try paths.map { try CompletionExample.readJSONL(path: $0) }
        XCTAssertEqual(examples[0], [CompletionExample(prompt: "a", completion: "b"), CompletionExample(prompt: "c", completion: "d")])
        XCTAssertEqual(examples[1], examples[0])
    }
}
