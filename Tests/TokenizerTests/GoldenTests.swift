import Foundation
import XCTest
@testable import Tokenizer

/// Ids from tiktoken's `gpt2` encoding (data/gpt2/golden.jsonl), every line.
final class GoldenTests: XCTestCase {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let special: Bool?
    }

    static func cases() throws -> [Case] {
        let text = try String(contentsOfFile: TestData.gpt2Directory + "/golden.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }

    func testEveryGoldenLine() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThan(cases.count, 100)
        for (line, golden) in cases.enumerated() {
            let ids = TestData.tokenizer.encode(golden.text, allowSpecial: golden.special ?? false)
            XCTAssertEqual(ids, golden.ids, "line \(line + 1): \(golden.text.debugDescription)")
            XCTAssertEqual(TestData.tokenizer.decode(golden.ids), golden.text, "line \(line + 1)")
        }
    }

    func testSpecialTokenIsPlainTextUnlessAllowed() {
        let tokenizer = TestData.tokenizer
        let plain = tokenizer.encode("a<|endoftext|>b")
        XCTAssertFalse(plain.contains(GPT2Tokenizer.endOfText))
        XCTAssertEqual(tokenizer.decode(plain), "a<|endoftext|>b")
        let special = tokenizer.encode("a<|endoftext|>b<|endoftext|>", allowSpecial: true)
        XCTAssertEqual(special, tokenizer.encode("a") + [50256] + tokenizer.encode("b") + [50256])
    }

    func testBatchMatchesOneByOne() throws {
        var generator = SeededGenerator(seed: 11)
        let texts = (0..<64).map { _ in RandomText.make(length: Int.random(in: 0..<300, using: &generator), using: &generator) }
        let tokenizer = TestData.tokenizer
        XCTAssertEqual(tokenizer.encodeBatch(texts), texts.map { tokenizer.encode($0) })
        XCTAssertEqual(tokenizer.encodeBatch([]), [])
    }

    func testIdsOutsideTheVocabularyDecodeToReplacementAndFailValidation() {
        let tokenizer = TestData.tokenizer
        XCTAssertEqual(tokenizer.decode([31373, 50257, -1]), "hello\u{FFFD}\u{FFFD}")
        XCTAssertThrowsError(try tokenizer.validate(ids: [1, 2, 50257])) {
            XCTAssertTrue("\($0)".contains("50257") && "\($0)".contains("position 2"), "\($0)")
        }
        XCTAssertNoThrow(try tokenizer.validate(ids: [0, 50256]))
    }
}
