import Tensor
import XCTest

final class ThreadCountTests: XCTestCase {
    func testTheFlagWinsOverTheEnvironment() throws {
        XCTAssertEqual(try ThreadCount.resolve(flag: 3, environment: ["FINCH_NUM_THREADS": "2"]), 3)
        XCTAssertEqual(try ThreadCount.resolve(flag: nil, environment: ["FINCH_NUM_THREADS": " 2 "]), 2)
    }

    func testBadCountsNameTheirSource() {
        XCTAssertThrowsError(try ThreadCount.resolve(flag: 0, environment: [:])) {
            XCTAssertEqual("\($0)", "--threads must be at least 1 (got 0)")
        }
        XCTAssertThrowsError(try ThreadCount.resolve(flag: nil, environment: ["FINCH_NUM_THREADS": "many"])) {
            XCTAssertEqual("\($0)", "FINCH_NUM_THREADS must be a whole number of at least 1 (got \"many\")")
        }
        XCTAssertThrowsError(try ThreadCount.resolve(flag: nil, environment: ["FINCH_NUM_THREADS": "0"]))
    }

    /// The default is the affinity mask's size, shared among mpirun's ranks on this host when
    /// the mask spans the whole host (an mpirun that binds ranks to cores gives smaller masks).
    func testTheDefaultComesFromTheAffinityMaskAndTheLocalRanks() {
        let online = ProcessInfo.processInfo.activeProcessorCount
        let alone = ThreadCount.automatic(environment: [:])
        XCTAssertTrue((1...online).contains(alone))
        XCTAssertEqual(try ThreadCount.resolve(flag: nil, environment: [:]), alone)
        let shared = ThreadCount.automatic(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"])
        XCTAssertEqual(shared, alone == online ? max(1, online / 2) : alone)
    }

    func testSettingTheCountChangesTheKernelsThreads() {
        let before = Parallel.coreCount
        defer { Parallel.setThreadCount(before) }
        Parallel.setThreadCount(1)
        XCTAssertEqual(Parallel.coreCount, 1)
        Parallel.setThreadCount(0)
        XCTAssertEqual(Parallel.coreCount, 1, "at least one thread")
        // Chunked work still covers every item with one thread.
        var covered = [Bool](repeating: false, count: 100_000)
        covered.withUnsafeMutableBufferPointer { flags in
            let pointer = flags.baseAddress!
            Parallel.forEachChunk(100_000) { range in for i in range { pointer[i] = true } }
        }
        XCTAssertTrue(covered.allSatisfy { $0 })
    }
}
