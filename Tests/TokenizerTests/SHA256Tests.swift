import Foundation
import XCTest
@testable import Tokenizer

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 example vectors, and a multi-block input across the 55/56/64-byte padding edges.
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(of: Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The hashes data/gpt2/README.md records for the vocabulary files.
    func testVocabularyFilesHashAsRecorded() throws {
        let readme = try String(contentsOfFile: TestData.gpt2Directory + "/README.md", encoding: .utf8)
        for name in ["encoder.json", "vocab.bpe", "gpt2.tiktoken"] {
            let digest = SHA256.hex(of: try Data(contentsOf: URL(fileURLWithPath: TestData.gpt2Directory + "/" + name)))
            XCTAssertTrue(readme.contains("\(name) \(digest)"), "\(name): \(digest)")
        }
    }
}
