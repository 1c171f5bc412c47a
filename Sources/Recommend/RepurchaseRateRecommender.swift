import Foundation

/// The chance that the customer's next invoice repeats an item they bought: of their invoices
/// after the one where they first bought it, the fraction that contained it again, shrunk toward
/// the item's own repurchase rate over all its buyers (a beta prior worth `priorInvoices`
/// invoices). GP-TopFreq ranks by raw counts, which favours whatever a long-standing customer
/// bought often long ago and ignores that some products are bought once (a clock, a gift) and
/// others restocked on every order (bags, tape); the rate divides by the chances the customer
/// had to rebuy it, and the item's rate speaks for the customer's items that are too recent to
/// have a history of their own. Items the customer never bought score only the tie-breaker:
/// this is the repeat half of a next basket (ReCANet's and the repeat-explore literature's
/// split), for the hybrid to blend with the methods that find new items.
public struct RepurchaseRateRecommender: Recommender {
    public let name = "repurchase-rate"
    public let priorInvoices: Float
    private let data: TrainingData
    /// The customer's rate for each of their items, aligned with `data.customerItems`.
    private let customerRates: [Float]
    private let tieBreak: [Float]

    public init(data: TrainingData, priorInvoices: Float = 10) {
        self.data = data
        self.priorInvoices = priorInvoices
        // For each customer item: invoices after the first one with it (its chances to be rebought).
        var chances = [Float](repeating: 0, count: data.customerItems.count)
        var slot = [Int](repeating: -1, count: data.itemCount)
        for c in 0..<data.customerCount {
            let range = data.customerItemStart[c]..<data.customerItemStart[c + 1]
            for k in range { slot[Int(data.customerItems[k])] = k }
            let invoices = data.invoices(ofCustomer: c)
            var seen = Set<Int>()
            for (position, n) in invoices.enumerated() {
                for i in data.items(ofInvoice: Int(n)) where seen.insert(Int(i)).inserted {
                    chances[slot[Int(i)]] = Float(invoices.count - 1 - position)
                }
            }
            for k in range { slot[Int(data.customerItems[k])] = -1 }
        }
        let itemRates = Self.itemRates(data, chances: chances)
        var customerRates = [Float](repeating: 0, count: data.customerItems.count)
        for k in customerRates.indices {
            let repeats = Float(data.customerItemInvoices[k] - 1)
            customerRates[k] = (repeats + priorInvoices * itemRates[Int(data.customerItems[k])]) / (chances[k] + priorInvoices)
        }
        self.customerRates = customerRates
        tieBreak = data.tieBreak
    }

    /// Each item's repurchase rate over its buyers: repeat invoices / chances, with one repeat in
    /// two chances added (Laplace) so an item nobody had the chance to rebuy gets ½, not 0/0. [items]
    static func itemRates(_ data: TrainingData, chances: [Float]) -> [Float] {
        var repeats = [Float](repeating: 1, count: data.itemCount)
        var total = [Float](repeating: 2, count: data.itemCount)
        for k in chances.indices {
            let item = Int(data.customerItems[k])
            repeats[item] += Float(data.customerItemInvoices[k] - 1)
            total[item] += chances[k]
        }
        return zip(repeats, total).map { $0 / $1 }
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        var scores = tieBreak
        for k in data.customerItemStart[customer]..<data.customerItemStart[customer + 1] {
            scores[Int(data.customerItems[k])] += customerRates[k]
        }
        return scores
    }
}
