import Foundation
import Tensor

/// Training throughput on random tokens, measured the way `bench/torch_gpt.py train` measures
/// PyTorch: whole steps (forward, backward, clipping, AdamW), median over `steps` after
/// `warmup` unmeasured ones.
public enum TrainingBenchmark {
    public struct Result: Sendable {
        public var parameterCount: Int
        public var stepSecondsMedian: Double
        public var tokensPerSecond: Double
        public var gflops: Double
        public var peakRSSMegabytes: Double
    }

    public static func run(config: GPTConfig, batchSize: Int, length: Int, steps: Int, warmup: Int,
                           seed: UInt64 = 0) throws -> Result {
        if let problem = config.trainingMemoryProblem(batchSize: batchSize, length: length,
                                                      flags: "--batch \(batchSize) × --seq \(length)") {
            throw GPTError.invalidInput(problem)
        }
        let model = GPTModel(config: config, seed: seed)
        let moments = (FloatBuffer(count: model.parameterCount), FloatBuffer(count: model.parameterCount))
        let optimizer = AdamW(learningRate: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        var generator = SeededGenerator(seed: seed)
        var times: [Double] = []
        for step in 0..<(warmup + steps) {
            let tokens = (0..<batchSize * (length + 1)).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
            var inputs = [Int32](), targets = [Int32]()
            for b in 0..<batchSize {
                let row = tokens[b * (length + 1)..<(b + 1) * (length + 1)]
                inputs += row.dropLast()
                targets += row.dropFirst()
            }
            let start = DispatchTime.now().uptimeNanoseconds
            model.zeroGradients()
            try model.forwardBackward(tokens: inputs, targets: targets, batchSize: batchSize, length: length)
            let gradients = model.gradients!
            GradientNorm.clip(gradients.pointer, count: gradients.count, maxNorm: 1)
            for entry in model.layout.entries {
                optimizer.update(parameters: model.parameters.pointer + entry.offset,
                                 gradients: gradients.pointer + entry.offset,
                                 firstMoment: moments.0.pointer + entry.offset,
                                 secondMoment: moments.1.pointer + entry.offset,
                                 count: entry.count, step: step + 1, decay: entry.decays)
            }
            if step >= warmup {
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        times.sort()
        let median = times[times.count / 2]
        let tokens = Double(batchSize * length)
        let parametersInProducts = Double(model.parameterCount - config.contextLength * config.embeddingSize)
        let flopsPerToken = 6 * parametersInProducts + 12 * Double(config.layerCount * config.embeddingSize * length)
        return Result(parameterCount: model.parameterCount, stepSecondsMedian: median,
                      tokensPerSecond: tokens / median, gflops: flopsPerToken * tokens / median / 1e9,
                      peakRSSMegabytes: ProcessStatistics.peakResidentMegabytes())
    }
}

/// Process-level measurements for the benchmarks.
public enum ProcessStatistics {
    /// Peak resident set size of this process so far (getrusage's ru_maxrss, KiB on Linux).
    public static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576
        #endif
    }
}
