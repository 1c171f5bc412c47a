import Tensor

/// Products of a block of rows (prefill, perplexity): cblas_sgemm on the float weights against
/// `multiply(rows:)`, the int8 kernel that widens each weight once for four input rows.
struct PrefillBenchmark {
    struct Result {
        let name: String
        let shape: String
        let flops: Double
        let float: Timing
        let int8: Timing
    }

    let matrices: [BenchMatrix]
    let rows: Int
    let stopwatch: Stopwatch

    /// Each distinct shape, then the whole model's set of matrices as one line.
    func run() -> [Result] {
        let x = randomBuffer(rows * 2048, seed: 3)
        let y = FloatBuffer(count: rows * (matrices.map(\.outFeatures).max() ?? 0))
        var seen = Set<String>()
        var results = matrices.filter { seen.insert($0.shape).inserted }.map { matrix in
            let times = stopwatch.timeInterleaved(2) { variant in
                if variant == 0 {
                    matrix.floatRows(rows, x.pointer, y.pointer)
                } else {
                    matrix.quantized.multiply(rows: rows, input: x.pointer, into: y.pointer)
                }
            }
            return Result(name: matrix.name, shape: "\(rows)×" + matrix.shape, flops: flops(matrix),
                          float: times[0], int8: times[1])
        }
        let model = stopwatch.timeInterleaved(2) { variant in
            for matrix in matrices {
                if variant == 0 {
                    matrix.floatRows(rows, x.pointer, y.pointer)
                } else {
                    matrix.quantized.multiply(rows: rows, input: x.pointer, into: y.pointer)
                }
            }
        }
        results.append(Result(name: "slm60m, all \(matrices.count)", shape: "\(rows) tokens",
                              flops: matrices.map(flops).reduce(0, +), float: model[0], int8: model[1]))
        return results
    }

    private func flops(_ matrix: BenchMatrix) -> Double {
        2 * Double(rows) * Double(matrix.inFeatures) * Double(matrix.outFeatures)
    }
}
