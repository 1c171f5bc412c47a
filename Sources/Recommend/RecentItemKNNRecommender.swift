import Foundation

/// Item-kNN with the customer's items weighted by how recently they bought them: item i counts
/// 2^(-days since their last invoice with i / halfLife). A wholesaler's next new items follow
/// what they stock now more than what they tried a year ago; plain item-kNN weighs both alike.
/// Shares the co-purchase similarity of the `ItemKNNRecommender` it is given.
public struct RecentItemKNNRecommender: Recommender {
    public let name = "itemknn-recent"
    public let halfLifeDays: Double
    private let itemKNN: ItemKNNRecommender
    private let data: TrainingData
    /// The day of each customer's last invoice with the item, aligned with `data.customerItems`.
    private let lastPurchaseDay: [Int]

    public init(itemKNN: ItemKNNRecommender, data: TrainingData, halfLifeDays: Double = 60) {
        self.itemKNN = itemKNN
        self.data = data
        self.halfLifeDays = halfLifeDays
        var lastPurchaseDay = [Int](repeating: Int.min, count: data.customerItems.count)
        var slot = [Int](repeating: -1, count: data.itemCount)
        for c in 0..<data.customerCount {
            let range = data.customerItemStart[c]..<data.customerItemStart[c + 1]
            for k in range { slot[Int(data.customerItems[k])] = k }
            for n in data.invoices(ofCustomer: c) {
                for i in data.items(ofInvoice: Int(n)) { lastPurchaseDay[slot[Int(i)]] = max(lastPurchaseDay[slot[Int(i)]], data.invoiceDays[Int(n)]) }
            }
            for k in range { slot[Int(data.customerItems[k])] = -1 }
        }
        self.lastPurchaseDay = lastPurchaseDay
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        let start = data.customerItemStart[customer]
        var weights = [Float](repeating: 0, count: data.itemCount)
        for k in start..<data.customerItemStart[customer + 1] {
            let age = Double(data.lastDay - lastPurchaseDay[k])
            weights[Int(data.customerItems[k])] = Float(exp2(-age / halfLifeDays))
        }
        return itemKNN.scores(customer: customer) { weights[$0] }
    }
}
