import Foundation
import XCTest
@testable import Tokenizer

final class RoundTripTests: XCTestCase {
    func testDecodeOfEncodeGivesBackRandomUnicode() {
        var generator = SeededGenerator(seed: 2024)
        let tokenizer = TestData.tokenizer
        for _ in 0..<500 {
            let text = RandomText.make(length: Int.random(in: 0..<200, using: &generator), using: &generator)
            let ids = tokenizer.encode(text)
            XCTAssertEqual(tokenizer.decode(ids), text)
            XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < GPT2Tokenizer.endOfText })
        }
        for text in ["\n\n \t", "   ", " ", "a  \n\n  b", "123 4567 89", "🌍🌍🌍", "e\u{301}\u{301}", "日本語のテキスト"] {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text)
        }
    }

    /// Long pieces take the heap merge; on the same text it must agree with the rescanning merge.
    func testHeapMergeAgreesWithRescanningMerge() {
        let tokenizer = TestData.tokenizer
        var generator = SeededGenerator(seed: 5)
        var pools = RandomText.pools
        pools.append(Array("!!!!!!!!....----====    ".unicodeScalars))
        for _ in 0..<200 {
            let text = RandomText.make(length: Int.random(in: 0..<400, using: &generator), using: &generator, pools: pools)
            var heapOnly = tokenizer.makeSession(longPiece: 0)
            var rescanOnly = tokenizer.makeSession(longPiece: 100_000)
            let viaHeap = tokenizer.encode(text, allowSpecial: false, session: &heapOnly)
            XCTAssertEqual(viaHeap, tokenizer.encode(text, allowSpecial: false, session: &rescanOnly))
            XCTAssertEqual(tokenizer.decode(viaHeap), text)
        }
        let spaces = String(repeating: " ", count: 100_000) + "x"
        XCTAssertEqual(tokenizer.decode(tokenizer.encode(spaces)), spaces)
    }
}
