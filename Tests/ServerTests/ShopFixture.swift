import Embedding
import Foundation
import GRDB
import Recommend
import Server
import Store
import XCTest

/// A real shop database built once per test run from the committed 40k-row sample (import, then
/// an index of all-MiniLM-L6-v2 embeddings with a coarse weight search), with an admin and two
/// customer accounts. Only the sample's lines of its `productCount` most-sold products are
/// imported: embedding every product in a debug build would take minutes. Each server gets its own copy of the file, so tests never see each other's
/// interactions or history; the recommender and the encoder, read-only, are shared.
final class ShopFixture: @unchecked Sendable {
    static let adminPassword = "admin-correct-horse"
    static let customerPassword = "customer-battery-staple"

    let directory: String
    let databasePath: String
    let recommender: ShopRecommender
    let encoder: SentenceEncoder
    /// The two customers with accounts: the one with the most distinct products, and another.
    let customerA: Int
    let customerB: Int

    static let productCount = 400

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    nonisolated(unsafe) private static var cached: ShopFixture?
    private static let lock = NSLock()

    /// Every fixture file lives here; removed when the test process exits.
    static let temporaryDirectory = NSTemporaryDirectory() + "finch-shop-\(UUID().uuidString)"

    static func shared() throws -> ShopFixture {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        atexit { try? FileManager.default.removeItem(atPath: ShopFixture.temporaryDirectory) }
        let fixture = try ShopFixture()
        cached = fixture
        return fixture
    }

    private init() throws {
        let modelDirectory = Self.root.appendingPathComponent("models/all-MiniLM-L6-v2").path
        guard FileManager.default.fileExists(atPath: modelDirectory + "/model.safetensors") else {
            XCTFail("\(modelDirectory) is missing: run scripts/setup-minilm (scripts/setup does) to download all-MiniLM-L6-v2")
            throw XCTSkip("no model")
        }
        directory = Self.temporaryDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        databasePath = directory + "/shop.sqlite"
        let csv = directory + "/sample-top-products.csv"
        try Self.writeTopProductLines(to: csv)
        _ = try RetailImport.run(csv: csv, database: databasePath)
        let encoder = try SentenceEncoder(modelDirectory: modelDirectory)
        self.encoder = encoder
        let database = try ShopDatabase(path: databasePath)
        let products = try database.products()
        let lines = try database.purchaseLines()
        var tuning = HybridTuning()
        tuning.grid = [0, 1]
        tuning.rounds = 1
        tuning.candidatesPerComponent = 20
        let index = try RecommenderIndex.build(products: products, lines: lines, model: "all-MiniLM-L6-v2", dimension: encoder.dimension,
                                               embed: { texts in try encoder.embed(texts).flatMap { $0 } }, tuning: tuning)
        try index.save(to: database)
        recommender = try ShopRecommender(products: products, lines: lines, index: index)
        let data = recommender.data
        let ranked = (0..<data.customerCount).sorted { data.items(ofCustomer: $0).count > data.items(ofCustomer: $1).count }
        customerA = data.customers[ranked[0]]
        customerB = data.customers[ranked[1]]
        let accounts = ShopAccounts(database: database, cost: 4)
        try accounts.addAdmin("admin", password: Self.adminPassword)
        try accounts.addCustomer(customerA, password: Self.customerPassword)
        try accounts.addCustomer(customerB, password: Self.customerPassword)
        try database.connections.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try database.connections.close()
    }

    /// The sample's header and its rows of the `productCount` stock codes with the most rows. The
    /// first two columns (InvoiceNo, StockCode) never hold commas or quotes, so a plain split finds them.
    private static func writeTopProductLines(to path: String) throws {
        let text = try String(contentsOfFile: root.appendingPathComponent("data/online-retail/online_retail_sample.csv").path, encoding: .utf8)
        let rows = text.split(separator: "\n", omittingEmptySubsequences: true)
        func stockCode(_ row: Substring) -> Substring { row.split(separator: ",", maxSplits: 2).dropFirst().first ?? "" }
        var counts: [Substring: Int] = [:]
        for row in rows.dropFirst() { counts[stockCode(row), default: 0] += 1 }
        let kept = Set(counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(productCount).map(\.key))
        let lines = [rows[0]] + rows.dropFirst().filter { kept.contains(stockCode($0)) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A private copy of the database for one server.
    func copyDatabase() throws -> String {
        let copy = directory + "/shop-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: databasePath, toPath: copy)
        return copy
    }
}
