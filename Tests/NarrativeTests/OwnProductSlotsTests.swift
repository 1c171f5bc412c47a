import Recommend
import Store
import XCTest
@testable import Narrative

/// `<earlier>` and `<another>`: two more of the customer's own products, filled only from their
/// history, and the checker catches one they never bought.
final class OwnProductSlotsTests: XCTestCase {
    private let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)
    private let history = [NarrativeFixtures.heart, NarrativeFixtures.alarmClock, NarrativeFixtures.lantern,
                           NarrativeFixtures.teacups, NarrativeFixtures.jumboBag, NarrativeFixtures.decorations]

    private func values(_ target: Product, _ reasons: [Reason], history: [Product]) throws -> [NarrativeSlot: String] {
        let item = RecommendedItem(stockCode: target.stockCode, name: target.name, price: target.price, score: 1, reasons: reasons)
        return NarrativeSlot.values(for: try NarrativeFixtures.sheet(item: item, history: history))
    }

    /// Always two different products of the history, never the item, a cited one or `<recent>`;
    /// the items of a page name different ones.
    func testTheyAreTheCustomersOwnAndDifferFromEveryOtherNamedProduct() throws {
        var named: Set<String> = []
        for target in NarrativeFixtures.catalogue {
            for reasons: [Reason] in [[], [.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 9)],
                                      [.similar(to: NarrativeFixtures.lantern.stockCode, cosine: 0.7)]] {
                let slots = try values(target, reasons, history: history)
                let earlier = try XCTUnwrap(slots[.earlier]), another = try XCTUnwrap(slots[.another])
                let others = [slots[.product], slots[.with], slots[.to], slots[.recent]].compactMap { $0 }
                XCTAssertNotEqual(earlier, another)
                XCTAssertTrue(Set(others).isDisjoint(with: [earlier, another]), "\(target.name): \(slots)")
                XCTAssertTrue([earlier, another].allSatisfy { name in history.contains { $0.name == name } })
                named.formUnion([earlier, another])
            }
        }
        XCTAssertGreaterThan(named.count, 3, "different items name different products: \(named)")
    }

    /// A history with nothing left to name fills neither, and a frame needing them is never drawn.
    func testAShortHistoryFillsNeither() throws {
        let alone = try values(NarrativeFixtures.cakestand, [.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41)],
                               history: [NarrativeFixtures.heart])
        XCTAssertNil(alone[.earlier])
        XCTAssertNil(alone[.another])
        let item = RecommendedItem(stockCode: NarrativeFixtures.cakestand.stockCode, name: NarrativeFixtures.cakestand.name,
                                   price: NarrativeFixtures.cakestand.price, score: 1,
                                   reasons: [.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41)])
        let sheet = try NarrativeFixtures.sheet(item: item, history: [NarrativeFixtures.heart])
        var writer = NarrativeCorpusWriter(seed: 3)
        for _ in 0..<200 {
            let text = writer.completion(for: sheet)
            XCTAssertFalse(text.contains("<earlier>") || text.contains("<another>"), text)
            XCTAssertNoThrow(try NarrativeSlot.fill(text, sheet: sheet))
        }
    }

    /// The writer names them often, and every filled narrative passes the checker.
    func testTheWriterNamesThemAndStaysGrounded() throws {
        let item = NarrativeFixtures.item
        let sheet = try NarrativeFixtures.sheet(item: item, history: history)
        var writer = NarrativeCorpusWriter(seed: 11)
        let texts = (0..<300).map { _ in writer.completion(for: sheet) }
        XCTAssertGreaterThan(texts.filter { $0.contains("<earlier>") }.count, 150, "most narratives name an earlier product")
        for text in texts {
            let filled = try NarrativeSlot.fill(text, sheet: sheet)
            XCTAssertTrue(checker.check(filled, item: item, history: history).passes, filled)
        }
    }

    /// A product in an own-product sentence the customer never bought is an added product.
    func testTheCheckerCatchesAProductTheCustomerNeverBought() throws {
        let item = NarrativeFixtures.item
        let grounded = "41 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand 3 Tier. "
            + "It goes with the White Metal Lantern and the Alarm Clock Bakelike Red you bought. Yours for £12.75."
        let boughtByThem = [NarrativeFixtures.heart, NarrativeFixtures.lantern, NarrativeFixtures.alarmClock]
        XCTAssertTrue(checker.check(grounded, item: item, history: boughtByThem).passes)
        let report = checker.check(grounded, item: item, history: [NarrativeFixtures.heart, NarrativeFixtures.lantern])
        XCTAssertFalse(report.passes)
        XCTAssertEqual(report.added, 1)
        XCTAssertTrue(report.problems.contains { $0.contains("Alarm Clock Bakelike Red") }, "\(report.problems)")
    }
}
