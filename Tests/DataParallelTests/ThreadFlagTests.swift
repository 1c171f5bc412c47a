import Foundation
import TestSupport
import XCTest

/// `--threads`, `FINCH_NUM_THREADS` and the affinity mask, as the built `train` applies them.
final class ThreadFlagTests: XCTestCase {
    func testTrainUsesTheAffinityMaskTheEnvironmentAndTheFlag() throws {
        let train = try ProgramRun.trainExecutable()
        let benchmark = ["benchmark", "--preset", "tiny", "--batch", "1", "--seq", "8", "--steps", "1", "--warmup", "0"]
        XCTAssertEqual(try threads(of: ProgramRun.run("/usr/bin/taskset", ["-c", "0", train] + benchmark, timeout: 120)), 1,
                       "one CPU in the mask, one thread")
        XCTAssertEqual(try threads(of: ProgramRun.run(train, benchmark, timeout: 120, environment: ["FINCH_NUM_THREADS": "3"])), 3)
        XCTAssertEqual(try threads(of: ProgramRun.run(train, benchmark + ["--threads", "2"], timeout: 120,
                                                      environment: ["FINCH_NUM_THREADS": "3"])), 2)
        let bad = try ProgramRun.run(train, benchmark + ["--threads", "0"], timeout: 120)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("--threads must be at least 1"), bad.output)
    }

    func threads(of result: ProgramRun.Result) throws -> Int? {
        XCTAssertEqual(result.status, 0, result.output)
        let line = result.output.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
        return (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["threads"] as? Int
    }
}
