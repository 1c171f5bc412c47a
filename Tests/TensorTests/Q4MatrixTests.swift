import CKernels
import Dispatch
import Tensor
import XCTest

final class Q4MatrixTests: XCTestCase {
    /// Odd sizes: short last groups and blocks (33, 100), rows that do not fill the kernel's
    /// 4-row blocks, inputs of one element.
    static let shapes: [(inFeatures: Int, outFeatures: Int)] = [(1, 1), (31, 3), (33, 17), (100, 5), (129, 257)]
    static let schemes = QuantizationFormat.Scheme.allCases

    // MARK: Quantization

    func testDequantizedWeightsAreTheStoredCodesTimesScalePlusOffset() throws {
        var data = TestData(seed: 11)
        for (inFeatures, outFeatures) in Self.shapes {
            for groupSize in [32, 64] {
                for scheme in Self.schemes {
                    for layout in QuantizedMatrix.Layout.allCases {
                        let weight = data.normal(inFeatures * outFeatures, std: 0.02)
                        let matrix = try quantize(weight, inFeatures, outFeatures, layout, scheme, groupSize)
                        let what = "\(inFeatures)→\(outFeatures) \(layout) \(scheme) group \(groupSize)"
                        let restored = matrix.dequantized()
                        let reference = referenceWeights(matrix)
                        var misplaced = 0
                        for o in 0..<outFeatures {
                            for i in 0..<inFeatures where Double(restored[flatIndex(i, o, inFeatures, outFeatures, layout)]) != reference[o][i] {
                                misplaced += 1
                            }
                        }
                        XCTAssertEqual(misplaced, 0, "\(what): dequantized() differs from the stored codes or is in the wrong layout")
                    }
                }
            }
        }
    }

    /// Without the search, the symmetric scheme maps each group's largest-magnitude weight to
    /// level −8 exactly (its opposite may clip to +7, a whole step), the asymmetric one spans
    /// the group's range so every weight is within half a step; both up to binary16 rounding.
    func testRangeScalesBoundTheErrorOfEveryWeight() throws {
        var data = TestData(seed: 12)
        let (inFeatures, outFeatures) = (100, 9)
        let weight = data.normal(inFeatures * outFeatures)
        for scheme in Self.schemes {
            let matrix = try quantize(weight, inFeatures, outFeatures, .rowsAreOutputs, scheme, 32, search: false)
            let (scales, minimums) = halves(matrix)
            let restored = matrix.dequantized()
            for o in 0..<outFeatures {
                for i in 0..<inFeatures {
                    let index = o * matrix.groupsPerRow + i / 32
                    let step = abs(Double(scales[index]))
                    let rounding = 2e-3 * (abs(Double(minimums?[index] ?? 0)) + 16 * step)
                    let bound = (scheme == .symmetric ? step : step / 2) + rounding
                    XCTAssertLessThanOrEqual(abs(Double(weight[o * inFeatures + i]) - Double(restored[o * inFeatures + i])), bound,
                                             "\(scheme) row \(o) column \(i)")
                }
            }
        }
    }

    func testScaleSearchNeverIncreasesAnyGroupsSquaredError() throws {
        var data = TestData(seed: 13)
        let (inFeatures, outFeatures) = (160, 40)
        var weight = data.normal(inFeatures * outFeatures, std: 0.02)
        for index in data.sample(20, from: weight.count) { weight[index] *= 10 }
        for scheme in Self.schemes {
            let plain = try quantize(weight, inFeatures, outFeatures, .rowsAreOutputs, scheme, 32, search: false).dequantized()
            let searched = try quantize(weight, inFeatures, outFeatures, .rowsAreOutputs, scheme, 32).dequantized()
            var plainTotal = 0.0, searchedTotal = 0.0
            for group in 0..<(inFeatures * outFeatures / 32) {
                let range = (group * 32)..<((group + 1) * 32)
                let plainError = range.reduce(0.0) { $0 + pow(Double(weight[$1]) - Double(plain[$1]), 2) }
                let searchedError = range.reduce(0.0) { $0 + pow(Double(weight[$1]) - Double(searched[$1]), 2) }
                XCTAssertLessThanOrEqual(searchedError, plainError * (1 + 1e-9), "\(scheme) group \(group)")
                plainTotal += plainError
                searchedTotal += searchedError
            }
            // Measured 0.92 (symmetric) and 0.8 (asymmetric) of the range scales' error here.
            XCTAssertLessThan(searchedTotal, (scheme == .symmetric ? 0.95 : 0.9) * plainTotal,
                              "\(scheme): the search should find better scales on Gaussian groups (\(searchedTotal / plainTotal))")
        }
    }

