import GPT
import LoRA
import Recommend
import Store
import Tokenizer
import XCTest
@testable import Narrative

final class NarratorTests: XCTestCase {
    private let customer = 17850

    /// Generates one sheet's narrative alone, through the GPT library's single-sequence generator,
    /// under the sheet's slot constraint as the page is.
    private func alone(_ narrator: Narrator, weights: InferenceWeights, sheet: FactSheet, seed: UInt64,
                       parameters: SamplingParameters?) throws -> [Int] {
        var generator = TokenGenerator(session: InferenceSession(weights: weights),
                                       sampler: try narrator.sampler(customer: customer, stockCode: sheet.item.stockCode,
                                                                     seed: seed, parameters: parameters),
                                       stopTokens: narrator.stopTokens, processor: narrator.constraint(for: sheet))
        var tokens: [Int] = []
        _ = try generator.generate(prompt: try narrator.promptTokens(for: sheet), maxNewTokens: narrator.maxNewTokens) {
            tokens.append($0)
            return true
        }
        return tokens
    }

    /// A page generated together equals each narrative generated alone, token for token, greedy
    /// and seeded-sampled, on float and int8 weights.
    func testBatchedPageEqualsEachNarrativeAlone() throws {
        let model = NarratorFixtures.randomModel()
        let sheets = try NarratorFixtures.page()
        // The float streaming kernels are slow in a debug build: greedy only there.
        let runs = [(try NarratorFixtures.int8Weights(model), [SamplingParameters.greedy, Narrator.defaultSampling]),
                    (InferenceWeights(model: model).streamingFloatProjections(), [SamplingParameters.greedy])]
        for (weights, samplings) in runs {
            let narrator = try NarratorFixtures.narrator(weights)
            for parameters in samplings {
                let page = try narrator.narrate(customer: customer, sheets: sheets, seed: 3, parameters: parameters)
                XCTAssertEqual(page.map(\.stockCode), sheets.map(\.item.stockCode))
                var lengths = Set<Int>()
                for (narration, sheet) in zip(page, sheets) {
                    let expected = try alone(narrator, weights: weights, sheet: sheet, seed: 3, parameters: parameters)
                    XCTAssertEqual(narration.generatedTokens, expected, "\(sheet.item.stockCode) with \(parameters)")
                    lengths.insert(narration.generatedTokens.count)
                }
                XCTAssertTrue(page.contains { !$0.generatedTokens.isEmpty }, "the narrator wrote nothing at all")
                XCTAssertTrue(lengths.allSatisfy { $0 <= narrator.maxNewTokens })
            }
        }
    }

    /// The same page and seed give the same narratives; each item's draws depend on its own
    /// customer and product only, not on what else is on the page or in which order.
    func testSeededSamplingIsReproducibleAndPerItem() throws {
        let narrator = try NarratorFixtures.int8Narrator()
        let sheets = try NarratorFixtures.page()
        let first = try narrator.narrate(customer: customer, sheets: sheets, seed: 42)
        XCTAssertEqual(try narrator.narrate(customer: customer, sheets: sheets, seed: 42), first)
        let reversed = try narrator.narrate(customer: customer, sheets: sheets.reversed(), seed: 42)
        XCTAssertEqual(Array(reversed.reversed()), first, "an item's narrative does not depend on its place in the page")
        let single = try narrator.narrate(customer: customer, sheets: [sheets[4]], seed: 42)
        XCTAssertEqual(single, [first[4]], "nor on the other items")
        let otherSeed = try narrator.narrate(customer: customer, sheets: sheets, seed: 43)
        XCTAssertNotEqual(otherSeed.map(\.generatedTokens), first.map(\.generatedTokens))

        let seeds = sheets.map { narrator.seed(customer: customer, stockCode: $0.item.stockCode, seed: 42) }
        XCTAssertEqual(Set(seeds).count, Set(sheets.map(\.item.stockCode)).count, "one seed per product")
        XCTAssertNotEqual(narrator.seed(customer: customer, stockCode: "22423", seed: 42),
                          narrator.seed(customer: customer + 1, stockCode: "22423", seed: 42))
        XCTAssertNotEqual(narrator.seed(customer: customer, stockCode: "22423", seed: 42),
                          narrator.seed(customer: customer, stockCode: "22423", seed: 41))
        // Stable across runs and machines: FNV-1a of the little-endian seed, customer and code
        // (computed independently in Python), not a per-process hash.
        XCTAssertEqual(NarrationSeed.seed(42, customer: 17850, stockCode: "22423"), 0x1E67_79AD_55BB_EDC9)
    }

