import Recommend
import Store
import XCTest
@testable import Narrative

final class NarrativeCorpusWriterTests: XCTestCase {
    private let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)

    /// Every completion, for every kind and combination of reasons, fills and passes the
    /// independent checker, states the exact price and has one to three sentences.
    func testEveryCompletionFillsAndIsGrounded() throws {
        var writer = NarrativeCorpusWriter(seed: 1)
        for sheet in try NarrativeFixtures.variedSheets() {
            for _ in 0..<20 {
                let delexicalised = writer.completion(for: sheet)
                XCTAssertFalse(delexicalised.contains("£"), "the price is a slot: \(delexicalised)")
                let text = try NarrativeSlot.fill(delexicalised, sheet: sheet)
                let report = checker.check(text, item: sheet.item, history: sheet.history)
                XCTAssertTrue(report.passes, "\(text): \(report.problems)")
                XCTAssertTrue(text.contains(FactSheet.formatPrice(sheet.item.price)), text)
                let sentences = text.split { ".!?".contains($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                XCTAssertTrue((1...3).contains(sentences.count) || text.contains("£"), text)
                XCTAssertLessThanOrEqual(text.components(separatedBy: ". ").count, 3, text)
            }
        }
    }

    func testCompletionsVaryAndAreReproducible() throws {
        let sheets = try NarrativeFixtures.variedSheets()
        var first = NarrativeCorpusWriter(seed: 7), again = NarrativeCorpusWriter(seed: 7)
        let texts = sheets.map { first.completion(for: $0) }
        XCTAssertEqual(sheets.map { again.completion(for: $0) }, texts)
        // One sheet, many draws: many distinct narratives.
        var writer = NarrativeCorpusWriter(seed: 3)
        let sheet = try NarrativeFixtures.sheet()
        XCTAssertGreaterThan(Set((0..<200).map { _ in writer.completion(for: sheet) }).count, 190)
        // Distinct word pairs over filled narratives of every sheet, one each (the distinct-2).
        let filled = try sheets.map { try NarrativeSlot.fill(writer.completion(for: $0), sheet: $0) }
        let bigrams = filled.flatMap { text -> [String] in
            let words = text.split(separator: " ")
            return zip(words, words.dropFirst()).map { "\($0) \($1)" }
        }
        XCTAssertGreaterThan(Double(Set(bigrams).count) / Double(bigrams.count), 0.4)
    }

    func testOnceIsNeverCalledAHabit() throws {
        let item = RecommendedItem(stockCode: "22423", name: "Regency Cakestand 3 Tier", price: 12.75, score: 1,
                                   reasons: [.boughtBefore(times: 1)])
        let sheet = try NarrativeFixtures.sheet(item: item)
        var writer = NarrativeCorpusWriter(seed: 9)
        for _ in 0..<100 {
            let text = try NarrativeSlot.fill(writer.completion(for: sheet), sheet: sheet)
            XCTAssertTrue(text.contains("once"), text)
            for habit in ["regular", "favourite", "keep coming back"] { XCTAssertFalse(text.contains(habit), text) }
        }
    }

    func testAttributesAndSeasonsAppear() throws {
        let chain = NarrativeFixtures.paperChain
        let item = RecommendedItem(stockCode: chain.stockCode, name: chain.name, price: chain.price, score: 1,
                                   reasons: [.popular(customers: 300)])
        var writer = NarrativeCorpusWriter(seed: 5)
        let autumn = try NarrativeFixtures.sheet(item: item, month: 10)
        let autumnTexts = try (0..<50).map { _ in try NarrativeSlot.fill(writer.completion(for: autumn), sheet: autumn) }
        // "Christmas" outside the product's own name.
        func seasonal(_ text: String) -> Bool { text.replacingOccurrences(of: chain.name, with: "").contains("Christmas") }
        XCTAssertTrue(autumnTexts.allSatisfy(seasonal), "a Christmas item in autumn says so")
        let spring = try NarrativeFixtures.sheet(item: item, month: 4)
        let springTexts = try (0..<50).map { _ in try NarrativeSlot.fill(writer.completion(for: spring), sheet: spring) }
        XCTAssertFalse(springTexts.allSatisfy(seasonal))
        XCTAssertTrue(springTexts.contains { $0.contains("paper") }, "the material comes from the description")
    }

    /// The brief voice: one sentence, every fact the checker requires, the same slots.
    func testBriefVoiceIsOneGroundedSentence() throws {
        var writer = NarrativeCorpusWriter(seed: 2)
        var seen: Set<String> = []
        for sheet in try NarrativeFixtures.variedSheets() {
            for _ in 0..<10 {
                let delexicalised = writer.completion(for: sheet, voice: .brief)
                seen.insert(delexicalised)
                XCTAssertTrue(delexicalised.contains("<product>") && delexicalised.contains("<price>"), delexicalised)
                let text = try NarrativeSlot.fill(delexicalised, sheet: sheet)
                let report = checker.check(text, item: sheet.item, history: sheet.history)
                XCTAssertTrue(report.passes, "\(text): \(report.problems)")
                XCTAssertEqual(delexicalised.filter { ".!?".contains($0) }.count, 1, "one sentence: \(delexicalised)")
                XCTAssertLessThan(text.count, 160, text)
            }
        }
        XCTAssertGreaterThan(seen.count, 15, "brief frames vary too")
    }

    /// The pretraining text: one document per product, with its own name and exact price.
    func testCatalogueTextNamesEveryProductWithItsPrice() {
        let dataset = NarrativeDataset(products: NarrativeFixtures.catalogue, trainingLines: [])
        let documents = dataset.catalogueText()
        XCTAssertEqual(documents.count, NarrativeFixtures.catalogue.count)
        for product in NarrativeFixtures.catalogue {
            XCTAssertTrue(documents.contains { $0.contains("product: \(product.name)\nprice: \(FactSheet.formatPrice(product.price))") },
                          product.name)
        }
        XCTAssertTrue(documents.contains { $0.contains("about: colour=white") && $0.contains("kind=lantern") }, "\(documents)")
    }
}
