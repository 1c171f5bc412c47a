import ArgumentParser
import Foundation
import GPT

/// `train benchmark`: training tokens/s and peak RSS on random tokens, printed as the same
/// JSON fields `bench/torch_gpt.py train` prints so the two can be compared line by line.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measure training throughput (tokens/s, GFLOP/s, peak RSS) on random tokens.")

    @Option(help: "Model size: tiny, small, slm60m or gpt2.") var preset = "tiny"
    @Option(help: "Sequences per step.") var batch = 8
    @Option(help: "Sequence length (default: the preset's context).") var seq: Int?
    @Option(help: "Measured steps.") var steps = 5
    @Option(help: "Unmeasured steps first.") var warmup = 2

    mutating func run() throws {
        guard let config = GPTConfig.presets[preset] else {
            throw ValidationError("--preset \(preset) is unknown; choose one of \(GPTConfig.presets.keys.sorted().joined(separator: ", "))")
        }
        let length = seq ?? config.contextLength
        guard (1...config.contextLength).contains(length) else {
            throw ValidationError("--seq must be between 1 and the preset's context \(config.contextLength)")
        }
        guard batch >= 1, steps >= 1, warmup >= 0 else {
            throw ValidationError("--batch and --steps must be at least 1, --warmup at least 0")
        }
        let result = try TrainingBenchmark.run(config: config, batchSize: batch, length: length,
                                               steps: steps, warmup: warmup)
        let json: [String: Any] = [
            "impl": "finch", "what": "train", "preset": preset, "params": result.parameterCount,
            "batch": batch, "seq": length, "threads": ProcessInfo.processInfo.activeProcessorCount,
            "step_s_median": result.stepSecondsMedian, "tokens_per_s": result.tokensPerSecond,
            "gflops": result.gflops, "peak_rss_mb": result.peakRSSMegabytes,
        ]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
