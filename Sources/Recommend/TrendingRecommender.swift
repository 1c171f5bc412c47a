import Foundation

/// What is selling now: each order of the item counts exp(-age / halfLife · ln 2), its age in
/// days before the last day of the data. The same for every customer.
public struct TrendingRecommender: Recommender {
    public let name = "trending"
    public let halfLifeDays: Double
    private let scoresOfItems: [Float]
    /// Invoices with the item in the 30 days up to the last day: the trending evidence. [items]
    public let ordersLast30Days: [Int]

    public init(data: TrainingData, halfLifeDays: Double = 14) {
        self.halfLifeDays = halfLifeDays
        var scores = [Double](repeating: 0, count: data.itemCount)
        var recent = [Int](repeating: 0, count: data.itemCount)
        for n in data.invoiceDays.indices {
            let age = Double(data.lastDay - data.invoiceDays[n])
            let weight = exp(-age / halfLifeDays * M_LN2)
            for i in data.items(ofInvoice: n) {
                scores[Int(i)] += weight
                if age < 30 { recent[Int(i)] += 1 }
            }
        }
        let tieBreak = data.tieBreak
        scoresOfItems = scores.indices.map { Float(scores[$0]) + tieBreak[$0] }
        ordersLast30Days = recent
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] { scoresOfItems }

    /// Scores without a customer: the cold-start ranking.
    public var itemScores: [Float] { scoresOfItems }
}
