import Dispatch
import Foundation
import Tensor

/// GPT-2's byte-level BPE, giving exactly the ids of tiktoken's `gpt2` encoding: the text is cut
/// into pieces by GPT-2's pattern (`PreTokenizer`), each piece's UTF-8 bytes are merged by rank.
/// Immutable after loading, so one instance serves any number of threads.
public final class GPT2Tokenizer: Sendable {
    public static let endOfText = 50256
    public static let endOfTextText = "<|endoftext|>"
    static let endOfTextBytes = Array(endOfTextText.utf8)

    /// Number of ids, special tokens included (50257).
    public let vocabSize: Int
    /// The vocabulary files this tokenizer was read from.
    public let vocabularyFiles: [String]
    private let tokenIndex: ByteStringIndex
    private let pairs: PairMergeTable
    private let byteTokens: [UInt32]
    /// `tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]` are the bytes of `id`.
    private let tokenBytes: [UInt8]
    private let tokenOffsets: [Int]

    /// Reads `encoder.json` + `vocab.bpe`, `vocab.json` + `merges.txt`, or a `.tiktoken` rank file
    /// from `directory` (in that order of preference).
    public convenience init(directory: String) throws {
        try self.init(vocabulary: Vocabulary.load(directory: directory))
    }

    init(vocabulary: Vocabulary) {
        vocabSize = vocabulary.tokens.count
        vocabularyFiles = vocabulary.files
        var offsets = [0]
        var bytes: [UInt8] = []
        for token in vocabulary.tokens {
            bytes.append(contentsOf: token)
            offsets.append(bytes.count)
        }
        tokenBytes = bytes
        tokenOffsets = offsets

        let special = Set(vocabulary.specialTokens.values)
        let mergeable = vocabulary.tokens.indices.filter { !special.contains($0) }
        let index = ByteStringIndex(keys: mergeable.map { vocabulary.tokens[$0] }, values: mergeable.map { UInt32($0) })
        tokenIndex = index
        byteTokens = (0..<256).map { index.value([UInt8($0)]) }

        // tiktoken joins two adjacent parts whenever their concatenation is a token, ranked by that
        // token; so every split of a token into two tokens is a merge, not only the one vocab.bpe lists.
        var entries: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)] = []
        entries.reserveCapacity(vocabulary.tokens.count * 4)
        bytes.withUnsafeBufferPointer { all in
            for id in mergeable where offsets[id + 1] - offsets[id] > 1 {
                let token = all.baseAddress! + offsets[id]
                let length = offsets[id + 1] - offsets[id]
                for split in 1..<length {
                    let left = index.value(token, split)
                    let right = index.value(token + split, length - split)
                    if left != ByteStringIndex.missing && right != ByteStringIndex.missing {
                        entries.append((left, right, vocabulary.ranks[id], UInt32(id)))
                    }
                }
            }
        }
        pairs = PairMergeTable(entries)
    }

    /// `longPiece` moves the switch between the two merge loops (tests run both on the same text).
    func makeSession(longPiece: Int = EncodingSession.defaultLongPiece) -> EncodingSession {
        EncodingSession(tokenIndex: tokenIndex, pairs: pairs, byteTokens: byteTokens, longPiece: longPiece)
    }

    /// The ids of `text`. With `allowSpecial`, the literal text `<|endoftext|>` becomes 50256;
    /// without, it is encoded as ordinary text (tiktoken's `encode_ordinary`).
    public func encode(_ text: String, allowSpecial: Bool = false) -> [Int] {
        var session = makeSession()
        return encode(text, allowSpecial: allowSpecial, session: &session)
    }

    /// The ids of every text, computed on `Parallel.coreCount` threads; results are in the order of `texts`.
    public func encodeBatch(_ texts: [String], allowSpecial: Bool = false) -> [[Int]] {
        var results = [[Int]](repeating: [], count: texts.count)
        let workers = min(texts.count, Parallel.coreCount)
        guard workers > 1 else {
            var session = makeSession()
            return texts.map { encode($0, allowSpecial: allowSpecial, session: &session) }
        }
        let nextText = WorkCounter()
        results.withUnsafeMutableBufferPointer { output in
            let slots = UncheckedSendable(output)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                var session = makeSession()
                while true {
                    let i = nextText.take()
                    guard i < texts.count else { break }
                    slots.value[i] = encode(texts[i], allowSpecial: allowSpecial, session: &session)
                }
            }
        }
        return results
    }

    /// Encodes UTF-8 bytes (which must be valid) with a caller-held session, for the data pipeline.
    func encode(utf8 text: UnsafeBufferPointer<UInt8>, allowSpecial: Bool, session: inout EncodingSession, into output: inout [Int]) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        guard allowSpecial else {
            session.encode(base, text.count, into: &output)
            return
        }
        let marker = Self.endOfTextBytes
        var segmentStart = 0
        var i = 0
        while i + marker.count <= text.count {
            if base[i] == marker[0] && memcmp(base + i, marker, marker.count) == 0 {
                session.encode(base + segmentStart, i - segmentStart, into: &output)
                output.append(Self.endOfText)
                i += marker.count
                segmentStart = i
            } else {
                i += 1
            }
        }
        session.encode(base + segmentStart, text.count - segmentStart, into: &output)
    }

    func encode(_ text: String, allowSpecial: Bool, session: inout EncodingSession) -> [Int] {
        var text = text
        var output: [Int] = []
        output.reserveCapacity(text.utf8.count / 3)
        text.withUTF8 { encode(utf8: $0, allowSpecial: allowSpecial, session: &session, into: &output) }
        return output
    }

    /// The bytes of `ids`. An id outside the vocabulary decodes to U+FFFD's bytes (check ids
    /// from untrusted sources with `validate(ids:)` first).
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids { appendBytes(of: id, to: &bytes) }
        return bytes
    }

    /// The text of `ids`; byte sequences that are not valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    func appendBytes(of id: Int, to bytes: inout [UInt8]) {
        if id >= 0 && id < vocabSize {
            bytes.append(contentsOf: tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]])
        } else {
            bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
        }
    }

    /// Throws for the first id outside `0..<vocabSize`, naming its position.
    public func validate(ids: [Int]) throws {
        if let position = ids.firstIndex(where: { $0 < 0 || $0 >= vocabSize }) {
            throw TokenizerError("token id \(ids[position]) at position \(position) is outside the vocabulary (0..<\(vocabSize))")
        }
    }
}

/// Hands out 0, 1, 2, … to the threads of a batch.
final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// Output buffers written by disjoint indices from several threads.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
