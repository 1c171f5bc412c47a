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

    func testACharacterSplitAcrossTokensIsHeldUntilComplete() {
        // "é" = C3 A9, "€" = E2 82 AC, "🙂" = F0 9F 99 82, cut across tokens the way byte-level BPE cuts them.
        let pieces: [[UInt8]] = [[0x63, 0x61, 0x66, 0xC3], [0xA9, 0x20, 0xE2], [0x82], [0xAC, 0xF0, 0x9F], [0x99, 0x82, 0x21]]
        var decoder = StreamingDecoder { pieces[$0] }
        XCTAssertEqual((0..<pieces.count).map { decoder.append($0) }, ["caf", "é ", "", "€", "🙂!"])
        XCTAssertEqual(decoder.flush(), "")
    }

    func testBytesThatCanNeverCompleteAreReleasedAsReplacementCharacters() {
        let pieces: [[UInt8]] = [[0x61, 0xE2, 0x82], [0x62], [0xF0]]
        var decoder = StreamingDecoder { pieces[$0] }
        XCTAssertEqual(decoder.append(0), "a")
        XCTAssertEqual(decoder.append(1), "\u{FFFD}b", "a lead byte followed by ASCII cannot become a character")
        XCTAssertEqual(decoder.append(2), "")
        XCTAssertEqual(decoder.flush(), "\u{FFFD}")
    }
}
