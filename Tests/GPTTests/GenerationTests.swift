import Tensor
import XCTest
@testable import GPT

final class GenerationTests: XCTestCase {
    // MARK: Stop strings

    /// Feeds `pieces` one at a time and returns what was released after each, then the rest.
    private func stream(_ pieces: [String], stops: [String]) -> (released: [String], final: String, stopped: Bool) {
        var filter = StopStringFilter(stops: stops)
        let released = pieces.map { filter.append($0) }
        return (released, filter.finish(), filter.isStopped)
    }

    func testTextThatCannotStartAStopStringIsReleasedAtOnce() {
        let result = stream(["Hello", " wor", "ld"], stops: ["###"])
        XCTAssertEqual(result.released, ["Hello", " wor", "ld"])
        XCTAssertEqual(result.final, "")
        XCTAssertFalse(result.stopped)
    }

    func testAPossibleStopPrefixIsHeldBackUntilDecided() {
        let result = stream(["Hi #", "#", " no", "pe"], stops: ["###"])
        XCTAssertEqual(result.released, ["Hi ", "", "## no", "pe"])
        XCTAssertFalse(result.stopped)
    }

    func testAStopStringSplitAcrossTokensIsNotPrinted() {
        let result = stream(["The end", ".\n", "\nUser", ": more"], stops: ["\n\nUser:"])
        XCTAssertEqual(result.released.joined() + result.final, "The end.")
        XCTAssertTrue(result.stopped)
        XCTAssertEqual(result.released.last, "", "nothing after the stop string")
    }

    func testTheEarliestOfSeveralStopStringsWins() {
        let result = stream(["abc STOP def END"], stops: ["END", "STOP"])
        XCTAssertEqual(result.released, ["abc "])
        XCTAssertTrue(result.stopped)
    }

    func testHeldBackTextIsFlushedWhenGenerationEnds() {
        let result = stream(["value: <", "|"], stops: ["<|end|>"])
        XCTAssertEqual(result.released.joined(), "value: ")
        XCTAssertEqual(result.final, "<|")
    }

    func testMultiByteCharactersAreNeverSplit() {
        // "é" is C3 A9; the stop string starts with the same lead byte as "é" but differs after it.
        let result = stream(["caf", "é", "ê!"], stops: ["êx"])
        XCTAssertEqual(result.released, ["caf", "é", "ê!"])
        let held = stream(["caf", "ê"], stops: ["êx"])
        XCTAssertEqual(held.released, ["caf", ""])
        XCTAssertEqual(held.final, "ê")
    }

    func testPaddedVocabularyRowsAreNeverSampled() throws {
        let logits: [Float] = [0.5, 1, 9, 8]
        var greedy = try Sampler(parameters: .greedy, seed: 0)
        greedy.vocabularyLimit = 2
        XCTAssertEqual(logits.withUnsafeBufferPointer { greedy.next(logits: $0, history: []) }, 1)
        var sampler = try Sampler(parameters: SamplingParameters(temperature: 5, topK: 0), seed: 0)
        sampler.vocabularyLimit = 2
        for _ in 0..<200 { XCTAssertLessThan(logits.withUnsafeBufferPointer { sampler.next(logits: $0, history: []) }, 2) }
    }

    // MARK: Latency benchmark

    func testLatencyBenchmarkMeasuresEveryStepAndChecksItsFlags() throws {
        let weights = InferenceWeights(model: tinyModel())
        let result = try LatencyBenchmark.run(weights: weights, promptTokens: 8, newTokens: 10, repeats: 3)
        XCTAssertGreaterThan(result.prefillMilliseconds, 0)
        XCTAssertEqual(result.prefillTokensPerSecond, 8 / result.prefillMilliseconds * 1000, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(result.decodeMillisecondsP50, result.decodeMillisecondsP95)
        XCTAssertLessThanOrEqual(result.decodeMillisecondsP95, result.decodeMillisecondsP99)
        XCTAssertEqual(result.decodeTokensPerSecond, 1000 / result.decodeMillisecondsP50, accuracy: 1e-6)
        XCTAssertThrowsError(try LatencyBenchmark.run(weights: weights, promptTokens: 30, newTokens: 3, repeats: 1)) { error in
            XCTAssertTrue("\(error)".contains("--new-tokens"), "\(error)")
        }
        XCTAssertNotNil(LatencyBenchmark.problem(promptTokens: 0, newTokens: 1, repeats: 1, config: weights.model.config))
        XCTAssertNotNil(LatencyBenchmark.problem(promptTokens: 1, newTokens: 1, repeats: 0, config: weights.model.config))
    }

    // MARK: Token generation with the KV cache

    private func tinyModel(context: Int = 32) -> GPTModel {
        GPTModel(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: context, vocabSize: 97),
                 seed: 5)
    }

