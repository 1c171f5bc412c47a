import GPT
import Tensor
import TestSupport
import XCTest

/// The KV-cache decoder against the full forward pass: prefill + one-token steps must give
/// the logits the whole-sequence forward gives at every position.
final class InferenceSessionTests: XCTestCase {
    let config = GPTConfig(layerCount: 3, headCount: 3, embeddingSize: 24, contextLength: 19, vocabSize: 37)

    func testCachedDecodingMatchesFullForward() throws {
        let model = GPTModel(config: config, seed: 9)
        var generator = SeededGenerator(seed: 1)
        for i in 0..<model.parameterCount { model.parameters.pointer[i] += 0.2 * generator.nextNormal() }
        let tokens = (0..<config.contextLength).map { _ in generator.nextInt(below: config.vocabSize) }
        let full = try model.logits(tokens: tokens.map(Int32.init), batchSize: 1, length: tokens.count)
        let v = config.vocabSize

        for promptLength in [1, 5, config.contextLength] {
            let session = InferenceSession(model: model)
            var logits = Array(try session.prefill(Array(tokens[..<promptLength])))
            assertClose(logits, Array(full.data[(promptLength - 1) * v..<promptLength * v]), rtol: 1e-4, atol: 1e-5,
                        "prefill of \(promptLength)")
            for t in promptLength..<tokens.count {
                logits = Array(try session.next(tokens[t]))
                assertClose(logits, Array(full.data[t * v..<(t + 1) * v]), rtol: 1e-4, atol: 1e-5,
                            "step at position \(t) after a prompt of \(promptLength)")
            }
            XCTAssertEqual(session.remainingContext, 0)
            XCTAssertThrowsError(try session.next(0)) { XCTAssertTrue("\($0)".contains("context"), "\($0)") }
        }
    }

    /// A context longer than the training forward's attention row blocks (128): the blocked
    /// causal products must agree with the cache's plain ones at every position.
    func testLongContextMatchesBlockedForward() throws {
        let long = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 16, contextLength: 290, vocabSize: 29)
        let model = GPTModel(config: long, seed: 4)
        var generator = SeededGenerator(seed: 2)
        for i in 0..<model.parameterCount { model.parameters.pointer[i] += 0.2 * generator.nextNormal() }
        let tokens = (0..<long.contextLength).map { _ in generator.nextInt(below: long.vocabSize) }
        let full = try model.logits(tokens: tokens.map(Int32.init), batchSize: 1, length: tokens.count)
        let v = long.vocabSize
        let session = InferenceSession(model: model)
        try session.prefill(Array(tokens[..<100]))
        for t in 100..<tokens.count {
            let logits = Array(try session.next(tokens[t]))
            if t % 37 == 0 || t == 127 || t == 128 || t == 256 || t == tokens.count - 1 {
                assertClose(logits, Array(full.data[t * v..<(t + 1) * v]), rtol: 1e-4, atol: 1e-5, "position \(t)")
            }
        }
    }

    func testRejectsBadTokens() {
        let session = InferenceSession(model: GPTModel(config: config, seed: 1))
        XCTAssertThrowsError(try session.prefill([]))
        XCTAssertThrowsError(try session.prefill([config.vocabSize]))
        XCTAssertThrowsError(try session.prefill([-1]))
    }
}
