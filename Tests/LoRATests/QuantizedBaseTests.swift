import GPT
import LoRA
import Tensor
import TestSupport
import XCTest

/// The quantized frozen base (int8, 4-bit symmetric and asymmetric) against a float model holding
/// exactly the dequantized weights: the same logits and adapter gradients, so the only difference
/// quantizing makes is the rounding.
final class QuantizedBaseTests: XCTestCase {
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
        // Groups of 16 so a 32-wide input has two scales per output.
        try assertBaseMatchesTheDequantizedFloatModel(try QuantizationFormat(bits: 8, groupSize: 16), floatFraction: 1.0 / 3)
    }

    func testFourBitBasesMatchTheDequantizedFloatModel() throws {
        for scheme in QuantizationFormat.Scheme.allCases {
            // 32-wide inputs fill half of a 64-column pair of codes: 0.25 rather than 0.16 of float.
            try assertBaseMatchesTheDequantizedFloatModel(try QuantizationFormat(bits: 4, scheme: scheme), floatFraction: 0.27)
        }
    }

    private func assertBaseMatchesTheDequantizedFloatModel(_ format: QuantizationFormat, floatFraction: Double) throws {
        let reference = makeModel()
        for block in reference.layout.blocks {
            for (offset, inFeatures, outFeatures) in [(block.attentionWeight, 32, 96), (block.attentionProjWeight, 32, 32),
                                                      (block.fcWeight, 32, 128), (block.fcProjWeight, 128, 32)] {
                let weight = reference.parameters.pointer + offset
                let dequantized = try format.quantize(weight, inFeatures: inFeatures, outFeatures: outFeatures,
                                                      layout: .conv1D).dequantized()
                weight.update(from: dequantized, count: dequantized.count)
            }
        }
        let quantized = makeModel()
        let base = try QuantizedFrozenBase(quantizing: quantized, format: format)
        XCTAssertTrue(quantized.isFrozen)
        XCTAssertLessThan(Double(base.byteCount), floatFraction * 2 * 4 * 12 * 32 * 32, "\(format) should be well under the float size")

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
        assertClose(actual.data, expected.data, rtol: 1e-5, atol: 1e-5, "\(format) logits")

        referenceAdapter.zeroGradients()
        adapter.zeroGradients()
        let expectedLoss = try reference.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        let loss = try quantized.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        XCTAssertEqual(loss, expectedLoss, accuracy: 1e-5)
        assertClose(adapter.gradients.toArray(), referenceAdapter.gradients.toArray(), rtol: 1e-4, atol: 1e-6, "\(format) adapter gradients")
        XCTAssertGreaterThan(adapter.gradients.toArray().map(abs).max() ?? 0, 1e-3)

        quantized.isFrozen = false
        XCTAssertThrowsError(try quantized.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length))
    }
}
