import Dispatch
import Store
import Synchronization
import XCTest
import Recommend

/// What keeps a served answer's cost bounded: the recent-products window the evidence is drawn
/// from, and TIFU-KNN's neighbour lists kept between requests without changing any score.
final class ServingEvidenceTests: XCTestCase {
    private func line(_ customer: Int, _ invoice: String, _ code: String, _ date: String) -> PurchaseLine {
        PurchaseLine(customer: customer, invoice: invoice, stockCode: code, date: date, quantity: 1,
                     unitPrice: 1, description: code, country: "United Kingdom")
    }

    func testRecentPurchasesTakeTheNewestInvoicesFirstUpToTheWindow() {
        // Customer 2: C (day 1: 10001, 10003), D (day 3: 10002), E (day 3, later number: 10004, 10001).
        let lines = [
            line(2, "C", "10001", "2011-01-01 11:00:00"), line(2, "C", "10003", "2011-01-01 11:00:00"),
            line(2, "D", "10002", "2011-01-03 08:00:00"),
            line(2, "E", "10004", "2011-01-03 08:00:00"), line(2, "E", "10001", "2011-01-03 08:00:00"),
            line(1, "A", "10005", "2011-01-04 08:00:00"),
        ]
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: lines)
        let c = data.customerIndex[2]!
        let codes = { (recent: RecentPurchases) in recent.products(ofCustomer: c).map { data.items[Int($0)] } }
        // E's items in catalogue order, then D's, then C's not taken yet (10001 already is).
        XCTAssertEqual(codes(RecentPurchases(data: data)), ["10001", "10004", "10002", "10003"])
        XCTAssertEqual(codes(RecentPurchases(data: data, window: 3)), ["10001", "10004", "10002"])
        XCTAssertEqual(RecentPurchases(data: data, window: 1).products(ofCustomer: data.customerIndex[1]!).map { data.items[Int($0)] }, ["10005"])
    }

    func testPositionOfItemFindsExactlyTheCustomersItems() throws {
        let lines = SampleLines.lines
        try XCTSkipIf(lines.isEmpty, "the committed sample is missing")
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: lines)
        for c in stride(from: 0, to: data.customerCount, by: 37) {
            let bought = data.items(ofCustomer: c)
            for item in stride(from: 0, to: data.itemCount, by: 11) {
                XCTAssertEqual(data.position(ofItem: item, inCustomer: c), bought.firstIndex(of: Int32(item)))
            }
        }
    }

    func testKeptNeighbourListsScoreExactlyLikeFreshOnes() throws {
        let lines = SampleLines.lines
        try XCTSkipIf(lines.isEmpty, "the committed sample is missing")
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: lines)
        let customers = Array(stride(from: 0, to: data.customerCount, by: 7))
        // Fresh: every customer scored by its own recommender, so nothing is kept yet.
        let fresh = customers.map { RepeatNeighbourRecommender(data: data).scores(customer: $0, excludingPurchased: false) }
        let shared = RepeatNeighbourRecommender(data: data)
        // First uses from two threads at once, then every customer again from the kept lists.
        let results = Mutex([[Float]?](repeating: nil, count: customers.count))
        DispatchQueue.concurrentPerform(iterations: customers.count) { k in
            let scores = shared.scores(customer: customers[k], excludingPurchased: false)
            results.withLock { $0[k] = scores }
        }
        XCTAssertEqual(results.withLock { $0.map { $0! } }, fresh)
        XCTAssertEqual(customers.map { shared.scores(customer: $0, excludingPurchased: true) }, fresh)
    }
}
