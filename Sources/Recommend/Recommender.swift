/// A recommendation method: a score for every catalogue item for one training customer, higher
/// is better. The evaluator and `recommend query` rank by it; excluding already-bought items is
/// their job, but a method may use `excludingPurchased` to score for that setting (the hybrid's
/// weights differ between the two).
public protocol Recommender: Sendable {
    /// The name `evaluate` and `query --method` use (`itemknn`).
    var name: String { get }
    /// Scores every item for customer `customer` (an index into `TrainingData.customers`). [items]
    func scores(customer: Int, excludingPurchased: Bool) -> [Float]
}

/// The most-bought items (distinct customers), the same for everyone.
public struct PopularityRecommender: Recommender {
    public let name = "popularity"
    private let popularity: [Float]

    public init(data: TrainingData) { popularity = data.popularity }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] { popularity }
}

/// GP-TopFreq: the customer's own items by purchase count, then popularity (count · 1e6 +
/// popularity, in float32 as the reference computes it). A wholesaler's next basket is a third
/// repeats, which makes this the baseline to beat where repeats count.
public struct TopFrequencyRecommender: Recommender {
    public let name = "gp-topfreq"
    private let data: TrainingData

    public init(data: TrainingData) { self.data = data }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        Self.scores(data: data, customer: customer) { data.customerItemCounts[$0] }
    }

    /// The customer's items by `count(k)` of their k-th item (`TrainingData.customerItems`), then popularity.
    static func scores(data: TrainingData, customer: Int, count: (Int) -> Float) -> [Float] {
        var scores = data.popularity
        for k in data.customerItemStart[customer]..<data.customerItemStart[customer + 1] {
            let item = Int(data.customerItems[k])
            scores[item] = count(k) * 1e6 + data.popularity[item]
        }
        return scores
    }
}
