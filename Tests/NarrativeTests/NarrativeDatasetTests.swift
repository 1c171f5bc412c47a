import Foundation
import Recommend
import Store
import XCTest
@testable import Narrative

final class NarrativeDatasetTests: XCTestCase {
    private func line(_ customer: Int, _ product: Product, _ date: String) -> PurchaseLine {
        PurchaseLine(customer: customer, invoice: "5\(customer)", stockCode: product.stockCode, date: date, quantity: 1,
                     unitPrice: product.price, description: product.description, country: "United Kingdom")
    }

    func testExamplesUseEachCustomersTrainingHistoryNewestFirst() throws {
        let lines = [
            line(1, NarrativeFixtures.lantern, "2011-03-01 10:00:00"),
            line(1, NarrativeFixtures.heart, "2011-10-05 09:00:00"),
            line(1, NarrativeFixtures.lantern, "2011-01-01 10:00:00"),
            line(2, NarrativeFixtures.teacups, "2011-02-01 10:00:00"),
        ]
        let dataset = NarrativeDataset(products: NarrativeFixtures.catalogue, trainingLines: lines)
        XCTAssertEqual(dataset.histories[1]?.map(\.stockCode), ["85123A", "71053"])
        XCTAssertEqual(dataset.month, 10)
        var writer = NarrativeCorpusWriter(seed: 2)
        let examples = try dataset.examples(
            customers: [1, 2], recommend: { _ in [NarrativeFixtures.item] }, variants: 2, writer: &writer,
            tokenBudget: 200, countTokens: { $0.split(separator: " ").count })
        XCTAssertEqual(examples.count, 4)
        XCTAssertTrue(examples[0].prompt.hasPrefix("recent: White Hanging Heart T-light Holder; White Metal Lantern\n"))
        XCTAssertTrue(examples[2].prompt.hasPrefix("recent: Pink Regency Teacup And Saucer\n"))
        XCTAssertTrue(examples.allSatisfy { $0.prompt.hasSuffix("narrative:\n") && $0.completion.contains("<price>") })
        let unknown = RecommendedItem(stockCode: "00000", name: "Nothing", price: 1, score: 1, reasons: [])
        XCTAssertThrowsError(try dataset.examples(customers: [1], recommend: { _ in [unknown] }, variants: 1, writer: &writer,
                                                  tokenBudget: 200, countTokens: { $0.count }))
    }

    func testTheSummaryReadsQueryLinesAndAveragesOverAllNarratives() throws {
        let json = """
            {"customer": 1, "cold_start": false, "items": [
              {"stock_code": "22423", "name": "Regency Cakestand 3 Tier", "price": 12.75, "score": 0.9,
               "reasons": [{"kind": "bought-together", "with": "85123A", "customers": 41}],
               "narrative": "41 customers who bought the White Hanging Heart T-Light Holder took the Regency Cakestand 3 Tier, £12.75."},
              {"stock_code": "22423", "name": "Regency Cakestand 3 Tier", "price": 12.75, "score": 0.9,
               "reasons": [{"kind": "bought-together", "with": "85123A", "customers": 41}],
               "narrative": "The Regency Cakestand 3 Tier, £12.57.", "narrative_fallback": true},
              {"stock_code": "22423", "name": "Regency Cakestand 3 Tier", "price": 12.75, "score": 0.9, "reasons": []}
            ]}
            """
        let page = try JSONDecoder().decode(NarratedRecommendations.self, from: Data(json.utf8))
        XCTAssertEqual(page.items.map(\.isFallback), [false, true, false])
        XCTAssertNil(page.items[2].narrative)
        let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)
        var summary = GroundingSummary()
        for entry in page.items {
            guard let narrative = entry.narrative else { continue }
            summary.add(checker.check(narrative, item: entry.item, history: NarrativeFixtures.history), isFallback: entry.isFallback)
        }
        XCTAssertEqual(summary.narratives, 2)
        XCTAssertEqual(summary.passing, 1)
        XCTAssertEqual(summary.fallbacks, 1)
        XCTAssertEqual(summary.totals.priceAccuracy, 0.5)
        // 8 required facts; the second misses the heart holder, 41 and the price, and misquotes it.
        XCTAssertEqual(summary.totals.slotErrorRate, 4.0 / 8.0)
    }
}
