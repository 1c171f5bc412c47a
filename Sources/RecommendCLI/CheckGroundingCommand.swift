import ArgumentParser
import CommandLineSupport
import Foundation
import Tensor
import Narrative
import Store

/// `recommend check-grounding`: checks the narratives of `query` output against the catalogue
/// and each customer's purchases, and prints the grounding measures as one JSON line.
struct CheckGroundingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-grounding",
        abstract: "Check narratives (query JSON lines with \"narrative\" per item) against the catalogue: product precision, price and number accuracy, slot error rate.")

    @Option(help: "The shop database the recommendations came from.")
    var db: String

    @Argument(help: "JSON lines as `recommend query --narrate` prints them (default: standard input).")
    var file: String?

    @Flag(help: "Also print each failing narrative with its problems to standard error.")
    var verbose = false

    func run() throws {
        try runReportingErrors {
            let name = file ?? "standard input"
            if let file, !RegularFile.exists(file) { throw ValidationError("\(file): not found") }
            let data = try file.map { try RegularFile.contents(of: $0) } ?? FileHandle.standardInput.readDataToEndOfFile()
            let database = try ShopDatabase(path: db, readOnly: true)
            let products = try database.products()
            let checker = GroundingChecker(catalogue: products)
            let byCode = Dictionary(products.map { ($0.stockCode, $0) }, uniquingKeysWith: { first, _ in first })
            var histories: [Int: [Product]] = [:]
            for line in try database.purchaseLines() {
                if let product = byCode[line.stockCode] { histories[line.customer, default: []].append(product) }
            }
            var summary = GroundingSummary()
            let decoder = JSONDecoder()
            for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
                let page: NarratedRecommendations
                do {
                    page = try decoder.decode(NarratedRecommendations.self, from: Data(line))
                } catch {
                    throw ValidationError("\(name):\(index + 1): not a query line with items: \(error)")
                }
                for entry in page.items {
                    guard let narrative = entry.narrative else { continue }
                    let report = checker.check(narrative, item: entry.item, history: histories[page.customer] ?? [])
                    summary.add(report, isFallback: entry.isFallback)
                    if verbose, !report.passes {
                        printError("customer \(page.customer), \(entry.item.stockCode): \(narrative) — \(report.problems.joined(separator: "; "))")
                    }
                }
            }
            let json = try JSONSerialization.data(withJSONObject: summary.fields, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
        }
    }
}
