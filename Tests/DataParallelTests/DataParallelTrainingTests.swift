import Foundation
import GPT
import Tensor
import TestSupport
import XCTest

/// `mpirun -np 2 train` against one process: the same global batch gives the same model.
final class DataParallelTrainingTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-mpi-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try writeTokens(count: 6000, seed: 1, to: data.appendingPathComponent("train.bin"))
        try writeTokens(count: 1500, seed: 2, to: data.appendingPathComponent("val.bin"))
        // A 300-token vocabulary keeps the debug build's steps to milliseconds (GPT-2's 50,257 would not).
        try Checkpoint.save(GPTModel(config: Self.config, seed: 7), directory: directory.appendingPathComponent("init").path)
    }

    static let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 16, vocabSize: 300)

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The two ranks stop at step 10 and `--resume` to 20: resuming is part of what must match.
    func testTwoRanksEqualOneProcessWithTheDoubledBatchAcrossAResume() throws {
        try assertTwoRanksEqualOneProcess(extraFlags: [], gradientAccumulation: 1, resumeAt: 10)
    }

    func testTwoRanksEqualOneProcessWithDropoutAndGradientAccumulation() throws {
        try assertTwoRanksEqualOneProcess(extraFlags: ["--dropout", "0.1"], gradientAccumulation: 2)
    }

    /// Ranks started with different flags stop at the start, every one with the same error,
    /// before anything is written.
    func testRanksThatDisagreeStopBeforeWriting() throws {
        let out = directory.appendingPathComponent("disagree").path
        let train = try ProgramRun.trainExecutable()
        let arguments = ProgramRun.mpirunFlags
            + ["-np", "1", train] + flags(out: out, batchSize: 4) + ["--lr", "1e-3"]
            + [":", "-np", "1", train] + flags(out: out, batchSize: 4) + ["--lr", "2e-3"]
        let result = try ProgramRun.run(try ProgramRun.mpirun(), arguments, timeout: 120)
        XCTAssertFalse(result.timedOut, result.output)
        XCTAssertNotEqual(result.status, 0, result.output)
        for rank in 0..<2 {
            XCTAssertTrue(result.output.contains("error: rank \(rank) of 2: the ranks disagree with rank 0 on the training flags (rank 1)"),
                          result.output)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing may be written")
    }

    /// Rank 1 is killed once a checkpoint exists: rank 0 ends instead of waiting forever, and
    /// the checkpoint stays loadable with its trainer state.
    func testARankThatDiesEndsTheRunAndLeavesTheCheckpoint() throws {
        let result = try runWithRankOneInterrupted(signal: "KILL", extraFlags: [])
        XCTAssertFalse(result.run.timedOut, result.run.output)
        XCTAssertNotEqual(result.run.status, 0, result.run.output)
        try assertCheckpointIntact(result.out)
    }

    /// Rank 1 stops (a hung host): rank 0 gives up after --rank-timeout with a clear error.
    func testAHungRankEndsTheRunAfterTheTimeout() throws {
        let result = try runWithRankOneInterrupted(signal: "STOP", extraFlags: ["--rank-timeout", "3"])
        XCTAssertFalse(result.run.timedOut, result.run.output)
        XCTAssertNotEqual(result.run.status, 0, result.run.output)
        XCTAssertTrue(result.run.output.contains("rank 0: no answer from the other ranks"), result.run.output)
        try assertCheckpointIntact(result.out)
    }

    // MARK: Helpers

    func assertTwoRanksEqualOneProcess(extraFlags: [String], gradientAccumulation: Int, resumeAt: Int? = nil,
                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let train = try ProgramRun.trainExecutable()
        // The schedule's end is fixed, so a run stopped early and resumed follows the same rates.
        let accumulation = ["--grad-accum", String(gradientAccumulation), "--lr-decay-iters", "20"]
        let single = directory.appendingPathComponent("single").path
        let one = try ProgramRun.run(train, flags(out: single, batchSize: 8) + accumulation + extraFlags, timeout: 300)
        XCTAssertEqual(one.status, 0, one.output, file: file, line: line)

        let parallel = directory.appendingPathComponent("parallel").path
        let twoRanks = ProgramRun.mpirunFlags + ["-np", "2", train]
        if let resumeAt {
            let first = try ProgramRun.run(try ProgramRun.mpirun(),
                                           twoRanks + flags(out: parallel, batchSize: 4, maxIterations: resumeAt)
                                            + accumulation + extraFlags, timeout: 300)
            XCTAssertEqual(first.status, 0, first.output, file: file, line: line)
        }
        let two = try ProgramRun.run(try ProgramRun.mpirun(),
                                     twoRanks + flags(out: parallel, batchSize: 4, initialize: resumeAt == nil)
                                        + accumulation + extraFlags
                                        + (resumeAt == nil ? [] : ["--resume"]), timeout: 300)
        XCTAssertEqual(two.status, 0, two.output, file: file, line: line)
        if let resumeAt {
            XCTAssertTrue(two.output.contains("resuming \(parallel) at step \(resumeAt)"), two.output, file: file, line: line)
        }
        XCTAssertTrue(two.output.contains("data parallel: 2 ranks × batch 4 = global batch 8"), two.output, file: file, line: line)
        XCTAssertTrue(two.output.contains("comm "), "progress lines report the communication time", file: file, line: line)
        XCTAssertEqual(two.output.components(separatedBy: "step    20/20 | loss").count, 2,
                       "only rank 0 reports", file: file, line: line)

        let expected = try Checkpoint.load(directory: single)
        let actual = try Checkpoint.load(directory: parallel)
        XCTAssertEqual(expected.parameters.count, actual.parameters.count, file: file, line: line)
        let expectedValues = Array(UnsafeBufferPointer(start: expected.parameters.pointer, count: expected.parameters.count))
        let actualValues = Array(UnsafeBufferPointer(start: actual.parameters.pointer, count: actual.parameters.count))
        var worst: Float = 0
        for (a, e) in zip(actualValues, expectedValues) { worst = max(worst, abs(a - e)) }
        XCTAssertLessThanOrEqual(worst, 1e-5, "largest parameter difference after 20 steps", file: file, line: line)
        // The models moved: equal because training matched, not because nothing trained.
        let initial = GPTModel(config: Self.config, seed: 7)
        var moved: Float = 0
        for i in 0..<expectedValues.count { moved = max(moved, abs(expectedValues[i] - initial.parameters.pointer[i])) }
        XCTAssertGreaterThan(moved, 1e-3, file: file, line: line)
        XCTAssertEqual(try validationLosses(single), try validationLosses(parallel), accuracy: 1e-4, file: file, line: line)
    }

    /// Runs rank 0 normally and rank 1 under a shell that sends it `signal` once the first
    /// checkpoint is on disk.
    func runWithRankOneInterrupted(signal: String, extraFlags: [String]) throws -> (run: ProgramRun.Result, out: String) {
        let out = directory.appendingPathComponent("interrupted").path
        let train = try ProgramRun.trainExecutable()
        let trainFlags = flags(out: out, batchSize: 4, maxIterations: 100_000) + extraFlags
        let quoted = ([train] + trainFlags).map { "'\($0)'" }.joined(separator: " ")
        let script = """
            \(quoted) & pid=$!
            while [ ! -f '\(out)/\(TrainerState.jsonFile)' ]; do sleep 0.1; done
            sleep 1; kill -\(signal) $pid; wait $pid
            """
        let arguments = ProgramRun.mpirunFlags + ["-np", "1", train] + trainFlags
            + [":", "-np", "1", "/bin/sh", "-c", script]
        return (try ProgramRun.run(try ProgramRun.mpirun(), arguments, timeout: 120), out)
    }

    func assertCheckpointIntact(_ out: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let state = try TrainerState.load(directory: out)
        let model = try Checkpoint.load(directory: out)
        XCTAssertEqual(try Checkpoint.savedStep(directory: out), state.step, file: file, line: line)
        XCTAssertGreaterThan(state.step, 0, file: file, line: line)
        XCTAssertTrue((0..<model.parameters.count).allSatisfy { model.parameters.pointer[$0].isFinite }, file: file, line: line)
    }

    /// `initialize`: start from the test's small-vocabulary model (a resumed run must not).
    func flags(out: String, batchSize: Int, maxIterations: Int = 20, initialize: Bool = true) -> [String] {
        ["pretrain", "--data", directory.appendingPathComponent("data").path, "--out", out]
        + (initialize ? ["--init-from", directory.appendingPathComponent("init").path] : []) + [
         "--batch-size", String(batchSize), "--max-iters", String(maxIterations), "--eval-interval", "10",
         "--eval-iters", "2", "--log-interval", "5", "--warmup-iters", "5", "--lr", "1e-3", "--seed", "7",
         "--threads", "1"]
    }

    /// Mean of the validation losses in metrics.jsonl.
    func validationLosses(_ out: String) throws -> Double {
        let text = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        let losses = try text.split(separator: "\n").compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["val_loss"] as? Double
        }
        XCTAssertEqual(losses.count, 3, "evaluations at steps 0, 10 and 20")
        return losses.reduce(0, +) / Double(max(1, losses.count))
    }

    func writeTokens(count: Int, seed: UInt64, to url: URL) throws {
        var generator = SeededGenerator(seed: seed)
        var tokens = [UInt16](repeating: 0, count: count)
        // A small alphabet with structure (each token often follows its predecessor + 1) so the loss falls.
        for i in 0..<count {
            tokens[i] = i > 0 && generator.nextInt(below: 4) != 0 ? (tokens[i - 1] + 1) % 300 : UInt16(generator.nextInt(below: 300))
        }
        try tokens.withUnsafeBytes { try Data($0).write(to: url) }
    }
}
