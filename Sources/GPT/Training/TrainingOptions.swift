import Tensor

/// The hyper-parameters of a training run (nanoGPT's names in the CLI).
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var batchSize = 8
    public var length = 128
    public var gradientAccumulation = 1
    public var maxIterations = 2000
    public var learningRate: Float = 1e-3
    public var minLearningRate: Float = 1e-4
    public var warmupIterations = 100
    /// Where the cosine decay reaches `minLearningRate`; nil = `maxIterations`.
    public var decayIterations: Int?
    public var weightDecay: Float = 0.1
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    /// Global-norm clip; 0 disables it.
    public var gradientClip: Float = 1.0
    public var evalInterval = 250
    public var evalIterations = 20
    public var logInterval = 10
    public var seed: UInt64 = 1337

    public init() {}

    public var schedule: LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, minimum: minLearningRate, warmupSteps: warmupIterations,
                             decaySteps: decayIterations ?? maxIterations)
    }

    /// The first flag that is out of range, as one line naming it, or nil.
    public func problem(contextLength: Int) -> String? {
        // Bounded so that every count the loop derives (tokens per step, tokens seen) fits an Int.
        if let problem = SizeCheck.problem("--batch-size", batchSize, in: 1...(1 << 20)) { return problem }
        if length < 2 { return "--block-size must be at least 2 (got \(length))" }
        if length > contextLength {
            return "--block-size \(length) exceeds the model's context (n_positions = \(contextLength))"
        }
        if let problem = SizeCheck.problem("--grad-accum", gradientAccumulation, in: 1...(1 << 20)) { return problem }
        if let problem = SizeCheck.problem("--max-iters", maxIterations, in: 0...(1 << 40)) { return problem }
        if !(learningRate > 0) || !learningRate.isFinite { return "--lr must be positive (got \(learningRate))" }
        if !(minLearningRate >= 0) || minLearningRate > learningRate {
            return "--min-lr must be between 0 and --lr (got \(minLearningRate))"
        }
        if let problem = SizeCheck.problem("--warmup-iters", warmupIterations, in: 0...(1 << 40)) { return problem }
        if let decayIterations, let problem = SizeCheck.problem("--lr-decay-iters", decayIterations, in: 0...(1 << 40)) {
            return problem
        }
        if weightDecay * learningRate >= 1 {
            // AdamW multiplies each weight by 1 − lr·wd per step: at 1 or more it zeroes or flips them.
            return "--weight-decay × --lr must be below 1 (got \(weightDecay) × \(learningRate))"
        }
        if !(weightDecay >= 0) || !weightDecay.isFinite { return "--weight-decay must not be negative (got \(weightDecay))" }
        if !(0..<1).contains(beta1) { return "--beta1 must be in [0, 1) (got \(beta1))" }
        if !(0..<1).contains(beta2) { return "--beta2 must be in [0, 1) (got \(beta2))" }
        if !(gradientClip >= 0) || !gradientClip.isFinite {
            return "--grad-clip must be finite and not negative (got \(gradientClip); 0 turns clipping off)"
        }
        if evalInterval < 1 { return "--eval-interval must be at least 1 (got \(evalInterval))" }
        if let problem = SizeCheck.problem("--eval-iters", evalIterations, in: 1...(1 << 30)) { return problem }
        if logInterval < 1 { return "--log-interval must be at least 1 (got \(logInterval))" }
        return nil
    }
}