    func testInvalidWeightsSizesAndFormatsThrow() {
        var weight = [Float](repeating: 1, count: 12)
        XCTAssertThrowsError(try quantize(weight, 3, 4, .conv1D, .symmetric, 48)) { error in
            XCTAssertEqual("\(error)", "a 4-bit group size must be a multiple of 32, got 48")
        }
        XCTAssertThrowsError(try quantize(weight, 0, 4, .conv1D, .symmetric, 32))
        weight[7] = .nan
        XCTAssertThrowsError(try quantize(weight, 3, 4, .conv1D, .asymmetric, 32)) { error in
            XCTAssertEqual("\(error)", "cannot quantize a 3×4 weight with 1 non-finite values")
        }
        XCTAssertThrowsError(try QuantizationFormat(bits: 5)) { XCTAssertEqual("\($0)", "bits must be 4 or 8, got 5") }
        XCTAssertThrowsError(try QuantizationFormat(bits: 8, scheme: .asymmetric))
        XCTAssertEqual(try QuantizationFormat(bits: 4).groupSize, 32)
    }

    func testHalfConversionsMatchSwiftFloat16() {
        #if arch(x86_64) || arch(arm64)
        let values: [Float] = [0, -0.0, 1, -2.5, 1e-5, 6e-8, 3e-8, 65504, 0.1, 1.0009765625 + 1e-7, 0.333333, -1234.567]
        for value in values {
            let half = finch_half_from_float(value)
            XCTAssertEqual(half, Float16(value).bitPattern, "\(value)")
            XCTAssertEqual(finch_float_from_half(half), Float(Float16(value)), "\(value)")
        }
        XCTAssertEqual(finch_float_from_half(finch_half_from_float(1e6)), 65504, "overflow saturates")
        #endif
    }

    // MARK: Products

