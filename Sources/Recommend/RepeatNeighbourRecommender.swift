import Foundation

/// TIFU-KNN (Hu et al., SIGIR 2020), a repeat-aware neighbour method: each customer is a
/// time-decayed vector over their invoices — invoices in groups of `groupSize` from the most
/// recent back, decayed by `basketDecay` inside a group and `groupDecay` across groups — and the
/// prediction blends their own vector (weight `alpha`: repeats) with the mean vector of their
/// `neighbours` most cosine-similar customers (new items their peers buy).
public struct RepeatNeighbourRecommender: Recommender {
    public struct Parameters: Sendable, Equatable {
        public var groupSize = 7
        public var basketDecay: Float = 0.9
        public var groupDecay: Float = 0.7
        public var neighbours = 100
        public var alpha: Float = 0.7

        public init() {}
    }

    public let name = "tifu-knn"
    public let parameters: Parameters
    private let data: TrainingData
    /// Each customer's decayed vector, aligned with `data.customerItems`.
    private let customerValues: [Float]
    /// The same values in item-major order, aligned with `data.itemCustomers`.
    private let itemValues: [Float]
    private let norms: [Float]
    private let tieBreak: [Float]
    private let neighbourLists: NeighbourCache

    public init(data: TrainingData, parameters: Parameters = Parameters()) {
        self.data = data
        self.parameters = parameters
        var customerValues = [Float](repeating: 0, count: data.customerItems.count)
        var dense = [Float](repeating: 0, count: data.itemCount)
        for c in 0..<data.customerCount {
            Self.decayedVector(data, customer: c, parameters, into: &dense)
            for k in data.customerItemStart[c]..<data.customerItemStart[c + 1] {
                let item = Int(data.customerItems[k])
                customerValues[k] = dense[item]
                dense[item] = 0
            }
        }
        var itemValues = [Float](repeating: 0, count: data.itemCustomers.count)
        var cursor = Array(data.itemCustomerStart.dropLast())
        var norms = [Float](repeating: 0, count: data.customerCount)
        for c in 0..<data.customerCount {
            for k in data.customerItemStart[c]..<data.customerItemStart[c + 1] {
                let item = Int(data.customerItems[k])
                itemValues[cursor[item]] = customerValues[k]
                cursor[item] += 1
                norms[c] += customerValues[k] * customerValues[k]
            }
        }
        self.customerValues = customerValues
        self.itemValues = itemValues
        self.norms = norms.map { max($0.squareRoot(), 1e-12) }
        tieBreak = data.tieBreak
        neighbourLists = NeighbourCache(customerCount: data.customerCount)
    }

    /// Adds customer `c`'s decayed vector into `vector` ([items]): the mean over groups, weighted
    /// groupDecay^(groups older), of each group's mean of invoices weighted basketDecay^(invoices
    /// older within the group).
    static func decayedVector(_ data: TrainingData, customer c: Int, _ p: Parameters, into vector: inout [Float]) {
        let invoices = data.invoices(ofCustomer: c)
        let groupCount = (invoices.count + p.groupSize - 1) / p.groupSize
        for (age, n) in invoices.reversed().enumerated() {
            let group = age / p.groupSize
            let groupMembers = min(p.groupSize, invoices.count - group * p.groupSize)
            let weight = pow(p.groupDecay, Float(group)) * pow(p.basketDecay, Float(age % p.groupSize))
                / Float(groupMembers) / Float(groupCount)
            for i in data.items(ofInvoice: Int(n)) { vector[Int(i)] += weight }
        }
    }

    /// The customer's most similar customers (cosine of decayed vectors), best first.
    public func neighbours(of customer: Int) -> [Int] {
        var dot = [Float](repeating: 0, count: data.customerCount)
        for k in data.customerItemStart[customer]..<data.customerItemStart[customer + 1] {
            let item = Int(data.customerItems[k])
            let value = customerValues[k]
            for m in data.itemCustomerStart[item]..<data.itemCustomerStart[item + 1] {
                dot[Int(data.itemCustomers[m])] += value * itemValues[m]
            }
        }
        dot[customer] = 0
        for v in dot.indices where dot[v] > 0 { dot[v] /= norms[v] }
        return TopK.select(dot, k: parameters.neighbours).filter { dot[$0] > 0 }
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        var scores = [Float](repeating: 0, count: data.itemCount)
        let peers = neighbourLists.neighbours(of: customer) { neighbours(of: customer).map { Int32($0) } }
        if !peers.isEmpty {
            let share = (1 - parameters.alpha) / Float(peers.count)
            for v in peers.lazy.map(Int.init) {
                for k in data.customerItemStart[v]..<data.customerItemStart[v + 1] {
                    scores[Int(data.customerItems[k])] += share * customerValues[k]
                }
            }
        }
        for k in data.customerItemStart[customer]..<data.customerItemStart[customer + 1] {
            scores[Int(data.customerItems[k])] += parameters.alpha * customerValues[k]
        }
        for j in scores.indices { scores[j] += tieBreak[j] }
        return scores
    }
}
