import Embedding
import Foundation
import Tensor
import TestSupport
import XCTest

/// Finch's all-MiniLM-L6-v2 against the reference implementations on 111 texts (product
/// descriptions, accents, CJK, emoji, control characters, empty text, a text over 256 tokens):
/// BertTokenizer's ids exactly, sentence-transformers' normalised embeddings to 1e-4.
/// Goldens written by bench/minilm_goldens.py.
final class MiniLMGoldenTests: XCTestCase {
    struct Golden: Decodable {
        let texts: [String]
        let ids: [[Int32]]
    }

    static func loadGolden() throws -> (Golden, [Float]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.directory + "/minilm_golden.json"))
        let golden = try JSONDecoder().decode(Golden.self, from: data)
        let embeddings = try SafeTensorsFile(path: Fixtures.directory + "/minilm_golden.safetensors").floats("embeddings")
        return (golden, embeddings)
    }

    func testTokenIdsEqualBertTokenizer() throws {
        let encoder = try SentenceEncoder(modelDirectory: try Fixtures.miniLMDirectory())
        let (golden, _) = try Self.loadGolden()
        XCTAssertGreaterThanOrEqual(golden.texts.count, 100)
        XCTAssertEqual(encoder.tokenizer.maximumLength, 256)
        for (text, expected) in zip(golden.texts, golden.ids) {
            XCTAssertEqual(encoder.tokenizer.encode(text), expected, "ids of \(text.debugDescription.prefix(80))")
        }
        XCTAssertEqual(golden.ids.map(\.count).max(), 256, "the goldens must include a truncated text")
    }

    func testEmbeddingsEqualSentenceTransformers() throws {
        let encoder = try SentenceEncoder(modelDirectory: try Fixtures.miniLMDirectory())
        let (golden, expected) = try Self.loadGolden()
        XCTAssertEqual(encoder.dimension, 384)
        let embeddings = try encoder.embed(golden.texts)
        XCTAssertEqual(embeddings.count, golden.texts.count)
        for (index, embedding) in embeddings.enumerated() {
            let reference = Array(expected[index * 384..<(index + 1) * 384])
            assertClose(embedding, reference, rtol: 0, atol: 1e-4, "embedding of text \(index) \(golden.texts[index].debugDescription.prefix(60))")
        }
    }

    func testBatchingDoesNotChangeAnEmbedding() throws {
        // Small batches split the texts differently from one big call (the long text is left out:
        // its attention costs seconds in a debug build).
        let encoder = try SentenceEncoder(modelDirectory: try Fixtures.miniLMDirectory())
        let (golden, expected) = try Self.loadGolden()
        encoder.batchTokens = 40
        let picks = [0, 1, 75, 90, 100]
        var flat = [Float](repeating: .nan, count: picks.count * encoder.dimension)
        try flat.withUnsafeMutableBufferPointer { try encoder.embed(picks.map { golden.texts[$0] }, into: $0) }
        for (row, index) in picks.enumerated() {
            assertClose(Array(flat[row * 384..<(row + 1) * 384]), Array(expected[index * 384..<(index + 1) * 384]),
                        rtol: 0, atol: 1e-4, "text \(index) in small batches")
        }
        let alone = try encoder.embed([golden.texts[0]])[0]
        assertClose(alone, Array(expected[0..<384]), rtol: 0, atol: 1e-4, "a single query")
        XCTAssertEqual(try encoder.embed([]).count, 0)
    }
}
