import Foundation
import Tensor

/// Hugging Face's BertTokenizer for a WordPiece `vocab.txt`: the same ids for the same text.
///
/// The special tokens written literally in the text ("[CLS]", "[MASK]"...) are matched first, as
/// added tokens are; the text between them goes through `BertPreTokenizer` and then greedy
/// longest-match-first WordPiece, continuations spelled "##piece". A word longer than 100 scalars,
/// or one with a stretch no vocabulary entry matches, becomes [UNK] as a whole.
public final class WordPieceTokenizer: Sendable {
    public struct SpecialTokens: Sendable, Equatable {
        public var unknown = "[UNK]", classifier = "[CLS]", separator = "[SEP]", padding = "[PAD]", mask = "[MASK]"
        public init() {}
    }

    public let preTokenizer: BertPreTokenizer
    /// Ids per sequence, [CLS] and [SEP] included; longer texts are cut to fit.
    public let maximumLength: Int
    public let maximumWordScalars = 100
    public let vocabularySize: Int
    public let unknownID: Int32, classifierID: Int32, separatorID: Int32

    /// Word-initial pieces and "##" continuations (without the "##"), keyed by their UTF-8 bytes:
    /// Swift's String equality is canonical equivalence, Python's dict compares code points.
    private let initialPieces: [[UInt8]: Int32]
    private let continuationPieces: [[UInt8]: Int32]
    /// The special tokens as they are matched in raw text, longest first.
    private let literalSpecials: [(text: [UInt8], id: Int32)]

    public init(vocabulary: [String], specialTokens: SpecialTokens = SpecialTokens(),
                preTokenizer: BertPreTokenizer = BertPreTokenizer(), maximumLength: Int) throws {
        guard maximumLength >= 2 else { throw EmbeddingError("maximum length \(maximumLength) leaves no room for [CLS] and [SEP]") }
        var initial: [[UInt8]: Int32] = [:], continuation: [[UInt8]: Int32] = [:]
        let marker = Array("##".utf8)
        for (id, token) in vocabulary.enumerated() {
            let bytes = Array(token.utf8)
            // A later duplicate wins, as in BertTokenizer's load_vocab.
            if bytes.starts(with: marker) { continuation[Array(bytes.dropFirst(2))] = Int32(id) }
            initial[bytes] = Int32(id)
        }
        func id(of token: String) throws -> Int32 {
            guard let id = initial[Array(token.utf8)] else { throw EmbeddingError("the vocabulary has no special token \(token)") }
            return id
        }
        unknownID = try id(of: specialTokens.unknown)
        classifierID = try id(of: specialTokens.classifier)
        separatorID = try id(of: specialTokens.separator)
        var specials: [([UInt8], Int32)] = []
        for token in [specialTokens.unknown, specialTokens.classifier, specialTokens.separator, specialTokens.padding, specialTokens.mask] {
            if let id = initial[Array(token.utf8)] { specials.append((Array(token.utf8), id)) }
        }
        literalSpecials = specials.sorted { $0.0.count > $1.0.count }
        initialPieces = initial
        continuationPieces = continuation
        vocabularySize = vocabulary.count
        self.preTokenizer = preTokenizer
        self.maximumLength = maximumLength
    }

    /// Reads `vocab.txt` (one token a line, the line number its id) and the casing and special
    /// tokens of `tokenizer_config.json` when present.
    public convenience init(directory: String, maximumLength: Int) throws {
        let vocabularyPath = directory + "/vocab.txt"
        guard RegularFile.exists(vocabularyPath) else { throw EmbeddingError("\(vocabularyPath): not found") }
        let data = try RegularFile.contents(of: vocabularyPath, limit: 64 << 20)
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var vocabulary: [String] = []
        vocabulary.reserveCapacity(lines.count)
        for (number, line) in lines.enumerated() {
            guard let token = String(validating: line, as: UTF8.self) else {
                throw EmbeddingError("\(vocabularyPath): line \(number + 1) is not valid UTF-8")
            }
            vocabulary.append(token)
        }
        let settings = try TokenizerSettings(directory: directory)
        try self.init(vocabulary: vocabulary, specialTokens: settings.specialTokens,
                      preTokenizer: settings.preTokenizer, maximumLength: maximumLength)
    }

