import Foundation
import Tensor

/// The two evaluation tracks of the reference: `all` ranks the whole catalogue against the whole
/// test basket (repeats count); `new` removes the customer's training items from both ranking
/// and target and skips customers left with an empty target.
public enum Track: String, Sendable, CaseIterable, Codable {
    case all, new
}

/// What one method scores in one track, over the test customers (k = 10).
public struct TrackMetrics: Sendable, Codable, Equatable {
    public var method: String
    public var track: Track
    public var customers: Int
    public var hitRate: Double
    public var recall: Double
    public var ndcg: Double
    /// Share of the catalogue that appears in at least one top-k list.
    public var coverage: Double
    /// Mean popularity percentile (0–100) of the recommended items: 50 for an unbiased ranker.
    public var popularityPercentile: Double
    /// HR@k of customers from the United Kingdom and from everywhere else.
    public var hitRateUK: Double
    public var hitRateOther: Double

    enum CodingKeys: String, CodingKey {
        case method, track, customers, coverage
        case hitRate = "hr@10", recall = "recall@10", ndcg = "ndcg@10"
        case popularityPercentile = "popularity_percentile"
        case hitRateUK = "hr@10_uk", hitRateOther = "hr@10_other"
    }
}

/// Offline evaluation with the reference's exact definitions: HR@k, Recall@k (hits / |target|)
/// and NDCG@k (hits at 1/log2(rank + 1), over the ideal for min(|target|, k) positions),
/// averaged over test customers, over the whole catalogue.
public struct Evaluation: Sendable {
    public let data: TrainingData
    /// Test customers (indices into `data.customers`, ascending id) with their basket's items.
    public let test: [(customer: Int, basket: Set<Int>)]
    public let k: Int
    /// Popularity percentile of each item. [items]
    private let popularityPercentile: [Double]

    public init(data: TrainingData, test: [Int: Set<String>], k: Int = 10) {
        self.data = data
        self.k = k
        self.test = test.keys.sorted().compactMap { id in
            guard let c = data.customerIndex[id] else { return nil }
            return (c, Set(test[id]!.compactMap { data.itemIndex[$0] }))
        }
        let sorted = data.popularity.sorted()
        popularityPercentile = data.popularity.map { p in
            let below = sorted.partitioningIndex(where: { $0 >= p })
            let upTo = sorted.partitioningIndex(where: { $0 > p })
            return 100 * (Double(below) + 0.5 * Double(upTo - below)) / Double(max(sorted.count, 1))
        }
    }

    /// The target and the excluded items of test customer `t` in `track`.
    public func testCase(_ t: Int, track: Track) -> (target: Set<Int>, excluded: Set<Int>) {
        let (c, basket) = test[t]
        guard track == .new else { return (basket, []) }
        let seen = Set(data.items(ofCustomer: c).map { Int($0) })
        return (basket.subtracting(seen), seen)
    }

    public func evaluate(_ method: any Recommender, track: Track) -> TrackMetrics {
        struct Partial { var n = 0, hr = 0.0, recall = 0.0, ndcg = 0.0, percentile = 0.0, listed = 0
            var ukN = 0, ukHits = 0, otherN = 0, otherHits = 0
            var covered: Set<Int> = [] }
        var partials = [Partial](repeating: Partial(), count: Parallel.coreCount)
        _ = partials.withUnsafeMutableBufferPointer { partials in
            Parallel.forEachChunkIndexed(test.count, costPerItem: 100_000) { slot, range in
                var p = Partial()
                for t in range {
                    let (target, excluded) = testCase(t, track: track)
                    if target.isEmpty { continue }
                    let c = test[t].customer
                    let top = TopK.select(method.scores(customer: c, excludingPurchased: track == .new),
                                          k: k, excluding: excluded)
                    var hits = 0
                    var dcg = 0.0
                    for (rank, item) in top.enumerated() where target.contains(item) {
                        hits += 1
                        dcg += 1 / log2(Double(rank + 2))
                    }
                    let ideal = (0..<min(target.count, k)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
                    p.n += 1
                    p.hr += hits > 0 ? 1 : 0
                    p.recall += Double(hits) / Double(target.count)
                    p.ndcg += dcg / ideal
                    for item in top { p.percentile += popularityPercentile[item] }
                    p.listed += top.count
                    p.covered.formUnion(top)
                    if data.countries[c] == "United Kingdom" {
                        p.ukN += 1
                        p.ukHits += hits > 0 ? 1 : 0
                    } else {
                        p.otherN += 1
                        p.otherHits += hits > 0 ? 1 : 0
                    }
                }
                partials[slot] = p
            }
        }
        let total = partials.reduce(into: Partial()) { sum, p in
            sum.n += p.n; sum.hr += p.hr; sum.recall += p.recall; sum.ndcg += p.ndcg
            sum.percentile += p.percentile; sum.listed += p.listed
            sum.ukN += p.ukN; sum.ukHits += p.ukHits; sum.otherN += p.otherN; sum.otherHits += p.otherHits
            sum.covered.formUnion(p.covered)
        }
        let n = Double(max(total.n, 1))
        return TrackMetrics(
            method: method.name, track: track, customers: total.n,
            hitRate: total.hr / n, recall: total.recall / n, ndcg: total.ndcg / n,
            coverage: Double(total.covered.count) / Double(max(data.itemCount, 1)),
            popularityPercentile: total.percentile / Double(max(total.listed, 1)),
            hitRateUK: Double(total.ukHits) / Double(max(total.ukN, 1)),
            hitRateOther: Double(total.otherHits) / Double(max(total.otherN, 1)))
    }
}

extension Array {
    /// The first index whose element satisfies `belongsToSecondPart`, for an array partitioned so
    /// that every such element follows every other (binary search).
    func partitioningIndex(where belongsToSecondPart: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsToSecondPart(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
