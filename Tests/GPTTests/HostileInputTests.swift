import Foundation
import GPT
import Tensor
import Tokenizer
import XCTest

/// What a hostile or careless user can hand the trainer and the checkpoint loader: configs the
/// model cannot honour or could not allocate, an `--out` that holds other work, a run that fails
/// before its first save. Each is one error naming the file or flag, and nothing is lost.
final class HostileInputTests: XCTestCase {
    let config = GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabSize: 61)
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A copy of the tiny GPT-2 fixture with config.json edited by `edit`.
    func checkpoint(editing edit: (inout [String: Any]) -> Void) throws -> String {
        let copy = directory + "/checkpoint-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Fixtures.tinyGPT2, toPath: copy)
        let path = copy + "/config.json"
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return copy
    }

    func assertRefused(_ edit: (inout [String: Any]) -> Void, mentioning words: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let copy = try checkpoint(editing: edit)
        XCTAssertThrowsError(try Checkpoint.load(directory: copy), file: file, line: line) { error in
            for word in words + [copy] {
                XCTAssertTrue("\(error)".contains(word), "\"\(error)\" lacks \(word)", file: file, line: line)
            }
        }
    }

    func testSettingsTheModelCannotHonourAreRefused() throws {
        try assertRefused({ $0["scale_attn_weights"] = false }, mentioning: ["config.json", "scale_attn_weights"])
        try assertRefused({ $0["tie_word_embeddings"] = false }, mentioning: ["config.json", "tie_word_embeddings"])
        try assertRefused({ $0["n_embd"] = true }, mentioning: ["n_embd"])
        try assertRefused({ $0["n_layer"] = 1e300 }, mentioning: ["n_layer"])
    }

    /// Sizes that would need terabytes, or overflow, are refused before anything is allocated.
    func testHugeSizesAreRefusedBeforeAllocating() throws {
        try assertRefused({ $0["vocab_size"] = 1_000_000_000 }, mentioning: ["vocab_size"])
        try assertRefused({ $0["n_layer"] = 1_000_000 }, mentioning: ["n_layer"])
        try assertRefused({ $0["n_positions"] = Int.max; $0["n_ctx"] = Int.max }, mentioning: ["n_positions"])
        // Within the limits but far more than the file holds: compared with the file first.
        try assertRefused({ $0["vocab_size"] = 1 << 22 }, mentioning: ["model.safetensors", "cannot match"])
        // The largest shape the limits allow still has a countable size, which the budget refuses.
        let largest = GPTConfig(layerCount: 4096, headCount: 1, embeddingSize: 1 << 16, contextLength: 1 << 20,
                                vocabSize: 1 << 24)
        XCTAssertNil(largest.problem)
        XCTAssertNotNil(largest.checkedParameterCount)
        XCTAssertNotNil(largest.memoryProblem(bytesPerParameter: 16, source: "flags"))
    }

    func testAnOutputThatHoldsOtherWorkIsRefused() throws {
        let run = directory + "/run"
        try Checkpoint.save(GPTModel(config: config, seed: 1), directory: run)
        XCTAssertThrowsError(try RunDirectory.check(out: run, intent: .create(overwrite: false), inputs: [])) {
            XCTAssertTrue("\($0)".contains("--resume") && "\($0)".contains("--overwrite"), "\($0)")
        }
        XCTAssertNoThrow(try RunDirectory.check(out: run, intent: .create(overwrite: true), inputs: []))
        XCTAssertThrowsError(try RunDirectory.check(out: run + "/", intent: .create(overwrite: true),
                                                    inputs: [("--base", run)])) {
            XCTAssertTrue("\($0)".contains("--base"), "\($0)")
        }
        let file = directory + "/file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data()))
        XCTAssertThrowsError(try RunDirectory.check(out: file, intent: .create(overwrite: true), inputs: []))
        XCTAssertThrowsError(try RunDirectory.check(out: file + "/below", intent: .create(overwrite: true), inputs: []))
        XCTAssertNoThrow(try RunDirectory.check(out: directory + "/new/deeper", intent: .create(overwrite: false), inputs: []))
    }

    /// An `--overwrite` run that fails before its first save leaves the old run's files as they were.
    func testARunThatFailsBeforeItsFirstSaveChangesNothing() throws {
        var options = TrainingOptions()
        options.batchSize = 2
        options.length = 8
        options.maxIterations = 4
        options.evalInterval = 2
        options.evalIterations = 1
        options.logInterval = 1
        let tokens = TokenArray((0..<500).map { Int32($0 % 61) })
        try Trainer(target: GPTModel(config: config, seed: 1), config: config, options: options, train: tokens,
                    validation: tokens, outputDirectory: directory).run()
        let files = ["metrics.jsonl", "model.safetensors", "trainer_state.json", "loss.svg"]
        let before = files.map { FileManager.default.contents(atPath: directory + "/" + $0) }

        let failing = FailingTarget(GPTModel(config: config, seed: 2), failingAtCall: 2)
        XCTAssertThrowsError(try Trainer(target: failing, config: config, options: options, train: tokens,
                                         validation: tokens, outputDirectory: directory).run())
        XCTAssertEqual(files.map { FileManager.default.contents(atPath: directory + "/" + $0) }, before)
    }

    func testNonFiniteStateIsSavedAndRead() throws {
        let model = GPTModel(config: config, seed: 1)
        var options = TrainingOptions()
        options.maxIterations = 0
        options.length = 8
        try Trainer(target: model, config: config, options: options, train: TokenArray((0..<100).map { Int32($0 % 61) }),
                    validation: nil, outputDirectory: directory).run()
        var state = try TrainerState.load(directory: directory)
        state.bestValidationLoss = .infinity
        state.elapsedSeconds = .nan
        state.options.gradientClip = .infinity
        try state.save(directory: directory, segments: model.trainableSegments,
                       firstMoment: FloatBuffer(count: model.parameterCount), secondMoment: FloatBuffer(count: model.parameterCount))
        let loaded = try TrainerState.load(directory: directory)
        XCTAssertEqual(loaded.bestValidationLoss, .infinity)
        XCTAssertEqual(loaded.options.gradientClip, .infinity)
        XCTAssertTrue(loaded.elapsedSeconds.isNaN)
    }

    func testTooShortDataNamesTheFileAndTheFlag() throws {
        let path = directory + "/train.bin"
        try Data(repeating: 1, count: 18).write(to: URL(fileURLWithPath: path))
        let problem = BatchSampler(batchSize: 1, length: 12).problem(with: try TokenStream(path: path), name: "the training data")
        XCTAssertEqual(problem, "the training data (\(path)) has 9 tokens; --block-size 12 needs at least 13")
    }
}

