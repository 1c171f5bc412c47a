import GPT
import Tensor
import XCTest

/// The whole model's backward pass against central finite differences of its loss, on a
/// random model with odd sizes (3 heads of 4, vocab 23, context 7) and an ignored target.
final class ModelGradientTests: XCTestCase {
    let config = GPTConfig(layerCount: 2, headCount: 3, embeddingSize: 12, contextLength: 7, vocabSize: 23)
    let batchSize = 2, length = 7

    func makeModel() -> GPTModel {
        let model = GPTModel(config: config, seed: 7)
        // Larger weights than the 0.02 init make every gradient big enough to measure in float32.
        var generator = SeededGenerator(seed: 11)
        for i in 0..<model.parameterCount {
            model.parameters.pointer[i] += 0.3 * generator.nextNormal()
        }
        return model
    }

    func batch() -> (tokens: [Int32], targets: [Int32]) {
        var generator = SeededGenerator(seed: 3)
        let tokens = (0..<batchSize * length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        var targets = (0..<batchSize * length).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        targets[5] = CrossEntropy.ignoreIndex
        return (tokens, targets)
    }

    func testBackwardMatchesFiniteDifferences() throws {
        try checkWholeModelGradients(dropout: 0)
    }

    /// Dropout masks depend only on the seed and the batch, so the training loss is a
    /// deterministic function of the parameters that finite differences can check.
    func testBackwardWithDropoutMatchesFiniteDifferences() throws {
        try checkWholeModelGradients(dropout: 0.2)
    }

    func testDropoutChangesTrainingLossOnlyAndRepeats() throws {
        let model = makeModel()
        let (tokens, targets) = batch()
        let evaluation = try model.loss(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        let logits = try model.logits(tokens: tokens, batchSize: batchSize, length: length)
        let plain = try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        XCTAssertEqual(plain, evaluation, accuracy: 1e-5)
        model.dropout = 0.3
        model.dropoutSeed = 9
        let dropped = try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        XCTAssertGreaterThan(abs(dropped - evaluation), 1e-3)
        XCTAssertEqual(try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length), dropped)
        model.dropoutSeed = 10
        XCTAssertNotEqual(try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length), dropped)
        XCTAssertEqual(try model.logits(tokens: tokens, batchSize: batchSize, length: length).data, logits.data)
        XCTAssertEqual(try model.loss(tokens: tokens, targets: targets, batchSize: batchSize, length: length), evaluation)
        model.dropout = 1
        XCTAssertThrowsError(try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length))
    }

    /// The training loss (with dropout when set) at the current parameters.
    func trainingLoss(_ model: GPTModel, _ tokens: [Int32], _ targets: [Int32], batchSize: Int, length: Int) throws -> Double {
        if model.dropout == 0 {
            let result = try model.lossSum(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
            return result.sum / Double(result.count)
        }
        return Double(try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length))
    }

    func checkWholeModelGradients(dropout: Float) throws {
        let model = makeModel()
        model.dropout = dropout
        model.dropoutSeed = 21
        let (tokens, targets) = batch()
        model.zeroGradients()
        try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        let analytic = model.gradients!.toArray()

        var checked = 0
        var generator = SeededGenerator(seed: 5)
        for entry in model.layout.entries {
            // A few elements of every parameter tensor, chosen at random.
            for _ in 0..<3 {
                let index = entry.offset + generator.nextInt(below: entry.count)
                let original = model.parameters.pointer[index]
                let h: Float = 1e-2
                model.parameters.pointer[index] = original + h
                let plus = try trainingLoss(model, tokens, targets, batchSize: batchSize, length: length)
                model.parameters.pointer[index] = original - h
                let minus = try trainingLoss(model, tokens, targets, batchSize: batchSize, length: length)
                model.parameters.pointer[index] = original
                let numeric = (plus - minus) / Double(2 * h)
                let error = abs(Double(analytic[index]) - numeric)
                XCTAssertLessThanOrEqual(error, 2e-3 + 2e-2 * abs(numeric),
                    "\(entry.name)[\(index - entry.offset)]: analytic \(analytic[index]), numeric \(numeric)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 3 * model.layout.entries.count)
    }

    /// Sequences longer than one attention row block (128), so the blocked causal products and
    /// their backward are exercised across block boundaries.
    func testBackwardMatchesFiniteDifferencesAcrossAttentionBlocks() throws {
        try checkGradientsAcrossAttentionBlocks(dropout: 0)
    }

    func testBackwardWithDropoutMatchesFiniteDifferencesAcrossAttentionBlocks() throws {
        try checkGradientsAcrossAttentionBlocks(dropout: 0.1)
    }

    func checkGradientsAcrossAttentionBlocks(dropout: Float) throws {
        let long = GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 8, contextLength: 300, vocabSize: 13)
        let model = GPTModel(config: long, seed: 2)
        model.dropout = dropout
        model.dropoutSeed = 4
        var generator = SeededGenerator(seed: 8)
        for i in 0..<model.parameterCount { model.parameters.pointer[i] += 0.3 * generator.nextNormal() }
        let length = 270
        let tokens = (0..<length).map { _ in Int32(generator.nextInt(below: 13)) }
        let targets = (0..<length).map { _ in Int32(generator.nextInt(below: 13)) }
        model.zeroGradients()
        try model.forwardBackward(tokens: tokens, targets: targets, batchSize: 1, length: length)
        let analytic = model.gradients!.toArray()
        let block = model.layout.blocks[0]
        // Query, key and value weights of both heads, and the position rows on both sides of 128 and 256.
        let indices = [block.attentionWeight + 3, block.attentionWeight + 8 + 5, block.attentionWeight + 16 + 2,
                       block.attentionWeight + 24 * 7 + 13, block.attentionBias + 9,
                       model.layout.positionEmbedding + 127 * 8 + 1, model.layout.positionEmbedding + 128 * 8 + 4,
                       model.layout.positionEmbedding + 200 * 8 + 6, model.layout.positionEmbedding + 260 * 8]
        for index in indices {
            let original = model.parameters.pointer[index]
            let h: Float = 1e-2
            model.parameters.pointer[index] = original + h
            let plus = try trainingLoss(model, tokens, targets, batchSize: 1, length: length)
            model.parameters.pointer[index] = original - h
            let minus = try trainingLoss(model, tokens, targets, batchSize: 1, length: length)
            model.parameters.pointer[index] = original
            let numeric = (plus - minus) / Double(2 * h)
            XCTAssertEqual(Double(analytic[index]), numeric, accuracy: 1e-3 + 2e-2 * abs(numeric), "parameter \(index)")
        }
    }

    func testRejectsOutOfRangeInput() throws {
        let model = makeModel()
        var (tokens, targets) = batch()
        tokens[3] = Int32(config.vocabSize)
        XCTAssertThrowsError(try model.loss(tokens: tokens, targets: targets, batchSize: batchSize, length: length)) {
            XCTAssertTrue("\($0)".contains("outside the vocabulary"), "\($0)")
        }
        tokens[3] = 0
        targets[0] = -5
        XCTAssertThrowsError(try model.loss(tokens: tokens, targets: targets, batchSize: batchSize, length: length))
        let tooLong = [Int32](repeating: 0, count: 8)
        XCTAssertThrowsError(try model.logits(tokens: tooLong, batchSize: 1, length: 8)) {
            XCTAssertTrue("\($0)".contains("context"), "\($0)")
        }
    }

    func testSameSeedGivesIdenticalModel() {
        let a = GPTModel(config: config, seed: 42), b = GPTModel(config: config, seed: 42), c = GPTModel(config: config, seed: 43)
        XCTAssertEqual(a.parameters.toArray(), b.parameters.toArray())
        XCTAssertNotEqual(a.parameters.toArray(), c.parameters.toArray())
    }

    func testPresetParameterCounts() {
        // slm60m: about 57.5M parameters with GPT-2's vocabulary.
        let slm = ParameterLayout(config: GPTConfig.presets["slm60m"]!)
        XCTAssertEqual(Double(slm.count) / 1e6, 57.5, accuracy: 0.1)
        // GPT-2 small has 124,439,808 parameters.
        XCTAssertEqual(ParameterLayout(config: GPTConfig.presets["gpt2"]!).count, 124_439_808)
    }
}
