import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import Tensor
import Tokenizer

/// `train [pretrain]`: trains a GPT from scratch (or from `--init-from`) on `train.bin`/`val.bin`.
struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Train a GPT on a prepared data directory (train.bin / val.bin), or on prompt/completion JSON lines with the loss on the completions.")

    @OptionGroup var data: TrainingDataOptions

    @Option(help: "Output checkpoint directory (last checkpoint; best/ holds the lowest val loss).")
    var out: String

    @OptionGroup var model: ModelShapeOptions
    @OptionGroup var training: TrainingFlags

    @Option(help: "Dropout on the embeddings, attention probabilities and residual branches while training (evaluation never drops).")
    var dropout: Float = 0

    @Flag(help: "Continue the run saved in --out: step, optimiser moments, data position.")
    var resume = false

    @Option(help: "Start from the weights of this checkpoint directory (fresh optimiser).")
    var initFrom: String?

    @Flag(help: "Replace an existing checkpoint in --out instead of refusing.")
    var overwrite = false

    @OptionGroup var dataParallel: DataParallelOptions

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            let group = try dataParallel.processGroup()
            guard dropout >= 0, dropout < 1 else { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
            if resume, initFrom != nil { throw ValidationError("--resume and --init-from cannot be combined") }
            try RunDirectory.check(out: out, intent: resume ? .resume : .create(overwrite: overwrite),
                                   inputs: data.inputs + [("--init-from", initFrom)])

            let gpt: GPTModel
            var resumedState: TrainerState?
            if resume {
                let state = try TrainerState.load(directory: out)
                gpt = try Checkpoint.load(directory: out)
                if let saved = try Checkpoint.savedStep(directory: out), saved != state.step {
                    throw GPTError.checkpoint("\(out): model.safetensors is from step \(saved) but trainer_state.json from step \(state.step); the run was interrupted while saving")
                }
                if let requested = try model.requestedConfig(vocabSize: gpt.config.vocabSize), requested != gpt.config {
                    throw ValidationError("--resume: \(out) holds a model with \(describe(gpt.config)); the flags ask for \(describe(requested))")
                }
                resumedState = state
            } else {
                if let initFrom {
                    gpt = try Checkpoint.load(directory: initFrom)
                    if let requested = try model.requestedConfig(vocabSize: gpt.config.vocabSize), requested != gpt.config {
                        throw ValidationError("--init-from \(initFrom) holds a model with \(describe(gpt.config)); the flags ask for \(describe(requested))")
                    }
                } else {
                    let config = try model.config(vocabSize: GPTConfig.gpt2VocabularySize)
                    // Parameters, gradients and two AdamW moments: 16 bytes each.
                    if let problem = config.memoryProblem(bytesPerParameter: 16, source: "--preset/--n-layer/--n-embd/--block-size") {
                        throw ValidationError(problem)
                    }
                    gpt = GPTModel(config: config, seed: training.seed)
                }
            }
            gpt.dropout = dropout
            gpt.dropoutSeed = training.seed
            let (trainData, validationData) = try data.load(vocabSize: gpt.config.vocabSize)

            let options = try training.options(defaultLength: model.blockSize ?? gpt.config.contextLength)
            let trainer = try Trainer(target: gpt, config: gpt.config, options: options,
                                      train: trainData, validation: validationData, outputDirectory: out,
                                      resumeFrom: resumedState, group: group)
            // The starting weights are compared as values; the paths may differ between hosts.
            trainer.sharedSettings = ["--dropout": String(dropout)]
            let say = { (line: String) in if group.rank == 0 { printError(line) } }
            if group.size > 1 {
                say("data parallel: \(group.size) ranks × batch \(options.batchSize) = global batch \(group.size * options.batchSize), \(Parallel.coreCount) thread\(Parallel.coreCount == 1 ? "" : "s") per rank")
            }
            say("model: \(describe(gpt.config)), \(formatCount(gpt.parameterCount)) parameters"
                       + (dropout > 0 ? ", dropout \(dropout)" : ""))
            say("data: \(formatCount(trainData.tokenCount)) train tokens, \(formatCount(validationData?.tokenCount ?? 0)) val tokens")
            if resume { say("resuming \(out) at step \(trainer.state.step)") }
            let final = try trainer.run(report: printTrainingEvent)
            try finish(group)
            guard group.rank == 0 else { return }
            if let best = final.bestValidationLoss {
                print(String(format: "done: step %d, best val loss %.4f; checkpoint in %@ (best in %@/best)",
                             final.step, best, out, out))
            } else {
                print("done: step \(final.step); checkpoint in \(out)")
            }
        }
    }
}