    func testProductsEqualTheKernelsArithmeticAndTheDequantizedProduct() throws {
        var data = TestData(seed: 14)
        for (inFeatures, outFeatures) in Self.shapes + [(2049, 33)] {
            for groupSize in [32, 96] {
                for scheme in Self.schemes {
                    let layout: QuantizedMatrix.Layout = outFeatures % 2 == 0 ? .conv1D : .rowsAreOutputs
                    let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, layout, scheme, groupSize)
                    let bias = data.normal(outFeatures)
                    let weights = referenceWeights(matrix)
                    // 7 = 4 + 1 + 1 + 1 input rows: both tile heights of the AVX2 multi-row kernel.
                    for rows in [1, 2, 7] {
                        let x = data.normal(rows * inFeatures)
                        // The other kernels with a bias only: the Double references dominate the test's time.
                        for kernel in Q4Matrix.MultiRowKernel.available {
                            for withBias in kernel == Q4Matrix.MultiRowKernel.available[0] ? [false, true] : [true] {
                                let what = "\(kernel) \(rows) rows \(inFeatures)→\(outFeatures) \(scheme) group \(groupSize)"
                                let actual = multiply(matrix, x, rows: rows, bias: withBias ? bias : nil, kernel: kernel)
                                assertMatchesKernelArithmetic(actual, matrix, x, rows: rows, bias: withBias ? bias : nil, what)
                                assertCloseToDequantizedProduct(actual, matrix, weights, x, rows: rows, bias: withBias ? bias : nil, what)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Close to the float weights' product, not only to the dequantized one: 4 bits leave ≈ 10%
    /// of x·W on Gaussian weights (int8 ≈ 0.6%), and the search brings it down.
    func testProductIsCloseToTheFloatProductOnGaussianData() throws {
        var data = TestData(seed: 15)
        let (inFeatures, outFeatures) = (512, 256)
        let weight = data.normal(inFeatures * outFeatures, std: 0.02)
        let x = data.normal(inFeatures)
        let exact = (0..<outFeatures).map { o in (0..<inFeatures).reduce(0.0) { $0 + Double(x[$1]) * Double(weight[$1 * outFeatures + o]) } }
        for scheme in Self.schemes {
            let plain = relativeError(multiply(try quantize(weight, inFeatures, outFeatures, .conv1D, scheme, 32, search: false), x, rows: 1, bias: nil), exact)
            let searched = relativeError(multiply(try quantize(weight, inFeatures, outFeatures, .conv1D, scheme, 32), x, rows: 1, bias: nil), exact)
            XCTAssertLessThan(searched, 0.12, "\(scheme)")
            XCTAssertLessThan(searched, plain, "\(scheme): search \(searched) vs range \(plain)")
            XCTAssertGreaterThan(searched, 0.01, "\(scheme): 4 bits cannot be this exact; is it quantizing at all?")
        }
    }

    /// Every multi-row kernel this CPU runs, 1…70 input rows (every split of the VNNI kernel's
    /// passes of up to twelve rows, and partial tiles of sixteen output rows): the kernels'
    /// arithmetic and the dequantized product on 70 rows; with VNNI each input row's outputs are
    /// the same bits whatever the rows beside it (a sequence alone and in a batch), so every
    /// shorter product equals the 70-row one's first rows; the AVX2 kernel's tile heights (4, 1)
    /// and one row (the batch-1 kernel) against the arithmetic.
    func testEveryMultiRowKernelOnOneToSeventyRows() throws {
        var data = TestData(seed: 18)
        for (inFeatures, outFeatures, groupSize) in [(100, 19, 32), (161, 37, 64)] {
            for scheme in Self.schemes {
                let matrix = try quantize(data.normal(inFeatures * outFeatures, std: 0.05), inFeatures, outFeatures, .conv1D, scheme, groupSize)
                let bias = data.normal(outFeatures)
                let x = data.normal(70 * inFeatures)
                for kernel in Q4Matrix.MultiRowKernel.available {
                    let what = "\(kernel) \(inFeatures)→\(outFeatures) \(scheme) group \(groupSize)"
                    let all = multiply(matrix, x, rows: 70, bias: bias, kernel: kernel)
                    assertMatchesKernelArithmetic(all, matrix, x, rows: 70, bias: bias, "\(what) 70 rows")
                    assertCloseToDequantizedProduct(all, matrix, referenceWeights(matrix), x, rows: 70, bias: bias, "\(what) 70 rows")
                    for rows in 1..<70 where kernel == .vnni || [1, 2, 5, 7].contains(rows) {
                        let input = Array(x[0..<(rows * inFeatures)])
                        let actual = multiply(matrix, input, rows: rows, bias: bias, kernel: kernel)
                        if kernel == .vnni && rows > 1 {
                            XCTAssertEqual(actual, Array(all[0..<(rows * outFeatures)]), "\(what): \(rows) rows differ from the 70-row product's")
                        } else {
                            assertMatchesKernelArithmetic(actual, matrix, input, rows: rows, bias: bias, "\(what) \(rows) rows")
                        }
                    }
                }
            }
        }
    }

    /// The VNNI kernel's repacked tiles around its boundaries: one pass unpacking in registers
    /// (≤ 12 rows) and several reading the tile's unpacked buffer (13, 25), groups of three blocks
    /// (blocks that do not end their group) with a short last block and group, a last tile of
    /// one row, and a single partial tile.
    func testVNNIKernelAcrossPassesBlocksAndPartialTiles() throws {
        guard Q4Matrix.MultiRowKernel.available.contains(.vnni) else { throw XCTSkip("no AVX-512 VNNI on this CPU") }
        var data = TestData(seed: 19)
        for (inFeatures, outFeatures, groupSize) in [(161, 49, 96), (64, 5, 32)] {
            for scheme in Self.schemes {
                let matrix = try quantize(data.normal(inFeatures * outFeatures, std: 0.05), inFeatures, outFeatures, .rowsAreOutputs, scheme, groupSize)
                let x = data.normal(26 * inFeatures)
                let what = "\(inFeatures)→\(outFeatures) \(scheme) group \(groupSize)"
                let all = multiply(matrix, x, rows: 26, bias: nil, kernel: .vnni)
                assertMatchesKernelArithmetic(all, matrix, x, rows: 26, bias: nil, "\(what) 26 rows")
                for rows in [2, 3, 11, 12, 13, 24, 25] {
                    XCTAssertEqual(multiply(matrix, Array(x[0..<(rows * inFeatures)]), rows: rows, bias: nil, kernel: .vnni),
                                   Array(all[0..<(rows * outFeatures)]), "\(what): \(rows) rows differ from the 26-row product's")
                }
            }
        }
    }

    func testThreadedProductsEqualSingleThreadedBitForBit() throws {
        var data = TestData(seed: 16)
        let (inFeatures, outFeatures, rows) = (512, 4001, 5)
        let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, .rowsAreOutputs, .asymmetric, 32)
        XCTAssertGreaterThanOrEqual(matrix.byteCount, QuantizedMatrix.parallelMinimumBytes,
                                    "the automatic choice no longer reaches the multi-threaded path")
        let x = data.normal(rows * inFeatures)
        let bias = data.normal(outFeatures)
        // A loaded test machine would otherwise keep the batch-1 product on one thread; with the
        // pool's workers standing down the VNNI multi-row product goes through Dispatch instead.
        defer { SpinPool.setPolicy(.fromEnvironment) }
        for policy in [SpinPool.Policy.always, .never] {
            SpinPool.setPolicy(policy)
            for kernel in Q4Matrix.MultiRowKernel.available {
                for n in [1, rows] {
                    let single = multiply(matrix, x, rows: n, bias: bias, threads: 1, kernel: kernel)
                    for threads in [2, 3, nil] {
                        XCTAssertEqual(multiply(matrix, x, rows: n, bias: bias, threads: threads, kernel: kernel), single,
                                       "\(kernel) \(n) rows, threads \(threads.map(String.init) ?? "auto"), pool \(policy)")
                    }
                }
            }
        }
    }

    /// The activations quantized by several threads sharing chunks of rows (as a multi-row product
    /// does) are the bytes one thread gives, whether every thread comes or one caller takes all the
    /// chunks, with a short last chunk and a short last block.
    func testSharedInputPreparationEqualsTheSerialOne() {
        var data = TestData(seed: 20)
        let (n, columns, groupSize) = (13, 161, 64)
        let x = data.normal(n * columns)
        let (codeCount, scaleCount, sumCount) = (n * finch_q4_input_stride(columns), n * 6, n * 3)
        func prepared(_ prepare: (UnsafeMutablePointer<Int8>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
            -> ([Int8], [Float], [Float]) {
            var (codes, scales, sums) = ([Int8](repeating: 99, count: codeCount), [Float](repeating: .nan, count: scaleCount),
                                         [Float](repeating: .nan, count: sumCount))
            prepare(&codes, &scales, &sums)
            return (codes, scales, sums)
        }
        let serial = prepared { finch_q4_prepare_input(x, n, columns, groupSize, $0, $1, $2) }
        for (rowsPerChunk, threads) in [(1, 3), (2, 2), (5, 3), (4, 1), (13, 2)] {
            let counters = UnsafeMutablePointer<Int>.allocate(capacity: 2)
            defer { counters.deallocate() }
            counters.initialize(repeating: 0, count: 2)
            let shared = prepared { codes, scales, sums in
                let pointers = UncheckedPointers(codes: codes, scales: scales, sums: sums, counters: counters)
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    finch_q4_prepare_input_shared(x, n, columns, groupSize, pointers.codes, pointers.scales, pointers.sums,
                                                  rowsPerChunk, pointers.counters, pointers.counters + 1)
                }
            }
            XCTAssertTrue(shared == serial, "\(rowsPerChunk) rows a chunk, \(threads) threads")
            XCTAssertEqual(counters[1], (n + rowsPerChunk - 1) / rowsPerChunk, "every chunk done once")
        }
    }

    private struct UncheckedPointers: @unchecked Sendable {
        let codes: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>
        let counters: UnsafeMutablePointer<Int>
    }

    // MARK: Saved bytes

    func testMatrixRebuiltFromSavedBytesMultipliesTheSameAndBadBytesThrow() throws {
        var data = TestData(seed: 17)
        let (inFeatures, outFeatures) = (100, 9)
        let original = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, .conv1D, .asymmetric, 32)
        let x = data.normal(inFeatures)
        let expected = multiply(original, x, rows: 1, bias: nil)
        // One odd byte first so every part starts misaligned, as it can in a safetensors file.
        let parts = original.storedBytes.map { Array($0) }
        let file = [UInt8(0)] + parts.joined()
        try file.withUnsafeBytes { bytes in
            var offset = 1
            let views = parts.map { part -> UnsafeRawBufferPointer in
                defer { offset += part.count }
                return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + part.count)])
            }
            func rebuild(rows: Int? = nil, packed: UnsafeRawBufferPointer? = nil, scales: UnsafeRawBufferPointer? = nil,
                         minimums: UnsafeRawBufferPointer?? = .none) throws -> Q4Matrix {
                try Q4Matrix(rows: rows ?? 9, columns: inFeatures, groupSize: 32, layout: .conv1D, scheme: .asymmetric,
                             packed: packed ?? views[0], scales: scales ?? views[1], minimums: minimums ?? views[2])
            }
            let rebuilt = try rebuild()
            XCTAssertEqual(multiply(rebuilt, x, rows: 1, bias: nil), expected)
            let rows = data.normal(13 * inFeatures)
            XCTAssertEqual(multiply(rebuilt, rows, rows: 13, bias: nil), multiply(original, rows, rows: 13, bias: nil),
                           "the multi-row kernels read what was rebuilt")
            XCTAssertEqual(rebuilt.dequantized(), original.dequantized())
            XCTAssertThrowsError(try rebuild(packed: UnsafeRawBufferPointer(rebasing: views[0].dropLast()))) { error in
                XCTAssertEqual("\(error)", "4-bit weight of 9×100 needs 576 packed bytes (64 a row), got 575")
            }
            XCTAssertThrowsError(try rebuild(rows: 8)) { error in
                XCTAssertEqual("\(error)", "4-bit weight of 8×100 needs 512 packed bytes (64 a row), got 576")
            }
            XCTAssertThrowsError(try rebuild(scales: views[2].count > 2 ? UnsafeRawBufferPointer(rebasing: views[2].dropLast(2)) : nil)) { error in
                XCTAssertEqual("\(error)", "scales of 9×4 (group size 32) need 72 bytes, got 70")
            }
            XCTAssertThrowsError(try rebuild(minimums: .some(nil))) { error in
                XCTAssertEqual("\(error)", "a asymmetric 4-bit weight needs minimums")
            }
        }
        var corrupt = parts[1]
        corrupt[5] = 0x7C  // the high byte of scale 2: +inf
        corrupt[4] = 0
        try corrupt.withUnsafeBytes { scales in
            try parts[0].withUnsafeBytes { packed in
                try parts[2].withUnsafeBytes { minimums in
                    XCTAssertThrowsError(try Q4Matrix(rows: outFeatures, columns: inFeatures, groupSize: 32, layout: .conv1D,
                                                      scheme: .asymmetric, packed: packed, scales: scales, minimums: minimums)) { error in
                        XCTAssertTrue("\(error)".hasPrefix("scale 2 of a 9×100 4-bit weight is inf"), "\(error)")
                    }
                }
            }
        }
    }

    // MARK: Helpers

    private func quantize(
        _ weight: [Float], _ inFeatures: Int, _ outFeatures: Int, _ layout: QuantizedMatrix.Layout,
        _ scheme: QuantizationFormat.Scheme, _ groupSize: Int, search: Bool = true
    ) throws -> Q4Matrix {
        try weight.withUnsafeBufferPointer {
            try Q4Matrix(quantizing: $0.baseAddress!, inFeatures: inFeatures, outFeatures: outFeatures, layout: layout,
                         scheme: scheme, groupSize: groupSize, searchScale: search)
        }
    }

    private func multiply(_ matrix: Q4Matrix, _ x: [Float], rows: Int, bias: [Float]?, threads: Int? = nil,
                          kernel: Q4Matrix.MultiRowKernel = Q4Matrix.MultiRowKernel.available[0]) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * matrix.outFeatures)
        x.withUnsafeBufferPointer { px in
            (bias ?? []).withUnsafeBufferPointer { pb in
                matrix.multiply(rows: rows, input: px.baseAddress!, into: &y, bias: bias == nil ? nil : pb.baseAddress,
                                threads: threads, kernel: kernel)
            }
        }
        return y
    }

