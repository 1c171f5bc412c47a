import ArgumentParser
import CommandLineSupport
import Foundation
import GPT

/// `generate batch-benchmark`: per-step decode time of a batch of sequences against one,
/// on a checkpoint or on random weights of a preset size.
struct BatchBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-benchmark",
        abstract: "Measure a batched decoding step (N sequences in one forward) against a step of one sequence.")

    @Option(help: "Checkpoint directory, float or int8 (or use --preset for random weights).")
    var checkpoint: String?

    @Option(help: "Random weights of this size instead of a checkpoint: tiny, small, slm60m or gpt2.")
    var preset: String?

    @OptionGroup var quantization: QuantizationFlags

    @Option(parsing: .unconditional, help: "Sequences generated together.")
    var batch = 10

    @Option(parsing: .unconditional, help: "Prompt length of every sequence, random ids from a fixed seed.")
    var promptTokens = 64

    @Option(parsing: .unconditional, help: "Tokens generated per sequence.")
    var newTokens = 48

    @Option(parsing: .unconditional, help: "Sampling temperature; 0 is greedy decoding.")
    var temperature: Float = 0

    @Option(parsing: .unconditional, help: "With --temperature > 0: sample among the k most likely tokens (0 = all).")
    var topK = 40

    @Option(parsing: .unconditional, help: "Runs (each one sequence alone, then the batch).")
    var repeats = 3

    @Flag(help: "Print one JSON object on one line instead of a table.")
    var json = false

    mutating func run() throws {
        try runReportingErrors {
            let loadQuantization = try quantization.quantization()
            let weights = try loadWeights(loadQuantization)
            let result = try BatchedDecodeBenchmark.run(weights: weights, batch: batch, promptTokens: promptTokens,
                                                        newTokens: newTokens, repeats: repeats,
                                                        sampling: SamplingParameters(temperature: temperature, topK: topK))
            if json {
                let fields: [String: Any] = [
                    "batch": result.batch,
                    "prefill_ms": result.prefillMilliseconds,
                    "batch_step_ms_p50": result.batchStepMillisecondsP50,
                    "batch_step_ms_p95": result.batchStepMillisecondsP95,
                    "single_step_ms_p50": result.singleStepMillisecondsP50,
                    "step_cost_ratio": result.stepCostRatio,
                    "batch_step_cpu_ms_p50": result.batchStepCPUMillisecondsP50,
                    "single_step_cpu_ms_p50": result.singleStepCPUMillisecondsP50,
                    "step_cpu_ratio": result.stepCPURatio,
                    "batch_tokens_per_s": result.batchTokensPerSecond,
                    "single_tokens_per_s": result.singleTokensPerSecond,
                ]
                let line = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
                print(String(decoding: line, as: UTF8.self))
                return
            }
            print("\(checkpoint ?? "random \(preset ?? "")") \(loadQuantization.map { "\($0.format)" } ?? "fp32"), \(batch) sequences of \(promptTokens) + \(newTokens) tokens, \(repeats) runs")
            print(String(format: "prefill of the batch   %.1f ms", result.prefillMilliseconds))
            print(String(format: "step, 1 sequence       %.2f ms p50 (%.1f tokens/s)", result.singleStepMillisecondsP50,
                         result.singleTokensPerSecond))
            print(String(format: "step, %d sequences     %.2f ms p50, %.2f ms p95 (%.1f tokens/s)", batch,
                         result.batchStepMillisecondsP50, result.batchStepMillisecondsP95, result.batchTokensPerSecond))
            print(String(format: "cost of a batch step   %.2f× one sequence's wall time", result.stepCostRatio))
            print(String(format: "CPU of all threads     %.2f ms against %.2f ms per step: %.2f×", result.batchStepCPUMillisecondsP50,
                         result.singleStepCPUMillisecondsP50, result.stepCPURatio))
        }
    }

    private func loadWeights(_ loadQuantization: LoadQuantization?) throws -> InferenceWeights {
        switch (checkpoint, preset) {
        case let (directory?, nil):
            return try InferenceCheckpoint.load(directory: directory, quantize: loadQuantization).weights
        case let (nil, name?):
            guard let config = GPTConfig.presets[name] else {
                throw ValidationError("--preset must be one of \(GPTConfig.presets.keys.sorted().joined(separator: ", ")) (got \(name))")
            }
            let model = GPTModel(config: config, seed: 0)
            if let loadQuantization {
                let quantized = try InferenceCheckpoint.quantizeChecked(model, loadQuantization, directory: "--preset \(name)")
                return try InferenceWeights(model: model, quantized: quantized)
            }
            return InferenceWeights(model: model).streamingFloatProjections()
        default:
            throw ValidationError("give exactly one of --checkpoint and --preset")
        }
    }
}
