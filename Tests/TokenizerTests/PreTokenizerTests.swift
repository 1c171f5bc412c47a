import Foundation
import XCTest
@testable import Tokenizer

final class PreTokenizerTests: XCTestCase {
    static let gpt2Pattern = #"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    private func pieces(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        let splitter = PreTokenizer()
        var result: [String] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let end = splitter.pieceEnd(buffer.baseAddress!, start, buffer.count)
                result.append(String(decoding: buffer[start..<end], as: UTF8.self))
                start = end
            }
        }
        return result
    }

    /// ICU's regex engine as the reference. Its `\s` lacks U+000B and U+0085 (White_Space has
    /// them), so those two are left out of the random text here; golden.jsonl covers them.
    func testPiecesMatchARegexEngine() throws {
        let regex = try NSRegularExpression(pattern: Self.gpt2Pattern)
        let pools = RandomText.pools.map { $0.filter { $0 != "\u{0B}" && $0 != "\u{85}" } }
        var generator = SeededGenerator(seed: 31)
        var texts = ["Hello  world", "a\n\n b", "it's they'll we've I'M", "x   \n\ty", "  leading", "trailing  ", "\t\tword",
                     "  \u{3000}x", "3.14159 + 2", "''s ?'s", "e\u{301}t\u{E9} 日本語 😀😀 abc"]
        texts += (0..<400).map { _ in RandomText.make(length: Int.random(in: 1..<120, using: &generator), using: &generator, pools: pools) }
        for text in texts {
            let utf16 = Array(text.utf16)
            let expected = regex.matches(in: text, range: NSRange(location: 0, length: utf16.count))
                .map { String(decoding: utf16[$0.range.location..<($0.range.location + $0.range.length)], as: UTF16.self) }
            XCTAssertEqual(pieces(text), expected, text.debugDescription)
        }
    }

    func testWhitespaceRunGivesItsLastCharacterToTheNextWord() {
        XCTAssertEqual(pieces("a   b"), ["a", "  ", " b"])
        XCTAssertEqual(pieces("a \n b"), ["a", " \n", " b"])
        XCTAssertEqual(pieces("a\t\tb"), ["a", "\t", "\t", "b"])
        XCTAssertEqual(pieces("a   "), ["a", "   "])
        XCTAssertEqual(pieces("don't"), ["don", "'t"])
        XCTAssertEqual(pieces("DON'T"), ["DON", "'", "T"])
    }

    /// Scalars assigned after tiktoken's Unicode version are "other" to its regex, so they join
    /// punctuation rather than letters; older ones keep their category.
    func testScalarsNewerThanTiktokensUnicodeAreOther() throws {
        let newer = try XCTUnwrap(Unicode.Scalar(0xA7CE))  // LATIN CAPITAL LETTER PHARYNGEAL VOICED FRICATIVE, Unicode 17
        let age = try XCTUnwrap(newer.properties.age)
        XCTAssertTrue((age.major, age.minor) > PreTokenizer.unicodeVersion)
        XCTAssertEqual(newer.properties.generalCategory, .uppercaseLetter)
        XCTAssertEqual(PreTokenizer.classify(newer), PreTokenizer.other)
        XCTAssertEqual(pieces("a\u{A7CE}'d"), ["a", "\u{A7CE}'", "d"])
        XCTAssertEqual(PreTokenizer.classify("\u{A7C0}"), PreTokenizer.letter)  // Unicode 14
        XCTAssertEqual(pieces("a\u{A7C0}'d"), ["a\u{A7C0}", "'d"])
    }

    /// Wherever `isSafeSplit` allows a cut, encoding the two sides apart gives the ids of the whole.
    func testSafeSplitsDoNotChangeTheIds() {
        let tokenizer = TestData.tokenizer
        let splitter = PreTokenizer()
        var generator = SeededGenerator(seed: 41)
        var checked = 0
        for _ in 0..<150 {
            let text = RandomText.make(length: Int.random(in: 2..<80, using: &generator), using: &generator)
            let whole = tokenizer.encode(text)
            let bytes = Array(text.utf8)
            for position in 1..<bytes.count {
                let safe = bytes.withUnsafeBufferPointer { splitter.isSafeSplit($0.baseAddress!, position, $0.count) }
                guard safe else { continue }
                let left = String(decoding: bytes[..<position], as: UTF8.self)
                let right = String(decoding: bytes[position...], as: UTF8.self)
                XCTAssertEqual(tokenizer.encode(left) + tokenizer.encode(right), whole, "\(text.debugDescription) cut at byte \(position)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }
}
