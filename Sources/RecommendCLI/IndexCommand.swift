import ArgumentParser
import CommandLineSupport
import Embedding
import Foundation
import Recommend
import Store
import Tensor

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Embed every product and tune the hybrid's weights on the database's own purchases; re-run after an import."
    )

    @Option(help: "The shop database (made by `recommend import`).")
    var db: String

    @Option(help: "The sentence-transformers model folder (default: models/all-MiniLM-L6-v2; fetch it with scripts/setup-minilm).")
    var model: String?

    func run() throws {
        try runReportingErrors {
            let start = Date()
            let database = try ShopDatabase(path: db)
            let modelDirectory = ModelLocation.resolve(model)
            let encoder = try SentenceEncoder(modelDirectory: modelDirectory)
            let products = try database.products()
            let lines = try database.purchaseLines()
            printError("index: \(formatCount(lines.count)) purchase lines, \(products.count) products")
            let index = try RecommenderIndex.build(
                products: products, lines: lines, model: URL(fileURLWithPath: modelDirectory).lastPathComponent,
                dimension: encoder.dimension, embed: { texts in try encoder.embed(texts).flatMap { $0 } },
                progress: printError)
            try index.save(to: database)
            printError("index: written to \(db) in \(formatDuration(Date().timeIntervalSince(start)))")
        }
    }
}
