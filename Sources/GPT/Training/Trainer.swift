import Foundation
import Tensor

/// What the trainer reports as it goes; the CLI prints these, tests inspect them.
public struct TrainingEvent: Sendable {
    public enum Kind: Sendable { case log, evaluation, saved(directory: String, best: Bool) }
    public var kind: Kind
    public var step: Int
    public var maxSteps: Int
    public var loss: Float?
    public var validationLoss: Float?
    public var learningRate: Float
    public var tokensPerSecond: Double
    public var gflops: Double
    public var elapsedSeconds: Double
    public var etaSeconds: Double?
    /// Seconds per step spent summing gradients across ranks (0 for one process).
    public var communicationSeconds: Double = 0
}

/// The training loop: AdamW with nanoGPT's schedule, gradient accumulation, global-norm
/// clipping, periodic evaluation and checkpoints (`outputDirectory` = last, `best/` = lowest
/// validation loss), metrics in `metrics.jsonl` and a plot in `loss.svg`. Under a process
/// group of N ranks each global batch is N × `batchSize` sequences, the gradients are summed
/// before clipping, and rank 0 alone writes files and reports.
public final class Trainer {
    public let target: TrainingTarget
    public let options: TrainingOptions
    public let outputDirectory: String
    public private(set) var state: TrainerState
    let train: TokenSource
    let validation: TokenSource?
    let firstMoment: FloatBuffer
    let secondMoment: FloatBuffer
    let metrics: MetricsLog
    let group: ProcessGroup
    /// Flags the target does not show (dropout, base checkpoint…) that every rank must share.
    public var sharedSettings: [String: String] = [:]

    /// Validates everything before anything is written: a bad flag or data set leaves the
    /// output directory untouched.
    public init(target: TrainingTarget, config: GPTConfig, options: TrainingOptions, train: TokenSource,
                validation: TokenSource?, outputDirectory: String, resumeFrom resumed: TrainerState? = nil,
                group: ProcessGroup = SingleProcess()) throws {
        if let problem = options.problem(contextLength: target.contextLength) { throw GPTError.invalidConfig(problem) }
        let sampler = BatchSampler(batchSize: options.batchSize * group.size, length: options.length)
        if let problem = sampler.problem(with: train, name: "the training data") { throw GPTError.invalidInput(problem) }
        if let validation, let problem = sampler.problem(with: validation, name: "the validation data") {
            throw GPTError.invalidInput(problem)
        }
        if let problem = SizeCheck.memoryProblem(
            target.estimatedTrainingBytes(batchSize: options.batchSize, length: options.length),
            for: "--batch-size \(options.batchSize) × --block-size \(options.length)") {
            throw GPTError.invalidConfig(problem + " (lower --batch-size and raise --grad-accum)")
        }
        self.target = target
        self.options = options
        self.train = train
        self.validation = validation
        self.outputDirectory = outputDirectory
        self.group = group
        let trainable = target.trainableParameters.count
        firstMoment = FloatBuffer(count: trainable)
        secondMoment = FloatBuffer(count: trainable)
        if let resumed {
            guard resumed.config == config else {
                throw GPTError.invalidConfig("--resume: \(outputDirectory) holds a model of a different shape than the one requested")
            }
            state = resumed
            state.options = options
            try resumed.loadMoments(directory: outputDirectory, segments: target.trainableSegments,
                                    firstMoment: firstMoment, secondMoment: secondMoment)
        } else {
            state = TrainerState(step: 0, generatorState: SeededGenerator(seed: options.seed).stateWords,
                                 bestValidationLoss: nil, tokensSeen: 0, elapsedSeconds: 0,
                                 options: options, config: config)
        }
        metrics = MetricsLog(directory: outputDirectory)
    }