    /// The scales and minimums (nil when symmetric) as Float, [rows · groups].
    private func halves(_ matrix: Q4Matrix) -> (scales: [Float], minimums: [Float]?) {
        let parts = matrix.storedBytes.dropFirst().map { bytes in
            bytes.withMemoryRebound(to: UInt16.self) { $0.map { Float(Float16(bitPattern: $0)) } }
        }
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }

    /// weights[out][in] in Double, decoded from the packed bytes here rather than by the C code.
    private func referenceWeights(_ matrix: Q4Matrix) -> [[Double]] {
        let packed = Array(matrix.storedBytes[0])
        let (scales, minimums) = halves(matrix)
        return (0..<matrix.rows).map { o in
            (0..<matrix.columns).map { i in
                let byte = packed[o * matrix.packedBytesPerRow + (i / 64) * 32 + i % 32]
                let level = Double(i % 64 < 32 ? byte & 15 : byte >> 4)
                let group = o * matrix.groupsPerRow + i / matrix.groupSize
                let scale = Double(scales[group])
                return scale * level + (minimums.map { Double($0[group]) } ?? -8 * scale)
            }
        }
    }

    /// What the kernels compute, in Double: x rounded to int8 per block of 32 (scale max|x|/127),
    /// multiplied with the codes, plus each group's offset times the exact Σ x. Within 2e-6 of
    /// Σ|terms| (float32 summation); a wrong code, scale, block or group is off by far more.
    private func assertMatchesKernelArithmetic(
        _ actual: [Float], _ matrix: Q4Matrix, _ x: [Float], rows: Int, bias: [Float]?, _ what: String
    ) {
        let columns = matrix.columns
        let weights = referenceWeights(matrix)
        let (scales, minimums) = halves(matrix)
        var worst = 0.0
        for r in 0..<rows {
            let input = Array(x[(r * columns)..<((r + 1) * columns)])
            var rounded = [Double](repeating: 0, count: columns)
            for block in stride(from: 0, to: columns, by: 32) {
                let range = block..<min(block + 32, columns)
                let largest = range.map { abs(input[$0]) }.max() ?? 0
                let (scale, inverse) = (largest / 127, largest > 0 ? 127 / largest : 0)
                for i in range { rounded[i] = Double(scale) * Double((input[i] * inverse).rounded(.toNearestOrEven)) }
            }
            for o in 0..<matrix.rows {
                var sum = Double(bias?[o] ?? 0), magnitude = abs(sum)
                for i in 0..<columns {
                    let group = o * matrix.groupsPerRow + i / matrix.groupSize
                    let offset = minimums.map { Double($0[group]) } ?? -8 * Double(scales[group])
                    let codeTerm = (weights[o][i] - offset) * rounded[i], offsetTerm = offset * Double(input[i])
                    sum += codeTerm + offsetTerm
                    magnitude += abs(codeTerm) + abs(offsetTerm)
                }
                worst = max(worst, abs(Double(actual[r * matrix.rows + o]) - sum) / max(magnitude, 1e-30))
            }
        }
        XCTAssertLessThanOrEqual(worst, 2e-6, "\(what): worst error / Σ|terms| against the kernel arithmetic")
    }

