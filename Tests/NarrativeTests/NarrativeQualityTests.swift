import Foundation
import GPT
import Recommend
import XCTest
@testable import Narrative

final class NarrativeQualityTests: XCTestCase {
    func testDistinct2CountsRepeatedWordPairs() {
        XCTAssertEqual(NarrativeQuality.distinct2(["a b c", "a b d"]), 3.0 / 4.0)
        XCTAssertEqual(NarrativeQuality.distinct2(["The cat", "the CAT", "the cat"]), 1.0 / 3.0)
        XCTAssertEqual(NarrativeQuality.distinct2(["one", ""]), 0)
    }

    func testEvidenceIsTheFirstReasonsFacts() throws {
        let sheet = try NarrativeFixtures.sheet()  // bought together with the heart holder by 41 customers
        XCTAssertEqual(NarrativeQuality.evidence(of: sheet), ["White Hanging Heart T-light Holder", "41 customers"])
        XCTAssertEqual(NarrativeQuality.namesEvidence("41 customers who bought the white hanging heart t-light holder also took it.", sheet: sheet), true)
        XCTAssertEqual(NarrativeQuality.namesEvidence("The Regency Cakestand 3 Tier is trending, £12.75.", sheet: sheet), false)
        XCTAssertEqual(NarrativeQuality.namesEvidence("41 customers love it.", sheet: sheet), false, "both facts are needed")
        let bare = RecommendedItem(stockCode: "22423", name: "Regency Cakestand 3 Tier", price: 12.75, score: 1, reasons: [])
        XCTAssertNil(NarrativeQuality.namesEvidence("anything", sheet: try NarrativeFixtures.sheet(item: bare)))
    }

    func testExamplesNameTheBadLine() {
        let data = Data("{\"prompt\": \"p\", \"completion\": \"c\"}\nnot json\n".utf8)
        XCTAssertThrowsError(try NarrativeQuality.examples(jsonLines: data, name: "train.jsonl")) { error in
            XCTAssertTrue("\(error)".contains("train.jsonl:2"), "\(error)")
        }
        XCTAssertEqual(try NarrativeQuality.examples(jsonLines: Data("{\"prompt\": \"p\", \"completion\": \"c\"}".utf8), name: "x").map(\.completion), ["c"])
    }

    /// A model with every parameter zero gives equal logits, so each scored token has
    /// probability 1/V: the perplexity is the vocabulary size, over completion + end-of-text only.
    func testCompletionPerplexityOfAUniformModelIsTheVocabularySize() throws {
        let model = GPTModel(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 64,
                                               vocabSize: GPTConfig.gpt2VocabularySize))
        let tokenizer = NarratorFixtures.tokenizer
        let examples = [NarrativeDataset.Example(prompt: "product: Jumbo Bag\nnarrative:\n", completion: "Only <price>."),
                        NarrativeDataset.Example(prompt: "recent: none\n", completion: "The <product> is trending.")]
        let result = try CompletionPerplexity.evaluate(weights: InferenceWeights(model: model), tokenizer: tokenizer, examples: examples)
        let expectedTokens = examples.reduce(0) { $0 + tokenizer.encode($1.completion).count + 1 }
        XCTAssertEqual(result.tokensScored, expectedTokens)
        XCTAssertEqual(result.examples, 2)
        XCTAssertEqual(result.perplexity, Double(GPTConfig.gpt2VocabularySize), accuracy: 1)
    }
}
