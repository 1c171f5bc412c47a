import Foundation
import Store

/// One customer's answer to `recommend query`: `{"customer": ID, "cold_start": false, "items": [...]}`.
public struct CustomerRecommendations: Sendable, Equatable, Codable {
    public var customer: Int
    /// True when the customer has no purchases in the store: the items are trending and popular
    /// products, not personal ones.
    public var coldStart: Bool
    public var items: [RecommendedItem]

    enum CodingKeys: String, CodingKey {
        case customer, coldStart = "cold_start", items
    }

    /// The same JSON as `JSONEncoder` gives with sorted keys, written directly (`JSONText`).
    public func write(to json: inout JSONText) {
        json.object {
            $0.key("cold_start"); $0.boolean(coldStart)
            $0.key("customer"); $0.integer(customer)
            $0.key("items"); $0.array(items) { $1.write(to: &$0) }
        }
    }
}

/// The recommender over a whole shop database and its index: every method fit on all purchase
/// lines, ready to answer customers one after another.
public final class ShopRecommender: Sendable {
    public static let methodNames = ["hybrid", "tifu-knn", "repurchase-rate", "invoice-frequency", "gp-topfreq", "itemknn", "itemknn-recent", "ease-recent", "minilm-mean", "trending", "popularity"]

    public let data: TrainingData
    public let products: [String: Product]
    private let methods: [String: any Recommender]
    private let itemKNN: ItemKNNRecommender
    private let embeddingMean: EmbeddingMeanRecommender
    private let trending: TrendingRecommender
    private let recentInterest: RecentInterest
    /// Where the similar and bought-together evidence looks: each customer's 50 most recent products.
    private let recentPurchases: RecentPurchases
    /// Cold start: trending and popularity, each max-normalised, summed. [items]
    private let coldStartScores: [Float]
    /// A trending reason is cited only for items ordered at least this often in the last 30 days.
    public let trendingMinimumOrders = 10
    /// A similar reason is cited only from this description cosine up.
    public let similarMinimumCosine: Float = 0.5

    public init(products: [Product], lines: [PurchaseLine], index: RecommenderIndex) throws {
        let data = TrainingData(catalogue: products.map(\.stockCode), lines: lines)
        self.data = data
        self.products = Dictionary(products.map { ($0.stockCode, $0) }, uniquingKeysWith: { first, _ in first })
        let components = RecommenderIndex.hybridComponents(data: data, embeddings: index.embeddings(for: data), dimension: index.dimension)
        guard index.weights.components == components.map(\.name),
              index.weights.all.count == components.count, index.weights.new.count == components.count else {
            throw RecommendError("the recommender index's hybrid weights name \(index.weights.components.joined(separator: ", ")), this build blends \(components.map(\.name).joined(separator: ", ")); re-run `recommend index`")
        }
        var methods: [String: any Recommender] = ["gp-topfreq": TopFrequencyRecommender(data: data)]
        for method in components { methods[method.name] = method }
        methods["hybrid"] = HybridRecommender(data: data, components: components, weights: index.weights)
        self.methods = methods
        itemKNN = methods["itemknn"] as! ItemKNNRecommender
        embeddingMean = methods["minilm-mean"] as! EmbeddingMeanRecommender
        trending = methods["trending"] as! TrendingRecommender
        recentInterest = RecentInterest(data: data, coPurchases: itemKNN.coPurchases, embeddings: embeddingMean.embeddings,
                                        dimension: embeddingMean.dimension)
        recentPurchases = RecentPurchases(data: data)
        let popular = HybridRecommender.normalised(data.popularity)
        coldStartScores = zip(HybridRecommender.normalised(trending.itemScores), popular).map { $0 + $1 }
    }

