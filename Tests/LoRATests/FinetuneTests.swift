import Foundation
import GPT
import LoRA
import Tensor
import XCTest

/// Fine-tuning through the shared trainer: only completions are scored, only the adapters move,
/// the loss falls, and what is saved is a PEFT adapter that reloads to the same model.
final class FinetuneTests: XCTestCase {
    let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 16, contextLength: 32, vocabSize: 40)
    let endOfText: Int32 = 39

    /// A toy tokenizer: one id per letter.
    func encode(_ text: String) -> [Int32] {
        text.unicodeScalars.map { Int32(($0.value - 97) % 39) }
    }

    func examples(_ count: Int) -> [CompletionExample] {
        // A learnable rule: the completion counts on from the prompt's last letter ("cadb" → "cde").
        var generator = SeededGenerator(seed: 2)
        func letter(_ i: Int) -> Character { Character(UnicodeScalar(UInt8(97 + i))) }
        return (0..<count).map { _ in
            let letters = (0..<4).map { _ in generator.nextInt(below: 6) }
            let completion = (1...3).map { letter(letters[3] + $0) }
            return CompletionExample(prompt: String(letters.map(letter)), completion: String(completion))
        }
    }

    func testPackingScoresOnlyCompletionsAndTheirEnd() {
        let packed = PackedCompletions([CompletionExample(prompt: "ab", completion: "c"),
                                        CompletionExample(prompt: "d", completion: "ef")],
                                       endOfText: endOfText, encode: encode)
        XCTAssertEqual(packed.tokens, [39, 0, 1, 2, 39, 3, 4, 5, 39])
        XCTAssertEqual((0..<packed.tokenCount).map(packed.isScored),
                       [false, false, false, true, true, false, true, true, true])
        XCTAssertEqual(packed.scoredCount, 5)

        // The sampler turns unscored targets into ignoreIndex.
        let sampler = BatchSampler(batchSize: 16, length: 4)
        var generator = SeededGenerator(seed: 1)
        let batch = sampler.sample(from: packed, generator: &generator)
        for i in 0..<batch.inputs.count {
            let expected: Set<[Int32]> = [[39, -100], [0, -100], [1, 2], [2, 39], [39, -100], [3, 4], [4, 5], [5, 39]]
            XCTAssertTrue(expected.contains([batch.inputs[i], batch.targets[i]]), "\(batch.inputs[i]) → \(batch.targets[i])")
        }
    }

    func testReadsJSONLAndNamesTheBadLine() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let good = directory + "/good.jsonl"
        try "{\"prompt\": \"Q: hi\\n\", \"completion\": \"A: hello\"}\n\n{\"prompt\": \"\", \"completion\": \"x\"}\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CompletionExample.readJSONL(path: good),
                       [CompletionExample(prompt: "Q: hi\n", completion: "A: hello"), CompletionExample(prompt: "", completion: "x")])
        let bad = directory + "/bad.jsonl"
        try "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CompletionExample.readJSONL(path: bad)) {
            XCTAssertTrue("\($0)".contains("bad.jsonl:2"), "\($0)")
        }
        let split = CompletionExample.split(examples(20), validationFraction: 0.1)
        XCTAssertEqual(split.train.count, 18)
        XCTAssertEqual(split.validation.count, 2)
    }

    func testFinetuningTrainsOnlyTheAdaptersAndSavesAPEFTAdapter() throws {
        let base = GPTModel(config: config, seed: 3)
        // A frozen head of 0.02-scale embeddings cannot express confident predictions at all;
        // trained-looking magnitudes let the adapters show what they learn.
        var generator = SeededGenerator(seed: 5)
        for i in 0..<base.parameterCount { base.parameters.pointer[i] += 0.3 * generator.nextNormal() }
        let baseWeights = base.parameters.toArray()
        let adapter = try LoRAAdapter(modelConfig: config, configuration: LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.05),
                                      seed: 4)
        let model = try LoRAModel(base: base, adapter: adapter, baseModelName: "toy")
        let (trainExamples, validationExamples) = CompletionExample.split(examples(200), validationFraction: 0.1)
        let train = PackedCompletions(trainExamples, endOfText: endOfText, encode: encode)
        let validation = PackedCompletions(validationExamples, endOfText: endOfText, encode: encode)

        var options = TrainingOptions()
        options.batchSize = 8
        options.length = 30
        options.maxIterations = 60
        options.warmupIterations = 5
        options.learningRate = 1e-2
        options.evalInterval = 60
        options.evalIterations = 4
        options.logInterval = 60
        let out = temporaryDirectory()
        let trainer = try Trainer(target: model, config: config, options: options, train: train,
                                  validation: validation, outputDirectory: out)
        var validationLosses: [Float] = []
        try trainer.run { event in
            if case .evaluation = event.kind, let loss = event.validationLoss { validationLosses.append(loss) }
        }
        XCTAssertEqual(validationLosses.count, 2)
        XCTAssertLessThan(validationLosses[1], validationLosses[0] - 0.3, "fine-tuning did not lower the validation loss")
        XCTAssertEqual(base.parameters.toArray(), baseWeights, "the base must stay frozen")
        XCTAssertEqual(base.gradients?.count ?? 0, 0, "a frozen base has no gradient buffer")

        let reloaded = try LoRAAdapter.load(directory: out, model: base)
        XCTAssertEqual(reloaded.parameters.toArray(), adapter.parameters.toArray())
        XCTAssertEqual(reloaded.configuration, adapter.configuration)
        XCTAssertEqual(model.trainableSegments.reduce(0) { $0 + $1.count }, adapter.parameterCount)
    }

    func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finch-lora-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

extension FinetuneTests {
    /// Stopping after a checkpoint and resuming gives the adapter an uninterrupted run gives,
    /// bit for bit, dropout included: the masks depend on the batch, which resume replays.
    func testResumeWithDropoutIsExact() throws {
        let base = GPTModel(config: config, seed: 3)
        let lora = LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.2)
        let data = PackedCompletions(examples(60), endOfText: endOfText, encode: encode)
        var options = TrainingOptions()
        options.batchSize = 2
        options.length = 16
        options.maxIterations = 6
        options.warmupIterations = 1
        options.decayIterations = 6  // the schedule of the whole run, also for its first half
        options.evalInterval = 3
        options.logInterval = 3

        func train(_ adapter: LoRAAdapter, to steps: Int, out: String, resume: TrainerState?) throws {
            var stepOptions = options
            stepOptions.maxIterations = steps
            let model = try LoRAModel(base: base, adapter: adapter)
            try Trainer(target: model, config: config, options: stepOptions, train: data, validation: nil,
                        outputDirectory: out, resumeFrom: resume).run()
        }
        let straight = try LoRAAdapter(modelConfig: config, configuration: lora, seed: 9)
        try train(straight, to: 6, out: temporaryDirectory(), resume: nil)

        let out = temporaryDirectory()
        try train(try LoRAAdapter(modelConfig: config, configuration: lora, seed: 9), to: 3, out: out, resume: nil)
        let resumed = try LoRAAdapter.load(directory: out, modelConfig: config)
        resumed.dropoutSeed = 9
        try train(resumed, to: 6, out: out, resume: try TrainerState.load(directory: out))
        let difference = zip(resumed.parameters.toArray(), straight.parameters.toArray()).map { abs($0 - $1) }.max() ?? 0
        XCTAssertEqual(difference, 0, "resumed and uninterrupted adapters differ")
        XCTAssertNotEqual(straight.parameters.toArray(),
                          try LoRAAdapter(modelConfig: config, configuration: lora, seed: 9).parameters.toArray())
    }
}
