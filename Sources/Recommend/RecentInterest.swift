import Tensor

/// What a customer clicked on the site since the purchase data ends, as scores over the
/// catalogue: products bought together with the clicked ones (item-kNN's co-purchase cosine) and
/// products whose descriptions are close to theirs (embedding cosine), each max-normalised and
/// summed, more recent clicks weighing more. The shop blends it into the purchase-based ranking
/// so a click moves the next recommendations without refitting anything.
public struct RecentInterest: Sendable {
    private let data: TrainingData
    /// Customers who bought both items. [items, items], zero diagonal
    private let coPurchases: [Int32]
    /// Unit-length description embeddings. [items, dimension]
    private let embeddings: [Float]
    private let dimension: Int
    /// How much the click signal counts next to the max-normalised purchase ranking (1).
    public var weight: Float = 1
    /// Each older click counts this much less than the one after it.
    public var decay: Float = 0.8

    public init(data: TrainingData, coPurchases: [Int32], embeddings: [Float], dimension: Int) {
        precondition(coPurchases.count == data.itemCount * data.itemCount, "co-purchases over the catalogue")
        precondition(embeddings.count == data.itemCount * dimension, "one embedding per catalogue item")
        self.data = data
        self.coPurchases = coPurchases
        self.embeddings = embeddings
        self.dimension = dimension
    }

    /// Catalogue indices of `stockCodes` (newest first) that the catalogue has.
    public func items(_ stockCodes: [String]) -> [Int] {
        stockCodes.compactMap { data.itemIndex[$0] }
    }

    /// The interest in every item given the clicked `items`, newest first; zeros when there are
    /// none. Scaled by `weight`. [items]
    public func scores(clicked items: [Int]) -> [Float] {
        let n = data.itemCount
        var together = [Float](repeating: 0, count: n)
        var similar = [Float](repeating: 0, count: n)
        var recency: Float = 1
        for clicked in items {
            let norm = max(data.popularity[clicked], 1).squareRoot()
            for j in 0..<n where coPurchases[clicked * n + j] != 0 {
                together[j] += recency * Float(coPurchases[clicked * n + j]) / norm / max(data.popularity[j], 1).squareRoot()
            }
            var cosines = [Float](repeating: 0, count: n)
            embeddings.withUnsafeBufferPointer { e in
                SerialGEMV.apply(rows: n, columns: dimension, a: embeddings, x: e.baseAddress! + clicked * dimension, y: &cosines)
            }
            for j in 0..<n { similar[j] += recency * max(cosines[j], 0) }
            recency *= decay
        }
        let a = HybridRecommender.normalised(together), b = HybridRecommender.normalised(similar)
        return (0..<n).map { weight * (a[$0] + b[$0]) / 2 }
    }

    /// The clicked item most often bought with `item`, and how many customers bought both.
    public func strongestLink(clicked items: [Int], item: Int) -> (item: Int, customers: Int)? {
        let n = data.itemCount
        return items.map { ($0, Int(coPurchases[$0 * n + item])) }.filter { $0.1 > 0 && $0.0 != item }.max { $0.1 < $1.1 }
    }
}
