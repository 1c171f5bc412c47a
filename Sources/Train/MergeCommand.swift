import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import LoRA

/// `train merge`: folds a LoRA adapter into its base, W' = W + (alpha/r)·(B·A)ᵀ, and writes a
/// plain checkpoint that runs at the base model's speed and loads anywhere a GPT-2 does.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a LoRA adapter into its base checkpoint and save a plain checkpoint.")

    @Option(help: "Base checkpoint directory the adapter was trained on.") var base: String
    @Option(help: "Adapter directory (PEFT layout: adapter_config.json + adapter_model.safetensors).") var lora: String
    @Option(help: "Output checkpoint directory.") var out: String

    @Flag(help: "Replace an existing checkpoint in --out instead of refusing.")
    var overwrite = false

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            try RunDirectory.check(out: out, intent: .create(overwrite: overwrite), inputs: [("--base", base), ("--lora", lora)])
            let model = try Checkpoint.load(directory: base)
            let adapter = try LoRAAdapter.load(directory: lora, model: model)
            try adapter.merge(into: model)
            let settings = adapter.configuration
            try Checkpoint.save(model, directory: out, metadata: [
                "merged_lora": lora, "lora_r": String(settings.rank), "lora_alpha": "\(settings.alpha)",
            ])
            print("merged \(lora) (r \(settings.rank), alpha \(settings.alpha), \(settings.targetModules.joined(separator: ", "))) into \(base) → \(out)")
        }
    }
}
