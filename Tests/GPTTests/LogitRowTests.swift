import Tensor
import XCTest
@testable import GPT

/// A shortlisted model's rows reach processors and samplers compact (`[S]` with an id map);
/// every operation must answer what it answers on the expanded `[V]` row, so a sequence's tokens
/// do not depend on the form of its row.
final class LogitRowTests: XCTestCase {
    /// A random shortlist of a small vocabulary and a compact row over it: many ties, and now and
    /// then NaNs, −∞, a whole row of −∞, NaN on token 0, and lists with and without token 0.
    private func randomRow(trial: Int, data: inout SeededGenerator) throws -> (shortlist: OutputShortlist, compact: [Float]) {
        let vocabulary = 2 + data.nextInt(below: trial % 4 == 0 ? 3_000 : 120)
        let density = [0.05, 0.3, 0.9, 1.0][trial % 4]
        var tokens = (0..<vocabulary).filter { _ in data.nextUniformDouble() < density }
        if tokens.isEmpty { tokens = [data.nextInt(below: vocabulary)] }
        if trial % 6 == 0, tokens.first != 0 { tokens.insert(0, at: 0) }
        let shortlist = try OutputShortlist(tokens: tokens, vocabSize: vocabulary, note: "test")
        var values = tokens.map { _ in trial % 2 == 0 ? Float(data.nextInt(below: 9)) - 4 : 3 * data.nextNormal() }
        if trial % 7 == 0 { values[data.nextInt(below: values.count)] = .nan }
        if trial % 11 == 0 { values[0] = .nan }
        if trial % 13 == 0 { values[data.nextInt(below: values.count)] = -.infinity }
        if trial % 29 == 0 { values = values.map { _ in -.infinity } }
        if trial % 31 == 0 { values = values.map { _ in .nan } }
        return (shortlist, values)
    }

    private func expanded(_ compact: [Float], _ shortlist: OutputShortlist) -> [Float] {
        var row = [Float](repeating: -.infinity, count: shortlist.vocabSize)
        for (slot, token) in shortlist.tokens.enumerated() { row[token] = compact[slot] }
        return row
    }

    func testArgmaxOfACompactRowIsTheFullRowsArgmax() throws {
        var data = SeededGenerator(seed: 41)
        for trial in 0..<600 {
            var (shortlist, compact) = try randomRow(trial: trial, data: &data)
            var full = expanded(compact, shortlist)
            let limit: Int? = trial % 3 == 0 ? data.nextInt(below: shortlist.vocabSize + 2) : nil
            let expected = full.withUnsafeMutableBufferPointer { LogitRow(full: $0).argmax(below: limit) }
            let got = compact.withUnsafeMutableBufferPointer { LogitRow(compact: $0, shortlist: shortlist).argmax(below: limit) }
            XCTAssertEqual(got, expected, "trial \(trial): limit \(String(describing: limit))")
            if limit == nil { XCTAssertEqual(expected, Sampler.argmax(full), "trial \(trial)") }
        }
    }

    /// Greedy and seeded sampling, every setting, with the vocabulary limit and a penalty: the
    /// same draws, three in a row from one sampler (so the generators stay in step).
    func testSamplingACompactRowDrawsWhatTheFullRowDraws() throws {
        var data = SeededGenerator(seed: 42)
        for trial in 0..<600 {
            let (shortlist, compact) = try randomRow(trial: trial, data: &data)
            let full = expanded(compact, shortlist)
            let parameters = SamplingParameters(temperature: [0, 0.7, 1, 1.3][trial % 4], topK: [0, 1, 5, 40, 200][(trial / 4) % 5],
                                                topP: [1, 0.9, 0.3][(trial / 20) % 3], repetitionPenalty: trial % 3 == 0 ? 1.3 : 1)
            let limit: Int? = trial % 5 == 0 ? data.nextInt(below: shortlist.vocabSize + 2) : nil
            let history = Set((0..<8).map { _ in data.nextInt(below: shortlist.vocabSize) })
            var onFull = try Sampler(parameters: parameters, seed: UInt64(trial))
            var onCompact = onFull
            onFull.vocabularyLimit = limit
            onCompact.vocabularyLimit = limit
            for draw in 0..<3 {
                let expected = full.withUnsafeBufferPointer { onFull.next(logits: $0, history: history) }
                var row = compact
                let got = row.withUnsafeMutableBufferPointer { onCompact.next(LogitRow(compact: $0, shortlist: shortlist), history: history) }
                XCTAssertEqual(got, expected, "trial \(trial) draw \(draw): \(parameters), limit \(String(describing: limit))")
                XCTAssertEqual(row.map(\.bitPattern), compact.map(\.bitPattern), "trial \(trial): sampling changed the row")
            }
        }
    }

    /// Writes by id land in the token's slot, writes off the list change nothing, and
    /// `forbid`/`keepOnly` leave the row the expanded row's operations would.
    func testEditsByIdMatchTheFullRow() throws {
        var data = SeededGenerator(seed: 43)
        for trial in 0..<200 {
            let (shortlist, values) = try randomRow(trial: trial, data: &data)
            var compact = values
            var full = expanded(values, shortlist)
            let forbidden = (0..<6).map { _ in data.nextInt(below: shortlist.vocabSize + 4) - 2 }
            let kept = (0..<(1 + data.nextInt(below: 5))).map { _ in data.nextInt(below: shortlist.vocabSize) }
            compact.withUnsafeMutableBufferPointer { buffer in
                let row = LogitRow(compact: buffer, shortlist: shortlist)
                row.forbid(forbidden)
                if trial % 2 == 0 { row.keepOnly(kept) }
                for token in 0..<shortlist.vocabSize where shortlist.slots[token] < 0 {
                    XCTAssertEqual(row[token], -.infinity)
                }
            }
            full.withUnsafeMutableBufferPointer { buffer in
                let row = LogitRow(full: buffer)
                row.forbid(forbidden)
                if trial % 2 == 0 { row.keepOnly(kept) }
            }
            let rebuilt = expanded(compact, shortlist)
            XCTAssertEqual(rebuilt.map(\.bitPattern), full.map(\.bitPattern), "trial \(trial)")
            var again = [Float](repeating: 0, count: shortlist.vocabSize)
            compact.withUnsafeMutableBufferPointer { LogitRow(compact: $0, shortlist: shortlist).expand(into: &again) }
            XCTAssertEqual(again.map(\.bitPattern), full.map(\.bitPattern), "trial \(trial): expand")
        }
    }
}
