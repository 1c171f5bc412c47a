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
        if batchSize < 1 { return "--batch-size must be at least 1 (got \(batchSize))" }
        if length < 2 { return "--block-size must be at least 2 (got \(length))" }
        if length > contextLength {
            return "--block-size \(length) exceeds the model's context (n_positions = \(contextLength))"
        }
        if gradientAccumulation < 1 { return "--grad-accum must be at least 1 (got \(gradientAccumulation))" }
        if maxIterations < 0 { return "--max-iters must not be negative (got \(maxIterations))" }
        if !(learningRate > 0) || !learningRate.isFinite { return "--lr must be positive (got \(learningRate))" }
        if !(minLearningRate >= 0) || minLearningRate > learningRate {
            return "--min-lr must be between 0 and --lr (got \(minLearningRate))"
        }
        if warmupIterations < 0 { return "--warmup-iters must not be negative (got \(warmupIterations))" }
        if let decayIterations, decayIterations < 0 { return "--lr-decay-iters must not be negative" }
        if !(weightDecay >= 0) { return "--weight-decay must not be negative (got \(weightDecay))" }
        if !(0..<1).contains(beta1) { return "--beta1 must be in [0, 1) (got \(beta1))" }
        if !(0..<1).contains(beta2) { return "--beta2 must be in [0, 1) (got \(beta2))" }
        if !(gradientClip >= 0) { return "--grad-clip must not be negative (got \(gradientClip))" }
        if evalInterval < 1 { return "--eval-interval must be at least 1 (got \(evalInterval))" }
        if evalIterations < 1 { return "--eval-iters must be at least 1 (got \(evalIterations))" }
        if logInterval < 1 { return "--log-interval must be at least 1 (got \(logInterval))" }
        return nil
    }
}
