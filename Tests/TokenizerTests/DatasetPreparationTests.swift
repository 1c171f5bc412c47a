import Foundation
import XCTest
@testable import Tokenizer

/// `train prepare` end to end: the files it writes, read back through `TokenStream`, against
/// the tokenizer applied to the same text directly.
final class DatasetPreparationTests: XCTestCase {
    private var directory = ""
    private var output: String { directory + "/out" }

    override func setUpWithError() throws {
        directory = try TestData.makeTemporaryDirectory()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func file(_ name: String, _ text: String) throws -> String { try file(name, Array(text.utf8)) }

    private func tokens(_ name: String) throws -> [Int] {
        let stream = try TokenStream(path: output + "/" + name)
        return (0..<stream.count).map { stream[$0] }
    }

    @discardableResult
    private func prepare(_ inputs: [String], format: DatasetFormat = .text, field: String = "text",
                         fraction: Double = 0.1, chunkBytes: Int = 1 << 20) throws -> DatasetPreparation.Summary {
        var preparation = DatasetPreparation(inputs: inputs, outputDirectory: output, format: format,
                                             field: field, validationFraction: fraction)
        preparation.chunkBytes = chunkBytes
        return try preparation.run(tokenizer: TestData.tokenizer)
    }

    /// Python-style character split of the concatenated text, each part encoded whole.
    private func expectedTextSplit(_ text: String, fraction: Double) -> (train: [Int], validation: [Int]) {
        let scalars = Array(text.unicodeScalars)
        let cut = Int(Double(scalars.count) * (1 - fraction))
        func string(_ part: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(part)) }
        return (TestData.tokenizer.encode(string(scalars[..<cut])), TestData.tokenizer.encode(string(scalars[cut...])))
    }

    func testTinyShakespeareGivesNanoGPTsCounts() throws {
        let summary = try prepare([TestData.shakespeare])
        XCTAssertEqual(summary.trainTokens, 301_966)
        XCTAssertEqual(summary.validationTokens, 36_059)
        let expected = expectedTextSplit(try String(contentsOfFile: TestData.shakespeare, encoding: .utf8), fraction: 0.1)
        XCTAssertEqual(try tokens("train.bin"), expected.train)
        XCTAssertEqual(try tokens("val.bin"), expected.validation)

        let meta = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/meta.json"))) as? [String: Any])
        XCTAssertEqual(meta["train_tokens"] as? Int, 301_966)
        XCTAssertEqual(meta["val_tokens"] as? Int, 36_059)
        XCTAssertEqual(meta["vocab_size"] as? Int, 50257)
        let vocab = try XCTUnwrap(meta["vocab"] as? [[String: Any]])
        XCTAssertEqual(vocab.first?["sha256"] as? String, "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783")
        let sources = try XCTUnwrap(meta["sources"] as? [[String: Any]])
        XCTAssertEqual(sources.first?["bytes"] as? Int, 1_115_394)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        XCTAssertEqual(leftovers, ["meta.json", "train.bin", "val.bin"])
    }

    /// Tiny chunks force many cuts, batches and threads; the ids must still be those of the whole text.
    func testChunkedParallelEncodingEqualsWholeEncoding() throws {
        var generator = SeededGenerator(seed: 123)
        var text = ""
        for _ in 0..<300 { text += RandomText.make(length: Int.random(in: 1..<400, using: &generator), using: &generator) }
        text += String(repeating: "中文字日本語", count: 200) + String(repeating: " ", count: 3000) + "end"
        let path = try file("random.txt", text)
        for chunkBytes in [64, 1000, 1 << 20] {
            try prepare([path], fraction: 0.25, chunkBytes: chunkBytes)
            let expected = expectedTextSplit(text, fraction: 0.25)
            XCTAssertEqual(try tokens("train.bin"), expected.train, "chunk \(chunkBytes)")
            XCTAssertEqual(try tokens("val.bin"), expected.validation, "chunk \(chunkBytes)")
        }
    }

    func testTextFilesAreDocumentsJoinedByEndOfText() throws {
        let first = "First file, with some words.\n", second = "Second file 🌍 here.\n", third = "Third and last file text."
        let paths = try [file("a.txt", first), file("b.txt", second), file("c.txt", third)]
        try prepare(paths, fraction: 0.3)
        let joined = first + "<|endoftext|>" + second + "<|endoftext|>" + third
        // The split counts the files' characters only; the separators sit between them.
        let scalars = (first + second + third).unicodeScalars.count
        let cut = Int(Double(scalars) * 0.7)
        XCTAssertGreaterThan(cut, (first + second).unicodeScalars.count)
        let trainText = String(String.UnicodeScalarView(Array(joined.unicodeScalars)[..<(cut + 26)]))
        let validationText = String(String.UnicodeScalarView(Array(joined.unicodeScalars)[(cut + 26)...]))
        XCTAssertEqual(try tokens("train.bin"), TestData.tokenizer.encode(trainText, allowSpecial: true))
        XCTAssertEqual(try tokens("val.bin"), TestData.tokenizer.encode(validationText, allowSpecial: true))
    }

