import XCTest
@testable import Tokenizer

final class StreamingDecoderTests: XCTestCase {
    /// Fed one id at a time, the decoder never emits part of a character and the pieces join to the text.
    func testNeverSplitsAMultiByteCharacter() {
        let tokenizer = TestData.tokenizer
        var generator = SeededGenerator(seed: 77)
        var texts = ["héllo 🌍", "日本語のテキスト", "👍🏽 e\u{301}", "\u{1F1FA}\u{1F1F8}!"]
        texts += (0..<100).map { _ in RandomText.make(length: 60, using: &generator) }
        var sawHeldBack = false
        for text in texts {
            var decoder = StreamingDecoder(tokenizer: tokenizer)
            var joined = ""
            for id in tokenizer.encode(text) {
                let piece = decoder.append(id)
                XCTAssertFalse(piece.unicodeScalars.contains("\u{FFFD}"), "\(text.debugDescription) emitted a broken character")
                if piece.isEmpty { sawHeldBack = true }
                joined += piece
            }
            joined += decoder.flush()
            XCTAssertEqual(joined, text)
        }
        // "🌍" is several byte tokens in GPT-2, so some append must have waited.
        XCTAssertTrue(sawHeldBack)
    }

    func testFlushReplacesAnIncompleteCharacter() {
        let tokenizer = TestData.tokenizer
        let ids = tokenizer.encode("🌍")
        XCTAssertGreaterThan(ids.count, 1)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        XCTAssertEqual(decoder.append(ids[0]), "")
        XCTAssertEqual(decoder.flush(), "\u{FFFD}")
        XCTAssertEqual(decoder.flush(), "")
        XCTAssertEqual(decoder.append(tokenizer.encode("a")[0]), "a")
    }
}
