import Foundation
import XCTest

/// Paths of the committed goldens and of the model folder scripts/setup-minilm fetches.
enum Fixtures {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    /// `models/all-MiniLM-L6-v2` at the package root. The golden tests need the real weights; when
    /// they are absent the tests fail (rather than skip) and say how to fetch them.
    static func miniLMDirectory(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("models/all-MiniLM-L6-v2").path
        guard FileManager.default.fileExists(atPath: path + "/model.safetensors") else {
            XCTFail("\(path) is missing: run scripts/setup-minilm (scripts/setup does) to download all-MiniLM-L6-v2", file: file, line: line)
            throw XCTSkip("no model")
        }
        return path
    }

    /// A fresh empty directory, removed after the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "finch-embedding-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
