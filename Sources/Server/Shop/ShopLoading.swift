import Embedding
import Foundation
import Narrative
import Recommend
import Store

/// Where `serve --narrator DIR [--voice NAME=ADAPTER]…` finds the narrator.
public struct NarratorLocation: Sendable {
    public var directory: String
    /// Voice names to adapter directories; nil takes every adapter under `DIR/voices/`.
    public var voices: [String: String]?
    /// The GPT-2 vocabulary, when the narrator directory has none.
    public var vocabulary: String?

    public init(directory: String, voices: [String: String]?, vocabulary: String?) {
        self.directory = directory
        self.voices = voices
        self.vocabulary = vocabulary
    }
}

extension ShopServices {
    /// What `serve --db FILE --model DIR` loads: the shop database (brought to this build's schema,
    /// WAL mode), its recommender index and every method fit on all purchases, and the sentence
    /// encoder that embedded the index (for search queries), and the narrator when one is given.
    public static func load(databasePath: String, modelDirectory: String, narrator location: NarratorLocation?,
                            jwtSecret: [UInt8]) async throws -> ShopServices {
        let (database, recommender, encoder, narration) = try await onOwnThread {
            () throws -> (ShopDatabase, ShopRecommender, SentenceEncoder, ShopNarration?) in
            guard FileManager.default.fileExists(atPath: databasePath) else {
                throw StoreError("--db \(databasePath): no shop database there; `recommend import --csv FILE --db \(databasePath)` creates it")
            }
            let database = try ShopDatabase(path: databasePath, migrate: true)
            let index = try RecommenderIndex.load(from: database)
            let products = try database.products()
            let lines = try database.purchaseLines()
            let recommender = try ShopRecommender(products: products, lines: lines, index: index)
            let encoder = try SentenceEncoder(modelDirectory: modelDirectory)
            guard encoder.dimension == index.dimension else {
                throw RecommendError("--model \(modelDirectory) embeds in \(encoder.dimension) dimensions, the index of \(databasePath) in \(index.dimension) (\(index.model)); give the model the index was built with")
            }
            let narration = try location.map { location in
                let model = try NarratorModel.load(directory: location.directory, voiceAdapters: location.voices, vocabulary: location.vocabulary)
                return ShopNarration(narrator: try Narrator(model: model, catalogue: products), products: products, lines: lines)
            }
            return (database, recommender, encoder, narration)
        }
        return ShopServices(
            database: database, accounts: ShopAccounts(database: database), recommender: recommender,
            embedQuery: { query in try encoder.embed([query])[0] },
            tokens: await TokenIssuer(secret: jwtSecret), narration: narration)
    }
}
