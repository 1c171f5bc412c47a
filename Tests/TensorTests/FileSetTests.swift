@testable import Tensor
import XCTest

/// Files saved as a set: a kill at any point of a commit leaves either every old file or — after
/// `recover` — every new one, and no temporaries.
final class FileSetTests: XCTestCase {
    var directory = ""
    let names = ["model.safetensors", "state.json", "best/model.safetensors"]

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-fileset-\(UUID().uuidString)").path
        for name in names { try AtomicFile.write(Data("old \(name)".utf8), to: path(name)) }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func contents() -> [String] {
        names.map { String(decoding: FileManager.default.contents(atPath: path($0)) ?? Data(), as: UTF8.self) }
    }

    func leftovers() throws -> [String] {
        try [directory, path("best")].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
        }
    }

    func stageNewSet() throws -> FileSet {
        let set = FileSet(directory: directory)
        for name in names { try set.stage(Data("new \(name)".utf8), to: path(name)) }
        return set
    }

    func testACommitReplacesEveryFile() throws {
        try stageNewSet().commit()
        XCTAssertEqual(contents(), names.map { "new \($0)" })
        XCTAssertEqual(try leftovers(), [])
    }

    func testAKillAfterEachRenameIsCompletedByRecover() throws {
        for renamed in 0...names.count {
            try setUpWithError()
            try stageNewSet().commit(renamingAtMost: renamed)
            if renamed < names.count {
                XCTAssertTrue(FileManager.default.fileExists(atPath: path(FileSet.journalName)), "crash point \(renamed)")
            }
            try FileSet.recover(directory: directory)
            XCTAssertEqual(contents(), names.map { "new \($0)" }, "crash point \(renamed)")
            XCTAssertEqual(try leftovers(), [], "crash point \(renamed)")
        }
    }

    func testAKillBeforeTheJournalKeepsTheOldSetAndRecoverRemovesTemporaries() throws {
        // What a kill while staging leaves: temporaries beside the targets, no journal.
        for name in names {
            let url = URL(fileURLWithPath: path(name))
            let temporary = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".tmp-999-abc"
            XCTAssertTrue(FileManager.default.createFile(atPath: temporary, contents: Data("partial".utf8)))
        }
        try FileSet.recover(directory: directory)
        XCTAssertEqual(contents(), names.map { "old \($0)" })
        XCTAssertEqual(try leftovers(), [])
    }

    func testAnUncommittedSetRemovesItsTemporaries() throws {
        _ = try stageNewSet()
        XCTAssertEqual(contents(), names.map { "old \($0)" })
        XCTAssertEqual(try leftovers(), [])
    }

    func testStagingOutsideTheDirectoryIsRefused() {
        let set = FileSet(directory: directory)
        XCTAssertThrowsError(try set.stage(Data(), to: directory + "-other/file"))
    }
}

/// Overflow-checked sizes and the refusal of non-regular input files.
final class SizeCheckTests: XCTestCase {
    func testProductsAndSumsThatOverflowAreNil() {
        XCTAssertEqual(SizeCheck.product(3, 4, 5), 60)
        XCTAssertNil(SizeCheck.product(Int.max, 2))
        XCTAssertNil(SizeCheck.product(1 << 32, 1 << 32))
        XCTAssertNil(SizeCheck.product(-1, 5))
        XCTAssertEqual(SizeCheck.sum([1, 2, 3]), 6)
        XCTAssertNil(SizeCheck.sum([Int.max, 1]))
        XCTAssertNil(SizeCheck.sum([1, nil]))
    }

    func testMemoryBeyondTheMachineIsAProblemNamingItsSource() throws {
        XCTAssertNil(SizeCheck.memoryProblem(1 << 20, for: "--x"))
        let problem = try XCTUnwrap(SizeCheck.memoryProblem(Int.max, for: "--batch 9"))
        XCTAssertTrue(problem.hasPrefix("--batch 9 needs about"), problem)
        XCTAssertNotNil(SizeCheck.memoryProblem(nil, for: "--batch 9"))
    }

    func testAFIFOIsRefusedWithoutBlocking() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("finch-fifo-\(UUID().uuidString)").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        XCTAssertThrowsError(try RegularFile.contents(of: fifo)) { error in
            XCTAssertEqual("\(error)", "\(fifo): is a FIFO (named pipe), not a regular file")
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: fifo))
        XCTAssertThrowsError(try RegularFile.contents(of: "/dev/zero"))
        XCTAssertThrowsError(try RegularFile.contents(of: NSTemporaryDirectory()))
    }
}
