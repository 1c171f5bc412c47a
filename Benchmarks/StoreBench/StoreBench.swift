import ArgumentParser
import Foundation
import Store

/// How fast the shop database loads what the recommenders read, one JSON line per measurement
/// (bench/import.sh prints Python's sqlite3 reading the same rows next to it): every purchase line
/// in file order, the catalogue, and one customer lookup. Counts let the script check both read
/// the same rows.
@main
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store-bench")

    @Option(help: "Shop database made by `recommend import`.") var db: String
    @Option(help: "Timed runs; the fastest is reported.") var runs = 5

    func run() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        let shop = try ShopDatabase(path: db)
        var lines: [PurchaseLine] = []
        report("purchaseLines", seconds: try fastest { lines = try shop.purchaseLines() }, count: lines.count)
        var products: [Product] = []
        report("products", seconds: try fastest { products = try shop.products() }, count: products.count)
        let someone = lines.first?.customer ?? 0
        var found = 0
        report("customer", seconds: try fastest { found = try shop.customer(someone) == nil ? 0 : 1 }, count: found)
    }

    private func fastest(_ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    private func report(_ what: String, seconds: Double, count: Int) {
        print("{\"load\": \"\(what)\", \"seconds\": \(String(format: "%.4f", seconds)), \"count\": \(count)}")
    }
}
