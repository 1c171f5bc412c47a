import Foundation

/// nanoGPT's schedule: linear warmup, then cosine decay to `minimum` at `decaySteps`,
/// then flat at `minimum`.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Float
    public var minimum: Float
    public var warmupSteps: Int
    public var decaySteps: Int

    public init(peak: Float, minimum: Float, warmupSteps: Int, decaySteps: Int) {
        self.peak = peak
        self.minimum = minimum
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
    }

    /// The rate for 0-based `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps {
            return peak * Float(step + 1) / Float(warmupSteps + 1)
        }
        if step >= decaySteps || decaySteps <= warmupSteps { return minimum }
        let progress = Double(step - warmupSteps) / Double(decaySteps - warmupSteps)
        let coefficient = Float(0.5 * (1 + cos(Double.pi * progress)))
        return minimum + coefficient * (peak - minimum)
    }
}
