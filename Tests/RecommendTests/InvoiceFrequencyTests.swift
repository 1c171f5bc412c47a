import Store
import XCTest
@testable import Recommend

/// Invoice frequency against GP-TopFreq's line counts, on a history worked out by hand.
final class InvoiceFrequencyTests: XCTestCase {
    private func line(_ customer: Int, _ invoice: String, _ code: String, _ date: String, price: Double = 1) -> PurchaseLine {
        PurchaseLine(customer: customer, invoice: invoice, stockCode: code, date: date, quantity: 1,
                     unitPrice: price, description: code, country: "United Kingdom")
    }

    /// Customer 1: invoice A has 10001 on three lines (three prices), B and C each 10002;
    /// customer 2: D {10003}, customer 3: E {10003, 10001}.
    private var lines: [PurchaseLine] {
        [
            line(1, "A", "10001", "2011-01-01 10:00:00"), line(1, "A", "10001", "2011-01-01 10:00:00", price: 2),
            line(1, "A", "10001", "2011-01-01 10:00:00", price: 3),
            line(1, "B", "10002", "2011-01-05 10:00:00"), line(1, "C", "10002", "2011-01-09 10:00:00"),
            line(2, "D", "10003", "2011-01-02 10:00:00"),
            line(3, "E", "10003", "2011-01-03 10:00:00"), line(3, "E", "10001", "2011-01-03 10:00:00"),
        ]
    }

    func testCountsInvoicesWhereGPTopFreqCountsLines() {
        let data = TrainingData(catalogue: ["10001", "10002", "10003", "10004"], lines: lines)
        let c = data.customerIndex[1]!
        // Popularity (customers): 10001 2, 10002 1, 10003 2, 10004 0.
        let invoices = InvoiceFrequencyRecommender(data: data).scores(customer: c, excludingPurchased: false)
        XCTAssertEqual(invoices, [1e6 + 2, 2e6 + 1, 2, 0])
        let lines = TopFrequencyRecommender(data: data).scores(customer: c, excludingPurchased: false)
        XCTAssertEqual(lines, [3e6 + 2, 2e6 + 1, 2, 0])
        XCTAssertEqual(TopK.select(invoices, k: 4), [1, 0, 2, 3])
        XCTAssertEqual(TopK.select(lines, k: 4), [0, 1, 2, 3])
    }

    func testItemsNotBoughtFollowPopularity() {
        let data = TrainingData(catalogue: ["10001", "10002", "10003", "10004"], lines: lines)
        let scores = InvoiceFrequencyRecommender(data: data).scores(customer: data.customerIndex[2]!, excludingPurchased: false)
        XCTAssertEqual(TopK.select(scores, k: 4), [2, 0, 1, 3])
    }
}
