import Foundation
import Tensor

/// The sampling controls users know from Hugging Face's `generate`.
public struct SamplingParameters: Equatable, Sendable {
    /// 0 means greedy decoding (argmax).
    public var temperature: Float
    /// Keep only the `topK` highest logits; 0 disables the filter.
    public var topK: Int
    /// Nucleus sampling: keep the smallest set of most probable tokens whose probability is ≥ `topP`; 1 disables it.
    public var topP: Float
    /// > 1 discourages every token already in the prompt or generated; 1 disables it.
    public var repetitionPenalty: Float

    public init(temperature: Float = 0.8, topK: Int = 200, topP: Float = 1, repetitionPenalty: Float = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
    }

    /// Greedy decoding with no penalty: the setting benchmarks use so runs compare.
    public static let greedy = SamplingParameters(temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1)

    /// Why these settings cannot be used, naming the flag, or nil.
    public var problem: String? {
        if !(temperature >= 0) || !temperature.isFinite { return "--temperature must be a finite number ≥ 0 (got \(temperature))" }
        if topK < 0 { return "--top-k must be ≥ 0 (0 turns it off; got \(topK))" }
        if !(topP > 0 && topP <= 1) { return "--top-p must be in (0, 1] (got \(topP))" }
        if !(repetitionPenalty > 0) || !repetitionPenalty.isFinite {
            return "--repetition-penalty must be a finite number > 0 (got \(repetitionPenalty))"
        }
        return nil
    }

    public func validate() throws {
        if let problem { throw GPTError.invalidInput(problem) }
    }
}

/// Picks the next token from a row of logits, in Hugging Face's order: repetition penalty,
/// temperature, top-k, top-p, then a draw from the remaining distribution.
///
/// The draw is an inverse-CDF walk over the kept tokens (most probable first, ties by id) with
/// one `nextUniformDouble()` per token, so the same seed gives the same tokens on every machine.
public struct Sampler {
    public let parameters: SamplingParameters
    public private(set) var generator: SeededGenerator
    /// Ids at or above this are never drawn: a model whose vocabulary is padded beyond its
    /// tokenizer's (nanoGPT's 50304) has rows no text decodes to.
    public var vocabularyLimit: Int?
    /// Scratch row of adjusted logits [V], reused across steps.
    private var scratch: [Float] = []

    public init(parameters: SamplingParameters, seed: UInt64) throws {
        try parameters.validate()
        self.parameters = parameters
        generator = SeededGenerator(seed: seed)
    }

    /// The next token after `logits` [V]; `history` holds every token of the prompt and the
    /// generation so far (the repetition penalty's set).
    public mutating func next(logits: UnsafeBufferPointer<Float>, history: Set<Int>) -> Int {
        guard let base = logits.baseAddress, !logits.isEmpty else { return 0 }
        let allowed = vocabularyLimit.map { min(logits.count, max(1, $0)) } ?? logits.count
        // Without a penalty the row is read in place: no copy of the vocabulary per step.
        guard parameters.repetitionPenalty != 1 else { return pick(base, count: logits.count, allowed: allowed) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: logits)
        for i in allowed..<scratch.count { scratch[i] = -.infinity }
        Self.applyRepetitionPenalty(&scratch, penalty: parameters.repetitionPenalty, tokens: history)
        let adjusted = scratch
        return adjusted.withUnsafeBufferPointer { pick($0.baseAddress!, count: $0.count, allowed: allowed) }
    }

