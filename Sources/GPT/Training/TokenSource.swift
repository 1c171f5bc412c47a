import Tensor
import Tokenizer

/// A token stream the trainer can sample from: the memory-mapped `.bin` readers conform.
public protocol TokenSource: AnyObject {
    /// Number of tokens in the stream.
    var tokenCount: Int { get }
    /// Copies `count` tokens starting at `offset` into `destination`.
    func copyTokens(from offset: Int, count: Int, into destination: UnsafeMutablePointer<Int32>)
    /// The file the tokens come from, for messages; nil for tokens built in memory.
    var sourcePath: String? { get }
}

extension TokenSource {
    public var sourcePath: String? { nil }
}

/// A token stream in which only some tokens are predicted, such as the completions of
/// prompt/completion pairs: the sampler gives every other target `CrossEntropy.ignoreIndex`.
public protocol ScoredTokenSource: TokenSource {
    /// Whether the token at `position` counts in the loss.
    func isScored(_ position: Int) -> Bool
}

/// Batches of `[B, T]` inputs and their next-token targets, drawn as nanoGPT does: each row
/// starts at a uniformly random offset. The generator is the only state, so saving it is
/// saving the data position.
public struct BatchSampler {
    public let batchSize: Int
    public let length: Int

    public init(batchSize: Int, length: Int) {
        self.batchSize = batchSize
        self.length = length
    }

    /// Why `source` cannot feed this sampler, or nil.
    public func problem(with source: TokenSource, name: String) -> String? {
        source.tokenCount >= length + 1 ? nil
            : "\(name)\(source.sourcePath.map { " (\($0))" } ?? "") has \(source.tokenCount) tokens; --block-size \(length) needs at least \(length + 1)"
    }

    public func sample(from source: TokenSource, generator: inout SeededGenerator) -> (inputs: [Int32], targets: [Int32]) {
        var inputs = [Int32](repeating: 0, count: batchSize * length)
        var targets = [Int32](repeating: 0, count: batchSize * length)
        var window = [Int32](repeating: 0, count: length + 1)
        let scored = source as? ScoredTokenSource
        for b in 0..<batchSize {
            let offset = generator.nextInt(below: source.tokenCount - length)
            window.withUnsafeMutableBufferPointer { source.copyTokens(from: offset, count: length + 1, into: $0.baseAddress!) }
            for t in 0..<length {
                inputs[b * length + t] = window[t]
                targets[b * length + t] = scored?.isScored(offset + t + 1) == false ? CrossEntropy.ignoreIndex : window[t + 1]
            }
        }
        return (inputs, targets)
    }
}

/// An in-memory token source (tests, small JSONL fine-tuning sets).
public final class TokenArray: TokenSource {
    public let tokens: [Int32]
    public init(_ tokens: [Int32]) { self.tokens = tokens }
    public var tokenCount: Int { tokens.count }
    public func copyTokens(from offset: Int, count: Int, into destination: UnsafeMutablePointer<Int32>) {
        for i in 0..<count { destination[i] = tokens[offset + i] }
    }
}

extension TokenStream: TokenSource {
    public var tokenCount: Int { count }
    public var sourcePath: String? { path }

    public func copyTokens(from offset: Int, count: Int, into destination: UnsafeMutablePointer<Int32>) {
        copy(from: offset, count: count, into: destination)
    }
}
