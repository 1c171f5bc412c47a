import Store
import XCTest
@testable import Recommend

/// Click interest on a catalogue small enough to work out by hand.
final class RecentInterestTests: XCTestCase {
    /// Customers 1 and 2 bought A and B together, customer 3 bought C and D; descriptions embed as
    /// A = (1, 0), B = (0.6, 0.8), C = (0, 1), D = (-1, 0).
    private func interest() -> RecentInterest {
        func line(_ customer: Int, _ code: String) -> PurchaseLine {
            PurchaseLine(customer: customer, invoice: "I\(customer)", stockCode: code, date: "2011-01-01 10:00:00", quantity: 1,
                         unitPrice: 1, description: code, country: "United Kingdom")
        }
        let data = TrainingData(catalogue: ["A", "B", "C", "D"],
                                lines: [line(1, "A"), line(1, "B"), line(2, "A"), line(2, "B"), line(3, "C"), line(3, "D")])
        let co = ItemKNNRecommender.countCoPurchases(data)
        return RecentInterest(data: data, coPurchases: co, embeddings: [1, 0, 0.6, 0.8, 0, 1, -1, 0], dimension: 2)
    }

    func testOneClickRaisesItsCoPurchasesAndLookAlikes() {
        let interest = interest()
        // together: B = 2 / √2 / √2 = 1; similar: A 1, B 0.6, C 0, D 0 (negative cosines count 0).
        let scores = interest.scores(clicked: interest.items(["A"]))
        XCTAssertEqual(scores[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(scores[1], 0.8, accuracy: 1e-6)
        XCTAssertEqual(scores[2], 0, accuracy: 1e-6)
        XCTAssertEqual(scores[3], 0, accuracy: 1e-6)
        XCTAssertEqual(interest.scores(clicked: []), [0, 0, 0, 0])
    }

    func testOlderClicksWeighLess() {
        let interest = interest()
        // Clicks C (newest, weight 1) then A (0.8): together D 1, B 0.8; similar A 0.8, B 0.8 + 0.48,
        // C 1, over their maximum 1.28.
        let scores = interest.scores(clicked: interest.items(["C", "A", "NOT-IN-CATALOGUE"]))
        XCTAssertEqual(scores[0], 0.3125, accuracy: 1e-6)
        XCTAssertEqual(scores[1], 0.9, accuracy: 1e-6)
        XCTAssertEqual(scores[2], 0.390625, accuracy: 1e-6)
        XCTAssertEqual(scores[3], 0.5, accuracy: 1e-6)
        let link = interest.strongestLink(clicked: [2, 0], item: 1)
        XCTAssertEqual(link?.item, 0)
        XCTAssertEqual(link?.customers, 2)
        XCTAssertNil(interest.strongestLink(clicked: [0], item: 2))
    }
}