    /// [CLS] word pieces… [SEP], at most `maximumLength` ids.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [classifierID]
        let budget = maximumLength - 1
        appendPieces(of: text, to: &ids, limit: budget)
        ids.append(separatorID)
        return ids
    }

    /// `encode` for raw bytes, which must be valid UTF-8.
    public func encode(utf8 bytes: some Collection<UInt8>) throws -> [Int32] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw EmbeddingError("the text is not valid UTF-8") }
        return encode(text)
    }

    /// The word pieces of `text` without [CLS]/[SEP], stopping once `ids` holds `limit` entries.
    func appendPieces(of text: String, to ids: inout [Int32], limit: Int) {
        var segmentStart = text.utf8.startIndex
        var index = segmentStart
        let utf8 = text.utf8
        while index < utf8.endIndex && ids.count < limit {
            if utf8[index] == UInt8(ascii: "["),
               let special = literalSpecials.first(where: { utf8[index...].starts(with: $0.text) }) {
                appendWordPieces(String(text[segmentStart..<index]), to: &ids, limit: limit)
                if ids.count < limit { ids.append(special.id) }
                index = utf8.index(index, offsetBy: special.text.count)
                segmentStart = index
            } else {
                index = utf8.index(after: index)
            }
        }
        if segmentStart < utf8.endIndex { appendWordPieces(String(text[segmentStart...]), to: &ids, limit: limit) }
    }

    private func appendWordPieces(_ segment: String, to ids: inout [Int32], limit: Int) {
        for word in preTokenizer.words(segment) {
            guard ids.count < limit else { return }
            wordPieces(of: word, into: &ids)
            if ids.count > limit { ids.removeLast(ids.count - limit) }
        }
    }

    /// Greedy longest-match-first: the longest vocabulary piece at the start, then the longest
    /// "##" continuation after it, and so on; [UNK] for the whole word when a stretch has none.
    func wordPieces(of word: String, into ids: inout [Int32]) {
        let bytes = Array(word.utf8)
        // Byte offsets of scalar boundaries, so candidates are whole scalars.
        var boundaries: [Int] = []
        boundaries.reserveCapacity(bytes.count + 1)
        for (offset, byte) in bytes.enumerated() where byte & 0xC0 != 0x80 { boundaries.append(offset) }
        boundaries.append(bytes.count)
        let scalarCount = boundaries.count - 1
        guard scalarCount <= maximumWordScalars else { ids.append(unknownID); return }
        let firstPiece = ids.count
        var start = 0
        while start < scalarCount {
            var end = scalarCount
            var found: Int32?
            let table = start == 0 ? initialPieces : continuationPieces
            while end > start {
                if let id = table[Array(bytes[boundaries[start]..<boundaries[end]])] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                ids.removeLast(ids.count - firstPiece)
                ids.append(unknownID)
                return
            }
            ids.append(id)
            start = end
        }
    }
}

/// The parts of `tokenizer_config.json` that change ids: casing, accent stripping, CJK splitting
/// and the special tokens' spelling. Absent keys take BertTokenizer's defaults.
struct TokenizerSettings {
    var preTokenizer = BertPreTokenizer()
    var specialTokens = WordPieceTokenizer.SpecialTokens()

    /// A special token is a string, or an AddedToken object with its text under "content".
    private struct TokenText: Decodable {
        let text: String
        private struct Added: Decodable { let content: String }
        init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self.text = text
            } else {
                text = try Added(from: decoder).content
            }
        }
    }

    private struct File: Decodable {
        let do_lower_case: Bool?
        let strip_accents: Bool?
        let tokenize_chinese_chars: Bool?
        let unk_token, cls_token, sep_token, pad_token, mask_token: TokenText?
    }

    init(directory: String) throws {
        let path = directory + "/tokenizer_config.json"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let file = try JSONFile.decode(File.self, at: path)
        preTokenizer = BertPreTokenizer(lowercase: file.do_lower_case ?? true, stripAccents: file.strip_accents,
                                        separatesCJKCharacters: file.tokenize_chinese_chars ?? true)
        if let token = file.unk_token { specialTokens.unknown = token.text }
        if let token = file.cls_token { specialTokens.classifier = token.text }
        if let token = file.sep_token { specialTokens.separator = token.text }
        if let token = file.pad_token { specialTokens.padding = token.text }
        if let token = file.mask_token { specialTokens.mask = token.text }
    }
}
