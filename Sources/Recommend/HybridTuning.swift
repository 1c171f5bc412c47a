import Foundation
import Store
import Tensor

/// Chooses the hybrid's weights without looking at any test basket: the lines given are split
/// again, several ways — each customer's last basket in them held out, and global date cutoffs
/// late in their period — the components are fit on each split's training part, and a
/// coordinate search over a grid of weights maximises the mean over the splits of their
/// validation NDCG@10, separately for each track. One validation split alone is a narrow
/// target: a customer's last basket and the first basket after a date are different
/// populations (the latter only active customers), and weights fit to one transfer imperfectly
/// to the other; a step of the search must help every split.
///
/// To keep the search fast, each validation customer's ranking is restricted to the union of
/// every component's top `candidatesPerComponent` items; an item outside all of them would need
/// to be middling in every component at once to reach a blended top 10.
public struct HybridTuning {
    public var candidatesPerComponent = 50
    public var grid: [Float] = [0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1]
    public var rounds = 3
    /// Inner date cutoffs, as quantiles of the lines' dates (0.8: the date before which 80% of
    /// the lines fall), each a validation split beside the last basket.
    public var cutoffQuantiles: [Double] = [0.7, 0.85]
    /// A step of the search must raise validation NDCG@10 by this fraction to be taken: smaller
    /// gains are within the validation baskets' noise, and each one taken is a weight fit to it.
    public var minimumGain = 0.01

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
        var names: [String] = []
        var casesPerTrack: [Track: [[Case]]] = [:]
        for split in validationSplits(of: lines) {
            let (innerTrain, validation) = split.apply(to: lines)
            let data = TrainingData(catalogue: catalogue, lines: innerTrain)
            let components = componentsFor(data)
            names = components.map(\.name)
            let evaluation = Evaluation(data: data, test: validation)
            progress("hybrid: tuning \(names.joined(separator: ", ")) on \(evaluation.test.count) validation baskets (\(split))")
            guard !evaluation.test.isEmpty else { continue }
            for track in Track.allCases {
                casesPerTrack[track, default: []].append(buildCases(evaluation, components: components, track: track))
            }
        }
        var weights: [Track: [Float]] = [:]
        for track in Track.allCases {
            let (best, ndcg) = search(casesPerTrack[track] ?? [], componentCount: names.count)
            progress("hybrid: track \(track.rawValue): weights \(zip(names, best).map { "\($0) \($1)" }.joined(separator: ", ")) — validation NDCG@10 \(String(format: "%.4f", ndcg))")
            weights[track] = best
        }
        return HybridWeights(components: names, all: weights[.all]!, new: weights[.new]!)
    }

    /// The last-basket split, then a cutoff at each of `cutoffQuantiles` of the lines' dates
    /// (whole days; a cutoff that would leave no training day or no later day is left out).
    func validationSplits(of lines: [PurchaseLine]) -> [DataSplit] {
        let days = lines.map { $0.date.prefix(10) }.sorted()
        var splits: [DataSplit] = [.lastBasket]
        for q in cutoffQuantiles where !days.isEmpty {
            let day = String(days[min(days.count - 1, Int(q * Double(days.count)))])
            if day > days.first!, !splits.contains(.cutoff(day)) { splits.append(.cutoff(day)) }
        }
        return splits
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

    /// The mean over validation splits of each split's mean NDCG@10.
    func meanNDCG(_ groups: [[Case]], weights: [Float]) -> Double {
        groups.reduce(0) { $0 + meanNDCG($1, weights: weights) } / Double(max(groups.count, 1))
    }

    /// Each validation split's mean NDCG@10.
    func splitNDCGs(_ groups: [[Case]], weights: [Float]) -> [Double] {
        groups.map { meanNDCG($0, weights: weights) }
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
    /// each weight in turn and keeps a change only when it raises the mean over the splits by
    /// `minimumGain` and lowers none of them — a weight that helps one kind of validation basket
    /// and hurts another is fit to that split's noise (minilm-mean in the six-month shop did).
    func search(_ cases: [[Case]], componentCount m: Int) -> (weights: [Float], ndcg: Double) {
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        var best: (weights: [Float], perSplit: [Double]) = ([Float](repeating: 0, count: m), [])
        var bestMean = -1.0
        for j in 0..<m {
            var single = [Float](repeating: 0, count: m)
            single[j] = 1
            let perSplit = splitNDCGs(cases, weights: single)
            if mean(perSplit) > bestMean { (best, bestMean) = ((single, perSplit), mean(perSplit)) }
        }
        for _ in 0..<rounds {
            var improved = false
            for j in 0..<m {
                for value in grid where value != best.weights[j] {
                    var trial = best.weights
                    trial[j] = value
                    guard trial.contains(where: { $0 > 0 }) else { continue }
                    let perSplit = splitNDCGs(cases, weights: trial)
                    let noSplitWorse = zip(perSplit, best.perSplit).allSatisfy { $0 >= $1 }
                    if noSplitWorse, mean(perSplit) > bestMean * (1 + minimumGain) + 1e-9 {
                        (best, bestMean) = ((trial, perSplit), mean(perSplit))
                        improved = true
                    }
                }
            }
            if !improved { break }
        }
        return (best.weights, bestMean)
    }
}
