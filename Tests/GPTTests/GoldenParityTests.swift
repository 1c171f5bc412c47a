import Foundation
import GPT
import Tensor
import TestSupport
import XCTest

/// Logits, loss, every gradient and one AdamW step against PyTorch + transformers on the
/// golden tiny GPT-2 (2 layers, 2 heads, 64 wide, vocab 1000; every parameter non-trivial).
final class GoldenParityTests: XCTestCase {
    var expected: SafeTensorsFile!
    var model: GPTModel!
    var tokens: [Int32] = []
    var targets: [Int32] = []
    let batchSize = 2, length = 16

    override func setUpWithError() throws {
        expected = try SafeTensorsFile(path: Fixtures.tinyGPT2 + "/expected.safetensors")
        model = try Checkpoint.load(directory: Fixtures.tinyGPT2)
        tokens = try expected.int64s("input_ids").map { Int32($0) }
        targets = try expected.int64s("targets").map { Int32($0) }
    }

    func testLogitsMatchPyTorch() throws {
        let logits = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
        XCTAssertEqual(logits.shape, [2, 16, 1000])
        assertClose(logits.data, try expected.floats("logits"), "logits")
    }

    func testLossMatchesPyTorch() throws {
        let loss = try model.loss(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        assertClose([loss], try expected.floats("loss"), "loss")
    }

    func testEveryGradientMatchesPyTorch() throws {
        model.zeroGradients()
        let loss = try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        assertClose([loss], try expected.floats("loss"), "loss from forwardBackward")
        let gradients = try XCTUnwrap(model.gradients)
        for entry in model.layout.entries {
            let actual = Array(UnsafeBufferPointer(start: gradients.pointer + entry.offset, count: entry.count))
            assertClose(actual, try expected.floats("grad.transformer." + entry.name), "grad of \(entry.name)")
        }
    }

    /// The step starts from PyTorch's gradients: where a gradient is near AdamW's eps (1e-8),
    /// the first update lr·g/(|g| + eps) turns float32 rounding of g into a visible change,
    /// so the gradients and the optimiser are checked separately.
    func testOneAdamWStepMatchesPyTorch() throws {
        model.zeroGradients()
        for entry in model.layout.entries {
            try expected.copyFloats("grad.transformer." + entry.name, into: model.gradients!.pointer + entry.offset,
                                    count: entry.count)
        }
        let optimizer = AdamW(learningRate: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        let moments = (FloatBuffer(count: model.parameterCount), FloatBuffer(count: model.parameterCount))
        for entry in model.layout.entries {
            optimizer.update(parameters: model.parameters.pointer + entry.offset,
                             gradients: model.gradients!.pointer + entry.offset,
                             firstMoment: moments.0.pointer + entry.offset,
                             secondMoment: moments.1.pointer + entry.offset,
                             count: entry.count, step: 1, decay: entry.decays)
        }
        for entry in model.layout.entries {
            let actual = Array(UnsafeBufferPointer(start: model.parameters.pointer + entry.offset, count: entry.count))
            assertClose(actual, try expected.floats("after_adamw.transformer." + entry.name), "\(entry.name) after AdamW")
        }
    }

    /// Gradient accumulation: two half-weighted passes over the same batch equal one full pass.
    func testGradientAccumulationMatchesSinglePass() throws {
        model.zeroGradients()
        try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length, lossScale: 0.5)
        try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length, lossScale: 0.5)
        let accumulated = model.gradients!.toArray()
        model.zeroGradients()
        try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        assertClose(accumulated, model.gradients!.toArray(), rtol: 1e-5, atol: 1e-7, "accumulated gradients")
    }
}
