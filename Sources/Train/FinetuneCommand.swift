import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import LoRA
import Tensor
import Tokenizer

/// `train finetune`: LoRA adapters on a frozen base checkpoint, trained with the same loop and
/// flags as `pretrain`; the output directory is a PEFT adapter.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a checkpoint with LoRA adapters (saved in PEFT's layout).")

    @Option(help: "Base checkpoint directory (config.json + model.safetensors), kept frozen.")
    var base: String

    @OptionGroup var data: TrainingDataOptions

    @Option(help: "Output adapter directory (adapter_config.json + adapter_model.safetensors; best/ holds the lowest val loss).")
    var out: String

    // Optional so that `--resume` can tell a flag given (and compare it with the saved adapter)
    // from a default.
    @Option(help: "Adapter rank r (default 16).") var loraRank: Int?
    @Option(help: "Adapter alpha; the update is scaled by alpha/r (default 2 × rank).") var loraAlpha: Float?
    @Option(help: "Dropout on the adapters' input while training (default 0.05).") var loraDropout: Float?
    @Option(help: "Comma-separated projections to adapt: c_attn, attn.c_proj, c_fc, mlp.c_proj (c_proj = both; default all four).")
    var loraTargets: String?

    @Flag(help: "Same as --bits 8.")
    var int8 = false

    @Option(parsing: .unconditional, help: "Keep the frozen base's projections in 8 or 4 bits (QLoRA's setting): about a quarter or a sixth of their float memory.")
    var bits: Int?

    @Option(help: "With --bits 4: symmetric or asymmetric (a minimum per group).")
    var scheme = QuantizationFormat.Scheme.symmetric.rawValue

    @Option(help: "Training sequence length (default: the base's context).") var blockSize: Int?

    @OptionGroup var training: TrainingFlags

    @Flag(help: "Continue the run saved in --out: adapter, step, optimiser moments, data position.")
    var resume = false

    @Flag(help: "Replace an existing adapter in --out instead of refusing.")
    var overwrite = false

    @OptionGroup var dataParallel: DataParallelOptions

    @OptionGroup var threadOptions: ThreadOptions

    /// The frozen base's format from --bits / --int8 / --scheme, or nil for a float base.
    private func baseFormat() throws -> QuantizationFormat? {
        if int8, let bits, bits != 8 { throw ValidationError("--int8 and --bits \(bits) disagree: --int8 is --bits 8") }
        guard let bits = bits ?? (int8 ? 8 : nil) else { return nil }
        guard bits == 8 || bits == 4 else { throw ValidationError("--bits must be 4 or 8 (got \(bits))") }
        guard let scheme = QuantizationFormat.Scheme(rawValue: bits == 8 ? "symmetric" : scheme) else {
            throw ValidationError("--scheme must be symmetric or asymmetric (got \(scheme))")
        }
        return try QuantizationFormat(bits: bits, scheme: scheme)
    }

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            try RunDirectory.check(out: out, intent: resume ? .resume : .create(overwrite: overwrite),
                                   inputs: [("--base", base)] + data.inputs)
            let format = try baseFormat()
            let requested = try loraConfiguration()
            let group = try dataParallel.processGroup()
            let gpt = try Checkpoint.load(directory: base)
            let quantized = try format.map { try QuantizedFrozenBase(quantizing: gpt, format: $0) }
            let (trainData, validationData) = try data.load(vocabSize: gpt.config.vocabSize)

            let adapter: LoRAAdapter
            var resumedState: TrainerState?
            if resume {
                // The state first: loading it completes a save a killed run left half-done.
                let state = try TrainerState.load(directory: out)
                guard state.config == gpt.config else {
                    throw ValidationError("--resume: \(out) was fine-tuned on a base with \(describe(state.config)), not \(base) (\(describe(gpt.config)))")
                }
                adapter = try LoRAAdapter.load(directory: out, model: gpt)
                adapter.dropoutSeed = training.seed
                try checkResumedSettings(adapter.configuration)
                resumedState = state
            } else {
                do {
                    adapter = try LoRAAdapter(modelConfig: gpt.config, configuration: requested, seed: training.seed)
                } catch {
                    throw ValidationError("--lora-rank \(requested.rank): \(error)")
                }
            }
            let model = try LoRAModel(base: gpt, adapter: adapter, baseModelName: base)
            let options = try training.options(defaultLength: blockSize ?? gpt.config.contextLength)
            let trainer = try Trainer(target: model, config: gpt.config, options: options, train: trainData,
                                      validation: validationData, outputDirectory: out, resumeFrom: resumedState,
                                      group: group)
            let lora = adapter.configuration
            trainer.sharedSettings = ["--base": base, "--bits": format.map(\.description) ?? "float", "--lora-alpha": String(lora.alpha),
                                      "--lora-dropout": String(lora.dropout)]
            let say = { (line: String) in if group.rank == 0 { printError(line) } }
            if group.size > 1 {
                say("data parallel: \(group.size) ranks × batch \(options.batchSize) = global batch \(group.size * options.batchSize), \(Parallel.coreCount) thread\(Parallel.coreCount == 1 ? "" : "s") per rank")
            }
            say("base: \(base) (\(describe(gpt.config)), \(formatCount(gpt.parameterCount)) parameters\(quantized.map { ", projections \(format.map(\.description) ?? "") in \(formatCount($0.byteCount)) bytes" } ?? ""))")
            say(String(format: "LoRA: r %d, alpha %g, dropout %g on %@: %@ trainable parameters (%.2f%% of %@)",
                              lora.rank, lora.alpha, lora.dropout, lora.targetModules.joined(separator: ", "),
                              formatCount(adapter.parameterCount), 100 * model.trainableFraction,
                              formatCount(adapter.parameterCount + gpt.parameterCount)))
            say("data: \(formatCount(trainData.tokenCount)) train tokens, \(formatCount(validationData?.tokenCount ?? 0)) val tokens")
            if resume { say("resuming \(out) at step \(trainer.state.step)") }
            let final = try trainer.run(report: printTrainingEvent)
            try finish(group)
            guard group.rank == 0 else { return }
            if let best = final.bestValidationLoss {
                print(String(format: "done: step %d, best val loss %.4f; adapter in %@ (best in %@/best)",
                             final.step, best, out, out))
            } else {
                print("done: step \(final.step); adapter in \(out)")
            }
        }
    }

    /// The adapter settings the flags ask for (defaults filled in), checked before anything loads.
    func loraConfiguration() throws -> LoRAConfiguration {
        let names = (loraTargets ?? "c_attn,attn.c_proj,c_fc,mlp.c_proj").split(separator: ",").map(String.init)
        let targets: Set<Projection>
        do {
            targets = try LoRAConfiguration.targets(named: names)
        } catch {
            throw ValidationError("--lora-targets: \(error)")
        }
        let rank = loraRank ?? 16
        if let problem = SizeCheck.problem("--lora-rank", rank, in: 1...LoRAConfiguration.maximumRank) {
            throw ValidationError(problem)
        }
        let configuration = LoRAConfiguration(rank: rank, alpha: loraAlpha ?? Float(2 * rank),
                                              dropout: loraDropout ?? 0.05, targets: targets)
        if let problem = configuration.problem { throw ValidationError(problem) }
        return configuration
    }

    /// `--resume` continues the saved adapter: a LoRA flag given with another value than the one
    /// in `adapter_config.json` would be silently ignored, so it is refused.
    func checkResumedSettings(_ saved: LoRAConfiguration) throws {
        let file = (out as NSString).appendingPathComponent(PEFTAdapterConfig.fileName)
        let requested = try loraConfiguration()
        var differences: [String] = []
        if loraRank != nil, requested.rank != saved.rank { differences.append("--lora-rank \(requested.rank) (saved r = \(saved.rank))") }
        if loraAlpha != nil, requested.alpha != saved.alpha { differences.append("--lora-alpha \(requested.alpha) (saved \(saved.alpha))") }
        if loraDropout != nil, requested.dropout != saved.dropout {
            differences.append("--lora-dropout \(requested.dropout) (saved \(saved.dropout))")
        }
        if loraTargets != nil, requested.targets != saved.targets {
            differences.append("--lora-targets \(requested.targetModules.joined(separator: ",")) (saved \(saved.targetModules.joined(separator: ",")))")
        }
        if !differences.isEmpty {
            throw ValidationError("--resume continues the adapter in \(file); it cannot change \(differences.joined(separator: ", ")): drop the flag or start a new run")
        }
    }
}
