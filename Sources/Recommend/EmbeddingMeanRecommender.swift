import Tensor

/// Seed 002's method: the mean of the customer's product embeddings (description sentences,
/// L2-normalised), normalised, cosine to every product — one matrix-vector product over the catalogue.
public struct EmbeddingMeanRecommender: Recommender {
    public let name = "minilm-mean"
    private let data: TrainingData
    /// Unit-length description embeddings in catalogue order. [items, dimension]
    public let embeddings: [Float]
    public let dimension: Int
    private let tieBreak: [Float]

    public init(data: TrainingData, embeddings: [Float], dimension: Int) {
        precondition(embeddings.count == data.itemCount * dimension, "one embedding per catalogue item")
        self.data = data
        self.embeddings = embeddings
        self.dimension = dimension
        tieBreak = data.tieBreak
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        var mean = [Float](repeating: 0, count: dimension)
        for i in data.items(ofCustomer: customer) {
            let row = Int(i) * dimension
            for d in 0..<dimension { mean[d] += embeddings[row + d] }
        }
        let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        // The mean's own 1/count cancels in the normalisation.
        for d in 0..<dimension { mean[d] /= norm }
        var scores = tieBreak
        SerialGEMV.apply(rows: data.itemCount, columns: dimension, a: embeddings, x: mean, accumulate: true, y: &scores)
        return scores
    }

    /// For each of `items`, the product of `candidates` (catalogue indices: the customer's, see
    /// `RecentPurchases`) other than itself whose description is closest, with the cosine: the
    /// similar evidence. One matrix-vector product per item over the candidates' gathered embeddings.
    public func closestPurchases(among candidates: ArraySlice<Int32>, items: [Int]) -> [(item: Int, cosine: Float)?] {
        let bought = candidates.map { Int($0) }
        guard !bought.isEmpty else { return items.map { _ in nil } }
        var gathered = [Float](repeating: 0, count: bought.count * dimension)
        for (row, i) in bought.enumerated() {
            for d in 0..<dimension { gathered[row * dimension + d] = embeddings[i * dimension + d] }
        }
        var cosines = [Float](repeating: 0, count: bought.count)
        return items.map { item in
            embeddings.withUnsafeBufferPointer { e in
                SerialGEMV.apply(rows: bought.count, columns: dimension, a: gathered, x: e.baseAddress! + item * dimension, y: &cosines)
            }
            var best: (item: Int, cosine: Float)?
            for (row, i) in bought.enumerated() where i != item && cosines[row] > (best?.cosine ?? -.infinity) {
                best = (i, cosines[row])
            }
            return best
        }
    }
}