    /// Against Σ ŵ·x in Double on the dequantized weights: the int8 activations meet only the
    /// code part ŵ − offset (the offset takes the exact Σ x), so they add at most
    /// Σ|ŵ_i − offset_i| · max|x in i's block| / 254.
    private func assertCloseToDequantizedProduct(
        _ actual: [Float], _ matrix: Q4Matrix, _ weights: [[Double]], _ x: [Float], rows: Int, bias: [Float]?, _ what: String
    ) {
        let columns = x.count / rows
        let (scales, minimums) = halves(matrix)
        for r in 0..<rows {
            let input = x[(r * columns)..<((r + 1) * columns)].map(Double.init)
            let blockLargest = stride(from: 0, to: columns, by: 32).map { b in input[b..<min(b + 32, columns)].map(abs).max() ?? 0 }
            for o in 0..<weights.count {
                var sum = Double(bias?[o] ?? 0), bound = 0.0, magnitude = abs(sum)
                for i in 0..<columns {
                    sum += weights[o][i] * input[i]
                    magnitude += abs(weights[o][i] * input[i])
                    let group = o * matrix.groupsPerRow + i / matrix.groupSize
                    let offset = minimums.map { Double($0[group]) } ?? -8 * Double(scales[group])
                    bound += abs(weights[o][i] - offset) * blockLargest[i / 32] / 254
                }
                let error = abs(Double(actual[r * weights.count + o]) - sum)
                XCTAssertLessThanOrEqual(error, bound * 1.0001 + 1e-5 * magnitude, "\(what): row \(r) output \(o)")
            }
        }
    }

    private func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
        let difference = zip(actual, expected).reduce(0.0) { $0 + pow(Double($1.0) - $1.1, 2) }
        return (difference / expected.reduce(0.0) { $0 + $1 * $1 }).squareRoot()
    }

    private func flatIndex(_ i: Int, _ o: Int, _ inFeatures: Int, _ outFeatures: Int, _ layout: QuantizedMatrix.Layout) -> Int {
        layout == .conv1D ? i * outFeatures + o : o * inFeatures + i
    }
}