    /// Greedy generation through the cache equals the argmax of a full forward over the whole
    /// sequence at every step (no cache, the training forward).
    func testGreedyGenerationEqualsRecomputingTheWholeSequence() throws {
        let model = tinyModel()
        var generator = TokenGenerator(session: InferenceSession(model: model),
                                       sampler: try Sampler(parameters: .greedy, seed: 0), stopTokens: [])
        let prompt = [5, 17, 3, 88, 40]
        var generated: [Int] = []
        let reason = try generator.generate(prompt: prompt, maxNewTokens: 12) { generated.append($0); return true }
        XCTAssertEqual(reason, .maxNewTokens)
        XCTAssertEqual(generated.count, 12)

        var sequence = prompt
        for _ in 0..<12 {
            let logits = try model.logits(tokens: sequence.map(Int32.init), batchSize: 1, length: sequence.count)
            let last = Array(logits.data.suffix(model.config.vocabSize))
            sequence.append(Sampler.argmax(last))
        }
        XCTAssertEqual(generated, Array(sequence.dropFirst(prompt.count)))
    }

    func testAStopTokenEndsTheSampleUnshown() throws {
        let model = tinyModel()
        let sampling = SamplingParameters(temperature: 1, topK: 0)
        var probe = TokenGenerator(session: InferenceSession(model: model),
                                   sampler: try Sampler(parameters: sampling, seed: 4), stopTokens: [])
        var unstopped: [Int] = []
        _ = try probe.generate(prompt: [1, 2, 3], maxNewTokens: 20) { unstopped.append($0); return true }
        // The first token that did not occur before it: stopping there shows exactly the ones before.
        let cut = try XCTUnwrap((1..<unstopped.count).first { !unstopped[..<$0].contains(unstopped[$0]) })

        var stopping = TokenGenerator(session: InferenceSession(model: model),
                                      sampler: try Sampler(parameters: sampling, seed: 4), stopTokens: [unstopped[cut]])
        var shown: [Int] = []
        let reason = try stopping.generate(prompt: [1, 2, 3], maxNewTokens: 20) { shown.append($0); return true }
        XCTAssertEqual(reason, .stopToken)
        XCTAssertEqual(shown, Array(unstopped[..<cut]))
    }

    func testTheCallerCanStopAndAFullContextEndsGeneration() throws {
        let model = tinyModel(context: 16)
        var generator = TokenGenerator(session: InferenceSession(model: model),
                                       sampler: try Sampler(parameters: SamplingParameters(), seed: 9), stopTokens: [])
        var count = 0
        let stopped = try generator.generate(prompt: [1, 2], maxNewTokens: 10) { _ in count += 1; return count < 4 }
        XCTAssertEqual(stopped, .stoppedByCaller)
        XCTAssertEqual(count, 4)

        count = 0
        let full = try generator.generate(prompt: Array(repeating: 7, count: 14), maxNewTokens: 10) { _ in count += 1; return true }
        XCTAssertEqual(full, .contextFull)
        XCTAssertEqual(count, 3, "the logits after the 16th position still give one last token")
    }

    func testALongPromptIsCutFromTheLeft() {
        let fitted = TokenGenerator.fitPrompt(Array(1...10), contextLength: 4)
        XCTAssertEqual(fitted.tokens, [7, 8, 9, 10])
        XCTAssertEqual(fitted.dropped, 6)
        XCTAssertEqual(TokenGenerator.fitPrompt([1, 2], contextLength: 4).dropped, 0)
    }

    func testPromptIdsOutsideTheVocabularyAreRejected() throws {
        var generator = TokenGenerator(session: InferenceSession(model: tinyModel()),
                                       sampler: try Sampler(parameters: .greedy, seed: 0), stopTokens: [])
        XCTAssertThrowsError(try generator.generate(prompt: [1, 50256], maxNewTokens: 3) { _ in true }) { error in
            XCTAssertTrue("\(error)".contains("50256"), "\(error)")
        }
    }
}
