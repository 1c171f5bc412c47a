import Foundation
@testable import Recommend
import Store
import XCTest

/// A recommendations answer written with `JSONText` is the same text as its Codable form with
/// sorted keys, for every kind of reason and any names, prices and scores.
final class RecommendationJSONTests: XCTestCase {
    func testEveryReasonKindMatchesTheCodableForm() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var rng = SystemRandomNumberGenerator()
        let names = ["WHITE HANGING HEART T-LIGHT HOLDER", "SET/6 \"RED\" SPOTTY CUPS", "CAFÉ\tMUG", "", "PINK 😀 BAG\n"]
        for _ in 0..<200 {
            let items = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                let reasons: [Reason] = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                    switch Int.random(in: 0..<5, using: &rng) {
                    case 0: .boughtTogether(with: names.randomElement(using: &rng)!, customers: Int.random(in: 0...5_000, using: &rng))
                    case 1: .similar(to: names.randomElement(using: &rng)!, cosine: (Double.random(in: -1...1, using: &rng) * 1000).rounded() / 1000)
                    case 2: .boughtBefore(times: Int.random(in: 1...300, using: &rng))
                    case 3: .trending(orders30d: Int.random(in: 0...900, using: &rng))
                    default: .popular(customers: Int.random(in: 0...5_000, using: &rng))
                    }
                }
                return RecommendedItem(stockCode: String(Int.random(in: 10_000...99_999, using: &rng)), name: names.randomElement(using: &rng)!,
                                       price: Double(Int.random(in: 0...100_000, using: &rng)) / 100,
                                       score: Double(Float.random(in: 0...3, using: &rng)), reasons: reasons)
            }
            let answer = CustomerRecommendations(customer: Int.random(in: 12_000...18_300, using: &rng), coldStart: Bool.random(using: &rng), items: items)
            var json = JSONText()
            answer.write(to: &json)
            XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), String(decoding: try encoder.encode(answer), as: UTF8.self))
        }
    }
}
