import Foundation
import GPT
import Tensor

/// PEFT's `adapter_config.json`: what Finch reads from one and writes into one.
public struct PEFTAdapterConfig: Sendable, Equatable {
    public var configuration: LoRAConfiguration
    /// The base checkpoint the adapter was trained on (PEFT's `base_model_name_or_path`).
    public var baseModel: String?

    public init(configuration: LoRAConfiguration, baseModel: String?) {
        self.configuration = configuration
        self.baseModel = baseModel
    }

    public static let fileName = "adapter_config.json"

    /// Parses an `adapter_config.json` as PEFT writes it. Settings Finch cannot honour (DoRA,
    /// per-layer ranks, trained biases, extra saved modules, layer filters) are rejected by name
    /// rather than silently ignored.
    public init(path: String) throws {
        guard RegularFile.exists(path) else {
            throw LoRAError.file("\(path): not found (is this a PEFT adapter directory?)")
        }
        let data: Data
        do {
            data = try RegularFile.contents(of: path, limit: 1 << 20)
        } catch {
            throw LoRAError.file("\(error)")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LoRAError.file("\(path): not a JSON object")
        }
        func fail(_ message: String) -> LoRAError { .invalidConfiguration("\(path): \(message)") }
        func number(_ key: String, default value: Double) throws -> Double {
            guard let raw = json[key], !(raw is NSNull) else { return value }
            guard let number = raw as? Double else { throw fail("\(key) must be a number") }
            return number
        }
        func isSet(_ key: String) -> Bool {
            switch json[key] {
            case nil, is NSNull: false
            case let flag as Bool: flag
            case let list as [Any]: !list.isEmpty
            case let table as [String: Any]: !table.isEmpty
            default: true
            }
        }

        let type = json["peft_type"] as? String ?? "(missing)"
        guard type == "LORA" else { throw fail("peft_type is \(type); only LORA adapters are supported") }
        guard let rank = json["r"] as? Int, rank >= 1 else { throw fail("r must be a positive integer") }
        for unsupported in ["use_dora", "rank_pattern", "alpha_pattern", "layers_to_transform", "modules_to_save",
                            "lora_bias", "trainable_token_indices", "target_parameters"] where isSet(unsupported) {
            throw fail("\(unsupported) is set; Finch supports plain LoRA on every block's projections")
        }
        if let bias = json["bias"] as? String, bias != "none" {
            throw fail("bias is \"\(bias)\"; Finch supports only bias \"none\"")
        }

        let targets: Set<Projection>
        switch json["target_modules"] {
        case let names as [String]:
            do {
                targets = try LoRAConfiguration.targets(named: names)
            } catch {
                throw fail("target_modules: \(error)")
            }
        case let pattern as String: targets = try Self.targets(matching: pattern, path: path)
        // PEFT's default for GPT-2 when none are given.
        case nil, is NSNull: targets = [.attention]
        default: throw fail("target_modules must be a list of names or a regular expression")
        }
        configuration = LoRAConfiguration(
            rank: rank, alpha: Float(try number("lora_alpha", default: 8)),
            dropout: Float(try number("lora_dropout", default: 0)), targets: targets,
            useRSLoRA: json["use_rslora"] as? Bool ?? false)
        if let problem = configuration.problem {
            throw fail(problem.replacingOccurrences(of: "--lora-", with: "lora_"))
        }
        baseModel = json["base_model_name_or_path"] as? String
    }

    /// A `target_modules` regular expression, full-matched against module names as PEFT does.
    /// It must select a projection in every block or in none.
    static func targets(matching pattern: String, path: String) throws -> Set<Projection> {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else {
            throw LoRAError.invalidConfiguration("\(path): target_modules \"\(pattern)\" is not a valid regular expression")
        }
        func matches(_ name: String) -> Bool {
            regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
        }
        var targets = Set<Projection>()
        for projection in Projection.allCases {
            // Layer numbers up to 100 cover any model this regex could be meant for.
            let hits = (0..<100).map { matches("transformer.h.\($0).\(projection.rawValue)") }
            if hits.allSatisfy({ $0 }) {
                targets.insert(projection)
            } else if hits.contains(true) {
                throw LoRAError.invalidConfiguration(
                    "\(path): target_modules \"\(pattern)\" selects \(projection.rawValue) in some layers only; Finch adapts every block")
            }
        }
        guard !targets.isEmpty else {
            throw LoRAError.invalidConfiguration("\(path): target_modules \"\(pattern)\" matches none of GPT-2's projections")
        }
        return targets
    }

    /// The JSON PEFT writes, with the keys PEFT needs to load the adapter onto the same base.
    public func jsonData() throws -> Data {
        // Through the decimal string so 0.05 is written as 0.05, not 0.05000000074505806.
        func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }
        let json: [String: Any] = [
            "alpha_pattern": [String: Any](),
            "auto_mapping": NSNull(),
            "base_model_name_or_path": baseModel ?? NSNull(),
            "bias": "none",
            "fan_in_fan_out": true,
            "inference_mode": true,
            "init_lora_weights": true,
            "layers_pattern": NSNull(),
            "layers_to_transform": NSNull(),
            "lora_alpha": decimal(configuration.alpha),
            "lora_dropout": decimal(configuration.dropout),
            "modules_to_save": NSNull(),
            "peft_type": "LORA",
            "r": configuration.rank,
            "rank_pattern": [String: Any](),
            "revision": NSNull(),
            "target_modules": configuration.targetModules,
            "task_type": "CAUSAL_LM",
            "use_dora": false,
            "use_rslora": configuration.useRSLoRA,
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
