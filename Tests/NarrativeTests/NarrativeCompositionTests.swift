import Recommend
import Store
import XCTest
@testable import Narrative

/// The corpus writer's composition: frames that are well formed and state no fact of their own,
/// independent choices that make almost every completion new, reasons in either order, the
/// customer's own products, and no number said twice.
final class NarrativeCompositionTests: XCTestCase {
    private let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)

    private static var everyFrame: [String] {
        let reasons: [Reason] = [.boughtTogether(with: "a", customers: 2), .similar(to: "b", cosine: 0.5),
                                 .boughtBefore(times: 1), .boughtBefore(times: 4), .trending(orders30d: 3), .popular(customers: 4)]
        let byReason = reasons.flatMap { NarrativeCorpusWriter.leadFrames($0) + NarrativeCorpusWriter.supportFrames($0)
            + NarrativeCorpusWriter.briefFrames($0) }
        return byReason + NarrativeCorpusWriter.plainLeads + NarrativeCorpusWriter.recentOpenings
            + NarrativeCorpusWriter.recentSentences + NarrativeCorpusWriter.ownProductSentences + NarrativeCorpusWriter.attributeSentences
            + NarrativeCorpusWriter.seasonalSentences + NarrativeCorpusWriter.priceSentences + NarrativeCorpusWriter.priceClauses
    }

    /// Balanced braces and slots, only known slots, and no word the checker would read as a fact.
    func testFramesAreWellFormedAndStateNoFactOfTheirOwn() {
        for frame in Self.everyFrame {
            // A slot may sit inside a choice; a choice never inside a choice, a slot never inside a slot.
            var choices = 0, slots = 0
            for character in frame {
                if character == "{" { choices += 1 }
                if character == "}" { choices -= 1 }
                if character == "<" { slots += 1 }
                if character == ">" { slots -= 1 }
                XCTAssertTrue((0...1).contains(choices) && (0...1).contains(slots), "nested or unbalanced: \(frame)")
            }
            XCTAssertEqual(choices + slots, 0, frame)
            var rest = Substring(frame)
            while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
                XCTAssertNotNil(NarrativeSlot(rawValue: String(rest[rest.index(after: open)..<close])), frame)
                rest = rest[rest.index(after: close)...]
            }
            let words = GroundingChecker.words(frame.replacingOccurrences(of: "30 days", with: "days"))
            XCTAssertFalse(words.contains { GroundingChecker.number($0) != nil }, "a number in the frame itself: \(frame)")
        }
    }

    func testChoicesAreIndependentAndReproducible() {
        var writer = NarrativeCorpusWriter(seed: 4)
        let frame = "{A|B|C} and {x|y}{| z}."
        let expanded = Set((0..<400).map { _ in writer.expand(frame) })
        XCTAssertEqual(expanded.count, 12, "\(expanded)")
        var first = NarrativeCorpusWriter(seed: 8), again = NarrativeCorpusWriter(seed: 8)
        XCTAssertEqual((0..<20).map { _ in first.expand(frame) }, (0..<20).map { _ in again.expand(frame) })
    }

    /// The recommender's commonest case, bought before with a second reason: almost every draw
    /// is a new text, the other reason comes first sometimes, the evidence is always there.
    func testBoughtBeforeNarrativesAreAlmostAllDistinctAndVaryTheirOrder() throws {
        let item = RecommendedItem(stockCode: NarrativeFixtures.cakestand.stockCode, name: NarrativeFixtures.cakestand.name,
                                   price: 12.75, score: 1,
                                   reasons: [.boughtBefore(times: 2), .boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41)])
        let history = [NarrativeFixtures.cakestand, NarrativeFixtures.alarmClock, NarrativeFixtures.heart, NarrativeFixtures.lantern]
        let sheet = try NarrativeFixtures.sheet(item: item, history: history)
        var writer = NarrativeCorpusWriter(seed: 11)
        let texts = (0..<300).map { _ in writer.completion(for: sheet) }
        XCTAssertGreaterThan(Set(texts).count, 280)
        XCTAssertTrue(texts.allSatisfy { $0.contains("<times>") && $0.contains("<product>") && $0.contains("<price>") })
        func withFirst(_ text: String) -> Bool {
            guard let with = text.range(of: "<with>"), let times = text.range(of: "<times>") else { return false }
            return with.lowerBound < times.lowerBound
        }
        let togetherFirst = texts.filter(withFirst).count
        XCTAssertTrue((30..<150).contains(togetherFirst), "the bought-together sentence sometimes comes first: \(togetherFirst)")
        let withRecent = texts.filter { $0.contains("<recent>") }
        XCTAssertGreaterThan(withRecent.count, 60, "the customer's own product is named often")
        for text in texts.prefix(100) {
            let filled = try NarrativeSlot.fill(text, sheet: sheet)
            XCTAssertTrue(checker.check(filled, item: item, history: history).passes, filled)
        }
    }

    /// `<recent>` is one of the newest products the prompt shows, never the recommended one or
    /// one a reason cites, the most related one when a word is shared, and differs across items.
    func testTheRecentProductIsTheCustomersOwnAndRelated() throws {
        let history = [NarrativeFixtures.heart, NarrativeFixtures.alarmClock, NarrativeFixtures.lantern,
                       NarrativeFixtures.teacups, NarrativeFixtures.jumboBag]
        func recent(_ target: Product, _ reasons: [Reason]) throws -> Product? {
            let item = RecommendedItem(stockCode: target.stockCode, name: target.name, price: target.price, score: 1, reasons: reasons)
            return NarrativeSlot.recentProduct(for: try NarrativeFixtures.sheet(item: item, history: history))
        }
        // The cakestand shares "Regency" with the teacups.
        XCTAssertEqual(try recent(NarrativeFixtures.cakestand, [])?.stockCode, NarrativeFixtures.teacups.stockCode)
        XCTAssertNotEqual(try recent(NarrativeFixtures.cakestand, [.similar(to: NarrativeFixtures.teacups.stockCode, cosine: 0.7)])?.stockCode,
                          NarrativeFixtures.teacups.stockCode)
        XCTAssertNotEqual(try recent(NarrativeFixtures.heart, [.boughtBefore(times: 3)])?.stockCode, NarrativeFixtures.heart.stockCode)
        let picks = try NarrativeFixtures.catalogue.compactMap { try recent($0, [])?.stockCode }
        XCTAssertGreaterThan(Set(picks).count, 2, "items of one page name different products: \(picks)")
        XCTAssertTrue(picks.allSatisfy { code in history.contains { $0.stockCode == code } })
        let alone = RecommendedItem(stockCode: NarrativeFixtures.heart.stockCode, name: NarrativeFixtures.heart.name,
                                    price: 2.55, score: 1, reasons: [])
        XCTAssertNil(NarrativeSlot.recentProduct(for: try NarrativeFixtures.sheet(item: alone, history: [NarrativeFixtures.heart])))
    }

    /// A set of 3 bought 3 times: "set of 3" would state the evidence a second time, so it is left out.
    func testNoNumberIsStatedTwice() throws {
        let set = NarrativeFixtures.decorations
        let item = RecommendedItem(stockCode: set.stockCode, name: set.name, price: set.price, score: 1,
                                   reasons: [.boughtBefore(times: 3), .trending(orders30d: 3), .popular(customers: 7)])
        let sheet = try NarrativeFixtures.sheet(item: item, history: [set, NarrativeFixtures.lantern])
        var writer = NarrativeCorpusWriter(seed: 6)
        for _ in 0..<300 {
            let text = writer.completion(for: sheet)
            XCTAssertFalse(text.contains("<set>") || text.contains("<orders>"), text)
            let filled = try NarrativeSlot.fill(text, sheet: sheet)
            XCTAssertTrue(checker.check(filled, item: item, history: sheet.history).passes, filled)
        }
    }

    /// The dataset draws again until the checker and the length limit accept, and counts an item
    /// no draw can make acceptable; the statistics see every kept example.
    func testTheDatasetKeepsOnlyAcceptedCompletionsAndMeasuresThem() throws {
        let lines = NarrativeFixtures.history.enumerated().map { index, product in
            PurchaseLine(customer: 1, invoice: "1\(index)", stockCode: product.stockCode, date: "2011-0\(index + 1)-01 10:00:00",
                         quantity: 1, unitPrice: product.price, description: product.description, country: "United Kingdom")
        }
        let dataset = NarrativeDataset(products: NarrativeFixtures.catalogue, trainingLines: lines)
        var writer = NarrativeCorpusWriter(seed: 3)
        let words: (String) -> Int = { $0.split(separator: " ").count }
        let short = NarrativeDataset.Acceptance(checker: checker, completionTokenLimit: 14)
        let written = try dataset.written(customers: [1], recommend: { _ in [NarrativeFixtures.item] }, variants: 30,
                                          writer: &writer, tokenBudget: 200, countTokens: words, acceptance: short)
        XCTAssertEqual(written.examples.count + written.skipped, 30)
        XCTAssertFalse(written.examples.isEmpty)
        XCTAssertTrue(written.examples.allSatisfy { words($0.example.completion) <= 14 })
        let impossible = NarrativeDataset.Acceptance(checker: checker, completionTokenLimit: 2, draws: 3)
        let none = try dataset.written(customers: [1], recommend: { _ in [NarrativeFixtures.item] }, variants: 4,
                                       writer: &writer, tokenBudget: 200, countTokens: words, acceptance: impossible)
        XCTAssertEqual(none.skipped, 4)
        var statistics = NarrativeCorpusStatistics()
        for example in written.examples { statistics.add(example, completionTokens: words(example.example.completion)) }
        XCTAssertEqual(statistics.filled.count, written.examples.count)
        XCTAssertEqual(statistics.distinctCompletions, Set(written.examples.map(\.example.completion)).count)
        XCTAssertTrue(statistics.summary.contains("examples \(written.examples.count), distinct completions"), statistics.summary)
    }
}
