import Tensor
import XCTest

final class QuantizedMatrixTests: XCTestCase {
    /// Odd sizes so that groups end short, rows do not fill the kernel's 4-row blocks and
    /// inputs do not fill its 8- and 16-wide steps.
    static let shapes: [(inFeatures: Int, outFeatures: Int)] = [(1, 1), (3, 17), (65, 257), (129, 17), (129, 257)]
    /// 64 and 32 are the sizes in use; 7 exercises a group that is no multiple of the vector
    /// width, 1000 a single group per row (per-channel scales).
    static let groupSizes = [32, 64, 7, 1000]

    // MARK: Quantization

    func testDequantizedWeightsAreWithinHalfAScaleOfTheFloatWeights() throws {
        var data = TestData(seed: 1)
        for (inFeatures, outFeatures) in Self.shapes {
            for groupSize in Self.groupSizes {
                for layout in QuantizedMatrix.Layout.allCases {
                    let weight = data.normal(inFeatures * outFeatures, std: 0.02)
                    let matrix = try quantize(weight, inFeatures, outFeatures, layout, groupSize)
                    let what = "\(inFeatures)→\(outFeatures) \(layout) group \(groupSize)"
                    XCTAssertEqual(matrix.scalesShape, [outFeatures, (inFeatures + groupSize - 1) / groupSize], what)
                    XCTAssertTrue(matrix.quantizedValues.allSatisfy { (-127...127).contains($0) }, what)
                    let restored = matrix.dequantized()
                    let reference = referenceWeights(matrix)
                    var worst = 0.0
                    var misplaced = 0
                    for o in 0..<outFeatures {
                        for i in 0..<inFeatures {
                            let index = flatIndex(input: i, output: o, inFeatures, outFeatures, layout)
                            if abs(Double(restored[index]) - reference[o][i]) > 1e-7 * abs(reference[o][i]) { misplaced += 1 }
                            let scale = Double(matrix.scales[o * matrix.groupsPerRow + i / groupSize])
                            worst = max(worst, abs(Double(weight[index]) - Double(restored[index])) / (scale / 2))
                        }
                    }
                    XCTAssertEqual(misplaced, 0, "\(what): dequantized() differs from scale · q or is in the wrong layout")
                    // Half a step, up to the float roundings of w / scale and of scale · q.
                    XCTAssertLessThanOrEqual(worst, 1 + 1e-4, "\(what): |w - deq| / (scale/2)")
                }
            }
        }
    }

    func testLargestWeightOfEachGroupMapsToFullScale() throws {
        var data = TestData(seed: 2)
        let (inFeatures, outFeatures, groupSize) = (100, 9, 32)
        let weight = data.uniform(inFeatures * outFeatures)
        let matrix = try quantize(weight, inFeatures, outFeatures, .rowsAreOutputs, groupSize)
        for o in 0..<outFeatures {
            for g in 0..<matrix.groupsPerRow {
                let group = (g * groupSize)..<min(inFeatures, (g + 1) * groupSize)
                let largest = group.map { abs(weight[o * inFeatures + $0]) }.max() ?? 0
                XCTAssertEqual(matrix.scales[o * matrix.groupsPerRow + g], largest / 127, accuracy: largest * 1e-7)
                XCTAssertEqual(group.map { abs(Int(matrix.quantizedValues[o * inFeatures + $0])) }.max(), 127)
            }
        }
    }

    func testAllZeroGroupsQuantizeToZero() throws {
        let weight = [Float](repeating: 0, count: 40 * 3)
        let matrix = try quantize(weight, 40, 3, .conv1D, 32)
        XCTAssertTrue(matrix.scales.allSatisfy { $0 == 0 })
        XCTAssertEqual(matrix.dequantized(), weight)
    }

    func testInvalidWeightsAndSizesThrow() {
        var weight = [Float](repeating: 1, count: 12)
        XCTAssertThrowsError(try quantize(weight, 3, 4, .conv1D, 0)) { error in
            XCTAssertEqual("\(error)", "group size must be ≥ 1, got 0")
        }
        XCTAssertThrowsError(try quantize(weight, 0, 4, .conv1D, 32))
        weight[7] = .nan
        weight[2] = .infinity
        XCTAssertThrowsError(try quantize(weight, 3, 4, .conv1D, 32)) { error in
            XCTAssertEqual("\(error)", "cannot quantize a 3×4 weight with 2 non-finite values")
        }
    }

    // MARK: Products

