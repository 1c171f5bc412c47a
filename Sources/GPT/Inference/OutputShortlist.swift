import Foundation
import Tensor

/// The tokens a model may generate: a lexical shortlist (Marian's, or vocabulary trimming) of
/// sorted, unique token ids. A model trained from scratch on one corpus has seen only a few
/// thousand of GPT-2's 50,257 tokens; the others' logits were only ever trained down. Its LM head
/// then computes the shortlist's logits alone (`ShortlistHead`), every other logit is −∞, and a
/// decoding step's head shrinks by the same factor.
///
/// A checkpoint carries it as `shortlist.json` beside `config.json`:
/// `{"tokens": [ids…], "vocab_size": V, "note": "how it was built"}`. A checkpoint without one
/// uses the full head.
public struct OutputShortlist: Sendable, Equatable {
    public static let fileName = "shortlist.json"

    /// Sorted, unique, each in `0..<vocabSize`.
    public let tokens: [Int]
    public let vocabSize: Int
    /// How the list was built (the corpus, the tokens added beside it), kept for whoever reads the file.
    public let note: String
    /// Each token's place in `tokens`, or −1 off the list `[V]`: a compact row's id map read backwards.
    public let slots: [Int32]

    /// Takes any ids in range, sorting them and dropping repeats.
    public init(tokens: some Sequence<Int>, vocabSize: Int, note: String) throws {
        let sorted = Set(tokens).sorted()
        guard let first = sorted.first, let last = sorted.last else {
            throw GPTError.invalidInput("an output shortlist needs at least one token")
        }
        guard first >= 0, last < vocabSize else {
            throw GPTError.invalidInput("an output shortlist holds token \(first < 0 ? first : last), outside the vocabulary of \(vocabSize)")
        }
        self.tokens = sorted
        self.vocabSize = vocabSize
        self.note = note
        var slots = [Int32](repeating: -1, count: vocabSize)
        for (slot, token) in sorted.enumerated() { slots[token] = Int32(slot) }
        self.slots = slots
    }

    /// `directory/shortlist.json` checked against a model of `vocabSize` tokens, or nil when the
    /// directory has none. Anything else than sorted unique ids in range is one line naming the file.
    public static func load(directory: String, vocabSize: Int) throws -> OutputShortlist? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        func fail(_ reason: String) -> GPTError { .checkpoint("\(path): \(reason)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: try RegularFile.contents(of: path, limit: 16 << 20))
        } catch {
            throw fail("not a JSON shortlist (\(error.localizedDescription))")
        }
        guard let json = object as? [String: Any], let values = json["tokens"] as? [Any] else {
            throw fail("expected {\"tokens\": [sorted token ids], \"vocab_size\": N, \"note\": \"…\"}")
        }
        var tokens: [Int] = []
        tokens.reserveCapacity(values.count)
        for value in values {
            guard let number = value as? NSNumber, let token = Int(exactly: number.doubleValue) else {
                throw fail("\"tokens\" holds \(value), not a token id")
            }
            guard (0..<vocabSize).contains(token) else {
                throw fail("token \(token) is outside the model's vocabulary of \(vocabSize)")
            }
            if let previous = tokens.last, token <= previous {
                throw fail(token == previous ? "token \(token) is listed twice" : "the tokens are not sorted (\(token) after \(previous))")
            }
            tokens.append(token)
        }
        guard !tokens.isEmpty else { throw fail("\"tokens\" is empty") }
        if let stated = json["vocab_size"], (stated as? Int) != vocabSize {
            throw fail("made for a vocabulary of \(stated), but the model has \(vocabSize)")
        }
        return try OutputShortlist(tokens: tokens, vocabSize: vocabSize, note: json["note"] as? String ?? "")
    }

    /// Writes `directory/shortlist.json` atomically.
    public func save(directory: String) throws {
        let json: [String: Any] = ["tokens": tokens, "vocab_size": vocabSize, "note": note]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        try AtomicFile.write(data, to: (directory as NSString).appendingPathComponent(Self.fileName))
    }
}
