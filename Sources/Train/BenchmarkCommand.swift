import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import LoRA
import Tensor

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
    @Option(help: "Measure LoRA fine-tuning instead: adapters of this rank on all four projections of a frozen base.")
    var loraRank: Int?
    @Flag(help: "With --lora-rank: keep the frozen base's projections in int8 (QLoRA-style).")
    var int8 = false

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try threadOptions.configure()
        guard let config = GPTConfig.presets[preset] else {
            throw ValidationError("--preset \(preset) is unknown; choose one of \(GPTConfig.presets.keys.sorted().joined(separator: ", "))")
        }
        let length = seq ?? config.contextLength
        guard (1...config.contextLength).contains(length) else {
            throw ValidationError("--seq must be between 1 and the preset's context \(config.contextLength)")
        }
        for (flag, value, range) in [("--batch", batch, 1...(1 << 20)), ("--steps", steps, 1...1_000_000),
                                     ("--warmup", warmup, 0...1_000_000)] {
            if let problem = SizeCheck.problem(flag, value, in: range) { throw ValidationError(problem) }
        }
        if let loraRank {
            try printLoRABenchmark(config: config, rank: loraRank, length: length)
            return
        }
        let result = try TrainingBenchmark.run(config: config, batchSize: batch, length: length,
                                               steps: steps, warmup: warmup)
        let json: [String: Any] = [
            "impl": "finch", "what": "train", "preset": preset, "params": result.parameterCount,
            "batch": batch, "seq": length, "threads": Parallel.coreCount,
            "step_s_median": result.stepSecondsMedian, "tokens_per_s": result.tokensPerSecond,
            "gflops": result.gflops, "peak_rss_mb": result.peakRSSMegabytes,
        ]
        print(try jsonLine(json))
    }

    /// The same JSON fields for fine-tuning (alpha 2r, dropout 0.05, as `train finetune`'s
    /// defaults), plus the rank and the trainable-parameter count.
    func printLoRABenchmark(config: GPTConfig, rank: Int, length: Int) throws {
        if let problem = SizeCheck.problem("--lora-rank", rank, in: 1...LoRAConfiguration.maximumRank) {
            throw ValidationError(problem)
        }
        let lora = LoRAConfiguration(rank: rank, alpha: Float(2 * rank), dropout: 0.05)
        if let problem = lora.problem { throw ValidationError(problem) }
        let result = try LoRABenchmark.run(config: config, lora: lora, batchSize: batch, length: length,
                                           steps: steps, warmup: warmup, int8Base: int8)
        let json: [String: Any] = [
            "impl": "finch", "what": int8 ? "finetune-int8" : "finetune", "preset": preset, "params": result.baseParameterCount,
            "lora_rank": rank, "trainable_params": result.trainableParameterCount,
            "batch": batch, "seq": length, "threads": Parallel.coreCount,
            "step_s_median": result.stepSecondsMedian, "tokens_per_s": result.tokensPerSecond,
            "peak_rss_mb": result.peakRSSMegabytes,
        ]
        print(try jsonLine(json))
    }
}
