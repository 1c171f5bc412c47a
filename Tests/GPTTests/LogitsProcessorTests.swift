import Tensor
import XCTest
@testable import GPT

final class LogitsProcessorTests: XCTestCase {
    /// A state machine over the drawn tokens: after drawing t it forbids t's residue modulo 5
    /// next time, and end-of-sequence (`stop`) until it has seen `minimum` tokens. It records
    /// every draw, so the test can see it was consulted at each step.
    private struct ResidueBan: LogitsProcessor {
        let stop: Int
        let minimum: Int
        var banned: Int?
        var drawn: [Int] = []

        func process(_ logits: LogitRow) {
            if let banned { logits.forbid(stride(from: banned, to: logits.vocabularySize, by: 5)) }
            if drawn.count < minimum { logits[stop] = -.infinity }
        }

        mutating func accept(_ token: Int) {
            drawn.append(token)
            banned = token % 5
        }
    }

    private func randomWeights() -> InferenceWeights {
        let model = GPTModel(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 64, contextLength: 64, vocabSize: 1000),
                             seed: 7)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 10 }
        return InferenceWeights(model: model).streamingFloatProjections()
    }

    private func prompt(_ length: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        return (0..<length).map { _ in generator.nextInt(below: 1000) }
    }

    private func alone(_ weights: InferenceWeights, prompt: [Int], processor: ResidueBan?, sampling: SamplingParameters,
                       seed: UInt64, stopTokens: Set<Int>) throws -> [Int] {
        var generator = TokenGenerator(session: InferenceSession(weights: weights),
                                       sampler: try Sampler(parameters: sampling, seed: seed), stopTokens: stopTokens,
                                       processor: processor)
        var tokens: [Int] = []
        _ = try generator.generate(prompt: prompt, maxNewTokens: 14) { tokens.append($0); return true }
        return tokens
    }

    /// Each sequence's processor acts on its own row only: a page of processed sequences gives
    /// each one's tokens alone, token for token (greedy) and draw for draw (seeded), and the
    /// processed tokens obey the processor where the unprocessed ones do not.
    func testProcessedBatchEqualsEachSequenceAlone() throws {
        let weights = randomWeights()
        let prompts = (0..<4).map { prompt(3 + 4 * $0, seed: UInt64(30 + $0)) }
        for sampling in [SamplingParameters.greedy, SamplingParameters(temperature: 1.1, topK: 50, topP: 0.9)] {
            // Each sequence's stop is its first draw unprocessed: only the processor holds it off.
            let free = try prompts.indices.map {
                try alone(weights, prompt: prompts[$0], processor: nil, sampling: sampling, seed: UInt64($0), stopTokens: [])
            }
            let stops = free.map { $0[0] }
            let processors = stops.map { ResidueBan(stop: $0, minimum: 6) }
            let expected = try prompts.indices.map {
                try alone(weights, prompt: prompts[$0], processor: processors[$0], sampling: sampling, seed: UInt64($0),
                          stopTokens: [stops[$0]])
            }
            let generator = try BatchedGenerator(weights: weights)
            let ids = try prompts.indices.map {
                try generator.add(prompt: prompts[$0], sampler: try Sampler(parameters: sampling, seed: UInt64($0)), maxNewTokens: 14,
                                  stopTokens: [stops[$0]], processor: processors[$0])
            }
            let results = generator.runToCompletion()
            for (index, id) in ids.enumerated() {
                let tokens = try XCTUnwrap(results[id]).tokens
                XCTAssertEqual(tokens, expected[index], "sequence \(index) with \(sampling)")
                XCTAssertGreaterThanOrEqual(tokens.count, 6, "no stop before the processor allows it")
                for (previous, next) in zip(tokens, tokens.dropFirst()) {
                    XCTAssertNotEqual(previous % 5, next % 5, "sequence \(index): \(tokens)")
                }
            }
            XCTAssertTrue(free.contains { tokens in zip(tokens, tokens.dropFirst()).contains { $0 % 5 == $1 % 5 } },
                          "unprocessed, the model repeats residues: the test can fail")
        }
    }
}
