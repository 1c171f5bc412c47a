import Foundation

/// How recently each customer bought each of their items, as a weight 2^(-days since their last
/// invoice with it / halfLife): what a wholesaler stocks now predicts their next new items
/// better than what they tried a year ago. Shared by the recency-weighted neighbour methods.
public struct PurchaseRecency: Sendable {
    public let halfLifeDays: Double
    /// The weight of each of a customer's items, aligned with `data.customerItems`.
    private let weights: [Float]
    private let data: TrainingData

    public init(data: TrainingData, halfLifeDays: Double = 60) {
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
        weights = lastPurchaseDay.map { Float(exp2(-Double(data.lastDay - $0) / halfLifeDays)) }
    }

    /// The customer's items' weights over the catalogue (zero for items they never bought). [items]
    public func weights(customer: Int) -> [Float] {
        var perItem = [Float](repeating: 0, count: data.itemCount)
        for k in data.customerItemStart[customer]..<data.customerItemStart[customer + 1] {
            perItem[Int(data.customerItems[k])] = weights[k]
        }
        return perItem
    }
}
