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

    @Option(help: "A directory with train.bin / val.bin, or a .jsonl file of {\"prompt\", \"completion\"} lines.")
    var data: String

    @Option(help: "Output adapter directory (adapter_config.json + adapter_model.safetensors; best/ holds the lowest val loss).")
    var out: String

    @Option(help: "Adapter rank r.") var loraRank = 16
    @Option(help: "Adapter alpha; the update is scaled by alpha/r (default 2 × rank).") var loraAlpha: Float?
    @Option(help: "Dropout on the adapters' input while training.") var loraDropout: Float = 0.05
    @Option(help: "Comma-separated projections to adapt: c_attn, attn.c_proj, c_fc, mlp.c_proj (c_proj = both).")
    var loraTargets = "c_attn,attn.c_proj,c_fc,mlp.c_proj"

    @Flag(help: "Keep the frozen base's projections in int8 (QLoRA-style): about a quarter of their float memory.")
    var int8 = false

    @Option(help: "Training sequence length (default: the base's context).") var blockSize: Int?
    @Option(help: "For JSONL data: share of the examples held out for validation.") var valFraction = 0.1
    @Option(help: "For JSONL data: directory with the GPT-2 vocabulary (encoder.json + vocab.bpe).")
    var vocab = "data/gpt2"

    @OptionGroup var training: TrainingFlags

    @Flag(help: "Continue the run saved in --out: adapter, step, optimiser moments, data position.")
    var resume = false

    @Flag(help: "Replace an existing adapter in --out instead of refusing.")
    var overwrite = false

    @OptionGroup var dataParallel: DataParallelOptions

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            let group = try dataParallel.processGroup()
            let gpt = try Checkpoint.load(directory: base)
            let quantized = int8 ? try Int8FrozenBase(quantizing: gpt) : nil
            let (trainData, validationData) = try loadData(vocabSize: gpt.config.vocabSize)

            let adapter: LoRAAdapter
            var resumedState: TrainerState?
            if resume {
                adapter = try LoRAAdapter.load(directory: out, model: gpt)
                adapter.dropoutSeed = training.seed
                let state = try TrainerState.load(directory: out)
                guard state.config == gpt.config else {
                    throw ValidationError("--resume: \(out) was fine-tuned on a base with \(describe(state.config)), not \(base) (\(describe(gpt.config)))")
                }
                resumedState = state
            } else {
                if !overwrite, FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(PEFTAdapterConfig.fileName)) {
                    throw ValidationError("\(out) already holds an adapter: pass --resume to continue it or --overwrite to replace it")
                }
                adapter = try LoRAAdapter(modelConfig: gpt.config, configuration: try loraConfiguration(), seed: training.seed)
            }
            let model = try LoRAModel(base: gpt, adapter: adapter, baseModelName: base)
            let options = try training.options(defaultLength: blockSize ?? gpt.config.contextLength)
            let trainer = try Trainer(target: model, config: gpt.config, options: options, train: trainData,
                                      validation: validationData, outputDirectory: out, resumeFrom: resumedState,
                                      group: group)
            let lora = adapter.configuration
            trainer.sharedSettings = ["--base": base, "--int8": String(int8), "--lora-alpha": String(lora.alpha),
                                      "--lora-dropout": String(lora.dropout)]
            let say = { (line: String) in if group.rank == 0 { printError(line) } }
            if group.size > 1 {
                say("data parallel: \(group.size) ranks × batch \(options.batchSize) = global batch \(group.size * options.batchSize), \(Parallel.coreCount) thread\(Parallel.coreCount == 1 ? "" : "s") per rank")
            }
            say("base: \(base) (\(describe(gpt.config)), \(formatCount(gpt.parameterCount)) parameters\(quantized.map { ", projections int8 in \(formatCount($0.byteCount)) bytes" } ?? ""))")
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

    func loraConfiguration() throws -> LoRAConfiguration {
        let names = loraTargets.split(separator: ",").map(String.init)
        let targets: Set<Projection>
        do {
            targets = try LoRAConfiguration.targets(named: names)
        } catch {
            throw ValidationError("--lora-targets: \(error)")
        }
        let configuration = LoRAConfiguration(rank: loraRank, alpha: loraAlpha ?? Float(2 * loraRank),
                                              dropout: loraDropout, targets: targets)
        if let problem = configuration.problem { throw ValidationError(problem) }
        return configuration
    }

    /// Token streams for training and validation: `train.bin` / `val.bin`, or a JSONL file of
    /// prompt/completion pairs packed so that only completions are scored.
    func loadData(vocabSize: Int) throws -> (TokenSource, TokenSource?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else {
            throw ValidationError("--data \(data): no such file or directory")
        }
        if isDirectory.boolValue {
            let trainData = try TokenStream(path: (data as NSString).appendingPathComponent("train.bin"))
            let validationPath = (data as NSString).appendingPathComponent("val.bin")
            let validationData = FileManager.default.fileExists(atPath: validationPath) ? try TokenStream(path: validationPath) : nil
            try trainData.validate(vocabSize: vocabSize)
            try validationData?.validate(vocabSize: vocabSize)
            return (trainData, validationData)
        }
        guard data.hasSuffix(".jsonl") else {
            throw ValidationError("--data \(data): expected a directory with train.bin or a .jsonl file")
        }
        guard (0..<1).contains(valFraction) else { throw ValidationError("--val-fraction must be in [0, 1) (got \(valFraction))") }
        let tokenizer = try GPT2Tokenizer(directory: vocab)
        let endOfText = Int32(GPT2Tokenizer.endOfText)
        guard Int(endOfText) < vocabSize else {
            throw ValidationError("the base's vocabulary (\(vocabSize)) has no <|endoftext|> (\(endOfText)); JSONL fine-tuning needs the GPT-2 vocabulary")
        }
        let examples = try CompletionExample.readJSONL(path: data)
        let (train, validation) = CompletionExample.split(examples, validationFraction: valFraction)
        let encode: (String) throws -> [Int32] = { text in tokenizer.encode(text, allowSpecial: false).map { Int32($0) } }
        let trainData = try PackedCompletions(train, endOfText: endOfText, encode: encode)
        let validationData = validation.isEmpty ? nil : try PackedCompletions(validation, endOfText: endOfText, encode: encode)
        printError("examples: \(trainData.exampleCount) train, \(validationData?.exampleCount ?? 0) val; \(formatCount(trainData.scoredCount)) scored completion tokens")
        return (trainData, validationData)
    }
}
