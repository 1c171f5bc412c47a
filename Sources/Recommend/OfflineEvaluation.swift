import Foundation
import Store
import Tensor

/// `recommend evaluate`: every method on one split, both tracks. The hybrid's weights are tuned
/// on the split's training lines only (their own last baskets as validation), never on the test
/// baskets.
public enum OfflineEvaluation {
    /// The split's sizes, as the reference's first JSON line.
    public struct SplitInfo: Sendable, Codable, Equatable {
        public var split: String
        public var rows: Int
        public var customers: Int
        public var products: Int
        public var testCustomers: Int
        public var testItems: Int
        public var repeatShare: Double

        enum CodingKeys: String, CodingKey {
            case split, rows, customers, products
            case testCustomers = "test_customers", testItems = "test_items", repeatShare = "repeat_share"
        }
    }

    /// Announces the split's sizes, then runs every method; `embeddings` (the index's, or nil to leave out minilm-mean and the
    /// hybrid's embedding component) come from `recommend index`.
    public static func run(
        products: [Product], lines: [PurchaseLine], split: DataSplit, index: RecommenderIndex?,
        progress: (String) -> Void = { _ in }, announce: (SplitInfo) -> Void, report: (TrackMetrics) -> Void
    ) {
        let (train, test) = split.apply(to: lines)
        let catalogue = products.map(\.stockCode)
        let data = TrainingData(catalogue: catalogue, lines: train)
        let evaluation = Evaluation(data: data, test: test)
        var repeats = 0
        var total = 0
        for (customer, basket) in test {
            total += basket.count
            guard let c = data.customerIndex[customer] else { continue }
            let seen = Set(data.items(ofCustomer: c).map { data.items[Int($0)] })
            repeats += basket.intersection(seen).count
        }
        let info = SplitInfo(split: split.description, rows: lines.count, customers: data.customerCount,
                             products: data.itemCount, testCustomers: test.count, testItems: total,
                             repeatShare: (Double(repeats) / Double(max(total, 1)) * 10_000).rounded() / 10_000)
        announce(info)
        func components(_ d: TrainingData) -> [any Recommender] {
            RecommenderIndex.hybridComponents(data: d, embeddings: index?.embeddings(for: d), dimension: index?.dimension ?? 0)
        }
        let fitted = components(data)
        progress("evaluate: \(split): \(evaluation.test.count) test customers; tuning the hybrid on the training lines")
        let weights = HybridTuning().tune(catalogue: catalogue, lines: train, componentsFor: components, progress: progress)
        let hybrid = HybridRecommender(data: data, components: fitted, weights: weights)
        // GP-TopFreq is the reference's baseline, not a component (the hybrid counts invoices).
        let candidates = fitted + [TopFrequencyRecommender(data: data)]
        let order = ["popularity", "gp-topfreq", "itemknn", "minilm-mean", "itemknn-recent", "ease-recent", "trending", "tifu-knn",
                     "repurchase-rate", "invoice-frequency"]
        let methods: [any Recommender] = order.compactMap { name in candidates.first { $0.name == name } } + [hybrid]
        for method in methods {
            for track in Track.allCases { report(evaluation.evaluate(method, track: track)) }
        }
    }
}
