import Foundation

/// BERT's "basic tokenizer": how Hugging Face's BertTokenizer cuts text into the words WordPiece
/// then splits. In order: drop NUL, U+FFFD and control/format characters (category C*, except
/// tab, newline and carriage return) and turn whitespace (those three, and category Zs) into
/// spaces; put spaces around CJK ideographs; split on whitespace; lower-case each word, then
/// decompose it (NFD) and drop its nonspacing marks (accents); split punctuation off as words of
/// its own (ASCII symbols and every Unicode P* character).
public struct BertPreTokenizer: Sendable {
    public var lowercase: Bool
    /// Strip accents (NFD, drop category Mn). BertTokenizer's `strip_accents: null` means "when lower-casing".
    public var stripAccents: Bool
    public var separatesCJKCharacters: Bool

    public init(lowercase: Bool = true, stripAccents: Bool? = nil, separatesCJKCharacters: Bool = true) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
        self.separatesCJKCharacters = separatesCJKCharacters
    }

    public func words(_ text: String) -> [String] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if separatesCJKCharacters && Self.isCJKIdeograph(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var words: [String] = []
        for word in Self.splitOnWhitespace(cleaned) {
            var scalars = word
            if lowercase { scalars = Array(String(String.UnicodeScalarView(scalars)).lowercased().unicodeScalars) }
            if stripAccents { scalars = Self.removingAccents(scalars) }
            Self.splitPunctuation(scalars, into: &words)
        }
        return words
    }

    /// Runs of non-whitespace scalars (Python's `str.split()`, which also splits on the line and
    /// paragraph separators that cleaning keeps).
    static func splitOnWhitespace(_ scalars: String.UnicodeScalarView) -> [[Unicode.Scalar]] {
        var runs: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty { runs.append(current); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// NFD, then the nonspacing marks dropped. ASCII needs neither, and most words are ASCII.
    static func removingAccents(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard scalars.contains(where: { !$0.isASCII }) else { return scalars }
        let decomposed = String(String.UnicodeScalarView(scalars)).decomposedStringWithCanonicalMapping
        return decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
    }

    /// Appends the word's pieces: each punctuation scalar alone, the runs between them whole.
    static func splitPunctuation(_ scalars: [Unicode.Scalar], into words: inout [String]) {
        var run = String.UnicodeScalarView()
        for scalar in scalars {
            if isPunctuation(scalar) {
                if !run.isEmpty { words.append(String(run)); run = String.UnicodeScalarView() }
                words.append(String(scalar))
            } else {
                run.append(scalar)
            }
        }
        if !run.isEmpty { words.append(String(run)) }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default: return scalar.properties.generalCategory == .spaceSeparator
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    /// Every non-alphanumeric ASCII symbol counts ("$", "^", "`" are not Unicode punctuation).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        default:
            switch scalar.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                return true
            default: return false
            }
        }
    }

    /// The CJK Unified Ideographs blocks and their extensions and compatibility forms (not
    /// Hangul, Hiragana or Katakana, which are written with spaces between words).
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
