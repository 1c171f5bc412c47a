import Foundation
import Tensor

/// The negative log-likelihood of a token stream, summed over its scored tokens.
public struct PerplexityResult: Equatable, Sendable {
    public var negativeLogLikelihood: Double
    public var tokensScored: Int

    public var meanNegativeLogLikelihood: Double { negativeLogLikelihood / Double(max(1, tokensScored)) }
    public var perplexity: Double { Foundation.exp(meanNegativeLogLikelihood) }
}

/// Perplexity as `bench/torch_gpt.py ppl` defines it: the stream is cut into consecutive,
/// non-overlapping windows of `block` tokens (the last one may be shorter, if it has at least
/// two tokens), and each window predicts its tokens 2…N from the ones before it inside the
/// window. Runs through an inference session, so int8 and LoRA operators are scored the same way.
public enum Perplexity {
    /// The windows' token ranges: starts 0, block, 2·block, … below `tokenCount − 1`.
    public static func windows(tokenCount: Int, block: Int) -> [Range<Int>] {
        guard block >= 2 else { return [] }
        return stride(from: 0, to: tokenCount - 1, by: block).map { $0..<min($0 + block, tokenCount) }
    }

    /// The largest block a model of this context can score: a window feeds all but its last token.
    public static func maximumBlock(contextLength: Int) -> Int { contextLength + 1 }

    /// Scores the first `maxTokens` tokens (all when nil) of `source`; `name` names the data in errors.
    public static func evaluate(
        session: InferenceSession, source: TokenSource, name: String, block: Int, maxTokens: Int? = nil
    ) throws -> PerplexityResult {
        let config = session.config
        let limit = maximumBlock(contextLength: config.contextLength)
        guard block >= 2, block <= limit else {
            throw GPTError.invalidInput("--block must be between 2 and \(limit) (the model's context \(config.contextLength) + 1; got \(block))")
        }
        if let maxTokens, maxTokens < 2 {
            throw GPTError.invalidInput("--max-eval-tokens must be at least 2 (got \(maxTokens))")
        }
        let tokenCount = min(source.tokenCount, maxTokens ?? Int.max)
        guard tokenCount >= 2 else {
            throw GPTError.invalidInput("\(name): has \(source.tokenCount) token(s); perplexity needs at least 2")
        }
        var result = PerplexityResult(negativeLogLikelihood: 0, tokensScored: 0)
        var window = [Int32](repeating: 0, count: block)
        // One logits buffer for the whole stream: a fresh multi-megabyte buffer per window made
        // glibc raise its mmap threshold and fragment the heap (peak RSS grew with the data).
        let logits = FloatBuffer(count: InferenceSession.scoringRows * config.vocabSize)
        for range in windows(tokenCount: tokenCount, block: block) {
            window.withUnsafeMutableBufferPointer {
                source.copyTokens(from: range.lowerBound, count: range.count, into: $0.baseAddress!)
            }
            let tokens = window[..<range.count].map(Int.init)
            if let bad = tokens.firstIndex(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw GPTError.invalidInput("\(name): token \(range.lowerBound + bad) has id \(tokens[bad]), outside the model's vocabulary (size \(config.vocabSize))")
            }
            let scored = try session.negativeLogLikelihood(of: tokens, logits: logits)
            result.negativeLogLikelihood += scored.sum
            result.tokensScored += scored.count
        }
        return result
    }
}

extension InferenceSession {
    /// Rows of the LM head computed at once when scoring: bounds the logits buffer to
    /// [rows, V] instead of [T, V].
    static let scoringRows = 32

    /// Σ −log p(tokens[i] | tokens[..<i]) over i = 1…n−1, from a fresh cache; `logits` holds
    /// [scoringRows, V]. The prefill leaves every position's final hidden state in `hiddenStates`
    /// [n−1, C]; only the head of the last one ran, so the final LayerNorm and head are applied
    /// here to all rows.
    func negativeLogLikelihood(of tokens: [Int], logits: FloatBuffer) throws -> (sum: Double, count: Int) {
        reset()
        let inputs = Array(tokens.dropLast())
        try prefill(inputs)
        let c = config.embeddingSize, v = config.vocabSize, n = inputs.count
        let model = weights.model
        let p = model.parameters.pointer
        let chunkRows = Self.scoringRows
        var targets = [Int32](repeating: 0, count: chunkRows)
        let normed = FloatBuffer(count: chunkRows * c)
        var total = 0.0
        for start in stride(from: 0, to: n, by: chunkRows) {
            let rows = min(chunkRows, n - start)
            LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, input: hiddenStates + start * c,
                              weight: p + model.layout.lnFinalWeight, bias: p + model.layout.lnFinalBias,
                              rows: rows, channels: c, eps: config.layerNormEpsilon)
            weights.head.apply(rows: rows, input: normed.pointer, output: logits.pointer)
            for r in 0..<rows { targets[r] = Int32(tokens[start + r + 1]) }
            total += targets.withUnsafeBufferPointer {
                CrossEntropy.forward(losses: nil, logits: logits.pointer, targets: $0.baseAddress!, rows: rows, vocab: v).sum
            }
        }
        return (total, n)
    }
}