    /// Trains from the current step to `options.maxIterations`.
    @discardableResult
    public func run(report reportEvent: (TrainingEvent) -> Void = { _ in }) throws -> TrainerState {
        if group.size > 1 { try verifyAgreement() }
        let isWriter = group.rank == 0
        func report(_ event: TrainingEvent) { if isWriter { reportEvent(event) } }
        if isWriter {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            try FileSet.recover(directory: outputDirectory)
            metrics.start(keepingStepsUpTo: state.step)
        }
        let sampler = BatchSampler(batchSize: options.batchSize * group.size, length: options.length)
        let schedule = options.schedule
        let optimizer = AdamW(learningRate: options.learningRate, beta1: options.beta1, beta2: options.beta2,
                              eps: 1e-8, weightDecay: options.weightDecay)
        let tokensPerStep = options.batchSize * options.length * options.gradientAccumulation * group.size
        let flopsPerStep = target.trainingFlopsPerToken(length: options.length) * Double(tokensPerStep)
        var generator = SeededGenerator(stateWords: state.generatorState)
        let sessionStart = Date()
        let elapsedBefore = state.elapsedSeconds
        var intervalStart = Date()
        var intervalSteps = 0
        var trainingSeconds = 0.0
        var intervalCommunicationSeconds = 0.0
        var lastLoss: Float?

        if state.step == 0, validation != nil {
            let loss = try evaluate(sampler: sampler)
            let event = TrainingEvent(kind: .evaluation, step: 0, maxSteps: options.maxIterations, loss: nil,
                                      validationLoss: loss, learningRate: schedule.rate(at: 0), tokensPerSecond: 0,
                                      gflops: 0, elapsedSeconds: elapsedBefore, etaSeconds: nil)
            if isWriter { try metrics.append(event) }
            report(event)
        }
        while state.step < options.maxIterations {
            let stepStart = Date()
            let rate = schedule.rate(at: state.step)
            target.zeroTrainableGradients()
            var loss: Float = 0
            for _ in 0..<options.gradientAccumulation {
                let share = BatchShare(of: sampler.sample(from: train, generator: &generator), rank: group.rank,
                                       size: group.size, sequences: options.batchSize, length: options.length)
                loss += share.lossWeight * (try target.forwardBackward(
                    tokens: share.inputs, targets: share.targets, batchSize: options.batchSize, length: options.length,
                    lossScale: share.lossWeight / Float(options.gradientAccumulation), shard: share.shard))
            }
            loss /= Float(options.gradientAccumulation)
            if group.size > 1 {
                let communicationStart = Date()
                try sumAcrossRanks(loss: &loss)
                intervalCommunicationSeconds += Date().timeIntervalSince(communicationStart)
            }
            guard loss.isFinite else {
                throw GPTError.invalidInput("the loss became \(loss) at step \(state.step + 1): the run diverged; lower --lr (\(options.learningRate)) or raise --warmup-iters, or check the flags that scale the update (--weight-decay, --grad-clip, --lora-alpha)")
            }
            let gradients = target.trainableGradients.pointer
            if options.gradientClip > 0 {
                GradientNorm.clip(gradients, count: target.trainableGradients.count, maxNorm: options.gradientClip)
            }
            var stepOptimizer = optimizer
            stepOptimizer.learningRate = rate
            for segment in target.trainableSegments {
                stepOptimizer.update(parameters: target.trainableParameters.pointer + segment.offset,
                                     gradients: gradients + segment.offset,
                                     firstMoment: firstMoment.pointer + segment.offset,
                                     secondMoment: secondMoment.pointer + segment.offset,
                                     count: segment.count, step: state.step + 1, decay: segment.decays)
            }
            state.step += 1
            state.tokensSeen += tokensPerStep
            state.generatorState = generator.stateWords
            lastLoss = loss
            trainingSeconds += Date().timeIntervalSince(stepStart)
            intervalSteps += 1
            state.elapsedSeconds = elapsedBefore + Date().timeIntervalSince(sessionStart)

            if state.step % options.logInterval == 0 || state.step == options.maxIterations {
                let seconds = max(1e-9, Date().timeIntervalSince(intervalStart))
                let stepsPerSecond = Double(intervalSteps) / seconds
                let event = TrainingEvent(
                    kind: .log, step: state.step, maxSteps: options.maxIterations, loss: loss, validationLoss: nil,
                    learningRate: rate, tokensPerSecond: Double(tokensPerStep) * stepsPerSecond,
                    gflops: flopsPerStep * stepsPerSecond / 1e9, elapsedSeconds: state.elapsedSeconds,
                    etaSeconds: Double(options.maxIterations - state.step) / stepsPerSecond,
                    communicationSeconds: intervalCommunicationSeconds / Double(intervalSteps))
                if isWriter { try metrics.append(event) }
                report(event)
                intervalStart = Date()
                intervalSteps = 0
                intervalCommunicationSeconds = 0
            }
            if state.step % options.evalInterval == 0 || state.step == options.maxIterations {
                let evaluationStart = Date()
                try evaluateAndSave(sampler: sampler, lastLoss: lastLoss, rate: rate,
                                    tokensPerSecond: Double(state.tokensSeen) / max(1e-9, trainingSeconds + 1e-9),
                                    flopsPerStep: flopsPerStep, trainingSeconds: trainingSeconds,
                                    report: report)
                // Evaluation and saving are not training throughput.
                intervalStart = intervalStart.addingTimeInterval(Date().timeIntervalSince(evaluationStart))
            }
        }
        if state.step == 0, isWriter {
            // `--max-iters 0` still writes the initialised model: a starting point for
            // benchmarks and for reference implementations to share.
            try saveCheckpoint(isBest: false, report: report)
        }
        return state
    }

