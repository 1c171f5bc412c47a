import Foundation
@testable import Tokenizer

enum TestData {
    /// The repository's `data/` directory, found from this file so tests run from any directory.
    static let dataDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data").path
    }()

    static let gpt2Directory = dataDirectory + "/gpt2"
    static let shakespeare = dataDirectory + "/shakespeare/input.txt"

    /// Loaded once: reading the vocabulary is the slow part of most tests.
    static let tokenizer: GPT2Tokenizer = {
        do {
            return try GPT2Tokenizer(directory: gpt2Directory)
        } catch {
            fatalError("cannot load \(gpt2Directory): \(error)")
        }
    }()

    static func makeTemporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finch-tokenizer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// SplitMix64: seeded, so random test inputs are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Random text drawn from pools that exercise every branch of the pre-tokeniser.
enum RandomText {
    static let pools: [[Unicode.Scalar]] = [
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars),
        Array("0123456789".unicodeScalars),
        Array(" \n\t\r\u{0C}  ".unicodeScalars),
        Array("'\"!?.,;:-_()[]{}<>|/\\@#$%^&*+=~`".unicodeScalars),
        Array("sdmtlver'".unicodeScalars),
        Array("éèñüßçøåÆŒΩπЖжя中文字日本語한국어".unicodeScalars),
        Array("\u{0301}\u{0308}\u{20DD}\u{200D}\u{FE0F}".unicodeScalars),
        Array("😀🌍👍🏽🚀🍈\u{1F1FA}\u{1F1F8}𝔘𝔫𝔦".unicodeScalars),
        Array("\u{00A0}\u{2003}\u{3000}\u{2028}\u{0085}\u{000B}".unicodeScalars),
        Array("٣٤⅔²Ⅻ①".unicodeScalars),
    ]

    static func make(length: Int, using generator: inout SeededGenerator, pools: [[Unicode.Scalar]] = pools) -> String {
        var scalars = String.UnicodeScalarView()
        var pool = pools[0]
        for _ in 0..<length {
            if Int.random(in: 0..<4, using: &generator) == 0 { pool = pools.randomElement(using: &generator)! }
            scalars.append(pool.randomElement(using: &generator)!)
        }
        return String(scalars)
    }
}
