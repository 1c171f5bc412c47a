import Foundation
import GPT
import Tensor
import XCTest

/// The training loop end to end on a small model: resume exactness, checkpoints, metrics,
/// and flags that must be refused before anything is written.
final class TrainerTests: XCTestCase {
    let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 16, contextLength: 16, vocabSize: 61)
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-trainer-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func corpus(_ count: Int, seed: UInt64) -> TokenArray {
        var generator = SeededGenerator(seed: seed)
        // A learnable stream: mostly t+1 mod V, with some noise.
        var tokens: [Int32] = [0]
        for _ in 1..<count {
            let next = generator.nextInt(below: 10) == 0 ? generator.nextInt(below: 61) : (Int(tokens.last!) + 1) % 61
            tokens.append(Int32(next))
        }
        return TokenArray(tokens)
    }

    func options(maxIterations: Int) -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = 3
        options.length = 12
        options.gradientAccumulation = 2
        options.maxIterations = maxIterations
        options.learningRate = 3e-2
        options.minLearningRate = 3e-3
        options.warmupIterations = 2
        options.decayIterations = 12
        options.evalInterval = 4
        options.evalIterations = 2
        options.logInterval = 1
        return options
    }

    func metricRows(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testResumedRunGivesTheSameLossesAsAnUninterruptedOne() throws {
        try checkResume(dropout: 0)
    }

    /// Dropout masks come from the seed and the batch, so resuming replays them too.
    func testResumedRunWithDropoutGivesTheSameLosses() throws {
        try checkResume(dropout: 0.1)
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/straight/config.json")))
        XCTAssertEqual((saved as? [String: Any])?["resid_pdrop"] as? Double, 0.1)
    }

    func checkResume(dropout: Float) throws {
        let train = corpus(2000, seed: 1), validation = corpus(300, seed: 2)
        let straight = directory + "/straight", interrupted = directory + "/interrupted"
        func withDropout(_ model: GPTModel) -> GPTModel {
            model.dropout = dropout
            model.dropoutSeed = 77
            return model
        }

        let model = withDropout(GPTModel(config: config, seed: 5))
        try Trainer(target: model, config: config, options: options(maxIterations: 12), train: train,
                    validation: validation, outputDirectory: straight).run()

        let first = withDropout(GPTModel(config: config, seed: 5))
        try Trainer(target: first, config: config, options: options(maxIterations: 8), train: train,
                    validation: validation, outputDirectory: interrupted).run()
        let resumedModel = withDropout(try Checkpoint.load(directory: interrupted))
        let state = try TrainerState.load(directory: interrupted)
        XCTAssertEqual(state.step, 8)
        try Trainer(target: resumedModel, config: config, options: options(maxIterations: 12), train: train,
                    validation: validation, outputDirectory: interrupted, resumeFrom: state).run()

        let a = try metricRows(straight + "/metrics.jsonl"), b = try metricRows(interrupted + "/metrics.jsonl")
        XCTAssertEqual(a.map { $0["step"] as? Int }, b.map { $0["step"] as? Int })
        for (rowA, rowB) in zip(a, b) {
            XCTAssertEqual(rowA["loss"] as? Double, rowB["loss"] as? Double, "step \(rowA["step"] ?? "?")")
            XCTAssertEqual(rowA["val_loss"] as? Double, rowB["val_loss"] as? Double, "step \(rowA["step"] ?? "?")")
        }
        XCTAssertEqual(try Checkpoint.load(directory: straight).parameters.toArray(),
                       try Checkpoint.load(directory: interrupted).parameters.toArray())
    }

    func testTrainingLowersTheLossAndWritesMetricsPlotAndBest() throws {
        let model = GPTModel(config: config, seed: 5)
        let final = try Trainer(target: model, config: config, options: options(maxIterations: 12), train: corpus(2000, seed: 1),
                                validation: corpus(300, seed: 2), outputDirectory: directory).run()
        let rows = try metricRows(directory + "/metrics.jsonl")
        let evaluations = rows.compactMap { $0["val_loss"] as? Double }
        XCTAssertEqual(evaluations.count, 4)  // steps 0, 4, 8, 12
        XCTAssertLessThan(evaluations.last!, evaluations.first! - 0.5)
        for key in ["step", "loss", "lr", "tokens_per_s", "gflops", "elapsed_s"] {
            XCTAssertNotNil(rows.last { $0["val_loss"] == nil }?[key], key)
        }
        XCTAssertEqual(final.bestValidationLoss.map(Double.init), evaluations.min())
        let svg = try String(contentsOfFile: directory + "/loss.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("val loss") && svg.contains("polyline"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/best/model.safetensors"))
        XCTAssertEqual(try Checkpoint.savedStep(directory: directory), 12)
    }

    func testBadOptionsAreRefusedBeforeAnythingIsWritten() throws {
        let model = GPTModel(config: config, seed: 5)
        var cases: [(TrainingOptions, String)] = []
        var o = options(maxIterations: 4); o.length = 17; cases.append((o, "--block-size"))
        o = options(maxIterations: 4); o.learningRate = -1; cases.append((o, "--lr"))
        o = options(maxIterations: 4); o.batchSize = 0; cases.append((o, "--batch-size"))
        o = options(maxIterations: 4); o.batchSize = Int.max / 4; cases.append((o, "--batch-size"))
        for (options, flag) in cases {
            XCTAssertThrowsError(try Trainer(target: model, config: config, options: options, train: corpus(2000, seed: 1),
                                             validation: nil, outputDirectory: directory)) {
                XCTAssertTrue("\($0)".contains(flag), "\($0)")
            }
        }
        XCTAssertThrowsError(try Trainer(target: model, config: config, options: options(maxIterations: 4),
                                         train: corpus(10, seed: 1), validation: nil, outputDirectory: directory))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
    }

    func testLearningRateSchedule() {
        let schedule = LearningRateSchedule(peak: 1, minimum: 0.1, warmupSteps: 10, decaySteps: 110)
        XCTAssertEqual(schedule.rate(at: 0), 1.0 / 11, accuracy: 1e-7)
        XCTAssertEqual(schedule.rate(at: 9), 10.0 / 11, accuracy: 1e-7)
        XCTAssertEqual(schedule.rate(at: 10), 1, accuracy: 1e-7)
        XCTAssertEqual(schedule.rate(at: 60), 0.55, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(at: 110), 0.1, accuracy: 1e-7)
        XCTAssertEqual(schedule.rate(at: 500), 0.1, accuracy: 1e-7)
    }
}