    /// The top `k` items for customer `id` by `method`; an unknown customer gets the cold-start
    /// answer. With `excludePurchased`, nothing the customer bought before is recommended.
    /// `clicked` (stock codes, newest first) is the customer's recent interest on the site
    /// (`RecentInterest`): its co-purchases and look-alikes rise, for known and cold-start customers.
    public func recommend(customer id: Int, k: Int, excludePurchased: Bool = false, method: String = "hybrid",
                         clicked: [String] = []) throws -> CustomerRecommendations {
        guard k >= 1, k <= data.itemCount else {
            throw RecommendError("--k: \(k) is out of range (1...\(data.itemCount), the catalogue's size)")
        }
        guard let recommender = methods[method] else {
            throw RecommendError("--method: unknown method \"\(method)\" (one of \(Self.methodNames.joined(separator: ", ")))")
        }
        let clickedItems = recentInterest.items(clicked)
        guard let c = data.customerIndex[id] else {
            let scores = withInterest(coldStartScores, clicked: clickedItems)
            let top = TopK.select(scores, k: k)
            return CustomerRecommendations(customer: id, coldStart: true, items: top.map { item in
                var reasons = clickReasons(clicked: clickedItems, item: item)
                if trending.ordersLast30Days[item] > 0 { reasons.append(.trending(orders30d: trending.ordersLast30Days[item])) }
                reasons.append(.popular(customers: Int(data.popularity[item])))
                return self.item(item, score: scores[item], reasons: reasons)
            })
        }
        let excluded = excludePurchased ? Set(data.items(ofCustomer: c).map { Int($0) }) : []
        let scores = withInterest(recommender.scores(customer: c, excludingPurchased: excludePurchased), clicked: clickedItems)
        let top = TopK.select(scores, k: k, excluding: excluded)
        let closest = embeddingMean.closestPurchases(among: recentPurchases.products(ofCustomer: c), items: top)
        return CustomerRecommendations(customer: id, coldStart: false, items: zip(top, closest).map {
            var reasons = reasons(customer: c, item: $0, closestPurchase: $1)
            if !reasons.contains(where: { if case .boughtTogether = $0 { true } else { false } }) {
                reasons.insert(contentsOf: clickReasons(clicked: clickedItems, item: $0), at: 0)
            }
            return item($0, score: scores[$0], reasons: reasons)
        })
    }

    /// `scores` max-normalised plus the click interest; `scores` as they are without clicks.
    private func withInterest(_ scores: [Float], clicked: [Int]) -> [Float] {
        guard !clicked.isEmpty else { return scores }
        let interest = recentInterest.scores(clicked: clicked)
        return zip(HybridRecommender.normalised(scores), interest).map { $0 + $1 }
    }

    /// Unit-length description embeddings in `data.items` order. [items, dimension]
    public var embeddings: [Float] { embeddingMean.embeddings }
    public var dimension: Int { embeddingMean.dimension }

    /// The `k` products trending now (time-decayed orders), with their orders in the last 30 days.
    public func trendingItems(k: Int) -> [(stockCode: String, orders30d: Int)] {
        TopK.select(trending.itemScores, k: min(k, data.itemCount)).map { (data.items[$0], trending.ordersLast30Days[$0]) }
    }

    /// Bought together with a clicked product, when one was.
    private func clickReasons(clicked: [Int], item: Int) -> [Reason] {
        guard let link = recentInterest.strongestLink(clicked: clicked, item: item) else { return [] }
        return [.boughtTogether(with: data.items[link.item], customers: link.customers)]
    }

    /// The evidence for recommending `item` to training customer `c`, strongest kinds first. The
    /// products it cites are among the customer's recent ones (`recentPurchases`), so its cost
    /// does not grow with their history.
    func reasons(customer c: Int, item: Int, closestPurchase: (item: Int, cosine: Float)?) -> [Reason] {
        var reasons: [Reason] = []
        if let position = data.position(ofItem: item, inCustomer: c) {
            reasons.append(.boughtBefore(times: Int(data.customerItemInvoices[position])))
        }
        if let link = itemKNN.strongestLink(among: recentPurchases.products(ofCustomer: c), item: item) {
            reasons.append(.boughtTogether(with: data.items[link.item], customers: link.customers))
        }
        if let closest = closestPurchase, closest.cosine >= similarMinimumCosine {
            reasons.append(.similar(to: data.items[closest.item], cosine: (Double(closest.cosine) * 1000).rounded() / 1000))
        }
        if trending.ordersLast30Days[item] >= trendingMinimumOrders {
            reasons.append(.trending(orders30d: trending.ordersLast30Days[item]))
        }
        if reasons.isEmpty { reasons.append(.popular(customers: Int(data.popularity[item]))) }
        return reasons
    }

    private func item(_ item: Int, score: Float, reasons: [Reason]) -> RecommendedItem {
        let code = data.items[item]
        let product = products[code]
        return RecommendedItem(stockCode: code, name: product?.name ?? code, price: product?.price ?? 0,
                               score: Double(score), reasons: reasons)
    }
}
