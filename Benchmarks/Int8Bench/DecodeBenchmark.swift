import Tensor

/// Batch-1 products, x · W for one row: cblas_sgemv on the float weights against the int8 kernel.
struct DecodeBenchmark {
    struct ShapeResult {
        let matrix: BenchMatrix
        let float: Timing
        let int8: Timing
        let int8SingleThread: Timing
    }

    let matrices: [BenchMatrix]
    let stopwatch: Stopwatch

    /// Each distinct shape called over and over: all but the LM head then sit in cache, so
    /// this is the kernels' own speed.
    func perShape() -> [ShapeResult] {
        var seen = Set<String>()
        let distinct = matrices.filter { seen.insert($0.shape).inserted }
        let x = randomBuffer(4 * 512, seed: 1)
        let y = FloatBuffer(count: distinct.map(\.outFeatures).max() ?? 0)
        return distinct.map { matrix in
            let times = stopwatch.timeInterleaved(3) { variant in
                switch variant {
                case 0: matrix.floatVector(x.pointer, y.pointer)
                case 1: matrix.quantized.multiply(vector: x.pointer, into: y.pointer)
                default: matrix.quantized.multiply(vector: x.pointer, into: y.pointer, threads: 1)
                }
            }
            return ShapeResult(matrix: matrix, float: times[0], int8: times[1], int8SingleThread: times[2])
        }
    }

    /// Every matrix of a decode step once, in order: 229 MB of float weights, 64 MB of int8,
    /// 33–37 MB of 4-bit, more than the last-level cache, so they stream from memory as in real
    /// decoding. Timings of fp32, int8, 4-bit symmetric, 4-bit asymmetric.
    func perToken() -> [Timing] {
        let x = randomBuffer(4 * 512, seed: 2)
        let y = FloatBuffer(count: matrices.map(\.outFeatures).max() ?? 0)
        return stopwatch.timeInterleaved(4) { variant in
            for matrix in matrices {
                switch variant {
                case 0: matrix.floatVector(x.pointer, y.pointer)
                case 1: matrix.quantized.multiply(vector: x.pointer, into: y.pointer)
                case 2: matrix.fourBit[.symmetric]?.multiply(vector: x.pointer, into: y.pointer)
                default: matrix.fourBit[.asymmetric]?.multiply(vector: x.pointer, into: y.pointer)
                }
            }
        }
    }
}

/// A buffer of uniform values in [-1, 1), seeded so every run sees the same data.
func randomBuffer(_ count: Int, seed: UInt64) -> FloatBuffer {
    let buffer = FloatBuffer(count: count)
    var generator = SeededGenerator(seed: seed)
    for i in 0..<count { buffer.pointer[i] = 2 * generator.nextUniform() - 1 }
    return buffer
}
