import Foundation
import Tensor
import XCTest
@testable import GPT

final class ShortlistHeadTests: XCTestCase {
    let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 64, contextLength: 48, vocabSize: 307)

    /// A random model with weights ten times GPT-2's initial scale, so greedy continuations vary.
    private func randomModel(seed: UInt64) -> GPTModel {
        let model = GPTModel(config: config, seed: seed)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 10 }
        return model
    }

    /// A third of the vocabulary, not a run: the first and last ids and scattered ones between.
    private func randomShortlist(seed: UInt64) throws -> OutputShortlist {
        var generator = SeededGenerator(seed: seed)
        let tokens = [0, config.vocabSize - 1] + (0..<100).map { _ in generator.nextInt(below: config.vocabSize) }
        return try OutputShortlist(tokens: tokens, vocabSize: config.vocabSize, note: "test")
    }

    /// The logits `[V]` of a prefill and of each decoding step after it, from one session.
    private func logitsOfEveryStep(_ weights: InferenceWeights, prompt: [Int], steps: [Int]) throws -> [[Float]] {
        let session = InferenceSession(weights: weights)
        var all = [Array(try session.prefill(prompt))]
        for token in steps { all.append(Array(try session.next(token))) }
        return all
    }

    /// Every step's shortlisted logits against the full head's (`exact`: bit for bit, else within
    /// `tolerance` of the largest), and −∞ off the list, across steps of one reused buffer.
    private func assertShortlisted(full: InferenceWeights, shortlisted: InferenceWeights, shortlist: OutputShortlist,
                                   exact: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(shortlisted.head is ShortlistHead, file: file, line: line)
        let prompt = [5, 300, 17, 44, 0, 128], steps = [9, 306, 1, 77]
        let expected = try logitsOfEveryStep(full, prompt: prompt, steps: steps)
        let actual = try logitsOfEveryStep(shortlisted, prompt: prompt, steps: steps)
        let listed = Set(shortlist.tokens)
        for (step, (want, got)) in zip(expected, actual).enumerated() {
            let scale = want.map(abs).max() ?? 1
            for token in 0..<config.vocabSize {
                if !listed.contains(token) {
                    XCTAssertEqual(got[token], -.infinity, "step \(step) token \(token) is off the list", file: file, line: line)
                } else if exact {
                    XCTAssertEqual(got[token].bitPattern, want[token].bitPattern, "step \(step) token \(token)", file: file, line: line)
                } else {
                    XCTAssertEqual(got[token], want[token], accuracy: 1e-5 * scale, "step \(step) token \(token)", file: file, line: line)
                }
            }
        }
        // Any other caller of the head (perplexity) gets whole rows, whatever its buffer held.
        let rows = 3, c = config.embeddingSize
        var generator = SeededGenerator(seed: 5)
        let input = (0..<rows * c).map { _ in Float(generator.nextNormal()) }
        var reference = [Float](repeating: 0, count: rows * config.vocabSize)
        var output = [Float](repeating: 42, count: rows * config.vocabSize)
        full.head.apply(rows: rows, input: input, output: &reference)
        shortlisted.head.apply(rows: rows, input: input, output: &output)
        for index in output.indices {
            let token = index % config.vocabSize
            if listed.contains(token) {
                XCTAssertEqual(output[index], reference[index], accuracy: exact ? 0 : 1e-4, file: file, line: line)
            } else {
                XCTAssertEqual(output[index], -.infinity, file: file, line: line)
            }
        }
    }

    func testInt8ShortlistedLogitsAreTheFullHeadsBitForBitAndTheRestMinusInfinity() throws {
        let model = randomModel(seed: 3), shortlist = try randomShortlist(seed: 4)
        let quantized = try QuantizedModelWeights(quantizing: model)
        let full = try InferenceWeights(model: model, quantized: quantized)
        try assertShortlisted(full: full, shortlisted: try full.shortlisted(shortlist, quantized: quantized),
                              shortlist: shortlist, exact: true)
        // With float activations (no VNNI, or asked for) the rows are the full head's too.
        let floatActivations = try InferenceWeights(model: model, quantized: quantized, activations: .float)
        try assertShortlisted(full: floatActivations,
                              shortlisted: try floatActivations.shortlisted(shortlist, quantized: quantized, activations: .float),
                              shortlist: shortlist, exact: true)
    }

    func testFourBitShortlistedLogitsAreTheFullHeadsBitForBit() throws {
        let model = randomModel(seed: 6), shortlist = try randomShortlist(seed: 7)
        let format = try QuantizationFormat(bits: 4, scheme: .asymmetric, groupSize: 32)
        let quantized = try QuantizedModelWeights(quantizing: model, format: format)
        let full = try InferenceWeights(model: model, quantized: quantized)
        try assertShortlisted(full: full, shortlisted: try full.shortlisted(shortlist, quantized: quantized),
                              shortlist: shortlist, exact: true)
    }

    func testFloatShortlistedLogitsAreTheFullHeads() throws {
        let model = randomModel(seed: 8), shortlist = try randomShortlist(seed: 9)
        let full = InferenceWeights(model: model).streamingFloatProjections()
        try assertShortlisted(full: full, shortlisted: try full.shortlisted(shortlist, quantized: nil),
                              shortlist: shortlist, exact: false)
    }

    /// Forbids the token drawn last and the stop until four tokens are drawn: a processor
    /// writing by id into the batch's compact rows and the alone session's full ones.
    private struct RepeatBan: LogitsProcessor {
        let stop: Int
        var drawn: [Int] = []
        func process(_ logits: LogitRow) {
            if let last = drawn.last { logits[last] = -.infinity }
            if drawn.count < 4 { logits.forbid([stop]) }
        }
        mutating func accept(_ token: Int) { drawn.append(token) }
    }

    /// A page generated together with the shortlisted head (compact rows) writes, token for token,
    /// what each sequence writes alone with it (whole rows): greedy, seeded sampling with a
    /// penalty, each with and without a processor — and only tokens of the list.
    func testBatchedEqualsAloneWithAShortlist() throws {
        // Int8 × int8 decoding steps run one part of the sequences per core: with the workers on
        // whatever the load, so the parts really run side by side.
        SpinPool.setPolicy(.always)
        defer { SpinPool.setPolicy(.fromEnvironment) }
        let model = randomModel(seed: 10), shortlist = try randomShortlist(seed: 11)
        let quantized = try QuantizedModelWeights(quantizing: model)
        let weights = try InferenceWeights(model: model, quantized: quantized).shortlisted(shortlist, quantized: quantized)
        var generator = SeededGenerator(seed: 12)
        let prompts = [7, 1, 23, 40, 3].map { length in (0..<length).map { _ in generator.nextInt(below: config.vocabSize) } }
        let limits = [12, 3, 16, 8, 20]
        let settings = [SamplingParameters.greedy, SamplingParameters(temperature: 1.2, topK: 30, topP: 0.9, repetitionPenalty: 1.3)]
        for (sampling, processed) in [(settings[0], false), (settings[0], true), (settings[1], false), (settings[1], true)] {
            func processor() -> RepeatBan? { processed ? RepeatBan(stop: shortlist.tokens[5]) : nil }
            var expected: [[Int]] = []
            for (index, (prompt, limit)) in zip(prompts, limits).enumerated() {
                var alone = TokenGenerator(session: InferenceSession(weights: weights),
                                           sampler: try Sampler(parameters: sampling, seed: UInt64(index)),
                                           stopTokens: [shortlist.tokens[5]], processor: processor())
                var tokens: [Int] = []
                _ = try alone.generate(prompt: prompt, maxNewTokens: limit) { tokens.append($0); return true }
                expected.append(tokens)
            }

            let batched = try BatchedGenerator(weights: weights, tokensPerStep: 16)
            var ids: [SequenceID] = []
            for (index, (prompt, limit)) in zip(prompts, limits).enumerated() {
                ids.append(try batched.add(prompt: prompt, sampler: try Sampler(parameters: sampling, seed: UInt64(index)),
                                           maxNewTokens: limit, stopTokens: [shortlist.tokens[5]], processor: processor()))
            }
            var tokens: [SequenceID: [Int]] = [:]
            var steps = 0
            while !batched.isEmpty {
                for (id, event) in batched.step() { if let token = event.token { tokens[id, default: []].append(token) } }
                steps += 1
                XCTAssertLessThan(steps, 500, "the batch never drains")
            }
            XCTAssertEqual(ids.map { tokens[$0] ?? [] }, expected, "\(sampling), processor \(processed)")
            let listed = Set(shortlist.tokens)
            XCTAssertTrue(expected.joined().allSatisfy(listed.contains), "a token off the shortlist was generated")
            XCTAssertGreaterThan(Set(expected.joined()).count, 5, "the continuations vary")
        }
    }

    /// A checkpoint carries its shortlist as shortlist.json: loaded, the head is restricted to it;
    /// a file that is not sorted unique ids in range is one error line naming it.
    func testCheckpointShortlistLoadsAndBadFilesAreOneClearError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-shortlist-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = randomModel(seed: 13), shortlist = try randomShortlist(seed: 14)
        let quantized = try QuantizedModelWeights(quantizing: model)
        try QuantizedCheckpoint.save(model: model, weights: quantized, directory: directory)
        XCTAssertFalse(try InferenceCheckpoint.load(directory: directory).weights.head is ShortlistHead, "no file: the full head")

        try shortlist.save(directory: directory)
        XCTAssertEqual(try OutputShortlist.load(directory: directory, vocabSize: config.vocabSize), shortlist)
        let head = try XCTUnwrap(try InferenceCheckpoint.load(directory: directory).weights.head as? ShortlistHead)
        XCTAssertEqual(head.shortlist.tokens, shortlist.tokens)

        let path = (directory as NSString).appendingPathComponent(OutputShortlist.fileName)
        let bad: [(String, String)] = [
            (#"{"tokens": [1, 5, 3]}"#, "not sorted"),
            (#"{"tokens": [1, 5, 5]}"#, "listed twice"),
            (#"{"tokens": [1, 307]}"#, "outside the model's vocabulary"),
            (#"{"tokens": [-1, 2]}"#, "outside the model's vocabulary"),
            (#"{"tokens": [1, 2.5]}"#, "not a token id"),
            (#"{"tokens": []}"#, "empty"),
            (#"{"tokens": [1, 2], "vocab_size": 50257}"#, "vocabulary of 50257"),
            (#"{"ids": [1, 2]}"#, "expected {\"tokens\""),
            ("[1, 2", "not a JSON shortlist"),
        ]
        for (text, reason) in bad {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try InferenceCheckpoint.load(directory: directory), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix(path), "\(text): \(message)")
                XCTAssertTrue(message.contains(reason), "\(text): \(message)")
                XCTAssertFalse(message.contains("\n"), "\(text): one line")
            }
        }
    }
}
