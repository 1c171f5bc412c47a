import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import LoRA
import Tokenizer

/// `generate benchmark`: perplexity on a token file and batch-1 latency, as a table or as one
/// JSON line with the field names `bench/torch_gpt.py` prints.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measure perplexity on a token file and generation latency (prefill, time to first token, ms/token).")

    @OptionGroup var model: ModelOptions

    @Option(help: "Token file (.bin, nanoGPT uint16 or llm.c) to measure perplexity on.")
    var data: String?

    @Option(parsing: .unconditional, help: "Perplexity window in tokens (default: the model's context).")
    var block: Int?

    @Option(parsing: .unconditional, help: "Score at most the first N tokens of --data.")
    var maxEvalTokens: Int?

    @Option(parsing: .unconditional, help: "Prompt length for the latency runs, random ids from a fixed seed (default 64, less on a short context).")
    var promptTokens: Int?

    @Option(parsing: .unconditional, help: "Greedy decoding steps per latency run (default 128, less on a short context).")
    var newTokens: Int?

    @Option(parsing: .unconditional, help: "Latency runs.")
    var repeats = 5

    @Flag(help: "Print one JSON object on one line instead of a table.")
    var json = false

    @Flag(help: "With --data and a float checkpoint quantized at load (--bits, --int8): also score the float model and print the perplexity change.")
    var compareFloat = false

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            if let maxEvalTokens, maxEvalTokens < 2 {
                throw ValidationError("--max-eval-tokens must be at least 2 (got \(maxEvalTokens))")
            }
            let stream = try data.map { try TokenStream(path: $0) }
            if compareFloat {
                guard data != nil else { throw ValidationError("--compare-float needs --data to score perplexity on") }
                guard try model.quantization.quantization() != nil,
                      try QuantizedCheckpoint.formats(directory: model.checkpoint) == nil else {
                    throw ValidationError("--compare-float needs a float --checkpoint quantized at load (--bits 8|4): \(model.checkpoint) alone has no float and quantized pair to compare")
                }
            }
            let loaded = try model.load()
            let config = loaded.weights.model.config
            // The defaults shrink to fit a short context; explicit values are checked as given.
            let promptTokens = self.promptTokens ?? min(64, max(1, config.contextLength / 4))
            let newTokens = self.newTokens ?? min(128, max(1, config.contextLength - promptTokens))
            if let problem = LatencyBenchmark.problem(promptTokens: promptTokens, newTokens: newTokens,
                                                      repeats: repeats, config: config) {
                throw ValidationError(problem)
            }

            var perplexity: PerplexityResult?
            if let stream, let data {
                let session = InferenceSession(weights: loaded.weights)
                perplexity = try Perplexity.evaluate(session: session, source: stream, name: data,
                                                     block: block ?? config.contextLength, maxTokens: maxEvalTokens)
            }
            var floatPerplexity: PerplexityResult?
            if compareFloat, let stream, let data {
                let float = try InferenceCheckpoint.load(directory: model.checkpoint)
                var weights = float.weights
                if let lora = model.lora { weights = try LoRAAdapter.load(directory: lora, model: weights.model).wrap(weights) }
                floatPerplexity = try Perplexity.evaluate(session: InferenceSession(weights: weights), source: stream, name: data,
                                                          block: block ?? config.contextLength, maxTokens: maxEvalTokens)
            }
            var change: Double?
            if let perplexity, let floatPerplexity { change = 100 * (perplexity.perplexity / floatPerplexity.perplexity - 1) }
            let latency = try LatencyBenchmark.run(weights: loaded.weights, promptTokens: promptTokens,
                                                   newTokens: newTokens, repeats: repeats)
            let peakRSS = ProcessStatistics.peakResidentMegabytes()

            if json {
                let fields: [String: Any] = [
                    "perplexity": perplexity.map { $0.perplexity as Any } ?? NSNull(),
                    "tokens_scored": perplexity.map { $0.tokensScored as Any } ?? NSNull(),
                    "load_ms": loaded.loadMilliseconds,
                    "prefill_ms": latency.prefillMilliseconds,
                    "prefill_tokens_per_s": latency.prefillTokensPerSecond,
                    "ttft_ms": latency.timeToFirstTokenMilliseconds,
                    "decode_ms_p50": latency.decodeMillisecondsP50,
                    "decode_ms_p95": latency.decodeMillisecondsP95,
                    "decode_ms_p99": latency.decodeMillisecondsP99,
                    "decode_tokens_per_s": latency.decodeTokensPerSecond,
                    "peak_rss_mb": peakRSS,
                    "model_bytes": loaded.modelBytes,
                    "float_perplexity": floatPerplexity.map { $0.perplexity as Any } ?? NSNull(),
                    "perplexity_change_percent": change.map { $0 as Any } ?? NSNull(),
                ]
                print(try jsonLine(fields))
                return
            }
            var rows: [(String, String)] = []
            if let perplexity {
                rows.append(("perplexity", String(format: "%.4f", perplexity.perplexity)))
                rows.append(("tokens scored", "\(perplexity.tokensScored) (block \(block ?? config.contextLength))"))
            }
            if let floatPerplexity, let change {
                rows.append(("float perplexity", String(format: "%.4f (quantized %+.2f%%)", floatPerplexity.perplexity, change)))
            }
            rows += [
                ("load", String(format: "%.1f ms", loaded.loadMilliseconds)),
                ("prefill", String(format: "%.2f ms for %d tokens, %.0f tokens/s", latency.prefillMilliseconds,
                                   promptTokens, latency.prefillTokensPerSecond)),
                ("time to first token", String(format: "%.2f ms (cold)", latency.timeToFirstTokenMilliseconds)),
                ("decode p50 / p95 / p99", String(format: "%.2f / %.2f / %.2f ms per token", latency.decodeMillisecondsP50,
                                                  latency.decodeMillisecondsP95, latency.decodeMillisecondsP99)),
                ("decode", String(format: "%.1f tokens/s (%d runs of %d tokens)", latency.decodeTokensPerSecond,
                                  repeats, newTokens)),
                ("peak RSS", String(format: "%.1f MB", peakRSS)),
                ("model file", String(format: "%.1f MB (%d bytes)", Double(loaded.modelBytes) / 1e6, loaded.modelBytes)),
            ]
            let width = rows.map(\.0.count).max() ?? 0
            let atLoad = try model.quantization.quantization().map { " (\($0.format) at load)" } ?? ""
            print("checkpoint \(model.checkpoint)\(atLoad)\(model.lora.map { " + LoRA \($0)" } ?? "")")
            for (name, value) in rows {
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
            }
        }
    }
}
