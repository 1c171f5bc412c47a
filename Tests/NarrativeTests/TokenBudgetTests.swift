import GPT
import Recommend
import Tokenizer
import XCTest
@testable import Narrative

/// Budget-aware constrained decoding: a narrative states every required fact and ends a
/// sentence inside its token limit, whatever the model would rather write.
final class TokenBudgetTests: XCTestCase {
    private let tokenizer = NarratorFixtures.tokenizer
    private let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)

    /// A model that would wander: it always prefers plain words (` the`, ` lovely`, `,`) over any
    /// slot, sentence end or stop. Under the budget it still writes a servable narrative within
    /// the limit on every fact sheet, and the limit is the only thing that made it do so.
    func testAWanderingModelStatesEveryFactWithinTheLimit() throws {
        let narrator = try NarratorFixtures.narrator(try NarratorFixtures.int8Weights(NarratorFixtures.randomModel()), maxNewTokens: 24)
        let wordy = [" the", " lovely", ","].map { tokenizer.encode($0)[0] }
        // One product with every reason set (the debug build is slow): the budget depends on the facts, not the product.
        for sheet in try NarrativeFixtures.variedSheets().prefix(9) {
            var constraint = try XCTUnwrap(narrator.constraint(for: sheet))
            var tokens: [Int] = []
            while tokens.count < narrator.maxNewTokens {
                var row = [Float](repeating: 0, count: GPTConfig.gpt2VocabularySize)
                for (rank, id) in wordy.enumerated() { row[id] = Float(10 - rank) }
                row.withUnsafeMutableBufferPointer { constraint.process(LogitRow(full: $0)) }
                let next = Sampler.argmax(row)
                constraint.accept(next)
                if narrator.stopTokens.contains(next) { break }
                tokens.append(next)
            }
            let text = narrator.delexicalised(tokens)
            XCTAssertTrue(text.last.map { ".!?".contains($0) } ?? false, "\(sheet.item.reasons): \(text)")
            XCTAssertTrue(constraint.hasStatedRequiredFacts, text)
            let served = narrator.serve(generatedTokens: tokens, sheet: sheet)
            XCTAssertFalse(served.isFallback, "\(text): \(served.problems)")
            XCTAssertTrue(checker.check(served.text, item: sheet.item, history: sheet.history).passes, served.text)
            XCTAssertGreaterThan(text.split(separator: " ").filter { $0 == "the" }.count, 3, "the model wandered first: \(text)")
        }
    }

    /// Random tiny models, greedy and seeded sampling, a page at once: every narrative of every
    /// fact sheet is served (it states its facts within 20 tokens), the checker passes it; without
    /// the budget the same models leave facts out.
    func testRandomModelsServeEveryNarrativeWithinTheLimit() throws {
        // Two products × every reason set, one model: the debug build's decoding is slow.
        let sheets = Array(try NarrativeFixtures.variedSheets().prefix(18))
        var unbudgetedFallbacks = 0
        for seed: UInt64 in [11] {
            let weights = try NarratorFixtures.int8Weights(NarratorFixtures.randomModel(seed: seed))
            let model = try NarratorModel(directory: "test-narrator", base: weights, voices: [:], tokenizer: tokenizer)
            let narrator = try Narrator(model: model, catalogue: NarrativeFixtures.catalogue, maxNewTokens: 20)
            let unbudgeted = try Narrator(model: model, catalogue: NarrativeFixtures.catalogue, maxNewTokens: 20, budgetsTokens: false)
            for parameters in [SamplingParameters.greedy, Narrator.defaultSampling] {
                let page = try narrator.narrate(customer: 17850, sheets: sheets, seed: seed, parameters: parameters)
                for (narration, sheet) in zip(page, sheets) {
                    XCTAssertLessThanOrEqual(narration.generatedTokens.count, 20)
                    XCTAssertFalse(narration.served.isFallback, "\(narration.delexicalised): \(narration.served.problems)")
                    XCTAssertTrue(checker.check(narration.served.text, item: sheet.item, history: sheet.history).passes)
                }
                let free = try unbudgeted.narrate(customer: 17850, sheets: sheets, seed: seed, parameters: parameters)
                unbudgetedFallbacks += free.filter(\.served.isFallback).count
            }
        }
        XCTAssertGreaterThan(unbudgetedFallbacks, 0, "the random models never wander past the limit: the test proves nothing")
    }

    /// The fewest tokens to a stop: every missing fact's slot, then a sentence end; none once all
    /// are stated and a sentence ended; inside a slot, its closing counts.
    func testTokensNeededFollowsTheMissingFacts() throws {
        let sheet = try NarrativeFixtures.sheet()  // bought together: product, price, with, customers
        let vocabulary = SlotVocabulary(tokenizer: tokenizer)
        func constraint(after text: String) -> SlotConstraint {
            var constraint = SlotConstraint(sheet: sheet, vocabulary: vocabulary, checker: checker, maxNewTokens: 48)
            for token in tokenizer.encode(text) { constraint.accept(token) }
            return constraint
        }
        func needed(_ text: String) -> Int {
            let constraint = constraint(after: text)
            return constraint.tokensNeeded(.init(stated: constraint.stated, partial: constraint.partial, endsSentence: constraint.endsSentence))
        }
        let cost = { (name: String) in try XCTUnwrap(vocabulary.openingCosts[Array(name.utf8)]) }
        XCTAssertEqual(needed(""), try cost("product") + cost("price") + cost("with") + cost("customers") + 1)
        XCTAssertEqual(needed("The <product> is <price>"), try cost("with") + cost("customers") + 1)
        XCTAssertEqual(needed("The <product> is <price>, <customers> took it with the <with>"), 1)
        XCTAssertEqual(needed("The <product> is <price>, <customers> took it with the <with>."), 0)
        XCTAssertEqual(needed("The <product> is <price>, <customers> took it with the <"),
                       try XCTUnwrap(vocabulary.closingCosts[Array("with".utf8)]?[0]) + 1)
        XCTAssertEqual(constraint(after: "The <product> is").tokensLeft, 48 - tokenizer.encode("The <product> is").count)
    }

    /// A sentence the limit cuts is closed after its last slot when dropping it would lose a fact;
    /// dropped when what is left is whole; never closed without the budget.
    func testACutSentenceThatCarriedAFactIsClosed() throws {
        let narrator = try NarratorFixtures.int8Narrator()
        let sheet = try NarrativeFixtures.sheet()
        let cut = "<customers> who bought the <with> also took the <product>. It is <price> and it would"
        let served = narrator.serve(generatedTokens: tokenizer.encode(cut), sheet: sheet)
        XCTAssertEqual(served.text, "41 customers who bought the White Hanging Heart T-light Holder also took the Regency Cakestand 3 Tier. It is £12.75.")
        XCTAssertFalse(served.isFallback)
        XCTAssertEqual(Narrator.finishedReadings(of: "The <product> costs <price> so"), ["The <product> costs <price>."])
        XCTAssertEqual(Narrator.finishedReadings(of: "The <product>. It is lovely and"), ["The <product>."])
        XCTAssertEqual(Narrator.finishedReadings(of: "The <product> is <price>."), ["The <product> is <price>."])
        let model = try NarratorModel(directory: "test-narrator", base: narrator.model.weights(voice: nil), voices: [:], tokenizer: tokenizer)
        let unbudgeted = try Narrator(model: model, catalogue: NarrativeFixtures.catalogue, budgetsTokens: false)
        XCTAssertTrue(unbudgeted.serve(generatedTokens: tokenizer.encode(cut), sheet: sheet).isFallback)
    }
}
