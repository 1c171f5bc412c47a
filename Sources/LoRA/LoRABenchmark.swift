import Foundation
import GPT
import Tensor

/// Fine-tuning throughput on random tokens, step for step what `TrainingBenchmark` measures for
/// full training (forward, backward, clipping, AdamW; median over `steps` after `warmup`), so
/// the two are directly comparable when run side by side.
public enum LoRABenchmark {
    public struct Result: Sendable {
        public var baseParameterCount: Int
        public var trainableParameterCount: Int
        public var stepSecondsMedian: Double
        public var tokensPerSecond: Double
        public var peakRSSMegabytes: Double
    }

    public static func run(config: GPTConfig, lora: LoRAConfiguration, batchSize: Int, length: Int,
                           steps: Int, warmup: Int, int8Base: Bool = false, seed: UInt64 = 0) throws -> Result {
        guard steps >= 1, warmup >= 0 else {
            throw LoRAError.invalidConfiguration("a benchmark needs at least 1 measured step and no negative warmup")
        }
        // The frozen base holds no gradients or moments, but the activations are the same: the
        // full-training estimate bounds it from above.
        if let problem = config.trainingMemoryProblem(batchSize: batchSize, length: length,
                                                      flags: "--batch \(batchSize) × --seq \(length)") {
            throw LoRAError.invalidConfiguration(problem)
        }
        let base = GPTModel(config: config, seed: seed)
        // The model keeps the int8 weights it is given (`frozenProjectionWeights`).
        if int8Base { _ = try QuantizedFrozenBase(quantizing: base) }
        let model = try LoRAModel(base: base, adapter: LoRAAdapter(modelConfig: config, configuration: lora, seed: seed))
        let trainable = model.trainableParameters
        let moments = (FloatBuffer(count: trainable.count), FloatBuffer(count: trainable.count))
        let optimizer = AdamW(learningRate: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        let segments = model.trainableSegments
        var generator = SeededGenerator(seed: seed)
        var times: [Double] = []
        for step in 0..<(warmup + steps) {
            var inputs = [Int32](), targets = [Int32]()
            for _ in 0..<batchSize {
                let row = (0...length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
                inputs += row.dropLast()
                targets += row.dropFirst()
            }
            let start = DispatchTime.now().uptimeNanoseconds
            model.zeroTrainableGradients()
            _ = try model.forwardBackward(tokens: inputs, targets: targets, batchSize: batchSize, length: length,
                                          lossScale: 1)
            GradientNorm.clip(model.trainableGradients.pointer, count: trainable.count, maxNorm: 1)
            for segment in segments {
                optimizer.update(parameters: trainable.pointer + segment.offset,
                                 gradients: model.trainableGradients.pointer + segment.offset,
                                 firstMoment: moments.0.pointer + segment.offset,
                                 secondMoment: moments.1.pointer + segment.offset,
                                 count: segment.count, step: step + 1, decay: segment.decays)
            }
            if step >= warmup {
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        times.sort()
        let median = times[times.count / 2]
        return Result(baseParameterCount: base.parameterCount, trainableParameterCount: trainable.count,
                      stepSecondsMedian: median, tokensPerSecond: Double(batchSize * length) / median,
                      peakRSSMegabytes: ProcessStatistics.peakResidentMegabytes())
    }
}
