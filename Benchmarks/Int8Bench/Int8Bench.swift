import ArgumentParser
import Foundation
import Tensor

/// int8 weight kernels on the slm60m shapes: the batch-1 kernel against cblas_sgemv on the float
/// weights, a whole decode step's matrices, `multiply(rows:)` against cblas_sgemm for prefill,
/// and the group-size trade-off behind `QuantizedMatrix.defaultGroupSize`.
@main
struct Int8Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "int8-bench",
        abstract: "Speed and error of Finch's int8 weight kernels against OpenBLAS on the float weights (slm60m shapes).")

    enum Section: String, ExpressibleByArgument, CaseIterable {
        case all, groups, decode, prefill
    }

    @Flag(help: "Fewer repeats (about 20 s instead of about a minute).")
    var quick = false

    @Option(help: "Which tables to measure.")
    var section = Section.all

    @Option(help: "Group size of the int8 matrices in the decode and prefill tables.")
    var groupSize = QuantizedMatrix.defaultGroupSize

    @Option(help: "Rows of the prefill products (prompt tokens).")
    var prefillRows = 64

    /// Issue 6's goals for a decode step of slm60m, whole model included; the matrices are most of it.
    static let int8TokenGoal = 3.4e-3
    static let floatTokenGoal = 9e-3

    func validate() throws {
        guard groupSize >= 1 else { throw ValidationError("--group-size must be ≥ 1, got \(groupSize)") }
        guard prefillRows >= 2 else { throw ValidationError("--prefill-rows must be ≥ 2, got \(prefillRows)") }
    }

    func run() throws {
        let stopwatch = Stopwatch(warmup: quick ? 2 : 3, repeats: quick ? 11 : 31)
        let matrices = try BenchMatrix.slm60m(groupSize: groupSize)
        let floatMB = Double(matrices.map(\.floatBytes).reduce(0, +)) / 1e6
        let int8MB = Double(matrices.map(\.quantized.byteCount).reduce(0, +)) / 1e6
        print("int8-bench: slm60m, 10 layers × (c_attn, attn.c_proj, c_fc, mlp.c_proj) + LM head 512→50257;",
              "int8 group size \(groupSize); \(Parallel.coreCount) cores;",
              "median of \(stopwatch.repeats) runs after \(stopwatch.warmup) warm-up\(quick ? " (--quick)" : "")")
        var load = [Double](repeating: 0, count: 3)
        if getloadavg(&load, 3) == 3 {
            // On a shared machine every figure below scales with this; quote it with them.
            print("load average at start: \(fixed(load[0], 2)) (1 min), \(fixed(load[1], 2)) (5 min)")
        }
        if section == .all || section == .groups {
            printGroups(try GroupSizeStudy(matrices: matrices, stopwatch: stopwatch).run())
        }
        if section == .all || section == .decode {
            let decode = DecodeBenchmark(matrices: matrices, stopwatch: stopwatch)
            printShapes(decode.perShape())
            let fourBitMB = [QuantizationFormat.Scheme.symmetric, .asymmetric].map { scheme in
                Double(matrices.compactMap { $0.fourBit[scheme]?.byteCount }.reduce(0, +)) / 1e6
            }
            printToken(decode.perToken(), floatMB: floatMB, int8MB: int8MB, fourBitMB: fourBitMB, count: matrices.count)
        }
        if section == .all || section == .prefill {
            printPrefill(PrefillBenchmark(matrices: matrices, rows: prefillRows, stopwatch: stopwatch).run())
        }
    }

    func printGroups(_ results: [GroupSizeStudy.Result]) {
        print("")
        print("Group size: relative error ‖x·Wq − x·W‖/‖x·W‖ on a 512→2048 weight (std 0.02) and 64 Gaussian rows,",
              "plain and with \(fixed(GroupSizeStudy.outlierFraction * 100, 1))% of the weights ×\(Int(GroupSizeStudy.outlierSize));",
              "bytes read per weight; one decode step over the slm60m matrices (wall and CPU ms)")
        print([pad("group", 12), padLeft("Gaussian", 10), padLeft("outliers", 10), padLeft("bytes/w", 9),
               padLeft("ms/token", 10), padLeft("CPU ms", 8)].joined(separator: " "))
        for result in results {
            let name = result.groupSize.map(String.init) ?? "per channel"
            print([pad(name + (result.groupSize == groupSize ? " *" : ""), 12),
                   padLeft(fixed(result.gaussianError * 100, 3) + "%", 10), padLeft(fixed(result.outlierError * 100, 3) + "%", 10),
                   padLeft(fixed(result.bytesPerWeight, 4), 9), padLeft(fixed(result.perToken.wall * 1e3, 3), 10),
                   padLeft(fixed(result.perToken.cpu * 1e3, 3), 8)].joined(separator: " "))
        }
    }

    func printShapes(_ results: [DecodeBenchmark.ShapeResult]) {
        print("")
        print("Batch 1, y = x·W: each shape called repeatedly (in cache except the LM head); GB/s of weight bytes",
              "read per wall second; CPU µs of all threads; int8 on one thread for comparison")
        print([pad("matrix", 14), pad("shape", 12), padLeft("sgemv µs", 10), padLeft("GB/s", 7), padLeft("CPU µs", 9),
               padLeft("int8 µs", 10), padLeft("GB/s", 7), padLeft("CPU µs", 9), padLeft("speedup", 8),
               padLeft("int8 1 thread µs", 17)].joined(separator: " "))
        for result in results {
            let matrix = result.matrix
            print([pad(matrix.name, 14), pad(matrix.shape, 12),
                   padLeft(fixed(result.float.wall * 1e6, 1), 10),
                   padLeft(fixed(Double(matrix.floatBytes) / result.float.wall / 1e9, 1), 7),
                   padLeft(fixed(result.float.cpu * 1e6, 1), 9),
                   padLeft(fixed(result.int8.wall * 1e6, 1), 10),
                   padLeft(fixed(Double(matrix.quantized.byteCount) / result.int8.wall / 1e9, 1), 7),
                   padLeft(fixed(result.int8.cpu * 1e6, 1), 9),
                   padLeft(fixed(result.float.wall / result.int8.wall, 2) + "×", 8),
                   padLeft(fixed(result.int8SingleThread.wall * 1e6, 1), 17)].joined(separator: " "))
        }
    }

    func printToken(_ all: [Timing], floatMB: Double, int8MB: Double, fourBitMB: [Double], count: Int) {
        let times = (float: all[0], int8: all[1])
        print("")
        print("Decode step: the \(count) matrices once each, in order (fp32 \(fixed(floatMB, 0)) MB, int8 \(fixed(int8MB, 1)) MB:",
              "more than the last-level cache, so from memory)")
        print("  fp32 sgemv \(fixed(times.float.wall * 1e3, 3)) ms/token (\(fixed(floatMB / 1e3 / times.float.wall, 1)) GB/s),",
              "CPU \(fixed(times.float.cpu * 1e3, 3)) ms; the whole step's goal is ≤ \(fixed(Self.floatTokenGoal * 1e3, 1)) ms")
        print("  int8       \(fixed(times.int8.wall * 1e3, 3)) ms/token (\(fixed(int8MB / 1e3 / times.int8.wall, 1)) GB/s),",
              "CPU \(fixed(times.int8.cpu * 1e3, 3)) ms; the whole step's goal is ≤ \(fixed(Self.int8TokenGoal * 1e3, 1)) ms",
              times.int8.wall > Self.int8TokenGoal ? " (above)" : "")
        print("  int8 speedup \(fixed(times.float.wall / times.int8.wall, 2))× wall, \(fixed(times.float.cpu / times.int8.cpu, 2))× CPU")
        for (index, name) in ["4-bit sym ", "4-bit asym"].enumerated() {
            let timing = all[2 + index], megabytes = fourBitMB[index]
            print("  \(name) \(fixed(timing.wall * 1e3, 3)) ms/token (\(fixed(megabytes / 1e3 / timing.wall, 1)) GB/s),",
                  "CPU \(fixed(timing.cpu * 1e3, 3)) ms; \(fixed(times.int8.wall / timing.wall, 2))× int8 wall,",
                  "\(fixed(times.int8.cpu / timing.cpu, 2))× CPU")
        }
    }

    func printPrefill(_ results: [PrefillBenchmark.Result]) {
        print("")
        print("Prefill, \(prefillRows) rows: cblas_sgemm on the float weights vs multiply(rows:) (int8 kernel, 4 input rows per",
              "weight read); GFLOP/s per wall second; CPU ms of all threads")
        print([pad("matrix", 20), pad("shape", 16), padLeft("sgemm ms", 9), padLeft("GFLOP/s", 8), padLeft("CPU ms", 8),
               padLeft("int8 ms", 9), padLeft("GFLOP/s", 8), padLeft("CPU ms", 8), padLeft("int8/fp32", 10)].joined(separator: " "))
        for result in results {
            print([pad(result.name, 20), pad(result.shape, 16),
                   padLeft(fixed(result.float.wall * 1e3, 2), 9), padLeft(fixed(result.flops / result.float.wall / 1e9, 1), 8),
                   padLeft(fixed(result.float.cpu * 1e3, 2), 8),
                   padLeft(fixed(result.int8.wall * 1e3, 2), 9), padLeft(fixed(result.flops / result.int8.wall / 1e9, 1), 8),
                   padLeft(fixed(result.int8.cpu * 1e3, 2), 8),
                   padLeft(fixed(result.int8.wall / result.float.wall, 2) + "×", 10)].joined(separator: " "))
        }
    }

    func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
    func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
    func padLeft(_ text: String, _ width: Int) -> String { text.count >= width ? text : String(repeating: " ", count: width - text.count) + text }
}
