import Tokenizer

/// Turns generated token ids into text as they arrive. A byte-level BPE token can end in the
/// middle of a UTF-8 character (an emoji is often two or three tokens), so the bytes of an
/// unfinished character are held back until the tokens that complete it arrive.
public struct StreamingTextDecoder {
    private let bytesOf: (Int) -> [UInt8]
    private var pending: [UInt8] = []

    public init(tokenizer: GPT2Tokenizer) {
        self.init { tokenizer.decodeBytes([$0]) }
    }

    /// `bytesOf` gives a token's bytes (for tests and other vocabularies).
    public init(bytesOf: @escaping (Int) -> [UInt8]) {
        self.bytesOf = bytesOf
    }

    /// The text that became complete with `token`.
    public mutating func append(_ token: Int) -> String {
        pending.append(contentsOf: bytesOf(token))
        let complete = pending.count - Self.unfinishedSuffixLength(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// What is still held back when generation ends; an unfinished character becomes U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of a trailing lead byte plus fewer continuation bytes than it announces: the
    /// start of a character whose remaining bytes have not arrived. Anything else (complete,
    /// or invalid in a way more bytes cannot fix) is released and decoded as it is.
    static func unfinishedSuffixLength(_ bytes: [UInt8]) -> Int {
        var continuations = 0
        for byte in bytes.reversed() {
            if byte & 0xC0 == 0x80 {
                continuations += 1
                if continuations > 3 { return 0 }
                continue
            }
            let length: Int
            switch byte {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return 0
            }
            return continuations + 1 < length ? continuations + 1 : 0
        }
        return 0
    }
}
