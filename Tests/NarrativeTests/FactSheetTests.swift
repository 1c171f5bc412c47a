import Recommend
import Store
import XCTest
@testable import Narrative

final class FactSheetTests: XCTestCase {
    private let words: (String) -> Int = { $0.split { $0 == " " || $0 == "\n" }.count }

    func testAttributesComeFromTheDescription() {
        let decorations = ProductAttributes(description: "SET OF 3 WOODEN HEART DECORATIONS")
        XCTAssertEqual(decorations, ProductAttributes(material: "wooden", kind: "decoration", setSize: 3))
        XCTAssertEqual(ProductAttributes(description: "WHITE HANGING HEART T-LIGHT HOLDER"),
                       ProductAttributes(colour: "white", kind: "holder"))
        XCTAssertEqual(ProductAttributes(description: "REGENCY CAKESTAND 3 TIER").kind, "cake stand")
        let chain = ProductAttributes(description: "PAPER CHAIN KIT 50'S CHRISTMAS")
        XCTAssertEqual(chain.occasion, .christmas)
        XCTAssertEqual(chain.material, "paper")
        XCTAssertNil(chain.setSize, "50'S is a decade, not a set")
        XCTAssertEqual(ProductAttributes(description: "60 TEATIME FAIRY CAKE CASES").setSize, 60)
        XCTAssertEqual(ProductAttributes(description: "PACK OF 12 PINK PAISLEY TISSUES").setSize, 12)
        XCTAssertEqual(ProductAttributes(description: "JUMBO BAG RED RETROSPOT"), ProductAttributes(colour: "red", kind: "bag"))
        XCTAssertEqual(ProductAttributes(description: ""), ProductAttributes())
    }

    func testPricesAreWrittenToThePenny() {
        XCTAssertEqual(FactSheet.formatPrice(12.75), "£12.75")
        XCTAssertEqual(FactSheet.formatPrice(2.1), "£2.10")
        XCTAssertEqual(FactSheet.formatPrice(0.85), "£0.85")
        XCTAssertEqual(FactSheet.formatPrice(0.055), "£0.06")
        XCTAssertEqual(FactSheet.formatPrice(1250), "£1250.00")
    }

    func testThePromptStatesEveryFactWithItsNumber() throws {
        let prompt = try NarrativeFixtures.sheet(month: 11).prompt(tokenBudget: 500, countTokens: words)
        XCTAssertEqual(prompt, """
            recent: White Hanging Heart T-light Holder; White Metal Lantern
            product: Regency Cakestand 3 Tier
            price: £12.75
            about: kind=cake stand
            reason: bought-together with=White Hanging Heart T-light Holder customers=41
            reason: trending orders=120
            narrative:
            """)
    }

    func testTheOldestHistoryIsDroppedFirstToFitTheBudget() throws {
        let sheet = try NarrativeFixtures.sheet(history: [NarrativeFixtures.alarmClock, NarrativeFixtures.teacups,
                                                          NarrativeFixtures.heart, NarrativeFixtures.lantern])
        let full = try sheet.prompt(tokenBudget: 500, countTokens: words)
        XCTAssertTrue(full.hasPrefix("recent: Alarm Clock Bakelike Red; Pink Regency Teacup And Saucer; White Hanging"), full)
        // Dropping the lantern alone saves nothing once the note is added; the heart holder goes too.
        let trimmed = try sheet.prompt(tokenBudget: words(full) - 4, countTokens: words)
        XCTAssertTrue(trimmed.hasPrefix("recent: Alarm Clock Bakelike Red; Pink Regency Teacup And Saucer; (2 earlier omitted)\n"), trimmed)
        XCTAssertLessThanOrEqual(words(trimmed), words(full) - 4)
        let limited = try sheet.prompt(tokenBudget: 500, historyLimit: 1, countTokens: words)
        XCTAssertTrue(limited.hasPrefix("recent: Alarm Clock Bakelike Red; (3 earlier omitted)\n"), limited)
        XCTAssertThrowsError(try sheet.prompt(tokenBudget: 10, countTokens: words)) { error in
            XCTAssertTrue("\(error)".contains("budget is 10"), "\(error)")
        }
    }

    func testAReasonCitingAnUnknownProductIsRefused() {
        let item = RecommendedItem(stockCode: "22423", name: "Regency Cakestand 3 Tier", price: 12.75, score: 1,
                                   reasons: [.boughtTogether(with: "99999Z", customers: 3)])
        XCTAssertThrowsError(try NarrativeFixtures.sheet(item: item)) { error in
            XCTAssertTrue("\(error)".contains("99999Z"), "\(error)")
        }
    }

    func testSlotsFillWithTheExactValues() throws {
        let sheet = try NarrativeFixtures.sheet()
        XCTAssertEqual(try NarrativeSlot.fill("<customers> who bought the <with> took the <product>, <price>. <orders>!", sheet: sheet),
                       "41 customers who bought the White Hanging Heart T-light Holder took the Regency Cakestand 3 Tier, £12.75. 120 orders!")
        XCTAssertThrowsError(try NarrativeSlot.fill("<times> before", sheet: sheet), "no bought-before reason")
        XCTAssertThrowsError(try NarrativeSlot.fill("the <name>", sheet: sheet), "unknown slot")
        XCTAssertThrowsError(try NarrativeSlot.fill("the <product", sheet: sheet), "unclosed slot")
        let once = try NarrativeFixtures.sheet(item: RecommendedItem(stockCode: "22423", name: "Regency Cakestand 3 Tier",
                                                                    price: 12.75, score: 1, reasons: [.boughtBefore(times: 1), .popular(customers: 1)]))
        XCTAssertEqual(try NarrativeSlot.fill("<times>, <buyers>", sheet: once), "once, 1 customer")
    }
}
