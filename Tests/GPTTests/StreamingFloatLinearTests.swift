import Tensor
import TestSupport
import XCTest
@testable import GPT

final class StreamingFloatLinearTests: XCTestCase {
    /// Against OpenBLAS through FloatLinear in both layouts, on shapes with odd input counts (the
    /// four-row tails), outputs not a multiple of eight (the scalar tails) and large enough to be
    /// split over threads.
    func testMatchesTheBLASProduct() throws {
        var generator = SeededGenerator(seed: 12)
        for (inFeatures, outFeatures) in [(7, 13), (64, 8), (513, 1037), (2048, 512)] {
            let weight = (0..<(inFeatures * outFeatures)).map { _ in generator.nextNormal() }
            let bias = (0..<outFeatures).map { _ in generator.nextNormal() }
            for rowsAreOutputs in [false, true] {
                for withBias in [false, true] {
                    for rows in [1, 3, StreamingFloatLinear.batchedRowLimit + 1] {
                        let x = (0..<(rows * inFeatures)).map { _ in generator.nextNormal() }
                        var expected = [Float](repeating: 0, count: rows * outFeatures)
                        var actual = [Float](repeating: .nan, count: rows * outFeatures)
                        weight.withUnsafeBufferPointer { w in
                            bias.withUnsafeBufferPointer { b in
                                let blas = FloatLinear(weight: w.baseAddress!, bias: withBias ? b.baseAddress! : nil,
                                                       inFeatures: inFeatures, outFeatures: outFeatures,
                                                       rowsAreOutputs: rowsAreOutputs)
                                let streaming = StreamingFloatLinear(blas)
                                x.withUnsafeBufferPointer { input in
                                    expected.withUnsafeMutableBufferPointer { blas.apply(rows: rows, input: input.baseAddress!, output: $0.baseAddress!) }
                                    actual.withUnsafeMutableBufferPointer { streaming.apply(rows: rows, input: input.baseAddress!, output: $0.baseAddress!) }
                                }
                            }
                        }
                        assertClose(actual, expected, rtol: 1e-4, atol: 1e-4,
                                    "\(inFeatures)→\(outFeatures) rowsAreOutputs \(rowsAreOutputs) bias \(withBias) rows \(rows)")
                    }
                }
            }
        }
    }

    func testASessionDecodesTheSameThroughStreamingProjections() throws {
        let model = try Checkpoint.load(directory: Fixtures.tinyGPT2)
        let plain = InferenceSession(model: model)
        let streaming = InferenceSession(weights: InferenceWeights(model: model).streamingFloatProjections())
        XCTAssertTrue(streaming.weights.blocks.allSatisfy { $0.fc is StreamingFloatLinear && $0.attention is StreamingFloatLinear })
        XCTAssertTrue(streaming.weights.head is StreamingFloatLinear)
        assertClose(Array(try streaming.prefill([1, 500, 999, 3])), Array(try plain.prefill([1, 500, 999, 3])), "prefill")
        for token in [42, 7, 900] {
            assertClose(Array(try streaming.next(token)), Array(try plain.next(token)), "decode \(token)")
        }
    }
}
