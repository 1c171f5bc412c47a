import CKernels
import Tensor
import XCTest

/// The decoding products of `Sources/CKernels/FloatGEMV.c` in every instruction set this machine
/// has, against a Double product, on widths that leave every tail (chunks of 64 rows, groups of
/// four, vectors of 8 / 16 / 32) partly filled; and the split over threads, which must not change
/// a bit (the `SpinPool` itself is tested in SpinPoolTests).
final class FloatGEMVTests: XCTestCase {
    // A loaded test machine would otherwise keep every product on the calling thread.
    override func setUp() { SpinPool.setPolicy(.always) }
    override func tearDown() { SpinPool.setPolicy(.fromEnvironment) }

    private let shapes = [(1, 1), (3, 5), (4, 16), (7, 13), (64, 17), (65, 31), (130, 33), (257, 100), (1000, 129)]
    private var instructionSets: [Int32] { Array(0...finch_f32_gemv_best_isa()) }

    func testConv1DLayoutMatchesTheDoubleProduct() {
        var generator = SeededGenerator(seed: 21)
        for (inFeatures, outFeatures) in shapes {
            let w = (0..<(inFeatures * outFeatures)).map { _ in generator.nextNormal() }
            let bias = (0..<outFeatures).map { _ in generator.nextNormal() }
            for rows in 1...Int(finch_f32_gemv_max_rows) {
                let x = (0..<(rows * inFeatures)).map { _ in generator.nextNormal() }
                for withBias in [false, true] {
                    let reference = doubleProduct(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures) { b, i, o in
                        (Double(x[b * inFeatures + i]) * Double(w[i * outFeatures + o]), withBias ? Double(bias[o]) : 0)
                    }
                    for isa in instructionSets {
                        var outputs: [[Float]] = []
                        for threads: Int32 in [1, 2, 3] {
                            var y = [Float](repeating: .nan, count: rows * outFeatures)
                            bias.withUnsafeBufferPointer { b in
                                finch_f32_gemv_columns(isa, threads, w, inFeatures, outFeatures, x, rows,
                                                       withBias ? b.baseAddress : nil, &y)
                            }
                            outputs.append(y)
                        }
                        let what = "\(inFeatures)→\(outFeatures) rows \(rows) bias \(withBias) isa \(isa)"
                        assertWithinRounding(outputs[0], reference, terms: inFeatures, what)
                        XCTAssertEqual(outputs[1], outputs[0], "\(what): 2 threads differ from 1")
                        XCTAssertEqual(outputs[2], outputs[0], "\(what): 3 threads differ from 1")
                    }
                }
            }
        }
    }

    func testRowsLayoutMatchesTheDoubleProduct() {
        var generator = SeededGenerator(seed: 22)
        // Also more rows than one chunk of the head (256 KB) holds, so the split is exercised.
        for (inFeatures, outFeatures) in shapes + [(33, 2051)] {
            let w = (0..<(inFeatures * outFeatures)).map { _ in generator.nextNormal() }
            let bias = (0..<outFeatures).map { _ in generator.nextNormal() }
            let x = (0..<inFeatures).map { _ in generator.nextNormal() }
            for withBias in [false, true] {
                let reference = doubleProduct(rows: 1, inFeatures: inFeatures, outFeatures: outFeatures) { _, i, o in
                    (Double(x[i]) * Double(w[o * inFeatures + i]), withBias ? Double(bias[o]) : 0)
                }
                for isa in instructionSets {
                    var outputs: [[Float]] = []
                    for threads: Int32 in [1, 2] {
                        var y = [Float](repeating: .nan, count: outFeatures)
                        bias.withUnsafeBufferPointer { b in
                            finch_f32_gemv_rows(isa, threads, w, inFeatures, outFeatures, x, withBias ? b.baseAddress : nil, &y)
                        }
                        outputs.append(y)
                    }
                    let what = "rows layout \(inFeatures)→\(outFeatures) bias \(withBias) isa \(isa)"
                    assertWithinRounding(outputs[0], reference, terms: inFeatures, what)
                    XCTAssertEqual(outputs[1], outputs[0], "\(what): 2 threads differ from 1")
                }
            }
        }
    }

    /// (value, bound): the Double product and Σ|terms| for each output.
    private func doubleProduct(rows: Int, inFeatures: Int, outFeatures: Int,
                               term: (Int, Int, Int) -> (Double, Double)) -> [(Double, Double)] {
        var result: [(Double, Double)] = []
        for b in 0..<rows {
            for o in 0..<outFeatures {
                var sum = term(b, 0, o).1, magnitude = abs(sum)
                for i in 0..<inFeatures {
                    let t = term(b, i, o).0
                    sum += t
                    magnitude += abs(t)
                }
                result.append((sum, magnitude))
            }
        }
        return result
    }

    /// Float summation of n + 1 terms in any order is within (n + 1)·ε·Σ|terms| of the exact sum;
    /// a wrong or missing term is off by the size of a term.
    private func assertWithinRounding(_ actual: [Float], _ reference: [(Double, Double)], terms: Int, _ what: String,
                                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, reference.count, what, file: file, line: line)
        for (index, (value, (exact, magnitude))) in zip(actual, reference).enumerated() {
            let bound = Double(terms + 2) * Double(Float.ulpOfOne) * magnitude + 1e-30
            if !(abs(Double(value) - exact) <= bound) {
                XCTFail("\(what): output \(index) is \(value), expected \(exact) ± \(bound)", file: file, line: line)
                return
            }
        }
    }
}
