import Foundation
import GPT
import Narrative
import Tensor
import Tokenizer
import XCTest

final class NarratorShortlistTests: XCTestCase {
    private let tokenizer = NarratorFixtures.tokenizer

    /// A small corpus in the form `narratives-data` writes: each varied sheet's prompt and a
    /// delexicalised narrative, and one catalogue document.
    private func writeCorpus(in directory: String) throws -> (path: String, texts: [String]) {
        var writer = NarrativeCorpusWriter(seed: 3)
        var lines: [String] = [], texts: [String] = []
        for sheet in try NarrativeFixtures.variedSheets() {
            let prompt = try sheet.prompt(tokenBudget: 160) { tokenizer.encode($0).count }
            let completion = writer.completion(for: sheet)
            texts += [prompt, completion]
            let json = try JSONSerialization.data(withJSONObject: ["prompt": prompt, "completion": completion], options: [.sortedKeys])
            lines.append(String(decoding: json, as: UTF8.self))
        }
        let catalogue = "PAPER CHAIN KIT 50'S CHRISTMAS\nproduct: Paper Chain Kit 50's Christmas\nprice: £2.95\n"
        texts.append(catalogue)
        let json = try JSONSerialization.data(withJSONObject: ["prompt": "", "completion": catalogue], options: [.sortedKeys])
        lines.append(String(decoding: json, as: UTF8.self))
        let path = (directory as NSString).appendingPathComponent("narrator-train.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return (path, texts)
    }

    func testTheShortlistHoldsEveryCorpusTokenAndItIsSmall() throws {
        let directory = try NarratorFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, texts) = try writeCorpus(in: directory)
        let shortlist = try NarratorShortlist.build(corpora: [path], tokenizer: tokenizer, vocabSize: GPTConfig.gpt2VocabularySize)
        let listed = Set(shortlist.tokens)
        for text in texts {
            for token in tokenizer.encode(text) { XCTAssertTrue(listed.contains(token), "\(text): token \(token) is missing") }
        }
        XCTAssertTrue(listed.contains(GPT2Tokenizer.endOfText))
        XCTAssertLessThan(shortlist.tokens.count, GPTConfig.gpt2VocabularySize / 10, shortlist.note)
        XCTAssertEqual(shortlist.tokens, shortlist.tokens.sorted())
    }

    /// The constraint's allow-lists (a slot's continuations, the openers it steers to, the
    /// sentence ends and stops near the token limit) must all survive the shortlist: a model whose
    /// every listed logit is random and every other −∞ still draws a finite-logit token at every
    /// step, stops inside the limit and writes a narrative that is served or falls back cleanly.
    func testTheConstraintNeverLeavesOnlyTokensOffTheShortlist() throws {
        let directory = try NarratorFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, _) = try writeCorpus(in: directory)
        let vocabulary = GPTConfig.gpt2VocabularySize
        let shortlist = try NarratorShortlist.build(corpora: [path], tokenizer: tokenizer, vocabSize: vocabulary)
        let narrator = try NarratorFixtures.narrator(try NarratorFixtures.int8Weights(NarratorFixtures.randomModel()), maxNewTokens: 32)
        var generator = SeededGenerator(seed: 17)
        var row = [Float](repeating: -.infinity, count: vocabulary)
        var stops = 0
        let sheets = try NarrativeFixtures.variedSheets()
        for (index, sheet) in sheets.enumerated() where index % 3 == 0 {
            var constraint = try XCTUnwrap(narrator.constraint(for: sheet))
            var sampler = try narrator.sampler(customer: 1, stockCode: sheet.item.stockCode, seed: UInt64(index), parameters: .greedy)
            var tokens: [Int] = []
            for _ in 0...narrator.maxNewTokens {
                row.withUnsafeMutableBufferPointer { $0.update(repeating: -.infinity) }
                for token in shortlist.tokens { row[token] = Float(generator.nextNormal()) * 4 }
                let next = row.withUnsafeMutableBufferPointer { logits in
                    constraint.process(LogitRow(full: logits))
                    return sampler.next(logits: UnsafeBufferPointer(logits), history: [])
                }
                XCTAssertTrue(row[next].isFinite, "sheet \(index): drew token \(next), off the shortlist or masked")
                constraint.accept(next)
                if narrator.stopTokens.contains(next) {
                    stops += 1
                    break
                }
                tokens.append(next)
            }
            XCTAssertLessThanOrEqual(tokens.count, narrator.maxNewTokens)
            let served = narrator.serve(generatedTokens: tokens, sheet: sheet)
            XCTAssertEqual(served.isFallback, !served.problems.isEmpty)
        }
        XCTAssertGreaterThan(stops, 0, "some narrative reached its stop")
    }
}
