import Tensor
import XCTest
@testable import GPT

final class BatchedGeneratorTests: XCTestCase {
    /// One sequence of a test page: its prompt, when it joins (the step index), its limits.
    private struct Request {
        var prompt: [Int]
        var joinsAtStep = 0
        var maxNewTokens: Int
        var stopTokens: Set<Int> = []
        var seed: UInt64 = 0
    }

    private struct Outcome: Equatable {
        var tokens: [Int]
        var reason: StopReason
    }

    /// A random model (context 64, vocabulary 1000) with weights ten times GPT-2's initial scale,
    /// so its greedy continuations change with the context instead of repeating one token; float
    /// decoding through `StreamingFloatLinear` as `generate` loads it, or int8.
    private func randomWeights(int8: Bool) throws -> InferenceWeights {
        let model = GPTModel(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 64, contextLength: 64, vocabSize: 1000),
                             seed: 7)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 10 }
        if int8 { return try InferenceWeights(model: model, quantized: try QuantizedModelWeights(quantizing: model)) }
        return InferenceWeights(model: model).streamingFloatProjections()
    }

    private func prompt(_ length: Int, seed: UInt64, vocabulary: Int) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        return (0..<length).map { _ in generator.nextInt(below: vocabulary) }
    }

    private func alone(_ weights: InferenceWeights, _ request: Request, sampling: SamplingParameters) throws -> Outcome {
        var generator = TokenGenerator(session: InferenceSession(weights: weights),
                                       sampler: try Sampler(parameters: sampling, seed: request.seed),
                                       stopTokens: request.stopTokens)
        var tokens: [Int] = []
        let reason = try generator.generate(prompt: request.prompt, maxNewTokens: request.maxNewTokens) {
            tokens.append($0)
            return true
        }
        return Outcome(tokens: tokens, reason: reason)
    }

    /// Runs `requests` through one batched generator, each joining at its step.
    private func batched(_ weights: InferenceWeights, _ requests: [Request], sampling: SamplingParameters,
                         tokensPerStep: Int) throws -> [Outcome] {
        let generator = try BatchedGenerator(weights: weights, tokensPerStep: tokensPerStep)
        var ids: [Int: SequenceID] = [:]
        var tokens: [SequenceID: [Int]] = [:]
        var outcomes: [SequenceID: Outcome] = [:]
        var step = 0
        while outcomes.count < requests.count {
            for (index, request) in requests.enumerated() where request.joinsAtStep == step {
                ids[index] = try generator.add(prompt: request.prompt, sampler: try Sampler(parameters: sampling, seed: request.seed),
                                               maxNewTokens: request.maxNewTokens, stopTokens: request.stopTokens)
            }
            for (id, event) in generator.step() {
                XCTAssertNil(outcomes[id], "\(id) had an event after it finished")
                if let token = event.token { tokens[id, default: []].append(token) }
                if let reason = event.stopReason { outcomes[id] = Outcome(tokens: tokens[id] ?? [], reason: reason) }
            }
            step += 1
            XCTAssertLessThan(step, 1000, "the batch never drains")
        }
        XCTAssertTrue(generator.isEmpty)
        return try requests.indices.map { try XCTUnwrap(outcomes[XCTUnwrap(ids[$0])]) }
    }

    /// Prompts of different lengths (one filling most of the context, one of a single token),
    /// finishing at different steps for every reason, some joining while others decode.
    private func page(vocabulary: Int, contextLength: Int) -> [Request] {
        [
            Request(prompt: prompt(7, seed: 1, vocabulary: vocabulary), maxNewTokens: 12),
            Request(prompt: prompt(1, seed: 2, vocabulary: vocabulary), maxNewTokens: 3),
            Request(prompt: prompt(23, seed: 3, vocabulary: vocabulary), joinsAtStep: 2, maxNewTokens: 16),
            Request(prompt: prompt(contextLength - 4, seed: 4, vocabulary: vocabulary), joinsAtStep: 1, maxNewTokens: 20),
            Request(prompt: prompt(11, seed: 5, vocabulary: vocabulary), joinsAtStep: 5, maxNewTokens: 9),
            Request(prompt: prompt(3, seed: 6, vocabulary: vocabulary), joinsAtStep: 5, maxNewTokens: 0),
        ]
    }

    private func assertBatchedEqualsAlone(_ weights: InferenceWeights, sampling: SamplingParameters,
                                          file: StaticString = #filePath, line: UInt = #line) throws {
        let config = weights.model.config
        var requests = page(vocabulary: config.vocabSize, contextLength: config.contextLength)
        for index in requests.indices { requests[index].seed = UInt64(10 + index) }
        // A stop token the first sequence meets on its own after a few tokens.
        let probe = try alone(weights, requests[0], sampling: sampling)
        requests[0].stopTokens = [probe.tokens[4]]
        let expected = try requests.map { try alone(weights, $0, sampling: sampling) }
        XCTAssertEqual(Set(expected.map(\.reason)), [.stopToken, .maxNewTokens, .contextFull], file: file, line: line)
        // A small step budget prefills the long prompts in chunks beside the decoding rows.
        for tokensPerStep in [256, 8] {
            let outcomes = try batched(weights, requests, sampling: sampling, tokensPerStep: tokensPerStep)
            XCTAssertEqual(outcomes, expected, "tokens per step \(tokensPerStep)", file: file, line: line)
        }
    }

    func testGreedyBatchedOutputEqualsEachSequenceAloneWithFloatWeights() throws {
        try assertBatchedEqualsAlone(try randomWeights(int8: false), sampling: .greedy)
    }

    func testGreedyBatchedOutputEqualsEachSequenceAloneWithInt8Weights() throws {
        try assertBatchedEqualsAlone(try randomWeights(int8: true), sampling: .greedy)
    }

    func testSeededSamplingDrawsWhatEachSequenceDrawsAlone() throws {
        let sampling = SamplingParameters(temperature: 1.2, topK: 40, topP: 0.95, repetitionPenalty: 1.1)
        try assertBatchedEqualsAlone(try randomWeights(int8: false), sampling: sampling)
    }

    func testAPageIsReproducibleWhateverTheOrderItJoinsIn() throws {
        let weights = try randomWeights(int8: false)
        let sampling = SamplingParameters(temperature: 1, topK: 0)
        var requests = (0..<5).map { Request(prompt: prompt(4 + $0, seed: UInt64($0), vocabulary: 1000), maxNewTokens: 10, seed: UInt64($0)) }
        let first = try batched(weights, requests, sampling: sampling, tokensPerStep: 256)
        requests.reverse()
        for index in requests.indices { requests[index].joinsAtStep = index }
        XCTAssertEqual(try batched(weights, requests, sampling: sampling, tokensPerStep: 256).reversed(), first)
        XCTAssertGreaterThan(Set(first.map(\.tokens)).count, 1, "different seeds give different samples")
    }

    func testACancelledSequenceLeavesAtOnceAndTheOthersAreUnchanged() throws {
        let weights = try randomWeights(int8: false)
        let requests = (0..<3).map { Request(prompt: prompt(5, seed: UInt64(20 + $0), vocabulary: 1000), maxNewTokens: 8) }
        let expected = try requests.map { try alone(weights, $0, sampling: .greedy) }
        let generator = try BatchedGenerator(weights: weights)
        let ids = try requests.map { try generator.add(prompt: $0.prompt, sampler: try Sampler(parameters: .greedy, seed: 0), maxNewTokens: 8) }
        var tokens: [SequenceID: [Int]] = [:]
        for step in 0..<8 {
            if step == 3 {
                XCTAssertTrue(generator.cancel(ids[1]))
                XCTAssertFalse(generator.cancel(ids[1]), "already gone")
                XCTAssertEqual(generator.activeIDs, [ids[0], ids[2]])
            }
            for (id, event) in generator.step() {
                if step >= 3 { XCTAssertNotEqual(id, ids[1]) }
                if let token = event.token { tokens[id, default: []].append(token) }
            }
        }
        XCTAssertTrue(generator.isEmpty)
        XCTAssertEqual(tokens[ids[0]], expected[0].tokens)
        XCTAssertEqual(tokens[ids[1]], Array(expected[1].tokens.prefix(3)))
        XCTAssertEqual(tokens[ids[2]], expected[2].tokens)
        // A sequence joining after others left reuses a cache and starts from an empty one.
        let late = try generator.add(prompt: requests[1].prompt, sampler: try Sampler(parameters: .greedy, seed: 0), maxNewTokens: 8)
        XCTAssertEqual(generator.runToCompletion()[late]?.tokens, expected[1].tokens)
    }

    func testBadRequestsAreRefusedWithAClearMessage() throws {
        let weights = try randomWeights(int8: false)
        let generator = try BatchedGenerator(weights: weights)
        let sampler = try Sampler(parameters: .greedy, seed: 0)
        XCTAssertThrowsError(try generator.add(prompt: [], sampler: sampler, maxNewTokens: 4)) {
            XCTAssertTrue("\($0)".contains("no tokens"), "\($0)")
        }
        XCTAssertThrowsError(try generator.add(prompt: Array(repeating: 1, count: 65), sampler: sampler, maxNewTokens: 4)) {
            XCTAssertTrue("\($0)".contains("context of 64"), "\($0)")
        }
        XCTAssertThrowsError(try generator.add(prompt: [3, 1000], sampler: sampler, maxNewTokens: 4)) {
            XCTAssertTrue("\($0)".contains("token id 1000"), "\($0)")
        }
        XCTAssertThrowsError(try generator.add(prompt: [3], sampler: sampler, maxNewTokens: -1))
        XCTAssertThrowsError(try BatchedGenerator(weights: weights, tokensPerStep: 0))
        XCTAssertTrue(generator.isEmpty, "nothing was queued")
        XCTAssertEqual(generator.step(), [:])
    }

    /// 4-bit weights, both schemes: a batched step's rows go through the multi-row kernel (on
    /// AVX-512 VNNI, the same bits for a row whatever its neighbours) and a sequence decoding alone
    /// through the batch-1 one, whose sums differ in the last bits; the greedy choices agree.
    func testGreedyBatchedOutputEqualsEachSequenceAloneWithFourBitWeights() throws {
        let model = GPTModel(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 64, contextLength: 64, vocabSize: 1000),
                             seed: 7)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 10 }
        for scheme in QuantizationFormat.Scheme.allCases {
            let quantized = try QuantizedModelWeights(quantizing: model, format: try QuantizationFormat(bits: 4, scheme: scheme))
            try assertBatchedEqualsAlone(try InferenceWeights(model: model, quantized: quantized), sampling: .greedy)
        }
    }
}
