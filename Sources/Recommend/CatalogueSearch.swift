import Tensor

/// Products by description meaning: the products closest to one product (`similar`) or to an
/// embedded query (`search`), by cosine over the index's unit-length MiniLM embeddings — one
/// matrix-vector product over the catalogue each.
public struct CatalogueSearch: Sendable {
    /// Catalogue order (the embeddings' rows).
    public let stockCodes: [String]
    /// [items, dimension], unit rows
    private let embeddings: [Float]
    public let dimension: Int
    private let row: [String: Int]

    public init(stockCodes: [String], embeddings: [Float], dimension: Int) {
        precondition(embeddings.count == stockCodes.count * dimension, "one embedding per product")
        self.stockCodes = stockCodes
        self.embeddings = embeddings
        self.dimension = dimension
        row = Dictionary(stockCodes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public init(recommender: ShopRecommender) {
        self.init(stockCodes: recommender.data.items, embeddings: recommender.embeddings, dimension: recommender.dimension)
    }

    public func contains(_ stockCode: String) -> Bool { row[stockCode] != nil }

    /// The `k` products closest to `stockCode` (itself left out), closest first; nil for a code
    /// the catalogue lacks.
    public func similar(to stockCode: String, k: Int) -> [(stockCode: String, cosine: Float)]? {
        guard let item = row[stockCode] else { return nil }
        let cosines = embeddings.withUnsafeBufferPointer { cosinesTo($0.baseAddress! + item * dimension) }
        return TopK.select(cosines, k: min(k, stockCodes.count - 1), excluding: [item]).map { (stockCodes[$0], cosines[$0]) }
    }

    /// The `k` products closest to `query` (a unit vector of `dimension`) whose cosine is at
    /// least `minimumCosine`, closest first.
    public func search(_ query: [Float], k: Int, minimumCosine: Float) -> [(stockCode: String, cosine: Float)] {
        precondition(query.count == dimension, "the query is embedded by the index's model")
        let cosines = query.withUnsafeBufferPointer { cosinesTo($0.baseAddress!) }
        return TopK.select(cosines, k: min(k, stockCodes.count)).map { (stockCodes[$0], cosines[$0]) }.filter { $0.1 >= minimumCosine }
    }

    /// [items]
    private func cosinesTo(_ vector: UnsafePointer<Float>) -> [Float] {
        var cosines = [Float](repeating: 0, count: stockCodes.count)
        SerialGEMV.apply(rows: stockCodes.count, columns: dimension, a: embeddings, x: vector, y: &cosines)
        return cosines
    }
}
