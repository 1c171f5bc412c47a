/// The weights of the hybrid's components, one set per track: ranking a customer's whole
/// catalogue (`all`, repeats welcome) and ranking only what they have not bought (`new`, what
/// `query --exclude-purchased` answers) reward different signals.
public struct HybridWeights: Sendable, Codable, Equatable {
    /// Component method names, in the order of the weight vectors.
    public var components: [String]
    public var all: [Float]
    public var new: [Float]

    public init(components: [String], all: [Float], new: [Float]) {
        precondition(all.count == components.count && new.count == components.count, "one weight per component")
        self.components = components
        self.all = all
        self.new = new
    }

    public func weights(excludingPurchased: Bool) -> [Float] { excludingPurchased ? new : all }
}

/// A weighted blend of other methods' scores, each first divided by its maximum over the items
/// that can be recommended (so scores of different units — counts, cosines, decayed sums — meet
/// on [0, 1]), plus the popularity tie-breaker.
public struct HybridRecommender: Recommender {
    public let name = "hybrid"
    public let components: [any Recommender]
    public let weights: HybridWeights
    private let data: TrainingData
    private let tieBreak: [Float]

    public init(data: TrainingData, components: [any Recommender], weights: HybridWeights) {
        precondition(components.map(\.name) == weights.components, "weights name the components in order")
        self.data = data
        self.components = components
        self.weights = weights
        tieBreak = data.tieBreak
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        var excluded = [Bool](repeating: false, count: data.itemCount)
        if excludingPurchased { for i in data.items(ofCustomer: customer) { excluded[Int(i)] = true } }
        var blend = tieBreak
        for (method, weight) in zip(components, weights.weights(excludingPurchased: excludingPurchased)) where weight != 0 {
            let scores = method.scores(customer: customer, excludingPurchased: excludingPurchased)
            // normalised(scores) added in place: the same divisions, without another [items] array.
            let top = Self.maximum(scores, excludingMask: excluded)
            guard top > 0 else { continue }
            for j in blend.indices { blend[j] += weight * (scores[j] / top) }
        }
        return blend
    }

    /// `scores` over their maximum among items not in `excluded` (all zeros when that is not
    /// positive).
    public static func normalised(_ scores: [Float], excluding excluded: Set<Int> = []) -> [Float] {
        var mask = [Bool](repeating: false, count: scores.count)
        for j in excluded where j < scores.count { mask[j] = true }
        return normalised(scores, excludingMask: mask)
    }

    /// The same with the excluded items as a mask. [items]
    public static func normalised(_ scores: [Float], excludingMask excluded: [Bool]) -> [Float] {
        let top = maximum(scores, excludingMask: excluded)
        guard top > 0 else { return [Float](repeating: 0, count: scores.count) }
        return scores.map { $0 / top }
    }

    /// The largest score among items not in `excluded`, or 0 when none is positive.
    static func maximum(_ scores: [Float], excludingMask excluded: [Bool]) -> Float {
        var top: Float = 0
        for (j, s) in scores.enumerated() where s > top && !excluded[j] { top = s }
        return top
    }
}