    func testJSONLinesDocumentsWithTheLastFractionForValidation() throws {
        let documents = (0..<10).map { "Document \($0): \"quoted\", ünïcode 🌍\n\tand a tab <|endoftext|> literal" }
        var lines = documents.map { String(decoding: try! JSONSerialization.data(withJSONObject: ["id": 1, "body": $0]), as: UTF8.self) }
        lines.insert("", at: 4)
        let path = try file("docs.jsonl", lines.joined(separator: "\r\n") + "\n")
        let summary = try prepare([path], format: .jsonl, field: "body", fraction: 0.2)
        XCTAssertEqual(summary.documents, 10)
        func expected(_ slice: ArraySlice<String>) -> [Int] { slice.flatMap { TestData.tokenizer.encode($0) + [50256] } }
        XCTAssertEqual(try tokens("train.bin"), expected(documents[..<8]))
        XCTAssertEqual(try tokens("val.bin"), expected(documents[8...]))
    }

    func testCSVQuotedFieldsPerRFC4180() throws {
        let documents = ["plain", "with, comma", "with \"quotes\"", "multi\r\nline\nfield", "", "last 🌍"]
        var csv = "\u{FEFF}id,text,extra\r\n"
        for (i, document) in documents.enumerated() {
            let needsQuotes = document.contains { ",\"\r\n".contains($0) }
            let field = needsQuotes ? "\"" + document.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : document
            csv += "\(i),\(field),x\r\n"
        }
        let path = try file("docs.csv", csv)
        let summary = try prepare([path], format: .csv, fraction: 0.5)
        XCTAssertEqual(summary.documents, 6)
        func expected(_ slice: ArraySlice<String>) -> [Int] { slice.flatMap { TestData.tokenizer.encode($0) + [50256] } }
        XCTAssertEqual(try tokens("train.bin"), expected(documents[..<3]))
        XCTAssertEqual(try tokens("val.bin"), expected(documents[3...]))
    }

    private func assertFails(_ inputs: [String], format: DatasetFormat = .text, field: String = "text", fraction: Double = 0.1,
                             mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try prepare(inputs, format: format, field: field, fraction: fraction), file: file, line: line) { error in
            let message = "\(error)"
            for word in words { XCTAssertTrue(message.contains(word), "\(message) should mention \(word)", file: file, line: line) }
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
        XCTAssertEqual(left, [], "nothing half-written", file: file, line: line)
    }

    func testInvalidUTF8NamesTheFileAndOffset() throws {
        let path = try file("bad.txt", Array("valid text é".utf8) + [0xC3, 0x28] + Array(" more".utf8))
        assertFails([path], mentioning: [path, "not UTF-8", "byte offset 13"])
        let truncated = try file("truncated.txt", Array("ends inside ".utf8) + [0xF0, 0x9F, 0x8C])
        assertFails([truncated], mentioning: [truncated, "byte offset 12"])
        let jsonl = try file("bad.jsonl", Array("{\"text\": \"a\"}\n{\"text\": \"".utf8) + [0xFF] + Array("\"}\n".utf8))
        assertFails([jsonl], format: .jsonl, mentioning: [jsonl, "byte offset 24"])
    }

    func testBadInputsAreClearErrors() throws {
        let empty = try file("empty.txt", "")
        assertFails([empty], mentioning: [empty, "empty input"])
        let jsonl = try file("docs.jsonl", "{\"text\": \"a\"}\n{\"body\": \"b\"}\n")
        assertFails([jsonl], format: .jsonl, mentioning: [jsonl, "line 2", "no field \"text\"", "body"])
        let notObject = try file("list.jsonl", "{\"text\": \"a\"}\n[1, 2]\n")
        assertFails([notObject], format: .jsonl, mentioning: ["line 2", "not a JSON object"])
        let csv = try file("docs.csv", "id,body\n1,hello\n")
        assertFails([csv], format: .csv, mentioning: [csv, "no column \"text\"", "id, body"])
        let unclosed = try file("open.csv", "id,text\n1,\"never closed\n2,x\n")
        assertFails([unclosed], format: .csv, mentioning: [unclosed, "byte offset 10", "never closed"])
        let text = try file("short.txt", "some text here")
        assertFails([text], fraction: 0, mentioning: ["--val-fraction"])
        assertFails([text], fraction: 1, mentioning: ["--val-fraction"])
        let oneDocument = try file("one.jsonl", "{\"text\": \"only\"}\n")
        assertFails([oneDocument], format: .jsonl, mentioning: ["1 documents", "no training"])
        assertFails([text], fraction: 1e-17, mentioning: ["14 characters", "no validation"])
        assertFails([directory + "/absent.txt"], mentioning: ["absent.txt"])
    }
}
