import Foundation
import Store
import Tensor

/// Chooses the hybrid's weights without looking at any test basket: the lines given are split
/// again — each customer's last basket in them held out as validation — the components are fit
/// on the rest, and a coordinate search over a grid of weights maximises NDCG@10 on the
/// validation baskets, separately for each track.
///
/// To keep the search fast, each validation customer's ranking is restricted to the union of
/// every component's top `candidatesPerComponent` items; an item outside all of them would need
/// to be middling in every component at once to reach a blended top 10.
public struct HybridTuning {
    public var candidatesPerComponent = 50
    public var grid: [Float] = [0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1]
    public var rounds = 3

    public init() {}

    /// One validation customer in one track: every candidate's normalised component scores.
    struct Case {
        var candidates: [Int]
        /// [candidates, components]
        var values: [Float]
        var tieBreak: [Float]
        var isTarget: [Bool]
        var idealDCG: Double
    }

    /// Weights for `componentsFor`'s methods, tuned on `lines` (the training part of whatever is
    /// evaluated or indexed). `progress` hears one line per stage.
    public func tune(
        catalogue: [String], lines: [PurchaseLine],
        componentsFor: (TrainingData) -> [any Recommender],
        progress: (String) -> Void = { _ in }
    ) -> HybridWeights {
        let (innerTrain, validation) = DataSplit.lastBasket.apply(to: lines)
        let data = TrainingData(catalogue: catalogue, lines: innerTrain)
        let components = componentsFor(data)
        let evaluation = Evaluation(data: data, test: validation)
        progress("hybrid: tuning \(components.map(\.name).joined(separator: ", ")) on \(evaluation.test.count) validation baskets")
        var weights: [Track: [Float]] = [:]
        for track in Track.allCases {
            let cases = buildCases(evaluation, components: components, track: track)
            let (best, ndcg) = search(cases, componentCount: components.count)
            progress("hybrid: track \(track.rawValue): weights \(zip(components, best).map { "\($0.name) \($1)" }.joined(separator: ", ")) — validation NDCG@10 \(String(format: "%.4f", ndcg))")
            weights[track] = best
        }
        return HybridWeights(components: components.map(\.name), all: weights[.all]!, new: weights[.new]!)
    }

    func buildCases(_ evaluation: Evaluation, components: [any Recommender], track: Track) -> [Case] {
        let tieBreak = evaluation.data.tieBreak
        var slots = [[Case]](repeating: [], count: Parallel.coreCount)
        _ = slots.withUnsafeMutableBufferPointer { slots in
            Parallel.forEachChunkIndexed(evaluation.test.count, costPerItem: 100_000) { slot, range in
                var cases: [Case] = []
                for t in range {
                    let (target, excluded) = evaluation.testCase(t, track: track)
                    if target.isEmpty { continue }
                    let c = evaluation.test[t].customer
                    let normalised = components.map {
                        HybridRecommender.normalised($0.scores(customer: c, excludingPurchased: track == .new), excluding: excluded)
                    }
                    var candidates = Set<Int>()
                    for scores in normalised {
                        candidates.formUnion(TopK.select(scores, k: candidatesPerComponent, excluding: excluded))
                    }
                    let ordered = candidates.sorted()
                    var values: [Float] = []
                    values.reserveCapacity(ordered.count * components.count)
                    for item in ordered { for scores in normalised { values.append(scores[item]) } }
                    let ideal = (0..<min(target.count, evaluation.k)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
                    cases.append(Case(candidates: ordered, values: values, tieBreak: ordered.map { tieBreak[$0] },
                                      isTarget: ordered.map { target.contains($0) }, idealDCG: ideal))
                }
                slots[slot] = cases
            }
        }
        return slots.flatMap { $0 }
    }

    /// Mean NDCG@10 of the blend `weights` over the cases.
    func meanNDCG(_ cases: [Case], weights: [Float], k: Int = 10) -> Double {
        let m = weights.count
        var total = 0.0
        for c in cases {
            var blended = c.tieBreak
            for r in blended.indices {
                for j in 0..<m { blended[r] += weights[j] * c.values[r * m + j] }
            }
            var dcg = 0.0
            for (rank, r) in TopK.select(blended, k: k).enumerated() where c.isTarget[r] {
                dcg += 1 / log2(Double(rank + 2))
            }
            total += dcg / c.idealDCG
        }
        return total / Double(max(cases.count, 1))
    }

    /// Coordinate search from the best single component: each round tries every grid value for
    /// each weight in turn and keeps a change only when it improves the objective.
    func search(_ cases: [Case], componentCount m: Int) -> (weights: [Float], ndcg: Double) {
        var best: (weights: [Float], ndcg: Double) = ([Float](repeating: 0, count: m), -1)
        for j in 0..<m {
            var single = [Float](repeating: 0, count: m)
            single[j] = 1
            let ndcg = meanNDCG(cases, weights: single)
            if ndcg > best.ndcg { best = (single, ndcg) }
        }
        for _ in 0..<rounds {
            var improved = false
            for j in 0..<m {
                for value in grid where value != best.weights[j] {
                    var trial = best.weights
                    trial[j] = value
                    guard trial.contains(where: { $0 > 0 }) else { continue }
                    let ndcg = meanNDCG(cases, weights: trial)
                    if ndcg > best.ndcg + 1e-9 {
                        best = (trial, ndcg)
                        improved = true
                    }
                }
            }
            if !improved { break }
        }
        return best
    }
}
