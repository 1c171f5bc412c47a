import Foundation
import Tensor
import XCTest
@testable import GPT

final class SamplerTests: XCTestCase {
    // MARK: Each step on hand-computed logits

    func testRepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var logits: [Float] = [2, -2, 1, 0.5, -1]
        Sampler.applyRepetitionPenalty(&logits, penalty: 2, tokens: [0, 1, 4, 99])
        XCTAssertEqual(logits, [1, -4, 1, 0.5, -2])
        var rewarded: [Float] = [2, -2]
        Sampler.applyRepetitionPenalty(&rewarded, penalty: 0.5, tokens: [0, 1])
        XCTAssertEqual(rewarded, [4, -1], "a penalty below 1 raises seen tokens")
    }

    func testTemperatureDividesTheLogits() {
        var logits: [Float] = [1, -3, 0.5]
        Sampler.applyTemperature(&logits, 0.5)
        XCTAssertEqual(logits, [2, -6, 1])
    }

    func testTopKKeepsExactlyTheKLargest() {
        let logits: [Float] = [0.1, 5, -3, 4, 2, 4.5]
        XCTAssertEqual(Sampler.topK(logits, k: 1), [1])
        XCTAssertEqual(Sampler.topK(logits, k: 3), [1, 3, 5])
        XCTAssertEqual(Sampler.topK(logits, k: 5), [0, 1, 3, 4, 5])
        XCTAssertEqual(Sampler.topK(logits, k: 0), Array(0..<6), "0 turns the filter off")
        XCTAssertEqual(Sampler.topK(logits, k: 60), Array(0..<6))
        XCTAssertEqual(Sampler.topK([1, 3, 3, 0], k: 1), [1, 2], "ties at the k-th value are kept, as in transformers")
    }

    func testTopKMatchesASortOnRandomLogits() {
        var generator = SeededGenerator(seed: 7)
        for k in [1, 2, 17, 99] {
            let logits = (0..<100).map { _ in generator.nextNormal() }
            let expected = Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(k)).sorted()
            XCTAssertEqual(Sampler.topK(logits, k: k), expected, "k = \(k)")
        }
    }

    func testTopPKeepsTheSmallestSetReachingP() {
        let probabilities = [0.05, 0.5, 0.15, 0.2, 0.1]
        let logits = probabilities.map { Float(log($0)) }
        let all = Array(0..<5)
        func kept(_ p: Float) -> [Int] { Sampler.nucleus(of: all, logits: logits, p: p).map(\.token) }
        XCTAssertEqual(kept(0.01), [1], "at least one token survives")
        XCTAssertEqual(kept(0.49), [1])
        XCTAssertEqual(kept(0.6), [1, 3])
        XCTAssertEqual(kept(0.8), [1, 3, 2])
        XCTAssertEqual(kept(0.9), [1, 3, 2, 4])
        XCTAssertEqual(kept(0.97), [1, 3, 2, 4, 0])
        XCTAssertEqual(kept(1), [1, 3, 2, 4, 0])
        let nucleus = Sampler.nucleus(of: all, logits: logits, p: 0.6)
        XCTAssertEqual(nucleus[0].probability, 0.5, accuracy: 1e-6)
        XCTAssertEqual(nucleus[1].probability, 0.2, accuracy: 1e-6)
    }

    func testTopPRenormalisesOverTheTopKSurvivors() {
        // After top-3 the survivors 0.5, 0.2, 0.15 become 0.588, 0.235, 0.176: 0.8 needs two of them
        // (0.824), where over the whole vocabulary it would need three (0.85).
        let logits = [0.05, 0.5, 0.15, 0.2, 0.1].map { Float(log($0)) }
        let survivors = Sampler.topK(logits, k: 3)
        XCTAssertEqual(Sampler.nucleus(of: survivors, logits: logits, p: 0.8).map(\.token), [1, 3])
        XCTAssertEqual(Sampler.nucleus(of: Array(0..<5), logits: logits, p: 0.8).map(\.token), [1, 3, 2])
    }

    func testInverseCDFDraw() {
        let candidates = [(token: 3, probability: 0.5), (token: 1, probability: 0.3), (token: 2, probability: 0.2)]
        XCTAssertEqual(Sampler.draw(from: candidates, uniform: 0), 3)
        XCTAssertEqual(Sampler.draw(from: candidates, uniform: 0.49), 3)
        XCTAssertEqual(Sampler.draw(from: candidates, uniform: 0.5), 1)
        XCTAssertEqual(Sampler.draw(from: candidates, uniform: 0.79), 1)
        XCTAssertEqual(Sampler.draw(from: candidates, uniform: 0.81), 2)
        XCTAssertEqual(Sampler.draw(from: candidates, uniform: 0.999_999), 2)
    }

    func testGreedyTakesTheArgmaxAfterThePenaltyWithTheLowestIdOnTies() throws {
        var greedy = try Sampler(parameters: .greedy, seed: 1)
        let tied: [Float] = [1, 3, 3, -2]
        XCTAssertEqual(tied.withUnsafeBufferPointer { greedy.next(logits: $0, history: []) }, 1)
        var penalised = try Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 1.1), seed: 1)
        let close: [Float] = [3, 2.9]
        XCTAssertEqual(close.withUnsafeBufferPointer { penalised.next(logits: $0, history: [0]) }, 1,
                       "3 / 1.1 < 2.9: the seen token loses")
    }

    // MARK: The whole pipeline

    /// Frequencies over many draws equal the probabilities of an independent reference
    /// (sorting, filtering and a Double softmax), within five standard errors per token.
    func testSamplingFrequenciesMatchTheFilteredSoftmax() throws {
        let logits: [Float] = [1.2, -0.3, 2.0, 0.7, 0.0, 1.9, -1.5, 0.4]
        let history: Set<Int> = [2, 6]
        let cases = [
            SamplingParameters(temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1),
            SamplingParameters(temperature: 0.7, topK: 5, topP: 1, repetitionPenalty: 1),
            SamplingParameters(temperature: 1.3, topK: 6, topP: 0.8, repetitionPenalty: 1.4),
        ]
        let draws = 40_000
        for parameters in cases {
            let expected = referenceDistribution(logits, history: history, parameters)
            var sampler = try Sampler(parameters: parameters, seed: 2024)
            var counts = [Int](repeating: 0, count: logits.count)
            logits.withUnsafeBufferPointer { row in
                for _ in 0..<draws { counts[sampler.next(logits: row, history: history)] += 1 }
            }
            for (token, p) in expected.enumerated() {
                let frequency = Double(counts[token]) / Double(draws)
                if p == 0 {
                    XCTAssertEqual(counts[token], 0, "\(parameters): token \(token) was filtered out")
                } else {
                    let tolerance = 5 * (p * (1 - p) / Double(draws)).squareRoot()
                    XCTAssertEqual(frequency, p, accuracy: tolerance, "\(parameters): token \(token)")
                }
            }
        }
    }

    func testTheSameSeedGivesTheSameTokens() throws {
        var generator = SeededGenerator(seed: 3)
        let rows = (0..<50).map { _ in (0..<300).map { _ in 2 * generator.nextNormal() } }
        func run(seed: UInt64) throws -> [Int] {
            var sampler = try Sampler(parameters: SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95,
                                                                     repetitionPenalty: 1.2), seed: seed)
            var history = Set<Int>()
            return rows.map { row in
                let token = row.withUnsafeBufferPointer { sampler.next(logits: $0, history: history) }
                history.insert(token)
                return token
            }
        }
        XCTAssertEqual(try run(seed: 11), try run(seed: 11))
        XCTAssertNotEqual(try run(seed: 11), try run(seed: 12))
    }

    func testOutOfRangeSettingsAreRejectedNamingTheFlag() {
        let bad: [(SamplingParameters, String)] = [
            (SamplingParameters(topP: 0), "--top-p"),
            (SamplingParameters(topP: 1.01), "--top-p"),
            (SamplingParameters(topP: .nan), "--top-p"),
            (SamplingParameters(temperature: -0.1), "--temperature"),
            (SamplingParameters(temperature: .infinity), "--temperature"),
            (SamplingParameters(topK: -1), "--top-k"),
            (SamplingParameters(repetitionPenalty: 0), "--repetition-penalty"),
        ]
        for (parameters, flag) in bad {
            XCTAssertThrowsError(try Sampler(parameters: parameters, seed: 0)) { error in
                XCTAssertTrue("\(error)".contains(flag), "\(error) should name \(flag)")
            }
        }
        XCTAssertNil(SamplingParameters(temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1).problem)
        XCTAssertNil(SamplingParameters(topP: 0.001).problem)
    }

    /// Greedy decoding reads the logits in place (vectorised): the lowest id among equal maxima,
    /// never past `vocabularyLimit`, a NaN first logit giving 0 and later NaNs never chosen, as the
    /// generic argmax over the adjusted copy does.
    func testGreedyPicksTheFirstLargestAllowedLogitInPlace() throws {
        var data = SeededGenerator(seed: 12)
        for trial in 0..<200 {
            let count = 1 + data.nextInt(below: 70)
            var logits = (0..<count).map { _ in Float(data.nextInt(below: 9)) - 4 }  // many ties
            if trial % 7 == 0 { logits[data.nextInt(below: count)] = .nan }
            if trial % 11 == 0 { logits[0] = .nan }
            if trial % 13 == 0 { logits = logits.map { _ in -.infinity } }
            let limit: Int? = trial % 3 == 0 ? data.nextInt(below: count + 2) : nil
            var sampler = try Sampler(parameters: .greedy, seed: 0)
            sampler.vocabularyLimit = limit
            var expected = logits
            if let limit, limit < count { for i in max(1, limit)..<count { expected[i] = -.infinity } }
            let token = logits.withUnsafeBufferPointer { sampler.next(logits: $0, history: []) }
            XCTAssertEqual(token, Sampler.argmax(expected), "trial \(trial): \(logits), limit \(String(describing: limit))")
        }
    }

    /// `next` reads the row in place and scales only the candidates it selects; it must draw
    /// exactly the token the documented steps give on a copy (penalty, −∞ past the limit,
    /// temperature over the whole row, top-k, top-p, draw), with ties at the k-th value, NaNs,
    /// short rows and every limit.
    func testNextEqualsTheStepsAppliedOneByOne() throws {
        var data = SeededGenerator(seed: 13)
        for trial in 0..<400 {
            let count = 1 + data.nextInt(below: trial % 4 == 0 ? 2_000 : 90)
            var logits = (0..<count).map { _ in trial % 2 == 0 ? Float(data.nextInt(below: 12)) - 6 : 3 * data.nextNormal() }
            if trial % 17 == 0 { logits[data.nextInt(below: count)] = .nan }
            if trial % 19 == 0 { logits[data.nextInt(below: count)] = -.infinity }
            let parameters = SamplingParameters(temperature: [0, 0.7, 1, 1.3][trial % 4], topK: [0, 1, 5, 40, count][(trial / 4) % 5],
                                                topP: [1, 0.9, 0.3][(trial / 20) % 3], repetitionPenalty: trial % 3 == 0 ? 1.3 : 1)
            let limit: Int? = trial % 5 == 0 ? data.nextInt(below: count + 2) : nil
            let history = Set((0..<5).map { _ in data.nextInt(below: count) })
            var sampler = try Sampler(parameters: parameters, seed: UInt64(trial))
            sampler.vocabularyLimit = limit
            var reference = SeededGenerator(seed: UInt64(trial))
            for _ in 0..<3 {
                var adjusted = logits
                if let limit, limit < count { for i in max(1, limit)..<count { adjusted[i] = -.infinity } }
                Sampler.applyRepetitionPenalty(&adjusted, penalty: parameters.repetitionPenalty, tokens: history)
                let expected: Int
                if parameters.temperature == 0 {
                    expected = Sampler.argmax(adjusted)
                } else {
                    Sampler.applyTemperature(&adjusted, parameters.temperature)
                    let candidates = Sampler.nucleus(of: Sampler.topK(adjusted, k: parameters.topK), logits: adjusted, p: parameters.topP)
                    expected = Sampler.draw(from: candidates, uniform: reference.nextUniformDouble())
                }
                let token = logits.withUnsafeBufferPointer { sampler.next(logits: $0, history: history) }
                XCTAssertEqual(token, expected, "trial \(trial): \(parameters), \(count) logits, limit \(String(describing: limit))")
            }
        }
    }

    /// Hugging Face's processors written out naively in Double, with full sorts.
    private func referenceDistribution(_ logits: [Float], history: Set<Int>, _ parameters: SamplingParameters) -> [Double] {
        var scores = logits.enumerated().map { token, value -> Double in
            let v = Double(value)
            guard history.contains(token), parameters.repetitionPenalty != 1 else { return v }
            return v < 0 ? v * Double(parameters.repetitionPenalty) : v / Double(parameters.repetitionPenalty)
        }
        scores = scores.map { $0 / Double(parameters.temperature) }
        if parameters.topK > 0 {
            let kth = scores.sorted(by: >)[min(parameters.topK, scores.count) - 1]
            scores = scores.map { $0 < kth ? -.infinity : $0 }
        }
        func softmax(_ x: [Double]) -> [Double] {
            let m = x.max()!
            let e = x.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        if parameters.topP < 1 {
            let probabilities = softmax(scores)
            let ascending = probabilities.indices.sorted { probabilities[$0] < probabilities[$1] }
            var cumulative = 0.0
            for (position, token) in ascending.enumerated() {
                cumulative += probabilities[token]
                if cumulative <= 1 - Double(parameters.topP), position < ascending.count - 1 { scores[token] = -.infinity }
            }
        }
        return softmax(scores)
    }
}
