import Foundation
import GPT
import Tensor

/// One supervised fine-tuning example: the model reads `prompt` and learns to write `completion`.
public struct CompletionExample: Sendable, Equatable {
    public var prompt: String
    public var completion: String

    public init(prompt: String, completion: String) {
        self.prompt = prompt
        self.completion = completion
    }

    /// Reads a JSONL file of `{"prompt": …, "completion": …}` objects, one per line (blank
    /// lines skipped). A malformed line is an error naming the file and line.
    public static func readJSONL(path: String) throws -> [CompletionExample] {
        let data: Data
        do {
            data = try RegularFile.contents(of: path)
        } catch {
            throw LoRAError.file("--data \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoRAError.file("\(path): not UTF-8 text")
        }
        var examples: [CompletionExample] = []
        // Split on every line break: "\r\n" is one Character in Swift, so splitting on "\n" alone
        // would leave a CRLF file as one line.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let location = "\(path):\(index + 1)"
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw LoRAError.file("\(location): not a JSON object")
            }
            guard let prompt = object["prompt"] as? String, let completion = object["completion"] as? String else {
                throw LoRAError.file("\(location): needs string fields \"prompt\" and \"completion\"")
            }
            guard !completion.isEmpty else { throw LoRAError.file("\(location): the completion is empty, nothing to learn") }
            examples.append(CompletionExample(prompt: prompt, completion: completion))
        }
        guard !examples.isEmpty else { throw LoRAError.file("\(path): no examples") }
        return examples
    }

    /// Splits off every k-th example (k = round(1/fraction)) for validation, spread over the
    /// file so both halves see the same kinds of example. With fewer than two examples, or a
    /// fraction of 0, there is no validation set.
    public static func split(_ examples: [CompletionExample], validationFraction: Double)
        -> (train: [CompletionExample], validation: [CompletionExample]) {
        guard validationFraction > 0, examples.count >= 2 else { return (examples, []) }
        let every = max(2, Int((1 / validationFraction).rounded()))
        var train: [CompletionExample] = [], validation: [CompletionExample] = []
        for (i, example) in examples.enumerated() {
            if i % every == every - 1 { validation.append(example) } else { train.append(example) }
        }
        return (train, validation)
    }
}

/// Examples packed into one token stream as `<eot> prompt completion <eot> prompt completion
/// <eot> …`, so a training window holds several examples separated by end-of-text. Only the
/// completion tokens and the end-of-text closing each completion are scored: the model learns
/// to answer and to stop, not to reproduce prompts.
public final class PackedCompletions: ScoredTokenSource {
    public let tokens: [Int32]
    let scored: [Bool]
    public let exampleCount: Int

    /// `encode` turns text into token ids (the GPT-2 tokenizer, without special tokens).
    public init(_ examples: [CompletionExample], endOfText: Int32, encode: (String) throws -> [Int32]) rethrows {
        var tokens: [Int32] = [endOfText]
        var scored: [Bool] = [false]
        for example in examples {
            let prompt = try encode(example.prompt)
            let completion = try encode(example.completion)
            tokens += prompt
            scored += Array(repeating: false, count: prompt.count)
            tokens += completion
            tokens.append(endOfText)
            scored += Array(repeating: true, count: completion.count + 1)
        }
        self.tokens = tokens
        self.scored = scored
        exampleCount = examples.count
    }

    /// Tokens that count in the loss.
    public var scoredCount: Int { scored.reduce(0) { $0 + ($1 ? 1 : 0) } }

    public var tokenCount: Int { tokens.count }

    public func copyTokens(from offset: Int, count: Int, into destination: UnsafeMutablePointer<Int32>) {
        tokens.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + offset, count: count) }
    }

    public func isScored(_ position: Int) -> Bool { scored[position] }
}
