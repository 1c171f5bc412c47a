import Tensor
import XCTest

final class Int8ActivationMatrixTests: XCTestCase {
    /// Odd sizes: outputs that leave the last 8-row tile short, inputs that end inside a step of
    /// four and inside a group; groups of 4 (one step), 12, 64 (the default) and one per row.
    /// Blocks of 4 tiles of 8 outputs: 1 output is a block of one short tile, 100 and 203 end in
    /// a short block (13 and 26 tiles), 64 is two whole blocks.
    static let shapes: [(inFeatures: Int, outFeatures: Int)] = [(1, 1), (37, 13), (70, 100), (129, 17), (2049, 9), (130, 203), (68, 64)]
    static let groupSizes = [4, 12, 64, 4096]

    override func setUpWithError() throws {
        try XCTSkipUnless(Int8ActivationMatrix.isAvailable, "this CPU has no AVX-512 VNNI")
    }

    func testProductIsTheDocumentedIntegerArithmeticBitForBit() throws {
        var data = TestData(seed: 5)
        for (inFeatures, outFeatures) in Self.shapes {
            for groupSize in Self.groupSizes {
                let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, groupSize)
                let product = try XCTUnwrap(Int8ActivationMatrix(matrix))
                let bias = data.normal(outFeatures)
                // 1…25 rows: every pass height of the kernel (1 and 2 rows in 256-bit registers,
                // one row with its split sums; 3 to 10 rows in 512-bit ones), and two or three
                // passes split unevenly (11 = 5 + 6, 21 = 7 + 7 + 7, 25 = 8 + 8 + 9).
                for rows in 1...25 {
                    var x = data.normal(rows * inFeatures)
                    if inFeatures >= 2 * groupSize { for i in 0..<groupSize { x[i] = 0 } }  // a group of zeros
                    let what = "\(rows) rows \(inFeatures)→\(outFeatures) group \(groupSize)"
                    XCTAssertEqual(bits(multiply(product, x, rows: rows, bias: nil)),
                                   bits(reference(matrix, x, rows: rows, bias: nil)), "\(what) without bias")
                    XCTAssertEqual(bits(multiply(product, x, rows: rows, bias: bias)),
                                   bits(reference(matrix, x, rows: rows, bias: bias)), "\(what) with bias")
                }
            }
        }
    }

    /// What batched decoding relies on: a row's output does not depend on the rows beside it,
    /// nor on the threads.
    func testEachRowGetsTheSameBitsAloneInABatchAndOnAnyNumberOfThreads() throws {
        var data = TestData(seed: 6)
        let (inFeatures, outFeatures, rows) = (512, 1536, 19)
        let product = try XCTUnwrap(Int8ActivationMatrix(try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, 64)))
        let x = data.normal(rows * inFeatures), bias = data.normal(outFeatures)
        let together = multiply(product, x, rows: rows, bias: bias, threads: 2)
        XCTAssertEqual(bits(multiply(product, x, rows: rows, bias: bias, threads: 1)), bits(together))
        for r in 0..<rows {
            let alone = multiply(product, Array(x[(r * inFeatures)..<((r + 1) * inFeatures)]), rows: 1, bias: bias)
            XCTAssertEqual(bits(alone), bits(Array(together[(r * outFeatures)..<((r + 1) * outFeatures)])), "row \(r)")
        }
    }

    /// Against the exact product of the dequantized weights and the float input: off by no more
    /// than the input's rounding (half an input step on every term) plus float32 rounding.
    func testProductIsWithinTheInputRoundingOfTheExactProduct() throws {
        var data = TestData(seed: 7)
        for (inFeatures, outFeatures) in [(512, 64), (2049, 9), (70, 100)] {
            let groupSize = 64
            let matrix = try quantize(data.normal(inFeatures * outFeatures), inFeatures, outFeatures, groupSize)
            let product = try XCTUnwrap(Int8ActivationMatrix(matrix))
            let rows = 3, groups = matrix.groupsPerRow
            let x = data.normal(rows * inFeatures)
            let y = multiply(product, x, rows: rows, bias: nil)
            for r in 0..<rows {
                let input = Array(x[(r * inFeatures)..<((r + 1) * inFeatures)])
                let inputSteps = (0..<groups).map { g in
                    Double(input[(g * groupSize)..<min(inFeatures, (g + 1) * groupSize)].map(abs).max() ?? 0) / 127
                }
                for o in 0..<outFeatures {
                    var exact = 0.0, bound = 0.0, magnitude = 0.0
                    for i in 0..<inFeatures {
                        let w = Double(matrix.scales[o * groups + i / groupSize]) * Double(matrix.quantizedValues[o * inFeatures + i])
                        exact += w * Double(input[i])
                        bound += abs(w) * inputSteps[i / groupSize] / 2
                        magnitude += abs(w * Double(input[i]))
                    }
                    let error = abs(Double(y[r * outFeatures + o]) - exact)
                    XCTAssertLessThanOrEqual(error, bound + 1e-5 * magnitude, "row \(r) output \(o) of \(inFeatures)→\(outFeatures)")
                }
            }
        }
    }

    func testGroupSizesThatAreNoMultipleOfFourKeepTheFloatKernels() throws {
        var data = TestData(seed: 8)
        XCTAssertNil(Int8ActivationMatrix(try quantize(data.normal(70 * 10), 70, 10, 7)))
        XCTAssertNotNil(Int8ActivationMatrix(try quantize(data.normal(70 * 10), 70, 10, 8)))
    }

    // MARK: Helpers

    private func quantize(_ weight: [Float], _ inFeatures: Int, _ outFeatures: Int, _ groupSize: Int) throws -> QuantizedMatrix {
        try weight.withUnsafeBufferPointer {
            try QuantizedMatrix(quantizing: $0.baseAddress!, inFeatures: inFeatures, outFeatures: outFeatures,
                                layout: .conv1D, groupSize: groupSize)
        }
    }

    private func multiply(_ product: Int8ActivationMatrix, _ x: [Float], rows: Int, bias: [Float]?, threads: Int? = nil) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * product.rows)
        x.withUnsafeBufferPointer { px in
            if let bias {
                bias.withUnsafeBufferPointer { product.multiply(rows: rows, input: px.baseAddress!, into: &y, bias: $0.baseAddress, threads: threads) }
            } else {
                product.multiply(rows: rows, input: px.baseAddress!, into: &y, bias: nil, threads: threads)
            }
        }
        return y
    }

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// Int8ActivationKernels.h's arithmetic in Swift, from the matrix's raw bytes: codes
    /// round(x / scale) (to nearest even, clamped to ±127), exact integer group sums, then
    /// acc = fma(Float(sum), weightScale · inputScale, acc) group by group, plus the bias.
    private func reference(_ matrix: QuantizedMatrix, _ x: [Float], rows: Int, bias: [Float]?) -> [Float] {
        let (columns, groupSize, groups) = (matrix.columns, matrix.groupSize, matrix.groupsPerRow)
        var y: [Float] = []
        for r in 0..<rows {
            let input = Array(x[(r * columns)..<((r + 1) * columns)])
            var codes = [Int](repeating: 0, count: columns)
            var inputScales = [Float](repeating: 0, count: groups)
            for g in 0..<groups {
                let range = (g * groupSize)..<min(columns, (g + 1) * groupSize)
                let scale = (input[range].map(abs).max() ?? 0) / 127
                inputScales[g] = scale
                guard scale > 0 else { continue }
                for i in range { codes[i] = max(-127, min(127, Int((input[i] / scale).rounded(.toNearestOrEven)))) }
            }
            for o in 0..<matrix.rows {
                var acc: Float = 0
                for g in 0..<groups {
                    var sum = 0
                    for i in (g * groupSize)..<min(columns, (g + 1) * groupSize) {
                        sum += Int(matrix.quantizedValues[o * columns + i]) * codes[i]
                    }
                    acc = acc.addingProduct(Float(sum), matrix.scales[o * groups + g] * inputScales[g])
                }
                y.append(acc + (bias?[o] ?? 0))
            }
        }
        return y
    }
}
