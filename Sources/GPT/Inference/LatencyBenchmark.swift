import Foundation
import Tensor

/// Batch-1 generation latency, measured the way `bench/torch_gpt.py decode` measures it so the
/// two compare line by line: a prompt of random ids from a fixed seed, greedy decoding, several
/// runs; prefill is the fastest run's, decode percentiles are over every step of every run.
public enum LatencyBenchmark {
    public struct Result: Equatable, Sendable {
        /// The prompt's forward pass and the choice of the first token (best of the runs).
        public var prefillMilliseconds: Double
        public var prefillTokensPerSecond: Double
        /// From a new session (allocating its KV cache) to the first token, on the first, cold run.
        public var timeToFirstTokenMilliseconds: Double
        /// Per decoding step (one token in, the next token chosen), over all runs.
        public var decodeMillisecondsP50: Double
        public var decodeMillisecondsP95: Double
        public var decodeMillisecondsP99: Double
        /// 1000 / p50, as the PyTorch script reports it.
        public var decodeTokensPerSecond: Double
    }

    /// Why these settings cannot run on a model of `config`, naming the flag, or nil.
    public static func problem(promptTokens: Int, newTokens: Int, repeats: Int, config: GPTConfig) -> String? {
        // Each bounded on its own first, so that the sum below cannot overflow.
        if let problem = SizeCheck.problem("--prompt-tokens", promptTokens, in: 1...config.contextLength) { return problem }
        if let problem = SizeCheck.problem("--new-tokens", newTokens, in: 1...config.contextLength) { return problem }
        if let problem = SizeCheck.problem("--repeats", repeats, in: 1...1_000_000) { return problem }
        if promptTokens + newTokens > config.contextLength {
            return "--prompt-tokens + --new-tokens (\(promptTokens + newTokens)) exceed the model's context of \(config.contextLength)"
        }
        return nil
    }

    public static func run(weights: InferenceWeights, promptTokens: Int, newTokens: Int, repeats: Int,
                           seed: UInt64 = 0) throws -> Result {
        let config = weights.model.config
        if let problem = problem(promptTokens: promptTokens, newTokens: newTokens, repeats: repeats, config: config) {
            throw GPTError.invalidInput(problem)
        }
        var generator = SeededGenerator(seed: seed)
        let prompt = (0..<promptTokens).map { _ in generator.nextInt(below: config.vocabSize) }

        let coldStart = DispatchTime.now()
        let session = InferenceSession(weights: weights)
        let coldPrefillStart = DispatchTime.now()
        var firstToken = Sampler.argmax(try session.prefill(prompt))
        var bestPrefill = milliseconds(since: coldPrefillStart)
        let timeToFirstToken = milliseconds(since: coldStart)

        var steps: [Double] = []
        steps.reserveCapacity(repeats * newTokens)
        for run in 0..<repeats {
            if run > 0 {
                session.reset()
                let start = DispatchTime.now()
                firstToken = Sampler.argmax(try session.prefill(prompt))
                bestPrefill = min(bestPrefill, milliseconds(since: start))
            }
            var token = firstToken
            for _ in 0..<newTokens {
                let start = DispatchTime.now()
                token = Sampler.argmax(try session.next(token))
                steps.append(milliseconds(since: start))
            }
        }
        steps.sort()
        func percentile(_ fraction: Double) -> Double {
            steps[min(steps.count - 1, Int(Double(steps.count) * fraction))]
        }
        return Result(
            prefillMilliseconds: bestPrefill,
            prefillTokensPerSecond: Double(promptTokens) / bestPrefill * 1000,
            timeToFirstTokenMilliseconds: timeToFirstToken,
            decodeMillisecondsP50: percentile(0.5),
            decodeMillisecondsP95: percentile(0.95),
            decodeMillisecondsP99: percentile(0.99),
            decodeTokensPerSecond: 1000 / percentile(0.5))
    }

    public static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}
