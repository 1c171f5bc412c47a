import ArgumentParser
import Foundation
import Tensor

/// Kernel benchmark on the slm60m shapes (10 layers, 8 heads, 512 wide, 512 context, vocab
/// 50257, B·T = 4096 rows): every matrix product through the Tensor API next to raw
/// `cblas_sgemm`, and the memory-bound kernels next to a plain copy.
@main
struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-bench",
        abstract: "GFLOP/s of Finch's matrix products against raw cblas_sgemm, GB/s of its other kernels against memcpy.")

    @Flag(help: "A short run: fewer repeats and fewer LM-head and loss rows (on an idle 2-core machine about 15 s instead of 35 s).")
    var quick = false

    enum Section: String, ExpressibleByArgument, CaseIterable {
        case all, gemm, memory
    }

    @Option(help: "Which table to measure.")
    var section = Section.all

    static let gemmGoal = 0.95
    static let bandwidthGoal = 0.50

    func run() {
        let stopwatch = Stopwatch(warmup: quick ? 1 : 2, repeats: quick ? 3 : 7)
        // The LM head and the loss use fewer rows than B·T = 4096 (the model itself works through
        // the logits in chunks of 166 rows): the full [4096, 50257] logits would take 800 MB.
        let lmHeadRows = quick ? 256 : 1024
        let lossRows = quick ? 166 : 512
        // 16 heads = 2 sequences of 8 heads; the model loops over the rest the same way.
        let attentionHeads = 16
        print("kernel-bench: slm60m shapes, B·T = 4096 rows, LM head on \(lmHeadRows) rows, loss on \(lossRows) rows;",
              "\(Parallel.coreCount) cores, median of \(stopwatch.repeats) runs after \(stopwatch.warmup) warm-up\(quick ? " (--quick)" : "")")

        if section != .memory {
            let gemm = GemmBenchmarks(rows: 4096, lmHeadRows: lmHeadRows, attentionHeads: attentionHeads, stopwatch: stopwatch)
            printGemm(gemm.run())
        }
        if section != .gemm {
            let bandwidth = BandwidthBenchmarks(rows: 4096, lossRows: lossRows, attentionHeads: attentionHeads,
                                                stopwatch: stopwatch)
            printBandwidth(bandwidth.run())
        }
    }

    func printGemm(_ results: [GemmResult]) {
        print("")
        print("Matrix products: Tensor API vs raw cblas_sgemm (goal ≥ \(percent(Self.gemmGoal)) of raw)")
        let header = [pad("product", 34), pad("shape", 22), padLeft("API GFLOP/s", 12), padLeft("raw GFLOP/s", 12), padLeft("API/raw", 8)]
        print(header.joined(separator: " "))
        for result in results {
            print([pad(result.name, 34), pad(result.shape, 22), padLeft(fixed(result.apiGFlops, 1), 12),
                   padLeft(fixed(result.rawGFlops, 1), 12),
                   padLeft(percent(result.ratio), 8) + (result.ratio < Self.gemmGoal ? "  below goal" : "")].joined(separator: " "))
        }
    }

    func printBandwidth(_ results: [BandwidthResult]) {
        print("")
        print("Memory-bound kernels: GB/s (bytes read + written, each counted once) vs the faster of a 64 MiB memcpy",
              "on 1 and on \(Parallel.coreCount) threads, timed alternately with each kernel (goal ≥ \(percent(Self.bandwidthGoal)) of copy)")
        print([pad("kernel", 34), pad("shape", 22), padLeft("ms", 9), padLeft("GB/s", 8), padLeft("copy GB/s", 10),
               padLeft("of copy", 8)].joined(separator: " "))
        for result in results {
            print([pad(result.name, 34), pad(result.shape, 22), padLeft(fixed(result.seconds * 1e3, 2), 9),
                   padLeft(fixed(result.gigabytesPerSecond, 1), 8), padLeft(fixed(result.copyGigabytesPerSecond, 1), 10),
                   padLeft(percent(result.ratio), 8) + (result.ratio < Self.bandwidthGoal ? "  below goal" : "")]
                .joined(separator: " "))
        }
    }

    func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
    func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }
    func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
    func padLeft(_ text: String, _ width: Int) -> String { text.count >= width ? text : String(repeating: " ", count: width - text.count) + text }
}
