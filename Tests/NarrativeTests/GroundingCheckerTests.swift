import Recommend
import Store
import XCTest
@testable import Narrative

final class GroundingCheckerTests: XCTestCase {
    private let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)
    private let item = NarrativeFixtures.item
    private let history = NarrativeFixtures.history

    private func check(_ text: String) -> GroundingReport {
        checker.check(text, item: item, history: history)
    }

    func testAGroundedNarrativePasses() {
        let report = check("41 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand (3 Tier)? No: the REGENCY CAKESTAND 3 TIER, £12.75.")
        // Required: the cakestand, the heart holder, 41 and the price; the cakestand is named twice.
        XCTAssertEqual(report.required, 4)
        XCTAssertEqual(report.repeated, 1, "punctuation does not hide the first mention")
        XCTAssertFalse(report.passes)
        let clean = check("41 customers who bought the White Hanging Heart T-Light Holder also took the REGENCY CAKESTAND 3 TIER, £12.75. It had 120 orders in the last 30 days.")
        XCTAssertTrue(clean.passes, "\(clean.problems)")
        XCTAssertEqual(clean.productMentions, 2)
        XCTAssertEqual(clean.productPrecision, 1)
        XCTAssertEqual(clean.priceAccuracy, 1)
        XCTAssertEqual(clean.numbers, 2, "41 and 120; the 3 of the name and the 30-day window are not facts")
        XCTAssertEqual(clean.numberAccuracy, 1)
        XCTAssertEqual(clean.slotErrorRate, 0)
    }

    func testMentionsAreFoundWhateverTheCaseAndPunctuation() {
        let codes = checker.mentions(in: "white hanging heart t light holder, JUMBO BAG RED RETROSPOT and the Alarm Clock Bakelike Red.")
            .map(\.stockCode)
        XCTAssertEqual(codes, ["85123A", "85099B", "22727"])
        XCTAssertEqual(checker.mentions(in: "a white metal lanterns shop").map(\.stockCode), [], "whole words only")
    }

    /// The data has names several stock codes share: such a name is the recommended product (or
    /// the customer's) when one of the codes is, whichever the catalogue lists first.
    func testANameSharedByTwoStockCodesIsTheAllowedOne() {
        let twin = NarrativeFixtures.product("22423B", "REGENCY CAKESTAND 3 TIER", 11.95)
        for catalogue in [NarrativeFixtures.catalogue + [twin], [twin] + NarrativeFixtures.catalogue] {
            let checker = GroundingChecker(catalogue: catalogue)
            let text = "41 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand 3 Tier, £12.75."
            let report = checker.check(text, item: item, history: history)
            XCTAssertTrue(report.passes, "\(report.problems)")
            XCTAssertEqual(report.productPrecision, 1)
            let twinItem = RecommendedItem(stockCode: twin.stockCode, name: twin.name, price: twin.price, score: 1,
                                           reasons: [.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41)])
            let twinReport = checker.check(text.replacingOccurrences(of: "£12.75", with: "£11.95"), item: twinItem, history: history)
            XCTAssertTrue(twinReport.passes, "\(twinReport.problems)")
            XCTAssertFalse(checker.check("The Regency Cakestand 3 Tier, £2.08.", item: RecommendedItem(
                stockCode: NarrativeFixtures.jumboBag.stockCode, name: NarrativeFixtures.jumboBag.name, price: 2.08, score: 1, reasons: []),
                                         history: []).passes, "a name neither code of which is allowed is still caught")
        }
    }

    func testAnInventedProductIsCaught() {
        let report = check("41 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand 3 Tier and the Jumbo Bag Red Retrospot, £12.75.")
        XCTAssertFalse(report.passes)
        XCTAssertEqual(report.added, 1)
        XCTAssertEqual(report.productPrecision, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertTrue(report.problems.contains { $0.contains("Jumbo Bag Red Retrospot") }, "\(report.problems)")
    }

    func testAWrongPriceIsCaught() {
        let report = check("41 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand 3 Tier, £12.57.")
        XCTAssertFalse(report.passes)
        XCTAssertEqual(report.priceAccuracy, 0)
        XCTAssertEqual(report.wrong, 1)
        XCTAssertEqual(report.missing, 1, "the right price is missing too")
        XCTAssertEqual(report.numbers, 1, "the price's digits are not numbers")
        XCTAssertEqual(report.slotErrorRate, 2.0 / 4.0, accuracy: 1e-12)
    }

    func testAWrongNumberIsCaught() {
        let report = check("14 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand 3 Tier, £12.75.")
        XCTAssertFalse(report.passes)
        XCTAssertEqual(report.numberAccuracy, 0)
        XCTAssertEqual(report.wrong, 1)
        XCTAssertEqual(report.missing, 1, "41 is never stated")
        XCTAssertTrue(report.problems.contains("states 14, which no reason gives"), "\(report.problems)")
    }

    func testMissingEvidenceIsCaught() {
        let report = check("You will love the Regency Cakestand 3 Tier, £12.75.")
        XCTAssertFalse(report.passes)
        XCTAssertEqual(report.missing, 2, "neither the heart holder nor the 41 customers")
        XCTAssertEqual(report.productPrecision, 1)
        XCTAssertEqual(report.slotErrorRate, 0.5, accuracy: 1e-12)
        let noProduct = check("41 customers who bought the White Hanging Heart T-Light Holder love this, £12.75.")
        XCTAssertTrue(noProduct.problems.contains("does not name Regency Cakestand 3 Tier"), "\(noProduct.problems)")
    }

    func testARepeatedFactCounts() {
        let report = check("41 customers who bought the White Hanging Heart T-Light Holder took the Regency Cakestand 3 Tier, £12.75. Yes, £12.75.")
        XCTAssertEqual(report.repeated, 1)
        XCTAssertFalse(report.passes)
    }

    /// E2E counts every repeated slot: a second reason's number or the customer's own product
    /// stated twice is an error too, while one number two facts give may be stated twice.
    func testARepeatedOptionalFactCounts() {
        let grounded = "41 customers who bought the White Hanging Heart T-Light Holder also took the Regency Cakestand 3 Tier, £12.75."
        let twiceTrending = check(grounded + " 120 orders in the last 30 days, 120 orders!")
        XCTAssertEqual(twiceTrending.repeated, 1)
        XCTAssertFalse(twiceTrending.passes)
        let ownTwice = check(grounded + " It suits your White Metal Lantern and your White Metal Lantern.")
        XCTAssertEqual(ownTwice.repeated, 1, "\(ownTwice.problems)")
        let twoFacts = RecommendedItem(stockCode: item.stockCode, name: item.name, price: item.price, score: 1,
                                       reasons: [.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41),
                                                 .trending(orders30d: 41)])
        let sameNumber = checker.check(grounded + " It had 41 orders in the last 30 days.", item: twoFacts, history: history)
        XCTAssertTrue(sameNumber.passes, "\(sameNumber.problems)")
        let thrice = checker.check(grounded + " It had 41 orders in the last 30 days, 41!", item: twoFacts, history: history)
        XCTAssertEqual(thrice.repeated, 1)
    }

    func testAFailingNarrativeIsReplacedByAGroundedFallback() throws {
        let sheet = try NarrativeFixtures.sheet()
        let served = ServedNarrative.serve("The <product> is a steal at <price>, loved by 99 customers.", sheet: sheet, checker: checker)
        XCTAssertTrue(served.isFallback)
        XCTAssertEqual(served.text, "41 customers who bought the White Hanging Heart T-light Holder also bought the Regency Cakestand 3 Tier (£12.75).")
        XCTAssertFalse(served.problems.isEmpty)
        let unfillable = ServedNarrative.serve("You bought the <product> <times>.", sheet: sheet, checker: checker)
        XCTAssertTrue(unfillable.isFallback)
        let good = ServedNarrative.serve("<customers> who bought the <with> also took the <product>. Yours for <price>.", sheet: sheet, checker: checker)
        XCTAssertFalse(good.isFallback, "\(good.problems)")
        XCTAssertEqual(good.text, "41 customers who bought the White Hanging Heart T-light Holder also took the Regency Cakestand 3 Tier. Yours for £12.75.")
        for sheet in try NarrativeFixtures.variedSheets() {
            let fallback = ServedNarrative.fallback(for: sheet)
            let report = checker.check(fallback, item: sheet.item, history: sheet.history)
            XCTAssertTrue(report.passes, "\(fallback): \(report.problems)")
        }
    }
}
