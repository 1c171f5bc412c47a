import Foundation
import Tensor
import Tokenizer
import XCTest
@testable import GPT

final class PerplexityTests: XCTestCase {
    /// Python's `range(0, len(data) - 1, block)` with `data[s:s+block]`, written out.
    private func pythonWindows(_ count: Int, _ block: Int) -> [Range<Int>] {
        var windows: [Range<Int>] = []
        var start = 0
        while start < count - 1 {
            windows.append(start..<min(start + block, count))
            start += block
        }
        return windows
    }

    func testWindowsAreTheReferenceScriptsWindows() {
        XCTAssertEqual(Perplexity.windows(tokenCount: 10, block: 4), [0..<4, 4..<8, 8..<10])
        XCTAssertEqual(Perplexity.windows(tokenCount: 9, block: 4), [0..<4, 4..<8], "a one-token window predicts nothing")
        XCTAssertEqual(Perplexity.windows(tokenCount: 2, block: 64), [0..<2])
        for count in 2..<40 {
            for block in 2..<12 {
                XCTAssertEqual(Perplexity.windows(tokenCount: count, block: block), pythonWindows(count, block))
            }
        }
    }

    /// Writes the reference stream as a nanoGPT `.bin` and scores it through the memory-mapped
    /// reader, as `generate benchmark --data` does; PyTorch's value is in the fixture.
    func testPerplexityMatchesPyTorchOnTheGoldenCheckpoint() throws {
        let url = URL(fileURLWithPath: Fixtures.directory + "/perplexity-reference.json")
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let seed = try XCTUnwrap(reference["seed"] as? Int), count = try XCTUnwrap(reference["count"] as? Int)
        let vocab = try XCTUnwrap(reference["vocab"] as? Int)
        var generator = SeededGenerator(seed: UInt64(seed))
        let ids = (0..<count).map { _ in UInt16(generator.nextInt(below: vocab)) }
        XCTAssertEqual(ids.prefix(8).map(Int.init), reference["first_ids"] as? [Int], "the fixture describes another stream")
        XCTAssertEqual(ids.reduce(0) { $0 + Int($1) }, reference["id_sum"] as? Int)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finch-ppl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("stream.bin")
        try ids.withUnsafeBytes { try Data($0).write(to: data) }
        let stream = try TokenStream(path: data.path)

        let session = InferenceSession(model: try Checkpoint.load(directory: Fixtures.tinyGPT2))
        let cases = try XCTUnwrap(reference["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 3)
        for item in cases {
            let block = try XCTUnwrap(item["block"] as? Int)
            let expected = try XCTUnwrap(item["perplexity"] as? Double)
            let result = try Perplexity.evaluate(session: session, source: stream, name: data.path, block: block)
            XCTAssertEqual(result.tokensScored, item["tokens_scored"] as? Int, "block \(block)")
            XCTAssertEqual(result.perplexity, expected, accuracy: 1e-4 * expected, "block \(block)")
        }
    }

    /// The inference path (KV-cache prefill, head in chunks) against the training forward's
    /// loss on each window, on a model whose logits are far from uniform.
    func testPerplexityEqualsTheTrainingLossOverTheSameWindows() throws {
        let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 48, vocabSize: 300)
        let model = GPTModel(config: config, seed: 21)
        let wte = model.parameters.pointer + model.layout.tokenEmbedding
        for i in 0..<(config.vocabSize * config.embeddingSize) { wte[i] *= 60 }
        var generator = SeededGenerator(seed: 8)
        let tokens = (0..<157).map { _ in Int32(generator.nextInt(below: config.vocabSize)) }
        let block = 40  // 157 tokens: windows of 40, 40, 40 and a partial 37; 39 rows span two head chunks

        var expectedSum = 0.0, expectedCount = 0
        for range in Perplexity.windows(tokenCount: tokens.count, block: block) {
            let window = Array(tokens[range])
            let (sum, count) = try model.lossSum(tokens: Array(window.dropLast()), targets: Array(window.dropFirst()),
                                                 batchSize: 1, length: window.count - 1)
            expectedSum += sum
            expectedCount += count
        }
        let result = try Perplexity.evaluate(session: InferenceSession(model: model), source: TokenArray(tokens),
                                             name: "tokens", block: block)
        XCTAssertEqual(result.tokensScored, expectedCount)
        XCTAssertEqual(result.tokensScored, 3 * 39 + 36)
        XCTAssertGreaterThan(expectedSum / Double(expectedCount), 1, "logits should be far from uniform")
        XCTAssertEqual(result.negativeLogLikelihood, expectedSum, accuracy: 1e-5 * expectedSum)

        let capped = try Perplexity.evaluate(session: InferenceSession(model: model), source: TokenArray(tokens),
                                             name: "tokens", block: block, maxTokens: 50)
        XCTAssertEqual(capped.tokensScored, 39 + 9, "the first 50 tokens: a window of 40 and one of 10")
    }

    func testBadInputIsOneClearError() throws {
        let session = InferenceSession(model: GPTModel(
            config: GPTConfig(layerCount: 1, headCount: 1, embeddingSize: 8, contextLength: 16, vocabSize: 50), seed: 1))
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        XCTAssertTrue(message { _ = try Perplexity.evaluate(session: session, source: TokenArray([3]), name: "one.bin", block: 8) }
            .contains("one.bin"))
        XCTAssertTrue(message { _ = try Perplexity.evaluate(session: session, source: TokenArray([]), name: "empty.bin", block: 8) }
            .contains("at least 2"))
        XCTAssertTrue(message { _ = try Perplexity.evaluate(session: session, source: TokenArray([1, 2, 3]), name: "d", block: 18) }
            .contains("--block"))
        XCTAssertTrue(message { _ = try Perplexity.evaluate(session: session, source: TokenArray([1, 2, 3]), name: "d", block: 1) }
            .contains("--block"))
        XCTAssertTrue(message { _ = try Perplexity.evaluate(session: session, source: TokenArray([1, 2, 3]), name: "d", block: 4, maxTokens: 1) }
            .contains("--max-eval-tokens"))
        let outside = message { _ = try Perplexity.evaluate(session: session, source: TokenArray([1, 2, 70, 3]), name: "big.bin", block: 4) }
        XCTAssertTrue(outside.contains("big.bin") && outside.contains("70"), outside)
        XCTAssertNoThrow(try Perplexity.evaluate(session: session, source: TokenArray([1, 2]), name: "d", block: 17))
    }
}