/// A model whose `call`-th training step throws, as a run killed by a bad batch or a full disk.
final class FailingTarget: TrainingTarget {
    let model: GPTModel
    let failingCall: Int
    var calls = 0

    init(_ model: GPTModel, failingAtCall call: Int) {
        self.model = model
        failingCall = call
    }

    var trainableParameters: FloatBuffer { model.trainableParameters }
    var trainableGradients: FloatBuffer { model.trainableGradients }
    var trainableSegments: [ParameterSegment] { model.trainableSegments }
    var contextLength: Int { model.contextLength }
    func zeroTrainableGradients() { model.zeroTrainableGradients() }

    func forwardBackward(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int, lossScale: Float,
                         shard: BatchShard?) throws -> Float {
        calls += 1
        if calls == failingCall { throw GPTError.invalidInput("injected failure") }
        return try model.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length,
                                         lossScale: lossScale, shard: shard)
    }

    func lossSum(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int) throws -> (sum: Double, count: Int) {
        try model.lossSum(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
    }

    func trainingFlopsPerToken(length: Int) -> Double { model.trainingFlopsPerToken(length: length) }
    func save(to directory: String, metadata: [String: String], in set: FileSet?) throws {
        try model.save(to: directory, metadata: metadata, in: set)
    }
    func estimatedTrainingBytes(batchSize: Int, length: Int) -> Int {
        model.estimatedTrainingBytes(batchSize: batchSize, length: length)
    }
}
