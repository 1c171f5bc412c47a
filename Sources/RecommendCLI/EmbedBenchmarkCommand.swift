import ArgumentParser
import CommandLineSupport
import Embedding
import Foundation
import Tensor

struct EmbedBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-benchmark",
        abstract: "Sentences/s embedding a JSON-lines file (best of --repeats) and one query's latency (p50/p95), as JSON."
    )

    @Option(help: "The sentence-transformers model folder (default: models/all-MiniLM-L6-v2).")
    var model: String?

    @Option(help: "Timed passes over the file; the best counts.")
    var repeats = 3

    @Option(help: "Timed single-sentence runs for the latency percentiles.")
    var queryRuns = 200

    @Option(help: "Tokens per forward batch (the encoder's default when omitted).")
    var batchTokens: Int?

    @Option(help: "The query sentence.")
    var query = "white hanging heart t-light holder"

    @Argument(help: "JSON-lines input {\"text\": ...}.")
    var file: String

    func validate() throws {
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        guard queryRuns > 0 else { throw ValidationError("--query-runs must be positive") }
        if let batchTokens, batchTokens <= 0 { throw ValidationError("--batch-tokens must be positive") }
    }

    func run() throws {
        try runReportingErrors {
            guard RegularFile.exists(file) else { throw ValidationError("\(file): not found") }
            let data = try RegularFile.contents(of: file)
            let texts = try TextLines.texts(fromJSONLines: data, source: file)
            let encoder = try SentenceEncoder(modelDirectory: ModelLocation.resolve(model))
            if let batchTokens { encoder.batchTokens = batchTokens }
            let result = try EmbeddingBenchmark.run(encoder: encoder, texts: texts, repeats: repeats, query: query, queryRuns: queryRuns)
            let encoded = JSONEncoder()
            encoded.outputFormatting = [.sortedKeys]
            writeOutput(String(decoding: try encoded.encode(result), as: UTF8.self) + "\n")
        }
    }
}
