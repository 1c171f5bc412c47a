/// Item-kNN with the customer's items weighted by how recently they bought them
/// (`PurchaseRecency`): a wholesaler's next new items follow what they stock now more than what
/// they tried a year ago; plain item-kNN weighs both alike. Shares the co-purchase similarity of
/// the `ItemKNNRecommender` it is given.
public struct RecentItemKNNRecommender: Recommender {
    public let name = "itemknn-recent"
    private let itemKNN: ItemKNNRecommender
    private let recency: PurchaseRecency

    public init(itemKNN: ItemKNNRecommender, recency: PurchaseRecency) {
        self.itemKNN = itemKNN
        self.recency = recency
    }

    public init(itemKNN: ItemKNNRecommender, data: TrainingData, halfLifeDays: Double = 60) {
        self.init(itemKNN: itemKNN, recency: PurchaseRecency(data: data, halfLifeDays: halfLifeDays))
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        let weights = recency.weights(customer: customer)
        return itemKNN.scores(customer: customer) { weights[$0] }
    }
}
