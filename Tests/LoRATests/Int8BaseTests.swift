import GPT
import LoRA
import Tensor
import TestSupport
import XCTest

/// The int8 frozen base against a float model holding exactly the dequantized weights: the
/// same logits and adapter gradients, so the only difference int8 makes is the rounding.
final class Int8BaseTests: XCTestCase {
    let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 8, vocabSize: 29)
    let batchSize = 2, length = 8

    func makeModel() -> GPTModel {
        let model = GPTModel(config: config, seed: 7)
        var generator = SeededGenerator(seed: 11)
        for i in 0..<model.parameterCount { model.parameters.pointer[i] += 0.3 * generator.nextNormal() }
        return model
    }

    func makeAdapter(copying source: LoRAAdapter? = nil) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 3, alpha: 6), seed: 2)
        if let source {
            adapter.parameters.pointer.update(from: source.parameters.pointer, count: source.parameterCount)
        } else {
            var generator = SeededGenerator(seed: 13)
            for slot in adapter.slots {
                for i in 0..<(slot.outFeatures * adapter.rank) { adapter.parameters.pointer[slot.bOffset + i] = 0.3 * generator.nextNormal() }
            }
        }
        return adapter
    }

    func testInt8BaseMatchesTheDequantizedFloatModel() throws {
        let reference = makeModel()
        // Groups of 16 so a 32-wide input has two scales per output.
        let groupSize = 16
        for block in reference.layout.blocks {
            for (offset, inFeatures, outFeatures) in [(block.attentionWeight, 32, 96), (block.attentionProjWeight, 32, 32),
                                                      (block.fcWeight, 32, 128), (block.fcProjWeight, 128, 32)] {
                let weight = reference.parameters.pointer + offset
                let dequantized = try QuantizedMatrix(quantizing: weight, inFeatures: inFeatures, outFeatures: outFeatures,
                                                      layout: .conv1D, groupSize: groupSize).dequantized()
                weight.update(from: dequantized, count: dequantized.count)
            }
        }
        let quantized = makeModel()
        let base = try Int8FrozenBase(quantizing: quantized, groupSize: groupSize)
        XCTAssertTrue(quantized.isFrozen)
        XCTAssertLessThan(base.byteCount, 2 * 4 * 12 * 32 * 32 / 3, "int8 should be well under the float size")

        let referenceAdapter = try makeAdapter()
        reference.adapter = referenceAdapter
        reference.isFrozen = true
        let adapter = try makeAdapter(copying: referenceAdapter)
        quantized.adapter = adapter

        var generator = SeededGenerator(seed: 3)
        let tokens = (0..<batchSize * length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        let targets = (0..<batchSize * length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        let expected = try reference.logits(tokens: tokens, batchSize: batchSize, length: length)
        let actual = try quantized.logits(tokens: tokens, batchSize: batchSize, length: length)
        assertClose(actual.data, expected.data, rtol: 1e-5, atol: 1e-5, "logits")

        referenceAdapter.zeroGradients()
        adapter.zeroGradients()
        let expectedLoss = try reference.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        let loss = try quantized.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        XCTAssertEqual(loss, expectedLoss, accuracy: 1e-5)
        assertClose(adapter.gradients.toArray(), referenceAdapter.gradients.toArray(), rtol: 1e-4, atol: 1e-6, "adapter gradients")
        XCTAssertGreaterThan(adapter.gradients.toArray().map(abs).max() ?? 0, 1e-3)

        quantized.isFrozen = false
        XCTAssertThrowsError(try quantized.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length))
    }
}
