import Foundation
import Recommend
import Store
import XCTest

/// `recommend index` and `query` through the library on a store made from the committed sample:
/// the index round trip, reasons that are real counts from the data, cold start, and the bad
/// input that must fail with one clear message.
final class ShopRecommenderTests: XCTestCase {
    private static let dimension = 8

    /// A stand-in for MiniLM: unit vectors of letter-class counts, so similar descriptions are
    /// close and the test needs no model download.
    private static func letterEmbedding(_ texts: [String]) -> [Float] {
        texts.flatMap { text -> [Float] in
            var v = [Float](repeating: 0.01, count: dimension)
            for byte in text.lowercased().utf8 where byte >= 97 && byte <= 122 { v[Int(byte - 97) % dimension] += 1 }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    /// A coarse search: these tests check the index, not the weights' quality.
    private static var quickTuning: HybridTuning {
        var tuning = HybridTuning()
        tuning.grid = [0, 0.5, 1]
        tuning.rounds = 1
        tuning.candidatesPerComponent = 20
        tuning.cutoffQuantiles = []
        return tuning
    }

    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "finch-recommend-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testIndexRoundTripAndQueries() throws {
        let path = directory + "/shop.sqlite"
        _ = try RetailImport.run(csv: SampleLines.path, database: path)
        let database = try ShopDatabase(path: path)
        XCTAssertThrowsError(try RecommenderIndex.load(from: database)) { error in
            XCTAssertTrue("\(error)".contains("run `recommend index"), "\(error)")
        }
        let products = try database.products()
        let lines = try database.purchaseLines()
        let built = try RecommenderIndex.build(products: products, lines: lines, model: "letters", dimension: Self.dimension,
                                               embed: Self.letterEmbedding, tuning: Self.quickTuning)
        try built.save(to: database)
        let index = try RecommenderIndex.load(from: database)
        XCTAssertEqual(index.stockCodes, built.stockCodes)
        XCTAssertEqual(index.embeddings, built.embeddings)
        XCTAssertEqual(index.weights, built.weights)
        XCTAssertEqual(index.dataFrom, lines.map(\.date).min())

        let recommender = try ShopRecommender(products: products, lines: lines, index: index)
        let data = recommender.data
        // The customer with the most distinct items, so every kind of evidence can appear.
        let c = (0..<data.customerCount).max { data.items(ofCustomer: $0).count < data.items(ofCustomer: $1).count }!
        let id = data.customers[c]
        let answer = try recommender.recommend(customer: id, k: 10)
        XCTAssertFalse(answer.coldStart)
        XCTAssertEqual(answer.items.count, 10)
        XCTAssertEqual(answer.items.map(\.score), answer.items.map(\.score).sorted(by: >))
        let bought = Set(data.items(ofCustomer: c).map { data.items[Int($0)] })
        let recent = Set(RecentPurchases(data: data).products(ofCustomer: c).map { data.items[Int($0)] })
        for item in answer.items {
            XCTAssertFalse(item.reasons.isEmpty)
            for reason in item.reasons {
                switch reason {
                case let .boughtBefore(times):
                    let invoices = lines.filter { $0.customer == id && $0.stockCode == item.stockCode }.map(\.invoice)
                    XCTAssertEqual(times, Set(invoices).count, "bought-before counts invoices")
                case let .boughtTogether(with, customers):
                    XCTAssertTrue(recent.contains(with), "bought-together cites one of the 50 most recent products")
                    let buyers = { (code: String) in Set(lines.filter { $0.stockCode == code }.map(\.customer)) }
                    XCTAssertEqual(customers, buyers(with).intersection(buyers(item.stockCode)).count, "customers who bought both")
                case let .similar(to, cosine):
                    XCTAssertTrue(recent.contains(to), "similar cites one of the 50 most recent products")
                    XCTAssertGreaterThanOrEqual(cosine, 0.5)
                case .trending, .popular:
                    break
                }
            }
        }
        let unseen = try recommender.recommend(customer: id, k: 10, excludePurchased: true)
        XCTAssertTrue(unseen.items.allSatisfy { !bought.contains($0.stockCode) })

        let cold = try recommender.recommend(customer: 1, k: 5)
        XCTAssertTrue(cold.coldStart)
        XCTAssertEqual(cold.items.count, 5)
        XCTAssertTrue(cold.items.allSatisfy { $0.reasons.contains { if case .popular = $0 { true } else { false } } })
        let json = String(decoding: try JSONEncoder().encode(cold), as: UTF8.self)
        XCTAssertTrue(json.contains("\"cold_start\":true"), json)
        // The server writes answers with JSONText: the same bytes as the sorted Codable form.
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for served in [answer, unseen, cold] {
            var text = JSONText()
            served.write(to: &text)
            XCTAssertEqual(String(decoding: text.bytes, as: UTF8.self), String(decoding: try sorted.encode(served), as: UTF8.self))
        }

        XCTAssertThrowsError(try recommender.recommend(customer: id, k: 0))
        XCTAssertThrowsError(try recommender.recommend(customer: id, k: data.itemCount + 1)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--k:"), "\(error)")
        }
        XCTAssertThrowsError(try recommender.recommend(customer: id, k: 10, method: "svd"))
    }

    func testIndexIsStaleAfterAnImport() throws {
        let path = directory + "/shop.sqlite"
        let csv = directory + "/part.csv"
        let text = try String(contentsOfFile: SampleLines.path, encoding: .utf8)
        let rows = text.split(separator: "\n")
        try (rows.prefix(2_000).joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        _ = try RetailImport.run(csv: csv, database: path)
        let database = try ShopDatabase(path: path)
        try RecommenderIndex.build(products: try database.products(), lines: try database.purchaseLines(), model: "letters",
                                   dimension: Self.dimension, embed: Self.letterEmbedding, tuning: Self.quickTuning).save(to: database)
        XCTAssertNoThrow(try RecommenderIndex.load(from: database))
        try ([String(rows[0])] + rows.dropFirst(2_000).prefix(500).map(String.init)).joined(separator: "\n").appending("\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        _ = try RetailImport.run(csv: csv, database: path)
        XCTAssertThrowsError(try RecommenderIndex.load(from: try ShopDatabase(path: path))) { error in
            XCTAssertTrue("\(error)".contains("recommend index"), "\(error)")
        }
    }

    func testCustomerIDs() throws {
        XCTAssertEqual(try CustomerIDs.parse(single: "17850", file: nil), [17850])
        XCTAssertThrowsError(try CustomerIDs.parse(single: "abc", file: nil)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--customer:"), "\(error)")
        }
        let file = directory + "/ids.txt"
        try "12347\n\n17850\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CustomerIDs.parse(single: nil, file: file), [12347, 17850])
        try "12347\n17850.5\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CustomerIDs.parse(single: nil, file: file)) { error in
            XCTAssertTrue("\(error)".contains("ids.txt:2:"), "\(error)")
        }
        XCTAssertThrowsError(try CustomerIDs.parse(single: nil, file: directory + "/missing.txt"))
    }
}
