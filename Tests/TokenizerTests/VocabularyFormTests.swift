import Foundation
import XCTest
@testable import Tokenizer

/// The three vocabulary forms give the same tokenizer; broken files give one clear error.
final class VocabularyFormTests: XCTestCase {
    private var directories: [String] = []

    override func tearDown() {
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// A fresh directory holding copies of data/gpt2 files under the given names.
    private func vocabulary(_ files: [String: String]) throws -> String {
        let directory = try TestData.makeTemporaryDirectory()
        directories.append(directory)
        for (name, source) in files {
            try FileManager.default.copyItem(atPath: TestData.gpt2Directory + "/" + source, toPath: directory + "/" + name)
        }
        return directory
    }

    private func assertLoadFails(_ directory: String, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GPT2Tokenizer(directory: directory), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for word in words { XCTAssertTrue(message.contains(word), "\(message) should mention \(word)", file: file, line: line) }
        }
    }

    func testAllThreeFormsGiveTheSameIds() throws {
        let openAI = try GPT2Tokenizer(directory: vocabulary(["encoder.json": "encoder.json", "vocab.bpe": "vocab.bpe"]))
        let huggingFace = try GPT2Tokenizer(directory: vocabulary(["vocab.json": "encoder.json", "merges.txt": "vocab.bpe"]))
        let tiktoken = try GPT2Tokenizer(directory: vocabulary(["gpt2.tiktoken": "gpt2.tiktoken"]))
        XCTAssertTrue(tiktoken.vocabularyFiles[0].hasSuffix("gpt2.tiktoken"))
        XCTAssertTrue(huggingFace.vocabularyFiles[0].hasSuffix("vocab.json"))
        var generator = SeededGenerator(seed: 9)
        var texts = try GoldenTests.cases().map(\.text)
        texts += (0..<200).map { _ in RandomText.make(length: 120, using: &generator) }
        texts.append(String(try String(contentsOfFile: TestData.shakespeare, encoding: .utf8).prefix(50_000)))
        for text in texts {
            let ids = openAI.encode(text, allowSpecial: true)
            XCTAssertEqual(huggingFace.encode(text, allowSpecial: true), ids)
            XCTAssertEqual(tiktoken.encode(text, allowSpecial: true), ids)
        }
        for tokenizer in [openAI, huggingFace, tiktoken] {
            XCTAssertEqual(tokenizer.vocabSize, 50257)
            XCTAssertEqual(tokenizer.decodeBytes(Array(0..<50257)), openAI.decodeBytes(Array(0..<50257)))
        }
    }

    func testMissingVocabularyNamesTheDirectoryOrFile() throws {
        assertLoadFails("/nonexistent/finch-vocab", mentioning: ["/nonexistent/finch-vocab", "not found"])
        let empty = try vocabulary([:])
        assertLoadFails(empty, mentioning: [empty, "encoder.json", ".tiktoken"])
        let onlyEncoder = try vocabulary(["encoder.json": "encoder.json"])
        assertLoadFails(onlyEncoder, mentioning: ["vocab.bpe", "missing"])
    }

    func testTruncatedFilesAreErrors() throws {
        func truncate(_ directory: String, _ name: String, keeping fraction: Double) throws {
            let path = directory + "/" + name
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path))
        }
        let encoder = try vocabulary(["encoder.json": "encoder.json", "vocab.bpe": "vocab.bpe"])
        try truncate(encoder, "encoder.json", keeping: 0.5)
        assertLoadFails(encoder, mentioning: ["encoder.json", "JSON"])

        let merges = try vocabulary(["vocab.json": "encoder.json", "merges.txt": "vocab.bpe"])
        try truncate(merges, "merges.txt", keeping: 0.5)
        assertLoadFails(merges, mentioning: ["merges.txt"])

        let ranks = try vocabulary(["gpt2.tiktoken": "gpt2.tiktoken"])
        try truncate(ranks, "gpt2.tiktoken", keeping: 0.5)
        assertLoadFails(ranks, mentioning: [ranks])
    }

    func testInconsistentFilesAreErrors() throws {
        // Merges that make a token the encoder lacks.
        let mismatched = try vocabulary(["encoder.json": "encoder.json"])
        let merges = try String(contentsOfFile: TestData.gpt2Directory + "/vocab.bpe", encoding: .utf8)
        try (merges + "Ġ Ġqqzzqq\n").write(toFile: mismatched + "/vocab.bpe", atomically: true, encoding: .utf8)
        assertLoadFails(mismatched, mentioning: ["vocab.bpe", "line 50002"])

        // Two ids for one rank in the tiktoken form.
        let ranks = try vocabulary([:])
        var lines = try String(contentsOfFile: TestData.gpt2Directory + "/gpt2.tiktoken", encoding: .utf8).split(separator: "\n")
        lines[300] = lines[300].split(separator: " ")[0] + " 299"
        try (lines.joined(separator: "\n") + "\n").write(toFile: ranks + "/gpt2.tiktoken", atomically: true, encoding: .utf8)
        assertLoadFails(ranks, mentioning: ["gpt2.tiktoken", "line 301", "299"])

        // A token that cannot be built from lower ranks (its rank swapped with a byte's).
        let swapped = try vocabulary([:])
        var swappedLines = try String(contentsOfFile: TestData.gpt2Directory + "/gpt2.tiktoken", encoding: .utf8).split(separator: "\n")
        let firstMerge = swappedLines[256].split(separator: " ")[0], aByte = swappedLines[10].split(separator: " ")[0]
        swappedLines[256] = aByte + " 256"
        swappedLines[10] = firstMerge + " 10"
        try (swappedLines.joined(separator: "\n") + "\n").write(toFile: swapped + "/gpt2.tiktoken", atomically: true, encoding: .utf8)
        assertLoadFails(swapped, mentioning: ["gpt2.tiktoken", "lower-ranked"])

        // A duplicated encoder id.
        let duplicated = try vocabulary(["vocab.bpe": "vocab.bpe"])
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestData.gpt2Directory + "/encoder.json"))) as? [String: Int])
        json["Ġthe"] = json["Ġa"]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: duplicated + "/encoder.json"))
        assertLoadFails(duplicated, mentioning: ["encoder.json"])
    }
}
