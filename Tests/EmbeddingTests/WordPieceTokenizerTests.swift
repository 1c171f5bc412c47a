@testable import Embedding
import XCTest

/// The tokenizer's pieces on a vocabulary small enough to reason about; the MiniLM goldens check
/// the whole against Hugging Face's BertTokenizer.
final class WordPieceTokenizerTests: XCTestCase {
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                             "un", "##aff", "##able", "aff", "able", "want", "##want", "##ed", "wa", "##nt",
                             ",", "!", "?", "$", "-", "t", "light", "holder", "cafe", "ao", "中", "文", "a", "##b"]

    func makeTokenizer(maximumLength: Int = 64, lowercase: Bool = true) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: Self.vocabulary, preTokenizer: BertPreTokenizer(lowercase: lowercase),
                               maximumLength: maximumLength)
    }

    func id(_ token: String) -> Int32 { Int32(Self.vocabulary.firstIndex(of: token)!) }

    func testGreedyLongestMatchFirstWithContinuations() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.encode("unaffable"), [id("[CLS]"), id("un"), id("##aff"), id("##able"), id("[SEP]")])
        // "wanted": "want" is longer than "wa", so it wins although "wa" + "##nt" + "##ed" also spell it.
        XCTAssertEqual(tokenizer.encode("wanted"), [id("[CLS]"), id("want"), id("##ed"), id("[SEP]")])
    }

    func testAWordWithAnUnmatchedStretchBecomesOneUnknown() throws {
        let tokenizer = try makeTokenizer()
        // "unaffablex": every prefix matches up to "able", then "x" has no "##x": the whole word is [UNK].
        XCTAssertEqual(tokenizer.encode("unaffablex want"), [id("[CLS]"), id("[UNK]"), id("want"), id("[SEP]")])
    }

    func testWordsLongerThanOneHundredScalarsAreUnknown() throws {
        let tokenizer = try makeTokenizer()
        let hundred = String(repeating: "a", count: 1) + String(repeating: "b", count: 99)
        XCTAssertEqual(tokenizer.encode(hundred), [id("[CLS]"), id("a")] + Array(repeating: id("##b"), count: 99) + [id("[SEP]")])
        XCTAssertEqual(tokenizer.encode(hundred + "b"), [id("[CLS]"), id("[UNK]"), id("[SEP]")])
    }

    func testPunctuationIsSplitOffAndAsciiSymbolsCount() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.encode("t-light,holder!?$"),
                       [id("[CLS]"), id("t"), id("-"), id("light"), id(","), id("holder"), id("!"), id("?"), id("$"), id("[SEP]")])
        XCTAssertEqual(BertPreTokenizer().words("«a»—b…"), ["«", "a", "»", "—", "b", "…"])
        XCTAssertEqual(BertPreTokenizer().words("^`~"), ["^", "`", "~"])
    }

    func testLowercasingAndAccentStripping() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.encode("CAFÉ Ão"), [id("[CLS]"), id("cafe"), id("ao"), id("[SEP]")])
        // A combining mark already decomposed goes too.
        XCTAssertEqual(BertPreTokenizer().words("Cafe\u{301}"), ["cafe"])
        XCTAssertEqual(BertPreTokenizer(lowercase: false).words("CAFÉ"), ["CAFÉ"])
    }

    func testCleaningDropsControlCharactersAndNormalisesWhitespace() {
        let words = BertPreTokenizer().words("a\u{0}b\u{7}c\u{200B}d\tE\u{A0}f\u{3000}g\u{FFFD}h\u{2028}i")
        XCTAssertEqual(words, ["abcd", "e", "f", "gh", "i"])
    }

    func testCJKIdeographsAreSeparateWordsButKanaIsNot() throws {
        XCTAssertEqual(BertPreTokenizer().words("ab中文cd"), ["ab", "中", "文", "cd"])
        XCTAssertEqual(BertPreTokenizer().words("かなカナ"), ["かなカナ"])
        XCTAssertEqual(BertPreTokenizer(separatesCJKCharacters: false).words("ab中文"), ["ab中文"])
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.encode("中文"), [id("[CLS]"), id("中"), id("文"), id("[SEP]")])
    }

    func testLiteralSpecialTokensKeepTheirIds() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.encode("want[MASK]able [SEP]"),
                       [id("[CLS]"), id("want"), id("[MASK]"), id("able"), id("[SEP]"), id("[SEP]")])
        // Lower-case spellings are ordinary text.
        XCTAssertEqual(tokenizer.encode("[mask]").count, 2 + 3)
    }

    func testTruncationKeepsClassifierAndSeparator() throws {
        let tokenizer = try makeTokenizer(maximumLength: 5)
        XCTAssertEqual(tokenizer.encode("want want want want want"),
                       [id("[CLS]"), id("want"), id("want"), id("want"), id("[SEP]")])
        // A word's pieces are cut too, as BertTokenizer truncates pieces, not words.
        XCTAssertEqual(tokenizer.encode("want unaffable"),
                       [id("[CLS]"), id("want"), id("un"), id("##aff"), id("[SEP]")])
    }

    func testEmptyTextIsClassifierAndSeparator() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.encode(""), [id("[CLS]"), id("[SEP]")])
        XCTAssertEqual(tokenizer.encode(" \t\n "), [id("[CLS]"), id("[SEP]")])
    }

    func testInvalidUTF8IsAnError() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertThrowsError(try tokenizer.encode(utf8: [0x61, 0xFF, 0x62])) { error in
            XCTAssertTrue("\(error)".contains("not valid UTF-8"), "\(error)")
        }
        XCTAssertEqual(try tokenizer.encode(utf8: Array("want".utf8)), [id("[CLS]"), id("want"), id("[SEP]")])
    }

    func testAVocabularyWithoutTheSpecialTokensIsRefused() {
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: ["a", "b"], maximumLength: 8)) { error in
            XCTAssertTrue("\(error)".contains("[UNK]"), "\(error)")
        }
    }
}
