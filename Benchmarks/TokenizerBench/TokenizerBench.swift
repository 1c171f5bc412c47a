import ArgumentParser
import Foundation
import Tokenizer

/// Encoding throughput of the GPT-2 tokenizer on English text, one JSON line per measurement
/// (bench/tokenizer.sh puts tiktoken's next to it): single-threaded `encode` on the whole text,
/// and `encodeBatch` over its paragraphs on all cores. The ids' count and FNV-1a hash let the
/// script check that both tokenizers produced the same ids.
@main
struct TokenizerBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer-bench")

    @Option(help: "Vocabulary directory.") var vocab = "data/gpt2"
    @Option(help: "Text to encode.") var input = "data/shakespeare/input.txt"
    @Option(help: "Copies of the text concatenated into the benchmark corpus.") var copies = 4
    @Option(help: "Timed runs; the fastest is reported.") var runs = 5

    func run() throws {
        guard copies >= 1, runs >= 1 else { throw ValidationError("--copies and --runs must be at least 1") }
        let tokenizer = try GPT2Tokenizer(directory: vocab)
        let text = String(repeating: try String(contentsOfFile: input, encoding: .utf8), count: copies)
        let megabytes = Double(text.utf8.count) / 1e6

        var ids: [Int] = []
        let single = fastest(runs) { ids = tokenizer.encode(text) }
        report("encode", seconds: single, megabytes: megabytes, ids: ids)

        let paragraphs = text.components(separatedBy: "\n\n").map { $0 + "\n\n" }
        var batches: [[Int]] = []
        let batch = fastest(runs) { batches = tokenizer.encodeBatch(paragraphs) }
        report("encodeBatch", seconds: batch, megabytes: megabytes, ids: batches.flatMap { $0 },
               threads: ProcessInfo.processInfo.activeProcessorCount)
    }

    private func fastest(_ runs: Int, _ body: () -> Void) -> Double {
        body()  // warm-up: first touches of the tables
        var best = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return best
    }

    private func report(_ name: String, seconds: Double, megabytes: Double, ids: [Int], threads: Int = 1) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in ids { hash = (hash ^ UInt64(id)) &* 0x0000_0100_0000_01b3 }
        print(#"{"impl": "finch", "op": "\#(name)", "threads": \#(threads), "mb": \#(megabytes), "seconds": \#(seconds), "mb_per_s": \#(megabytes / seconds), "tokens": \#(ids.count), "ids_fnv": "\#(String(hash, radix: 16))"}"#)
    }
}
