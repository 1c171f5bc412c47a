import Foundation
import XCTest
@testable import Tokenizer

/// Streamed encoding (`train tokenize`) against encoding the whole text at once.
final class StreamEncodingTests: XCTestCase {
    private func randomTextWithMarkers(seed: UInt64) -> String {
        var generator = SeededGenerator(seed: seed)
        var text = ""
        for _ in 0..<200 {
            text += RandomText.make(length: Int.random(in: 0..<200, using: &generator), using: &generator)
            if Bool.random(using: &generator) { text += "<|endoftext|>" }
        }
        return text
    }

    /// Small chunks put many cuts near `<|endoftext|>`; none may split it.
    func testChunksNeverSplitTheSpecialToken() throws {
        let tokenizer = TestData.tokenizer
        let text = randomTextWithMarkers(seed: 8)
        for allowSpecial in [true, false] {
            for chunkBytes in [64, 100, 1000] {
                var ids: [Int] = []
                let encoder = ParallelTextEncoder(tokenizer: tokenizer, allowSpecial: allowSpecial, chunkBytes: chunkBytes) { ids += $0 }
                var bytes = Array(text.utf8)
                // Fed in uneven pieces, some ending inside a character.
                var start = 0
                var step = 1
                while start < bytes.count {
                    let end = min(bytes.count, start + step)
                    try bytes.withUnsafeMutableBufferPointer { try encoder.append(UnsafeBufferPointer(rebasing: $0[start..<end])) }
                    start = end
                    step = step * 7 % 997 + 1
                }
                try encoder.endDocument(separator: false)
                try encoder.finish()
                XCTAssertEqual(ids, tokenizer.encode(text, allowSpecial: allowSpecial), "allowSpecial \(allowSpecial), chunk \(chunkBytes)")
            }
        }
    }

    func testEncodeStreamAndJSONLinesMatchEncode() throws {
        let tokenizer = TestData.tokenizer
        let directory = try TestData.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = randomTextWithMarkers(seed: 3) + String(repeating: try String(contentsOfFile: TestData.shakespeare, encoding: .utf8), count: 2)
        let path = directory + "/input.txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var streamed: [Int] = []
        try tokenizer.encodeStream(try XCTUnwrap(FileHandle(forReadingAtPath: path)), name: path, allowSpecial: true) { streamed += $0 }
        XCTAssertEqual(streamed, tokenizer.encode(text, allowSpecial: true))

        let lines = text.split(separator: "\n").map(String.init)
        let jsonl = try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
        try (jsonl.joined(separator: "\n\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var perLine: [[Int]] = []
        try tokenizer.encodeJSONLines(try XCTUnwrap(FileHandle(forReadingAtPath: path)), name: path) { perLine.append($0) }
        XCTAssertEqual(perLine, lines.map { tokenizer.encode($0) })

        try Data([0x61, 0x0A, 0xC0, 0x80]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try tokenizer.encodeStream(try XCTUnwrap(FileHandle(forReadingAtPath: path)), name: path) { _ in }) {
            XCTAssertEqual("\($0)", "\(path): not UTF-8 at byte offset 2")
        }
    }
}
