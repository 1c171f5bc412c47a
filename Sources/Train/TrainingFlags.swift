import ArgumentParser
import CommandLineSupport
import GPT

/// The optimisation flags shared by `pretrain` and `finetune` (nanoGPT's names).
struct TrainingFlags: ParsableArguments {
    @Option(help: "Sequences per micro-batch.") var batchSize = 8
    @Option(help: "Micro-batches per optimiser step.") var gradAccum = 1
    @Option(help: "Optimiser steps.") var maxIters = 2000
    @Option(help: "Peak learning rate.") var lr: Float = 1e-3
    @Option(help: "Final learning rate of the cosine decay (default lr/10).") var minLr: Float?
    @Option(help: "Linear warmup steps.") var warmupIters = 100
    @Option(help: "Step where the cosine decay ends (default max-iters).") var lrDecayIters: Int?
    @Option(help: "AdamW weight decay (matrices and embeddings only).") var weightDecay: Float = 0.1
    @Option(help: "AdamW beta1.") var beta1: Float = 0.9
    @Option(help: "AdamW beta2.") var beta2: Float = 0.95
    @Option(help: "Clip gradients to this global norm (0 = off).") var gradClip: Float = 1.0
    @Option(help: "Evaluate and save every N steps.") var evalInterval = 250
    @Option(help: "Validation batches per evaluation.") var evalIters = 20
    @Option(help: "Print and record metrics every N steps.") var logInterval = 10
    @Option(help: "Seed for initialisation and batch sampling.") var seed: UInt64 = 1337

    /// Runs as the flags are parsed: NaN or ∞ is refused before anything is loaded or written.
    func validate() throws {
        if let problem = nonFiniteProblem([("--lr", lr), ("--min-lr", minLr), ("--weight-decay", weightDecay),
                                           ("--beta1", beta1), ("--beta2", beta2), ("--grad-clip", gradClip)]) {
            throw ValidationError(problem)
        }
    }

    func options(defaultLength: Int) throws -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = batchSize
        options.length = defaultLength
        options.gradientAccumulation = gradAccum
        options.maxIterations = maxIters
        options.learningRate = lr
        options.minLearningRate = minLr ?? lr / 10
        options.warmupIterations = warmupIters
        options.decayIterations = lrDecayIters
        options.weightDecay = weightDecay
        options.beta1 = beta1
        options.beta2 = beta2
        options.gradientClip = gradClip
        options.evalInterval = evalInterval
        options.evalIterations = evalIters
        options.logInterval = logInterval
        options.seed = seed
        return options
    }
}