    /// Whatever the narrator writes, what is served either passes the independent checker or is
    /// the fallback sentence (which passes it too).
    func testServedNarrativesPassTheCheckerOrFallBack() throws {
        let narrator = try NarratorFixtures.int8Narrator()
        let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)
        let tokenizer = NarratorFixtures.tokenizer
        func assertServedIsGrounded(_ served: ServedNarrative, _ sheet: FactSheet, _ what: String) {
            let report = checker.check(served.text, item: sheet.item, history: sheet.history)
            XCTAssertTrue(report.passes, "\(what): served \"\(served.text)\" fails: \(report.problems)")
            XCTAssertEqual(served.isFallback, !served.problems.isEmpty, what)
            if served.isFallback { XCTAssertEqual(served.text, ServedNarrative.fallback(for: sheet), what) }
        }
        var writer = NarrativeCorpusWriter(seed: 2)
        for sheet in try NarrativeFixtures.variedSheets() {
            let good = writer.completion(for: sheet)
            let goodServed = narrator.serve(generatedTokens: tokenizer.encode(good), sheet: sheet)
            XCTAssertFalse(goodServed.isFallback, "\(good): \(goodServed.problems)")
            XCTAssertEqual(goodServed.text, try NarrativeSlot.fill(good, sheet: sheet))
            assertServedIsGrounded(goodServed, sheet, good)
            // The rest of the line after the narrative is not served.
            let withTail = narrator.serve(generatedTokens: tokenizer.encode(good + "\nproduct: Jumbo Bag Red Retrospot £9.99"), sheet: sheet)
            XCTAssertEqual(withTail, goodServed)
            let bad = [
                "The <product> is only £0.01.",                        // a wrong price
                "Buy the <product> with the Jumbo Bag Red Retrospot.", // a product not on the sheet, no price
                "<customers> loved the <product>, <price>. 977 customers agree.",
                "The <nonsense> for <price>.",                          // an unknown slot
                "<times> you bought the <product> for <price>",         // no finished sentence
                "",
            ]
            for text in bad {
                assertServedIsGrounded(narrator.serve(generatedTokens: tokenizer.encode(text), sheet: sheet), sheet, text)
            }
        }
        // A random model's page: mostly noise, every served narrative still grounded.
        let sheets = try NarratorFixtures.page()
        for (narration, sheet) in zip(try narrator.narrate(customer: customer, sheets: sheets, seed: 1), sheets) {
            assertServedIsGrounded(narration.served, sheet, narration.delexicalised)
        }
    }

    /// A narrative cut by the token limit loses its unfinished last sentence before it is checked.
    func testUnfinishedLastSentenceIsDropped() throws {
        let narrator = try NarratorFixtures.int8Narrator()
        let sheet = try NarrativeFixtures.sheet()
        let served = narrator.serve(generatedTokens: NarratorFixtures.tokenizer.encode(
            "<customers> who bought the <with> also took the <product> (<price>). It is also"), sheet: sheet)
        XCTAssertEqual(served.text, "41 customers who bought the White Hanging Heart T-light Holder also took the Regency Cakestand 3 Tier (£12.75).")
        XCTAssertFalse(served.isFallback)
    }

    /// A voice wrapping the base unmerged writes the same text as the adapter merged into the
    /// weights (greedy), and differs from the base narrator.
    func testMergedAndUnmergedVoiceWriteTheSameText() throws {
        let model = NarratorFixtures.randomModel()
        let adapter = try NarratorFixtures.voiceAdapter(for: model.config)
        let base = InferenceWeights(model: model)
        let merged = NarratorFixtures.copy(model)
        try adapter.merge(into: merged)
        let narrator = try NarratorFixtures.narrator(base, voices: ["brief": try adapter.wrap(base)])
        let mergedNarrator = try NarratorFixtures.narrator(InferenceWeights(model: merged))
        let sheets = try NarratorFixtures.page()
        let unmergedPage = try narrator.narrate(customer: customer, sheets: sheets, voice: "brief", parameters: .greedy)
        let mergedPage = try mergedNarrator.narrate(customer: customer, sheets: sheets, parameters: .greedy)
        XCTAssertEqual(unmergedPage.map(\.generatedTokens), mergedPage.map(\.generatedTokens))
        XCTAssertEqual(unmergedPage.map(\.served), mergedPage.map(\.served))
        let basePage = try narrator.narrate(customer: customer, sheets: sheets, parameters: .greedy)
        XCTAssertNotEqual(basePage.map(\.generatedTokens), unmergedPage.map(\.generatedTokens), "the voice changes the text")
    }

    /// The prompt is the training one: end-of-text, the fact sheet, a line break; a long history
    /// is cut oldest first with its note so the prompt and the new tokens fit the context.
    func testPromptIsTheTrainingPromptAndFitsTheContext() throws {
        let narrator = try NarratorFixtures.int8Narrator()
        let sheet = try NarrativeFixtures.sheet()
        let tokenizer = NarratorFixtures.tokenizer
        let expectedText = try sheet.prompt(tokenBudget: Narrator.trainingPromptBudget, countTokens: { tokenizer.encode($0).count }) + "\n"
        XCTAssertEqual(try narrator.promptTokens(for: sheet), [GPT2Tokenizer.endOfText] + tokenizer.encode(expectedText))

        let small = try NarratorFixtures.int8Narrator(contextLength: 96)
        XCTAssertEqual(small.promptBudget, 96 - small.maxNewTokens - 2)
        let longHistory = Array(repeating: NarrativeFixtures.catalogue, count: 3).flatMap { $0 }
        let longSheet = try NarrativeFixtures.sheet(history: longHistory)
        let prompt = try small.promptTokens(for: longSheet)
        XCTAssertLessThanOrEqual(prompt.count + small.maxNewTokens, 96)
        XCTAssertTrue(tokenizer.decode(prompt).contains("earlier omitted)"), tokenizer.decode(prompt))
        let page = try small.narrate(customer: customer, sheets: [longSheet, sheet], seed: 1)
        XCTAssertEqual(page.count, 2)

        XCTAssertThrowsError(try NarratorFixtures.narrator(
            InferenceWeights(model: NarratorFixtures.randomModel(contextLength: 64)), maxNewTokens: 48)) { error in
            XCTAssertTrue("\(error)".contains("context of 64"), "\(error)")
        }
    }
}
