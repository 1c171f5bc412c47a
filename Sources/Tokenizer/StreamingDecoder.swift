/// Decodes ids one at a time for printing as they are generated. A character's UTF-8 bytes can
/// span several tokens, so an incomplete sequence at the end is held back until the ids that
/// complete it arrive (or `flush` gives it up as U+FFFD).
public struct StreamingDecoder {
    private let appendBytes: (Int, inout [UInt8]) -> Void
    private var pending: [UInt8] = []

    public init(tokenizer: GPT2Tokenizer) {
        appendBytes = { tokenizer.appendBytes(of: $0, to: &$1) }
    }

    /// `bytesOf` gives a token's bytes (for tests and other vocabularies).
    public init(bytesOf: @escaping (Int) -> [UInt8]) {
        appendBytes = { $1.append(contentsOf: bytesOf($0)) }
    }

    /// The text that `id` completes; empty while a character is still incomplete.
    public mutating func append(_ id: Int) -> String {
        appendBytes(id, &pending)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is held back, invalid bytes replaced by U+FFFD.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of `bytes` without a trailing sequence that a lead byte starts but its
    /// continuation bytes do not yet finish.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var lead = bytes.count - 1
        while lead >= 0 && lead >= bytes.count - 4 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= 0 else { return bytes.count }
        let byte = bytes[lead]
        let expected: Int
        switch byte {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return bytes.count  // ASCII or a byte no sequence starts with: nothing to wait for
        }
        return bytes.count - lead < expected ? lead : bytes.count
    }
}
