import Embedding
import Foundation

/// The WordPiece target: any bytes, valid UTF-8 or not, tokenize to [CLS] pieces… [SEP] within
/// the length limit, every id in the vocabulary, and a shorter limit cuts the same sequence.
enum WordPieceInvariants {
    /// all-MiniLM-L6-v2's vocabulary when `FINCH_WORDPIECE_VOCAB` (a folder with vocab.txt) is
    /// set or models/ holds it; otherwise a small one built here, so the corpus replays on a
    /// fresh clone. Two limits: 8 ids exercises truncation mid-word, 512 is the model's.
    static let tokenizers: (short: WordPieceTokenizer, long: WordPieceTokenizer)? = {
        let environment = ProcessInfo.processInfo.environment["FINCH_WORDPIECE_VOCAB"]
        let folder = environment ?? "models/all-MiniLM-L6-v2"
        if FileManager.default.fileExists(atPath: folder + "/vocab.txt") {
            guard let short = try? WordPieceTokenizer(directory: folder, maximumLength: 8),
                  let long = try? WordPieceTokenizer(directory: folder, maximumLength: 512) else { return nil }
            return (short, long)
        }
        guard environment == nil,
              let short = try? WordPieceTokenizer(vocabulary: smallVocabulary, maximumLength: 8),
              let long = try? WordPieceTokenizer(vocabulary: smallVocabulary, maximumLength: 512) else { return nil }
        return (short, long)
    }()

    /// Specials, letters and digits as words and continuations, and a few whole words, accented
    /// letters and CJK ideographs, so greedy matching both succeeds and falls back to [UNK].
    static let smallVocabulary: [String] = {
        let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        let singles = (Array("abcdefghijklmnopqrstuvwxyz0123456789") + Array(".,!?'\"-()[]#"))
            .map { String($0) }
        let words = ["un", "##aff", "##able", "hello", "world", "the", "##ing", "##s", "café", "é", "中", "文", "##中"]
        return specials + singles + singles.map { "##" + $0 } + words
    }()

    static func check(_ bytes: Data) throws {
        guard let (short, long) = tokenizers else {
            throw ParserFuzzError("no WordPiece vocabulary: FINCH_WORDPIECE_VOCAB must name a folder with a valid vocab.txt")
        }
        // Raw bytes: refused exactly when they are not UTF-8.
        let valid = String(validating: bytes, as: UTF8.self)
        let fromBytes = try? long.encode(utf8: bytes)
        guard (valid == nil) == (fromBytes == nil) else { fatalError("WordPiece: UTF-8 validation disagrees on \(Array(bytes))") }
        let text = valid ?? String(decoding: bytes, as: UTF8.self)
        let full = long.encode(text)
        let cut = short.encode(text)
        if let fromBytes, fromBytes != full { fatalError("WordPiece: bytes and String encode differently: \(Array(bytes))") }
        for (ids, tokenizer) in [(full, long), (cut, short)] {
            guard ids.count >= 2, ids.count <= tokenizer.maximumLength,
                  ids.first == tokenizer.classifierID, ids.last == tokenizer.separatorID,
                  ids.allSatisfy({ $0 >= 0 && Int($0) < tokenizer.vocabularySize }) else {
                fatalError("WordPiece: \(ids) breaks [CLS] … [SEP] within \(tokenizer.maximumLength) for \(Array(bytes))")
            }
        }
        guard Array(cut.dropLast()) == Array(full.prefix(cut.count - 1)) else {
            fatalError("WordPiece: the 8-id cut \(cut) is not a prefix of \(full) for \(Array(bytes))")
        }
    }
}