    /// Mean loss over `evalIterations` validation batches. The batches come from a generator
    /// of their own, the same at every evaluation, so successive values are comparable and
    /// evaluating never moves the training data position. `sampler` draws global batches, of
    /// which each rank scores its share.
    public func evaluate(sampler: BatchSampler) throws -> Float? {
        guard let validation else { return nil }
        var generator = SeededGenerator(seed: options.seed ^ 0x5EED_0F_5A11)
        var totals = [0.0, 0.0]  // Σ loss, scored count
        let sequences = sampler.batchSize / group.size
        for _ in 0..<options.evalIterations {
            let share = BatchShare(of: sampler.sample(from: validation, generator: &generator), rank: group.rank,
                                   size: group.size, sequences: sequences, length: sampler.length)
            let result = try target.lossSum(tokens: share.inputs, targets: share.targets,
                                            batchSize: sequences, length: sampler.length)
            totals[0] += result.sum
            totals[1] += Double(result.count)
        }
        try totals.withUnsafeMutableBufferPointer { try group.allReduceSum($0.baseAddress!, count: 2) }
        return totals[1] == 0 ? nil : Float(totals[0] / totals[1])
    }

    func evaluateAndSave(sampler: BatchSampler, lastLoss: Float?, rate: Float, tokensPerSecond: Double,
                         flopsPerStep: Double, trainingSeconds: Double, report: (TrainingEvent) -> Void) throws {
        let validationLoss = try evaluate(sampler: sampler)
        let stepsPerSecond = Double(state.step) / max(1e-9, trainingSeconds)
        let event = TrainingEvent(kind: .evaluation, step: state.step, maxSteps: options.maxIterations, loss: lastLoss,
                                  validationLoss: validationLoss, learningRate: rate, tokensPerSecond: tokensPerSecond,
                                  gflops: flopsPerStep * stepsPerSecond / 1e9, elapsedSeconds: state.elapsedSeconds,
                                  etaSeconds: nil)
        if validationLoss != nil, group.rank == 0 { try metrics.append(event) }
        report(event)

        var isBest = false
        if let validationLoss, state.bestValidationLoss.map({ validationLoss < $0 }) ?? true {
            state.bestValidationLoss = validationLoss
            isBest = true
        }
        guard group.rank == 0 else { return }
        try saveCheckpoint(isBest: isBest, report: report)
    }

    /// Writes the last checkpoint (weights, trainer state, metrics, plot) and, when `isBest`,
    /// `best/`, as one set: a run killed at any moment leaves either all the old files or all
    /// the new ones, and `--resume` continues from whichever it finds.
    func saveCheckpoint(isBest: Bool, report: (TrainingEvent) -> Void) throws {
        let metadata = ["step": String(state.step)]
        let set = FileSet(directory: outputDirectory)
        try target.save(to: outputDirectory, metadata: metadata, in: set)
        try state.save(directory: outputDirectory, segments: target.trainableSegments,
                       firstMoment: firstMoment, secondMoment: secondMoment, in: set)
        var directories = [(outputDirectory, false)]
        if isBest {
            let bestDirectory = (outputDirectory as NSString).appendingPathComponent("best")
            try target.save(to: bestDirectory, metadata: metadata, in: set)
            directories.append((bestDirectory, true))
        }
        try metrics.stage(in: set)
        try set.commit()
        metrics.committed()
        for (directory, best) in directories {
            report(TrainingEvent(kind: .saved(directory: directory, best: best), step: state.step,
                                 maxSteps: options.maxIterations, loss: nil, validationLoss: nil,
                                 learningRate: 0, tokensPerSecond: 0, gflops: 0,
                                 elapsedSeconds: state.elapsedSeconds, etaSeconds: nil))
        }
    }
}
