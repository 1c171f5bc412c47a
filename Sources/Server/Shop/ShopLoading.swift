import Embedding
import Foundation
import Recommend
import Store

extension ShopServices {
    /// What `serve --db FILE --model DIR` loads: the shop database (brought to this build's schema,
    /// WAL mode), its recommender index and every method fit on all purchases, and the sentence
    /// encoder that embedded the index (for search queries). Blocking: run it off the request threads.
    public static func load(databasePath: String, modelDirectory: String, jwtSecret: [UInt8]) async throws -> ShopServices {
        let (database, recommender, encoder) = try await onOwnThread { () throws -> (ShopDatabase, ShopRecommender, SentenceEncoder) in
            guard FileManager.default.fileExists(atPath: databasePath) else {
                throw StoreError("--db \(databasePath): no shop database there; `recommend import --csv FILE --db \(databasePath)` creates it")
            }
            let database = try ShopDatabase(path: databasePath, migrate: true)
            let index = try RecommenderIndex.load(from: database)
            let recommender = try ShopRecommender(products: try database.products(), lines: try database.purchaseLines(), index: index)
            let encoder = try SentenceEncoder(modelDirectory: modelDirectory)
            guard encoder.dimension == index.dimension else {
                throw RecommendError("--model \(modelDirectory) embeds in \(encoder.dimension) dimensions, the index of \(databasePath) in \(index.dimension) (\(index.model)); give the model the index was built with")
            }
            return (database, recommender, encoder)
        }
        return ShopServices(
            database: database, accounts: ShopAccounts(database: database), recommender: recommender,
            embedQuery: { query in try encoder.embed([query])[0] },
            tokens: await TokenIssuer(secret: jwtSecret))
    }
}