    /// The next token after `row`, the same draw as `next(logits:history:)` on the `[V]` row it
    /// stands for. A compact row is sampled over its S logits, each candidate taking its listed
    /// id: the tokens off the list are −∞, so they never enter the top-k nor carry probability.
    /// A row holding a NaN or no finite maximum, where the full row's order of comparisons
    /// decides, is expanded and sampled as one.
    public mutating func next(_ row: LogitRow, history: Set<Int>) -> Int {
        guard let shortlist = row.shortlist, let base = row.values.baseAddress else {
            return next(logits: UnsafeBufferPointer(row.values), history: history)
        }
        let count = row.storedCount(below: vocabularyLimit.map { max(1, $0) } ?? shortlist.vocabSize)
        if parameters.temperature == 0, parameters.repetitionPenalty == 1 { return row.argmax(below: vocabularyLimit.map { max(1, $0) }) }
        guard count > 0, VectorMath.max(base, count).isFinite, !LogitSelection.containsNaN(base, count: count) else {
            scratch = [Float](repeating: 0, count: shortlist.vocabSize)
            scratch.withUnsafeMutableBufferPointer { row.expand(into: $0.baseAddress!) }
            let expanded = scratch
            return expanded.withUnsafeBufferPointer { next(logits: $0, history: history) }
        }
        guard parameters.repetitionPenalty != 1 else { return pick(base, count: count, allowed: count, ids: shortlist) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        for token in history where token >= 0 && token < shortlist.vocabSize {
            let slot = Int(shortlist.slots[token])
            guard slot >= 0, slot < count else { continue }
            scratch[slot] = Self.penalised(scratch[slot], penalty: parameters.repetitionPenalty)
        }
        let adjusted = scratch
        return adjusted.withUnsafeBufferPointer { pick($0.baseAddress!, count: count, allowed: count, ids: shortlist) }
    }

    /// Temperature, top-k, top-p and the draw over a row whose penalty is applied; ids at or
    /// above `allowed` count as −∞. The temperature is applied to the candidates as they are
    /// selected (the same products `applyTemperature` makes), never to the whole row. With `ids`
    /// the row is a compact one and each position stands for its listed token.
    private mutating func pick(_ row: UnsafePointer<Float>, count: Int, allowed: Int, ids: OutputShortlist? = nil) -> Int {
        if parameters.temperature == 0 {
            let position = LogitSelection.argmax(row, count: allowed)
            return ids?.tokens[position] ?? position
        }
        let scale = parameters.temperature == 1 ? 1 : 1 / parameters.temperature
        var candidates = LogitSelection.topK(row, count: count, allowed: allowed, scale: scale, k: parameters.topK)
        if let ids { candidates = candidates.map { (token: ids.tokens[$0.token], logit: $0.logit) } }
        return Self.draw(from: Self.nucleus(of: candidates, p: parameters.topP), uniform: generator.nextUniformDouble())
    }

    // MARK: The steps, each usable on its own

    /// HF's `RepetitionPenaltyLogitsProcessor`: a seen token's logit is divided by the penalty
    /// when positive and multiplied by it when negative, so a penalty > 1 always lowers it.
    public static func applyRepetitionPenalty(_ logits: inout [Float], penalty: Float, tokens: Set<Int>) {
        guard penalty != 1 else { return }
        for token in tokens where token >= 0 && token < logits.count {
            logits[token] = penalised(logits[token], penalty: penalty)
        }
    }

    /// A seen token's logit under the penalty: lowered whatever its sign.
    static func penalised(_ logit: Float, penalty: Float) -> Float { logit < 0 ? logit * penalty : logit / penalty }

    public static func applyTemperature(_ logits: inout [Float], _ temperature: Float) {
        guard temperature != 1 else { return }
        let scale = 1 / temperature
        for i in logits.indices { logits[i] *= scale }
    }

    /// The index of the largest logit, the lowest index among equals.
    public static func argmax<Logits: RandomAccessCollection>(_ logits: Logits) -> Int
    where Logits.Element == Float, Logits.Index == Int {
        var best = logits.startIndex
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return best
    }

    /// `argmax` of a row in place, vectorised: the greedy step of every decoding sequence runs it
    /// over the whole vocabulary. Same answer, NaN included (a NaN first logit gives 0, other NaNs
    /// are never chosen).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        guard let base = logits.baseAddress else { return 0 }
        return LogitSelection.argmax(base, count: logits.count)
    }

    /// HF's `TopKLogitsWarper`: the ids whose logit is ≥ the k-th largest (ties at the boundary
    /// are all kept, as there), in ascending id order. k = 0, or k ≥ V, keeps every token.
    public static func topK(_ logits: [Float], k: Int) -> [Int] {
        guard k > 0, k < logits.count else { return Array(logits.indices) }
        // A min-heap of the k largest values seen so far: O(V log k) instead of a full sort.
        var heap = MinHeap(capacity: k)
        for value in logits {
            if heap.count < k {
                heap.push(value)
            } else if value > heap.smallest {
                heap.replaceSmallest(value)
            }
        }
        let threshold = heap.smallest
        return logits.indices.filter { logits[$0] >= threshold }
    }

    /// HF's `TopPLogitsWarper` over `candidates` (renormalised among themselves): the smallest
    /// set of most probable candidates whose probability sums to ≥ p, never empty. Returned with
    /// their probabilities, most probable first (ties by lower id).
    public static func nucleus(of candidates: [Int], logits: [Float], p: Float) -> [(token: Int, probability: Double)] {
        nucleus(of: candidates.map { ($0, logits[$0]) }, p: p)
    }

    /// `nucleus` over candidates that carry their logits.
    static func nucleus(of candidates: [(token: Int, logit: Float)], p: Float) -> [(token: Int, probability: Double)] {
        guard !candidates.isEmpty else { return [] }
        let maximum = candidates.reduce(-Float.infinity) { max($0, $1.logit) }
        var weights = candidates.map { (token: $0.token, probability: Double(VectorMath.exp($0.logit - maximum))) }
        let total = weights.reduce(0) { $0 + $1.probability }
        // Tokens below `floor` can never enter the nucleus, so only the rest is sorted: their total
        // mass is < candidates × floor = 1 − p, leaving ≥ p above it.
        let floor = p < 1 ? Double(1 - p) / Double(candidates.count) : 0
        for i in weights.indices { weights[i].probability /= total }
        if p < 1 { weights.removeAll { $0.probability < floor } }
        weights.sort { $0.probability != $1.probability ? $0.probability > $1.probability : $0.token < $1.token }
        guard p < 1 else { return weights }
        var mass = 0.0
        for (i, weight) in weights.enumerated() {
            mass += weight.probability
            if mass >= Double(p) { return Array(weights[...i]) }
        }
        return weights
    }

    /// Inverse-CDF draw: the first candidate at which the cumulative (renormalised) probability
    /// exceeds `uniform` ∈ [0, 1).
    public static func draw(from candidates: [(token: Int, probability: Double)], uniform: Double) -> Int {
        let total = candidates.reduce(0) { $0 + $1.probability }
        let target = uniform * total
        var cumulative = 0.0
        for candidate in candidates {
            cumulative += candidate.probability
            if target < cumulative { return candidate.token }
        }
        return candidates.last?.token ?? 0
    }
}
