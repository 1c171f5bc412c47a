/// GPT-2's pre-tokenisation, by hand over UTF-8:
/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// The pattern has no look-behind, so a piece depends only on the text from its start on.
/// Letters are general category L*, numbers N*, whitespace Unicode's White_Space (as `\s` in
/// tiktoken's regex engine). Input must be valid UTF-8.
struct PreTokenizer {
    static let letter: UInt8 = 0
    static let number: UInt8 = 1
    static let whitespace: UInt8 = 2
    static let other: UInt8 = 3

    /// Class of every Basic Multilingual Plane scalar; the other planes are classified on the fly.
    private static let bmpTable = ScalarClassTable()
    private let classes: UnsafePointer<UInt8>

    init() { classes = Self.bmpTable.classes }

    /// The Unicode version of tiktoken's regex tables (Rust regex-syntax): a scalar assigned
    /// later is unassigned (category Cn, so "other") to it, and must be here too to give its ids.
    static let unicodeVersion = (major: 16, minor: 0)

    static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        guard let age = properties.age, (age.major, age.minor) <= unicodeVersion else { return other }
        if properties.isWhitespace { return whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }

    /// The class of the scalar starting at `text[i]` and its length in bytes.
    @inline(__always)
    func scalarClass(_ text: UnsafePointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let lead = UInt32(text[i])
        if lead < 0x80 { return (classes[Int(lead)], 1) }
        if lead < 0xE0 {
            return (classes[Int((lead & 0x1F) << 6 | UInt32(text[i + 1]) & 0x3F)], 2)
        }
        if lead < 0xF0 {
            let value = (lead & 0x0F) << 12 | (UInt32(text[i + 1]) & 0x3F) << 6 | UInt32(text[i + 2]) & 0x3F
            return (classes[Int(value)], 3)
        }
        let value = (lead & 0x07) << 18 | (UInt32(text[i + 1]) & 0x3F) << 12
            | (UInt32(text[i + 2]) & 0x3F) << 6 | UInt32(text[i + 3]) & 0x3F
        guard let scalar = Unicode.Scalar(value) else { return (Self.other, 4) }
        return (Self.classify(scalar), 4)
    }

    @inline(__always)
    private func scan(_ text: UnsafePointer<UInt8>, from start: Int, to end: Int, while wanted: UInt8) -> Int {
        var i = start
        while i < end {
            let byte = text[i]
            if byte < 0x80 {
                if classes[Int(byte)] != wanted { return i }
                i += 1
            } else {
                let (found, length) = scalarClass(text, i)
                if found != wanted { return i }
                i += length
            }
        }
        return i
    }

    /// The end of the piece that starts at `start` in `text[..<end]`.
    @inline(__always)
    func pieceEnd(_ text: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        let first = text[start]
        if first == UInt8(ascii: "'") && start + 1 < end {
            switch text[start + 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "d"), UInt8(ascii: "m"), UInt8(ascii: "t"):
                return start + 2
            case UInt8(ascii: "l") where start + 2 < end && text[start + 2] == UInt8(ascii: "l"),
                 UInt8(ascii: "v") where start + 2 < end && text[start + 2] == UInt8(ascii: "e"),
                 UInt8(ascii: "r") where start + 2 < end && text[start + 2] == UInt8(ascii: "e"):
                return start + 3
            default:
                break
            }
        }
        let (kind, length) = scalarClass(text, start)
        if kind != Self.whitespace { return scan(text, from: start + length, to: end, while: kind) }
        // ` ?\p{L}+` and its siblings take one leading space (U+0020 only).
        if first == UInt8(ascii: " ") && start + 1 < end {
            let (next, nextLength) = scalarClass(text, start + 1)
            if next != Self.whitespace { return scan(text, from: start + 1 + nextLength, to: end, while: next) }
        }
        // `\s+(?!\S)`: a whitespace run before a non-space gives its last character to the next piece;
        // a run of one character then matches `\s+` alone; at the end of text the run is whole.
        var lastStart = start
        var i = start + length
        while i < end {
            let (found, foundLength) = scalarClass(text, i)
            if found != Self.whitespace { return lastStart > start ? lastStart : i }
            lastStart = i
            i += foundLength
        }
        return end
    }

    /// True when a piece boundary at `position` holds whatever surrounds the text, so the two sides
    /// can be encoded separately and give the pieces of the whole. Matching never looks behind, so
    /// the right side is safe whenever the whole has a boundary there and the left side's last piece
    /// ends there on its own. That holds when the character before is not whitespace and the one
    /// at `position` is (no alternative matches a non-space then a space), or when both are
    /// non-space of different classes and the one before is not the `'` of a contraction.
    /// `text[position...]` must hold the whole scalar at `position`.
    func isSafeSplit(_ text: UnsafePointer<UInt8>, _ position: Int, _ end: Int) -> Bool {
        guard position > 0, position < end, text[position] & 0xC0 != 0x80 else { return false }
        var previousStart = position - 1
        while previousStart > 0 && text[previousStart] & 0xC0 == 0x80 { previousStart -= 1 }
        let previous = scalarClass(text, previousStart).0
        if previous == Self.whitespace { return false }
        let current = scalarClass(text, position).0
        if current == Self.whitespace { return true }
        return current != previous && text[previousStart] != UInt8(ascii: "'")
    }
}

/// Classes of U+0000…U+FFFF, computed once (surrogates, which valid UTF-8 never holds, are "other").
final class ScalarClassTable: @unchecked Sendable {
    let classes: UnsafePointer<UInt8>

    init() {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        for value in 0..<0x10000 {
            table[value] = Unicode.Scalar(UInt32(value)).map(PreTokenizer.classify) ?? PreTokenizer.other
        }
        classes = UnsafePointer(table)
    }

    deinit { classes.deallocate() }
}
