import GPT
@testable import LoRA
import Tensor
import TestSupport
import XCTest

/// The adapter's math on random models: gradients against finite differences (with and
/// without dropout), merge/unmerge, PEFT's initialisation, and the unmerged inference operators.
final class LoRAAdapterTests: XCTestCase {
    let config = GPTConfig(layerCount: 2, headCount: 3, embeddingSize: 12, contextLength: 7, vocabSize: 23)
    let batchSize = 2, length = 7

    func makeModel() -> GPTModel {
        let model = GPTModel(config: config, seed: 7)
        var generator = SeededGenerator(seed: 11)
        for i in 0..<model.parameterCount { model.parameters.pointer[i] += 0.3 * generator.nextNormal() }
        return model
    }

    /// Adapters with B non-zero too, so every gradient is non-trivial.
    func makeAdapter(dropout: Float = 0, targets: Set<Projection> = Set(Projection.allCases)) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(modelConfig: config,
                                      configuration: LoRAConfiguration(rank: 3, alpha: 5, dropout: dropout, targets: targets),
                                      seed: 21)
        var generator = SeededGenerator(seed: 13)
        for slot in adapter.slots {
            for i in 0..<(slot.outFeatures * adapter.rank) {
                adapter.parameters.pointer[slot.bOffset + i] = 0.4 * generator.nextNormal()
            }
        }
        return adapter
    }

    func batch() -> (tokens: [Int32], targets: [Int32]) {
        var generator = SeededGenerator(seed: 3)
        let tokens = (0..<batchSize * length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        var targets = (0..<batchSize * length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        targets[4] = CrossEntropy.ignoreIndex
        return (tokens, targets)
    }

    func checkGradients(dropout: Float) throws {
        let model = makeModel()
        let adapter = try makeAdapter(dropout: dropout)
        model.adapter = adapter
        model.isFrozen = true
        adapter.isTraining = true
        let (tokens, targets) = batch()
        adapter.zeroGradients()
        try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        let analytic = adapter.gradients.toArray()
        XCTAssertGreaterThan(analytic.map(abs).max() ?? 0, 1e-3, "the adapters got no gradient")

        // The masks derive from the adapter's batch seed, so every evaluation below drops
        // exactly what the analytic pass dropped.
        func loss() throws -> Double {
            let result = try model.lossSum(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
            return result.sum / Double(result.count)
        }
        var generator = SeededGenerator(seed: 5)
        var checked = 0
        for slot in adapter.slots {
            for (offset, count) in [(slot.aOffset, adapter.rank * slot.inFeatures), (slot.bOffset, slot.outFeatures * adapter.rank)] {
                for _ in 0..<4 {
                    let index = offset + generator.nextInt(below: count)
                    let original = adapter.parameters.pointer[index]
                    let h: Float = 1e-2
                    adapter.parameters.pointer[index] = original + h
                    let plus = try loss()
                    adapter.parameters.pointer[index] = original - h
                    let minus = try loss()
                    adapter.parameters.pointer[index] = original
                    let numeric = (plus - minus) / Double(2 * h)
                    XCTAssertLessThanOrEqual(abs(Double(analytic[index]) - numeric), 2e-3 + 2e-2 * abs(numeric),
                        "\(slot.moduleName) element \(index - offset) of \(offset == slot.aOffset ? "A" : "B"): analytic \(analytic[index]), numeric \(numeric)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 8 * adapter.slots.count)
        XCTAssertNil(model.gradients.flatMap { $0.count > 0 ? $0 : nil }, "a frozen base must not get a gradient buffer")
    }

    func testGradientsMatchFiniteDifferences() throws {
        try checkGradients(dropout: 0)
    }

    func testGradientsWithDropoutMatchFiniteDifferences() throws {
        try checkGradients(dropout: 0.3)
    }

    func testEvaluationIgnoresDropout() throws {
        let model = makeModel()
        let (tokens, _) = batch()
        let plain = try makeAdapter(dropout: 0)
        let withDropout = try makeAdapter(dropout: 0.5)
        model.adapter = plain
        let expected = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
        model.adapter = withDropout
        let actual = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
        XCTAssertEqual(actual.data, expected.data)
    }

    func testFreshAdapterIsKaimingUniformAndLeavesTheModelUnchanged() throws {
        let model = makeModel()
        let (tokens, _) = batch()
        let base = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
        let adapter = try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
        model.adapter = adapter
        XCTAssertEqual(try model.logits(tokens: tokens, batchSize: batchSize, length: length).data, base.data)
        for slot in adapter.slots {
            let bound = 1 / Float(slot.inFeatures).squareRoot()
            let a = Array(UnsafeBufferPointer(start: adapter.parameters.pointer + slot.aOffset, count: 4 * slot.inFeatures))
            let b = Array(UnsafeBufferPointer(start: adapter.parameters.pointer + slot.bOffset, count: 4 * slot.outFeatures))
            XCTAssertTrue(a.allSatisfy { abs($0) <= bound }, slot.moduleName)
            // Uniform on [-bound, bound]: the extremes come near the bound and the variance is bound²/3.
            XCTAssertGreaterThan(a.map(abs).max()!, 0.8 * bound)
            let variance = a.reduce(0) { $0 + $1 * $1 } / Float(a.count)
            XCTAssertEqual(variance, bound * bound / 3, accuracy: 0.35 * bound * bound / 3)
            XCTAssertTrue(b.allSatisfy { $0 == 0 })
        }
        let again = try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
        XCTAssertEqual(again.parameters.toArray(), adapter.parameters.toArray())
    }

    func testMergeThenUnmergeRestoresTheWeights() throws {
        let model = makeModel()
        let original = model.parameters.toArray()
        let adapter = try makeAdapter()
        try adapter.merge(into: model)
        XCTAssertNotEqual(model.parameters.toArray(), original)
        try adapter.unmerge(from: model)
        let restored = model.parameters.toArray()
        let worst = zip(restored, original).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-6)
    }

    func testMergedModelGivesTheAdaptedLogits() throws {
        for targets: Set<Projection> in [Set(Projection.allCases), [.attentionProjection], [.fc, .fcProjection]] {
            let model = makeModel()
            let adapter = try makeAdapter(targets: targets)
            let (tokens, _) = batch()
            let base = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
            model.adapter = adapter
            let adapted = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
            XCTAssertGreaterThan(zip(adapted.data, base.data).map { abs($0 - $1) }.max()!, 1e-2, "the adapter changed nothing")
            model.adapter = nil
            try adapter.merge(into: model)
            let merged = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
            assertClose(merged.data, adapted.data, rtol: 1e-4, atol: 1e-4, "merged vs unmerged, targets \(targets)")
        }
    }

    func testWrappedInferenceWeightsGiveTheAdaptedLogits() throws {
        let model = makeModel()
        let adapter = try makeAdapter()
        let (tokens, _) = batch()
        model.adapter = adapter
        let expected = try model.logits(tokens: Array(tokens[..<length]), batchSize: 1, length: length)
        model.adapter = nil
        let session = InferenceSession(weights: try adapter.wrap(InferenceWeights(model: model)))
        let v = config.vocabSize
        // A batched prefill (GEMM path), then single-token steps (GEMV path).
        var logits = Array(try session.prefill(tokens[..<3].map(Int.init)))
        assertClose(logits, Array(expected.data[2 * v..<3 * v]), rtol: 1e-4, atol: 1e-5, "prefill")
        for t in 3..<length {
            logits = Array(try session.next(Int(tokens[t])))
            assertClose(logits, Array(expected.data[t * v..<(t + 1) * v]), rtol: 1e-4, atol: 1e-5, "step \(t)")
        }
    }

    func testTargetNamesMatchAsPEFTDoes() throws {
        XCTAssertEqual(try LoRAConfiguration.targets(named: ["c_proj"]), [.attentionProjection, .fcProjection])
        XCTAssertEqual(try LoRAConfiguration.targets(named: ["attn.c_proj"]), [.attentionProjection])
        XCTAssertEqual(try LoRAConfiguration.targets(named: ["mlp.c_proj", "c_attn"]), [.fcProjection, .attention])
        XCTAssertEqual(try LoRAConfiguration.targets(named: ["c_fc", "c_proj", "c_attn"]), Set(Projection.allCases))
        XCTAssertThrowsError(try LoRAConfiguration.targets(named: ["q_proj"])) { XCTAssertTrue("\($0)".contains("q_proj")) }
        XCTAssertThrowsError(try LoRAConfiguration.targets(named: ["h.0.attn.c_attn"]))
        for targets: Set<Projection> in [[.attentionProjection], [.fcProjection, .fc], Set(Projection.allCases)] {
            let names = LoRAConfiguration(rank: 1, alpha: 1, targets: targets).targetModules
            XCTAssertEqual(try LoRAConfiguration.targets(named: names), targets)
        }
    }

    func testRejectsBadSettings() {
        XCTAssertThrowsError(try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 0, alpha: 1)))
        XCTAssertThrowsError(try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 2, alpha: -1)))
        XCTAssertThrowsError(try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 2, alpha: 1, dropout: 1)))
        XCTAssertThrowsError(try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 2, alpha: 1, targets: [])))
    }
}
