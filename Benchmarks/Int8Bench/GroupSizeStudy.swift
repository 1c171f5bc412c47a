import Tensor

/// What the group size buys: the error of x · W against the float product, on Gaussian weights
/// and on weights with outliers, the bytes read per weight, and a decode step's time.
struct GroupSizeStudy {
    struct Result {
        /// nil: one scale per output channel.
        let groupSize: Int?
        let gaussianError: Double
        let outlierError: Double
        let bytesPerWeight: Double
        /// Measured after every group size is quantized, the sets interleaved.
        var perToken = Timing(wall: 0, cpu: 0)
    }

    static let groupSizes: [Int?] = [32, 64, 128, nil]
    /// Share of the outlier weights and how many standard deviations they are.
    static let outlierFraction = 0.002
    static let outlierSize: Float = 20

    let matrices: [BenchMatrix]
    let stopwatch: Stopwatch

    func run() throws -> [Result] {
        let (inFeatures, outFeatures, rows) = (512, 2048, 64)
        var generator = SeededGenerator(seed: 4)
        let gaussian = FloatBuffer(count: inFeatures * outFeatures)
        for i in 0..<gaussian.count { gaussian.pointer[i] = 0.02 * generator.nextNormal() }
        let outliers = FloatBuffer(count: gaussian.count)
        outliers.pointer.update(from: gaussian.pointer, count: gaussian.count)
        for _ in 0..<Int(Double(outliers.count) * Self.outlierFraction) {
            outliers.pointer[generator.nextInt(below: outliers.count)] *= Self.outlierSize
        }
        let x = FloatBuffer(count: rows * inFeatures)
        for i in 0..<x.count { x.pointer[i] = generator.nextNormal() }

        var results = [Result]()
        var decodeSets = [[QuantizedMatrix]]()
        for groupSize in Self.groupSizes {
            func error(_ weight: FloatBuffer) throws -> Double {
                let matrix = try QuantizedMatrix(quantizing: weight.pointer, inFeatures: inFeatures, outFeatures: outFeatures,
                                                 layout: .conv1D, groupSize: groupSize ?? inFeatures)
                return relativeError(matrix, weight, x, rows: rows)
            }
            decodeSets.append(try matrices.map { matrix in
                try QuantizedMatrix(quantizing: matrix.weight.pointer, inFeatures: matrix.inFeatures, outFeatures: matrix.outFeatures,
                                    layout: matrix.layout, groupSize: groupSize ?? matrix.inFeatures)
            })
            results.append(Result(groupSize: groupSize, gaussianError: try error(gaussian), outlierError: try error(outliers),
                                  bytesPerWeight: 1 + 4 / Double(groupSize ?? inFeatures)))
        }
        let input = randomBuffer(2048, seed: 5)
        let output = FloatBuffer(count: matrices.map(\.outFeatures).max() ?? 0)
        let times = stopwatch.timeInterleaved(decodeSets.count) { set in
            for matrix in decodeSets[set] { matrix.multiply(vector: input.pointer, into: output.pointer) }
        }
        for (index, timing) in times.enumerated() { results[index].perToken = timing }
        return results
    }

    /// ‖x · Wq − x · W‖ / ‖x · W‖ over `rows` rows, the float product by sgemm.
    private func relativeError(_ matrix: QuantizedMatrix, _ weight: FloatBuffer, _ x: FloatBuffer, rows: Int) -> Double {
        let exact = FloatBuffer(count: rows * matrix.outFeatures)
        let approximate = FloatBuffer(count: exact.count)
        Matmul.gemm(m: rows, n: matrix.outFeatures, k: matrix.inFeatures, a: x.pointer, b: weight.pointer, c: exact.pointer)
        matrix.multiply(rows: rows, input: x.pointer, into: approximate.pointer)
        var difference = 0.0, norm = 0.0
        for i in 0..<exact.count {
            let e = Double(exact.pointer[i])
            difference += (Double(approximate.pointer[i]) - e) * (Double(approximate.pointer[i]) - e)
            norm += e * e
        }
        return (difference / norm).squareRoot()
    }
}
