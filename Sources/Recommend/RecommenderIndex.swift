import Foundation
import GRDB
import Store

/// What `recommend index` computes once per import and `query` loads: every product's
/// description embedding (unit length, catalogue order) and the hybrid's weights, tuned on the
/// database's own purchase lines (each customer's last basket held out), with the period they
/// were fit on. Kept in the shop database (schema version 2 tables), written in one transaction.
public struct RecommenderIndex: Sendable {
    /// Sorted stock codes: the rows of `embeddings`.
    public var stockCodes: [String]
    public var dimension: Int
    /// [products, dimension]
    public var embeddings: [Float]
    public var weights: HybridWeights
    public var model: String
    /// The store's size when the index was built, to notice a later import.
    public var purchaseLines: Int
    public var products: Int
    /// First and last purchase date of the data the weights were tuned on.
    public var dataFrom: String
    public var dataTo: String

    /// The components of the hybrid, fit on `data`, in the order `HybridWeights` names them;
    /// without `embeddings` (an evaluation with no index) minilm-mean is left out.
    public static func hybridComponents(data: TrainingData, embeddings: [Float]?, dimension: Int) -> [any Recommender] {
        let itemKNN = ItemKNNRecommender(data: data)
        let recency = PurchaseRecency(data: data)
        var components: [any Recommender] = [
            RepeatNeighbourRecommender(data: data), InvoiceFrequencyRecommender(data: data), RepurchaseRateRecommender(data: data),
            itemKNN, RecentItemKNNRecommender(itemKNN: itemKNN, recency: recency), TrendingRecommender(data: data), PopularityRecommender(data: data),
            EASERecommender(data: data, coPurchases: itemKNN.coPurchases, recency: recency),
        ]
        if let embeddings { components.append(EmbeddingMeanRecommender(data: data, embeddings: embeddings, dimension: dimension)) }
        return components
    }

    /// Embeds every product (`embed` maps descriptions to [count, dimension] unit vectors) and
    /// tunes the hybrid's weights on `lines` with `tuning`.
    public static func build(
        products: [Product], lines: [PurchaseLine], model: String, dimension: Int,
        embed: ([String]) throws -> [Float], tuning: HybridTuning = HybridTuning(),
        progress: (String) -> Void = { _ in }
    ) throws -> RecommenderIndex {
        guard !lines.isEmpty else { throw RecommendError("the shop database has no purchase lines; run `recommend import` first") }
        let sorted = products.sorted { $0.stockCode < $1.stockCode }
        var embeddings: [Float] = []
        embeddings.reserveCapacity(sorted.count * dimension)
        let batch = 512
        for start in stride(from: 0, to: sorted.count, by: batch) {
            let part = sorted[start..<min(sorted.count, start + batch)]
            let vectors = try embed(part.map(\.description))
            guard vectors.count == part.count * dimension else {
                throw RecommendError("\(model): the encoder returned \(vectors.count / max(part.count, 1)) values per product, expected \(dimension)")
            }
            embeddings += vectors
            progress("index: embedded \(min(sorted.count, start + batch))/\(sorted.count) products")
        }
        let catalogue = sorted.map(\.stockCode)
        let weights = tuning.tune(catalogue: catalogue, lines: lines, componentsFor: { data in
            // The tuning's data is indexed over the same sorted catalogue, so the rows line up.
            hybridComponents(data: data, embeddings: embeddings, dimension: dimension)
        }, progress: progress)
        let dates = lines.map(\.date)
        return RecommenderIndex(
            stockCodes: catalogue, dimension: dimension, embeddings: embeddings, weights: weights, model: model,
            purchaseLines: lines.count, products: sorted.count, dataFrom: dates.min() ?? "", dataTo: dates.max() ?? "")
    }

    /// Replaces the stored index in one transaction.
    public func save(to database: ShopDatabase) throws {
        let weightsJSON = String(decoding: try JSONEncoder().encode(weights), as: UTF8.self)
        try database.connections.write { db in
            try db.execute(sql: "DELETE FROM product_embeddings")
            try db.execute(sql: "DELETE FROM recommender_index")
            let insert = try db.makeStatement(sql: "INSERT INTO product_embeddings (stock_code, vector) VALUES (?, ?)")
            for (row, code) in stockCodes.enumerated() {
                let vector = embeddings[row * dimension..<(row + 1) * dimension].withUnsafeBytes { Data($0) }
                try insert.execute(arguments: [code, vector])
            }
            try db.execute(sql: """
                INSERT INTO recommender_index (id, model, dimension, purchase_lines, products, data_from, data_to, hybrid_weights, built_at)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [model, dimension, purchaseLines, products, dataFrom, dataTo, weightsJSON,
                                 ISO8601DateFormatter().string(from: Date())])
        }
    }

    /// The stored index; fails with what to run when there is none or the store changed since.
    public static func load(from database: ShopDatabase) throws -> RecommenderIndex {
        let path = database.path
        let rerun = "run `recommend index --db \(path) --model DIR`"
        let totals = try database.totals()
        return try database.connections.read { db in
            guard let meta = try Row.fetchOne(db, sql: "SELECT * FROM recommender_index WHERE id = 1") else {
                throw RecommendError("\(path) has no recommender index; \(rerun)")
            }
            let storedLines: Int = meta["purchase_lines"], storedProducts: Int = meta["products"]
            guard totals.purchaseLines == storedLines, totals.products == storedProducts else {
                throw RecommendError("\(path): the recommender index was built for \(storedLines) purchase lines and \(storedProducts) products, the store now has \(totals.purchaseLines) and \(totals.products); \(rerun)")
            }
            let dimension: Int = meta["dimension"]
            var stockCodes: [String] = []
            var embeddings: [Float] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT stock_code, vector FROM product_embeddings ORDER BY stock_code")
            while let row = try rows.next() {
                let vector: Data = row["vector"]
                guard vector.count == dimension * MemoryLayout<Float>.size else {
                    throw RecommendError("\(path): the embedding of \(row["stock_code"] as String) has \(vector.count) bytes, expected \(dimension * 4); \(rerun)")
                }
                stockCodes.append(row["stock_code"])
                vector.withUnsafeBytes { embeddings += $0.bindMemory(to: Float.self) }
            }
            let weightsText: String = meta["hybrid_weights"]
            guard let weights = try? JSONDecoder().decode(HybridWeights.self, from: Data(weightsText.utf8)) else {
                throw RecommendError("\(path): the stored hybrid weights are unreadable; \(rerun)")
            }
            return RecommenderIndex(
                stockCodes: stockCodes, dimension: dimension, embeddings: embeddings, weights: weights,
                model: meta["model"], purchaseLines: storedLines, products: storedProducts,
                dataFrom: meta["data_from"], dataTo: meta["data_to"])
        }
    }

    /// The embeddings in `data`'s catalogue order (zero rows for products the index lacks).
    public func embeddings(for data: TrainingData) -> [Float] {
        var aligned = [Float](repeating: 0, count: data.itemCount * dimension)
        for (row, code) in stockCodes.enumerated() {
            guard let item = data.itemIndex[code] else { continue }
            for d in 0..<dimension { aligned[item * dimension + d] = embeddings[row * dimension + d] }
        }
        return aligned
    }
}