    func testVectorProductEqualsDoubleProductOfDequantizedWeights() throws {
        var data = TestData(seed: 3)
        for (inFeatures, outFeatures) in Self.shapes {
            for groupSize in Self.groupSizes {
                for layout in QuantizedMatrix.Layout.allCases {
                    let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, layout, groupSize)
                    let x = data.normal(inFeatures)
                    let bias = data.normal(outFeatures)
                    let what = "\(inFeatures)→\(outFeatures) \(layout) group \(groupSize)"
                    let weights = referenceWeights(matrix)
                    assertMatches(multiplyVector(matrix, x, bias: nil), referenceProduct(weights, x, rows: 1, bias: nil),
                                  "\(what) without bias")
                    assertMatches(multiplyVector(matrix, x, bias: bias), referenceProduct(weights, x, rows: 1, bias: bias),
                                  "\(what) with bias")
                }
            }
        }
    }

    func testRowsProductEqualsDoubleProductOfDequantizedWeights() throws {
        var data = TestData(seed: 4)
        // 2049 inputs: long rows; 257 outputs: three of the kernel's 128-row blocks, the last one short.
        for (inFeatures, outFeatures) in Self.shapes + [(2049, 257)] {
            for groupSize in [64, 7] {
                for layout in QuantizedMatrix.Layout.allCases {
                    let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, layout, groupSize)
                    let bias = data.normal(outFeatures)
                    let weights = referenceWeights(matrix)
                    // 15 = 8 + 4 + 2 + 1 input rows: every tile height the kernel has.
                    for rows in [1, 2, 7, 15] {
                        let x = data.normal(rows * inFeatures)
                        let what = "\(rows) rows \(inFeatures)→\(outFeatures) \(layout) group \(groupSize)"
                        assertMatches(multiplyRows(matrix, x, rows: rows, bias: nil),
                                      referenceProduct(weights, x, rows: rows, bias: nil), "\(what) without bias")
                        assertMatches(multiplyRows(matrix, x, rows: rows, bias: bias),
                                      referenceProduct(weights, x, rows: rows, bias: bias), "\(what) with bias")
                    }
                }
            }
        }
    }

    /// The product must stay close to the float weights' product, not only to the dequantized
    /// ones: half a quantization step on each weight is ≈ 0.6% of x·W at group 64.
    func testProductIsCloseToTheFloatProductOnGaussianData() throws {
        var data = TestData(seed: 5)
        let (inFeatures, outFeatures) = (512, 384)
        let weight = data.normal(inFeatures * outFeatures, std: 0.02)
        let x = data.normal(inFeatures)
        let exact = floatProduct(weight, x, inFeatures, outFeatures)
        for groupSize in [32, 64, 128] {
            let matrix = try quantize(weight, inFeatures, outFeatures, .conv1D, groupSize)
            let error = relativeError(multiplyVector(matrix, x, bias: nil), exact)
            XCTAssertLessThan(error, 0.01, "group \(groupSize)")
            XCTAssertGreaterThan(error, 1e-4, "group \(groupSize): int8 cannot be this exact; is it quantizing at all?")
        }
    }

    /// Where a few weights are outliers, per-group scales keep the rest of the row's
    /// resolution; one scale per channel does not.
    func testGroupScalesBeatChannelScalesOnWeightsWithOutliers() throws {
        var data = TestData(seed: 6)
        let (inFeatures, outFeatures) = (512, 256)
        var weight = data.normal(inFeatures * outFeatures, std: 0.02)
        for index in data.sample(inFeatures * outFeatures / 500, from: weight.count) { weight[index] *= 20 }
        let x = data.normal(inFeatures)
        let exact = floatProduct(weight, x, inFeatures, outFeatures)
        let grouped = relativeError(multiplyVector(try quantize(weight, inFeatures, outFeatures, .conv1D, 64), x, bias: nil), exact)
        let perChannel = relativeError(multiplyVector(try quantize(weight, inFeatures, outFeatures, .conv1D, inFeatures), x, bias: nil), exact)
        XCTAssertLessThan(grouped, 0.7 * perChannel, "group 64 \(grouped) vs per channel \(perChannel)")
    }

    func testThreadedProductsEqualSingleThreadedBitForBit() throws {
        var data = TestData(seed: 7)
        let (inFeatures, outFeatures, rows) = (512, 3001, 3)
        let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, .rowsAreOutputs, 64)
        XCTAssertGreaterThanOrEqual(matrix.byteCount, QuantizedMatrix.parallelMinimumBytes,
                                    "the automatic choice no longer reaches the multi-threaded path")
        let x = data.normal(rows * inFeatures)
        let bias = data.normal(outFeatures)
        let singleVector = multiplyVector(matrix, Array(x[0..<inFeatures]), bias: bias, threads: 1)
        let singleRows = multiplyRows(matrix, x, rows: rows, bias: bias, threads: 1)
        for threads in [2, 3, nil] {
            let what = "threads \(threads.map(String.init) ?? "automatic")"
            XCTAssertEqual(multiplyVector(matrix, Array(x[0..<inFeatures]), bias: bias, threads: threads), singleVector, "vector, \(what)")
            XCTAssertEqual(multiplyRows(matrix, x, rows: rows, bias: bias, threads: threads), singleRows, "\(rows) rows, \(what)")
        }
    }

    // MARK: Embedding rows and saved bytes

    func testDequantizedRowIsTheWeightsOutputRow() throws {
        var data = TestData(seed: 8)
        let (inFeatures, outFeatures) = (65, 17)
        for layout in QuantizedMatrix.Layout.allCases {
            let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, layout, 32)
            let all = matrix.dequantized()
            for r in [0, 5, outFeatures - 1] {
                var row = [Float](repeating: .nan, count: inFeatures)
                matrix.dequantizeRow(r, into: &row)
                let expected = (0..<inFeatures).map { all[flatIndex(input: $0, output: r, inFeatures, outFeatures, layout)] }
                XCTAssertEqual(row, expected, "\(layout) row \(r)")
            }
        }
    }

    func testMatrixRebuiltFromSavedBytesMultipliesTheSame() throws {
        var data = TestData(seed: 9)
        let (inFeatures, outFeatures) = (129, 33)
        let original = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, .conv1D, 64)
        let x = data.normal(inFeatures)
        let expected = multiplyVector(original, x, bias: nil)
        // A file's bytes: the int8 tensor (odd length) followed by the scales, so the scales
        // start misaligned for Float, as they can in a safetensors file.
        let values = Array(UnsafeRawBufferPointer(original.quantizedValues))
        let scales = Array(UnsafeRawBufferPointer(original.scales))
        let file = SavedBytes(values + scales)
        let valueBytes = UnsafeRawBufferPointer(rebasing: file.bytes[0..<values.count])
        let scaleBytes = UnsafeRawBufferPointer(rebasing: file.bytes[values.count...])
        for owner in [file, nil] {
            let rebuilt = try QuantizedMatrix(rows: outFeatures, columns: inFeatures, groupSize: 64, layout: .conv1D,
                                              quantizedValues: valueBytes, scales: scaleBytes, owner: owner)
            XCTAssertEqual(multiplyVector(rebuilt, x, bias: nil), expected, owner == nil ? "copied" : "borrowed")
            XCTAssertEqual(rebuilt.dequantized(), original.dequantized())
            XCTAssertEqual(UnsafeRawPointer(rebuilt.quantizedValues.baseAddress) == valueBytes.baseAddress, owner != nil,
                           "int8 values are borrowed exactly when there is an owner")
        }
        XCTAssertThrowsError(try QuantizedMatrix(rows: outFeatures, columns: inFeatures, groupSize: 32, layout: .conv1D,
                                                 quantizedValues: valueBytes, scales: scaleBytes)) { error in
            XCTAssertEqual("\(error)", "scales of 33×5 (group size 32) need 660 bytes, got 396")
        }
        XCTAssertThrowsError(try QuantizedMatrix(rows: outFeatures + 1, columns: inFeatures, groupSize: 64, layout: .conv1D,
                                                 quantizedValues: valueBytes, scales: scaleBytes))
        var corrupt = scales
        corrupt.withUnsafeMutableBytes { $0.storeBytes(of: -Float.infinity, toByteOffset: 8, as: Float.self) }
        try corrupt.withUnsafeBytes { corruptScales in
            XCTAssertThrowsError(try QuantizedMatrix(rows: outFeatures, columns: inFeatures, groupSize: 64, layout: .conv1D,
                                                     quantizedValues: valueBytes, scales: corruptScales)) { error in
                XCTAssertTrue("\(error)".contains("scale 2 of a 33×129 int8 weight is -inf"), "\(error)")
            }
        }
    }

    // MARK: Helpers

    private func quantize(
        _ weight: [Float], _ inFeatures: Int, _ outFeatures: Int, _ layout: QuantizedMatrix.Layout, _ groupSize: Int
    ) throws -> QuantizedMatrix {
        try weight.withUnsafeBufferPointer {
            try QuantizedMatrix(quantizing: $0.baseAddress!, inFeatures: inFeatures, outFeatures: outFeatures,
                                layout: layout, groupSize: groupSize)
        }
    }

    private func multiplyVector(_ matrix: QuantizedMatrix, _ x: [Float], bias: [Float]?, threads: Int? = nil) -> [Float] {
        var y = [Float](repeating: .nan, count: matrix.outFeatures)
        x.withUnsafeBufferPointer { px in
            withOptionalPointer(bias) { pb in matrix.multiply(vector: px.baseAddress!, into: &y, bias: pb, threads: threads) }
        }
        return y
    }

    private func multiplyRows(_ matrix: QuantizedMatrix, _ x: [Float], rows: Int, bias: [Float]?, threads: Int? = nil) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * matrix.outFeatures)
        x.withUnsafeBufferPointer { px in
            withOptionalPointer(bias) { pb in
                matrix.multiply(rows: rows, input: px.baseAddress!, into: &y, bias: pb, threads: threads)
            }
        }
        return y
    }

    private func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// weights[out][in] = scale · q in Double, from the raw bytes rather than the C dequantizer.
    private func referenceWeights(_ matrix: QuantizedMatrix) -> [[Double]] {
        let (values, scales) = (matrix.quantizedValues, matrix.scales)
        return (0..<matrix.rows).map { o in
            (0..<matrix.columns).map { i in
                Double(scales[o * matrix.groupsPerRow + i / matrix.groupSize]) * Double(values[o * matrix.columns + i])
            }
        }
    }

    /// y[r, o] = Σ_i x[r, i] · weights[o][i] (+ bias[o]) in Double, with Σ_i |x[r, i] · w[o][i]| (+ |bias[o]|):
    /// the size float32 rounding errors of the sum are proportional to.
    private func referenceProduct(
        _ weights: [[Double]], _ x: [Float], rows: Int, bias: [Float]?
    ) -> [(value: Double, magnitude: Double)] {
        let columns = x.count / rows
        var y = [(value: Double, magnitude: Double)]()
        for r in 0..<rows {
            let input = x[(r * columns)..<((r + 1) * columns)].map(Double.init)
            for o in 0..<weights.count {
                var sum = bias.map { Double($0[o]) } ?? 0
                var magnitude = abs(sum)
                weights[o].withUnsafeBufferPointer { row in
                    for i in 0..<columns {
                        let term = input[i] * row[i]
                        sum += term
                        magnitude += abs(term)
                    }
                }
                y.append((sum, magnitude))
            }
        }
        return y
    }

    /// Each |actual − value| within 2e-6 of the element's Σ|terms|. Float32 sums of up to ~2000
    /// terms stay ~10× inside that; a wrong scale, group or missing term is off by ≥ 1e-4 of it
    /// (one of the terms). Relative to the value itself would demand more digits than float32
    /// has of elements that cancel to near zero.
    private func assertMatches(
        _ actual: [Float], _ expected: [(value: Double, magnitude: Double)], _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        var worst = 0, worstError = -1.0
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            var error = abs(Double(a) - e.value) / max(e.magnitude, 1e-30)
            if error.isNaN { error = .infinity }
            if error > worstError { (worst, worstError) = (index, error) }
        }
        guard worstError >= 0 else { return }
        XCTAssertLessThanOrEqual(worstError, 2e-6,
            "\(what): element \(worst) is \(actual[worst]), expected \(expected[worst].value) (error / Σ|terms| \(worstError))",
            file: file, line: line)
    }

    /// x · W in Double for a float Conv1D weight [in, out].
    private func floatProduct(_ weight: [Float], _ x: [Float], _ inFeatures: Int, _ outFeatures: Int) -> [Double] {
        (0..<outFeatures).map { o in (0..<inFeatures).reduce(0.0) { $0 + Double(x[$1]) * Double(weight[$1 * outFeatures + o]) } }
    }

    /// ‖actual − expected‖ / ‖expected‖.
    private func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
        let difference = zip(actual, expected).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
        return (difference / expected.reduce(0.0) { $0 + $1 * $1 }).squareRoot()
    }

    private func flatIndex(
        input i: Int, output o: Int, _ inFeatures: Int, _ outFeatures: Int, _ layout: QuantizedMatrix.Layout
    ) -> Int {
        layout == .conv1D ? i * outFeatures + o : o * inFeatures + i
    }
}

/// Bytes at a stable address standing in for a memory-mapped file that owns them.
private final class SavedBytes: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(_ contents: [UInt8]) {
        bytes = .allocate(byteCount: contents.count, alignment: 64)
        contents.withUnsafeBytes { bytes.copyMemory(from: $0) }
    }

    deinit { bytes.deallocate() }
}
