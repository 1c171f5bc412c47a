/// Item-kNN on co-purchases: the cosine between items' customer sets,
/// co(i, j) / sqrt(pop_i · pop_j) with a zero diagonal, summed over the customer's items (the
/// reference's `binary row @ sim + tie`, in float32 with its order of divisions).
public struct ItemKNNRecommender: Recommender {
    public let name = "itemknn"
    private let data: TrainingData
    /// Customers who bought both items. [items, items], zero diagonal
    public let coPurchases: [Int32]
    /// coPurchases / sqrt(max(pop, 1)) row-wise, then column-wise. [items, items]
    private let similarity: [Float]
    private let tieBreak: [Float]

    public init(data: TrainingData) {
        self.data = data
        let n = data.itemCount
        coPurchases = Self.countCoPurchases(data)
        let norms = data.popularity.map { max($0, 1).squareRoot() }
        var similarity = [Float](repeating: 0, count: n * n)
        coPurchases.withUnsafeBufferPointer { co in
            similarity.withUnsafeMutableBufferPointer { sim in
                for i in 0..<n {
                    for j in 0..<n where co[i * n + j] != 0 {
                        sim[i * n + j] = Float(co[i * n + j]) / norms[i] / norms[j]
                    }
                }
            }
        }
        self.similarity = similarity
        tieBreak = data.tieBreak
    }

    /// For every customer, every ordered pair of their distinct items: Σ over customers of their
    /// item count squared, far less than a dense [items, customers] product.
    static func countCoPurchases(_ data: TrainingData) -> [Int32] {
        let n = data.itemCount
        var co = [Int32](repeating: 0, count: n * n)
        co.withUnsafeMutableBufferPointer { co in
            for c in 0..<data.customerCount {
                let bought = data.items(ofCustomer: c)
                for i in bought {
                    let row = Int(i) * n
                    for j in bought where j != i { co[row + Int(j)] += 1 }
                }
            }
        }
        return co
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        scores(customer: customer) { _ in 1 }
    }

    /// Σ over the customer's items i of weight(i) · similarity row i, plus the tie-breaker. [items]
    func scores(customer: Int, weight: (Int) -> Float) -> [Float] {
        let n = data.itemCount
        var scores = [Float](repeating: 0, count: n)
        similarity.withUnsafeBufferPointer { sim in
            scores.withUnsafeMutableBufferPointer { out in
                for i in data.items(ofCustomer: customer) {
                    let row = sim.baseAddress! + Int(i) * n
                    let w = weight(Int(i))
                    if w == 1 {
                        for j in 0..<n { out[j] += row[j] }
                    } else {
                        for j in 0..<n { out[j] += w * row[j] }
                    }
                }
                for j in 0..<n { out[j] += tieBreak[j] }
            }
        }
        return scores
    }

    /// Of `candidates` (catalogue indices: the customer's products, see `RecentPurchases`), the one
    /// most similar to `item` by co-purchase, and how many customers bought both: the
    /// bought-together evidence. Ties go to the earlier candidate.
    public func strongestLink(among candidates: ArraySlice<Int32>, item: Int) -> (item: Int, customers: Int)? {
        let n = data.itemCount
        var best: (item: Int, similarity: Float)?
        for i in candidates {
            let s = similarity[Int(i) * n + item]
            if s > 0, s > (best?.similarity ?? 0) { best = (Int(i), s) }
        }
        guard let best else { return nil }
        return (best.item, Int(coPurchases[best.item * n + item]))
    }
}
