import Store
import XCTest
@testable import Recommend

/// The repurchase rate on a history small enough to work out by hand.
final class RepurchaseRateTests: XCTestCase {
    private func line(_ customer: Int, _ invoice: String, _ code: String, _ date: String) -> PurchaseLine {
        PurchaseLine(customer: customer, invoice: invoice, stockCode: code, date: date, quantity: 1,
                     unitPrice: 1, description: code, country: "United Kingdom")
    }

    /// Customer 1: A {X, Y}, B {X}, C {Z}; customer 2: D {X}, E {Y} (X = 10001, Y = 10002, Z = 10003).
    private var lines: [PurchaseLine] {
        [
            line(1, "A", "10001", "2011-01-01 10:00:00"), line(1, "A", "10002", "2011-01-01 10:00:00"),
            line(1, "B", "10001", "2011-01-05 10:00:00"), line(1, "C", "10003", "2011-01-09 10:00:00"),
            line(2, "D", "10001", "2011-01-02 10:00:00"), line(2, "E", "10002", "2011-01-06 10:00:00"),
        ]
    }

    func testRatesShrinkTheCustomersOwnRateTowardTheItems() {
        let data = TrainingData(catalogue: ["10001", "10002", "10003"], lines: lines)
        let method = RepurchaseRateRecommender(data: data, priorInvoices: 10)
        let tie = data.tieBreak
        // Chances (invoices after the first with the item) and repeats: customer 1 X 2/1, Y 2/0,
        // Z 0/0; customer 2 X 1/0, Y 0/0. Item rates with one repeat in two chances added:
        // X (1+1)/(2+3) = 0.4, Y 1/(2+2) = 0.25, Z 1/2.
        let one = method.scores(customer: data.customerIndex[1]!, excludingPurchased: false)
        let expectedOne: [Float] = [(1 + 4) / 12, 2.5 / 12, 5 / 10]
        for item in 0..<3 { XCTAssertEqual(one[item] - tie[item], expectedOne[item], accuracy: 1e-6) }
        let two = method.scores(customer: data.customerIndex[2]!, excludingPurchased: false)
        let expectedTwo: [Float] = [4 / 11, 2.5 / 10, 0]
        for item in 0..<3 { XCTAssertEqual(two[item] - tie[item], expectedTwo[item], accuracy: 1e-6) }
    }

    func testAWeakPriorFollowsTheCustomersOwnHistory() {
        let data = TrainingData(catalogue: ["10001", "10002", "10003"], lines: lines)
        let scores = RepurchaseRateRecommender(data: data, priorInvoices: 1e-4).scores(customer: data.customerIndex[1]!, excludingPurchased: false)
        // X came back in one of its two chances, Y in none: ½ and 0, whatever the other buyers did.
        XCTAssertEqual(scores[0], 0.5, accuracy: 1e-3)
        XCTAssertEqual(scores[1], 0, accuracy: 1e-3)
        XCTAssertGreaterThan(scores[0], scores[1])
    }
}
