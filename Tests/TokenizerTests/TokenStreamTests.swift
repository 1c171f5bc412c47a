import Foundation
import XCTest
@testable import Tokenizer

/// The memory-mapped token reader on files written here byte by byte.
final class TokenStreamTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try TestData.makeTemporaryDirectory()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
    }

    private func llmCFile(tokens: [UInt16], declaredCount: Int32) -> [UInt8] {
        var header = [Int32](repeating: 0, count: 256)
        header[0] = TokenStream.llmCMagic
        header[1] = 1
        header[2] = declaredCount
        return littleEndian(header) + littleEndian(tokens)
    }

    func testReadsNanoGPTTokens() throws {
        let tokens: [UInt16] = [0, 1, 50256, 65535, 258]
        let stream = try TokenStream(path: write(littleEndian(tokens), name: "raw.bin"))
        XCTAssertEqual(stream.format, .nanoGPT)
        XCTAssertEqual(stream.count, tokens.count)
        XCTAssertEqual((0..<stream.count).map { stream[$0] }, tokens.map(Int.init))
        var copied = [Int32](repeating: -1, count: 3)
        copied.withUnsafeMutableBufferPointer { stream.copy(from: 2, count: 3, into: $0.baseAddress!) }
        XCTAssertEqual(copied, [50256, 65535, 258])
    }

    func testReadsLlmCTokensAfterTheHeader() throws {
        let tokens: [UInt16] = (0..<1000).map { UInt16($0 * 37 % 50257) }
        let stream = try TokenStream(path: write(llmCFile(tokens: tokens, declaredCount: 1000), name: "llmc.bin"))
        XCTAssertEqual(stream.format, .llmC)
        XCTAssertEqual(stream.count, 1000)
        XCTAssertEqual((0..<stream.count).map { stream[$0] }, tokens.map(Int.init))
        var copied = [Int32](repeating: 0, count: 10)
        copied.withUnsafeMutableBufferPointer { stream.copy(from: 990, count: 10, into: $0.baseAddress!) }
        XCTAssertEqual(copied, tokens[990...].map(Int32.init))
    }

    func testOddByteSizeIsAnError() throws {
        let path = try write([1, 0, 2], name: "odd.bin")
        XCTAssertThrowsError(try TokenStream(path: path)) {
            XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("odd"), "\($0)")
        }
    }

    func testLlmCHeaderCountDisagreeingWithTheFileIsAnError() throws {
        let path = try write(llmCFile(tokens: [1, 2, 3, 4], declaredCount: 5), name: "short.bin")
        XCTAssertThrowsError(try TokenStream(path: path)) {
            XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("5") && "\($0)".contains("4"), "\($0)")
        }
    }

    func testEmptyAndMissingFilesAreErrors() throws {
        let empty = try write([], name: "empty.bin")
        XCTAssertThrowsError(try TokenStream(path: empty)) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        XCTAssertThrowsError(try TokenStream(path: directory + "/absent.bin")) { XCTAssertTrue("\($0)".contains("absent.bin"), "\($0)") }
    }

    func testOutOfRangeIdReportsItsOffset() throws {
        var tokens = [UInt16](repeating: 7, count: 5000)
        tokens[4321] = 50257
        tokens[4500] = 60000
        let stream = try TokenStream(path: write(littleEndian(tokens), name: "bad.bin"))
        XCTAssertEqual(stream.firstOutOfRange(vocabSize: 50257), 4321)
        XCTAssertNil(stream.firstOutOfRange(vocabSize: 60001))
        XCTAssertNoThrow(try stream.validate(vocabSize: 60001))
        XCTAssertThrowsError(try stream.validate(vocabSize: 50257)) {
            XCTAssertTrue("\($0)".contains("offset 4321") && "\($0)".contains("50257"), "\($0)")
        }
    }
}
