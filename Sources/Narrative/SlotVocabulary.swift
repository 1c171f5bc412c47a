import Tokenizer

/// The tokens that matter to decoding constrained to a fact sheet's slots, found once per
/// tokenizer in one pass over the vocabulary.
///
/// A slot is spelt `<name>`, and GPT-2's byte-level BPE splits that as its merges fall: the
/// `<` joins a space or a bracket before it (` <`, `(<`), a long name is several tokens
/// (`similar` + `ity`), the `>` joins the punctuation after it (`>.`, `>,`), and a model may
/// write any other split. So the constraint reads tokens as bytes, never as fixed token
/// sequences: outside a slot only a token holding `<` can open one, and inside a slot (after
/// `<partial`) only a token continuing some slot name's spelling can follow — the entries
/// of a trie over the names of `NarrativeSlot.allCases`, so a slot added there just works.
public struct SlotVocabulary: Sendable {
    struct Token: Sendable {
        let id: Int
        let bytes: [UInt8]
    }

    public let tokenizer: GPT2Tokenizer
    /// End-of-text and every token holding a line break: a narrative is one line.
    public let stopTokens: Set<Int>
    let stopList: [Int]
    /// Every token holding `<` (stop tokens aside): the only ones that can open a slot.
    let openers: [Token]
    /// The openers that begin with `<`, which would glue a slot to whatever is before it.
    let gluedOpeners: [Int]
    /// The openers with something other than a space or an opening bracket or quote right before
    /// their `<` (`.<`, `a<`): a slot they open is always glued to it.
    let gluingOpeners: Set<Int>
    /// For each prefix of a slot name (the bytes after an unclosed `<`), the tokens that can
    /// continue the spelling of some name: a piece of the rest of its name and `>`, or the whole
    /// rest and `>` with more after it.
    let continuations: [[UInt8]: [Token]]
    /// Every slot name's bytes.
    let names: [[UInt8]]
    /// For each slot name, the fewest tokens that finish its spelling after `<` and its first
    /// `k` bytes (index `k`), the `>` included: what a narrative inside a slot still has to spend.
    let closingCosts: [[UInt8]: [Int]]
    /// For each slot name, the fewest tokens that write it whole from outside a slot (an opener,
    /// then the rest of the spelling).
    let openingCosts: [[UInt8]: Int]
    /// The tokens that finish a sentence and say nothing (`.`, `!`, `?`, `...`, `).`, with or
    /// without a space): what a narrative short of tokens ends on, closing a bracket it opened.
    let sentenceEnders: [Token]
    /// The tokens that would write a price or a number as text (a `£`, a digit other than the
    /// trending window's `30`): outside a slot they are masked, as every price and number a
    /// narrative states comes from a slot.
    let literalNumbers: [Int]
    let literalNumberSet: Set<Int>
    /// The most tokens any fillable spelling of a slot takes from outside one.
    let longestSlotSpelling: Int

    static let open = UInt8(ascii: "<"), close = UInt8(ascii: ">")

    public init(tokenizer: GPT2Tokenizer) {
        self.tokenizer = tokenizer
        var stops: Set<Int> = [GPT2Tokenizer.endOfText]
        var openers: [Token] = []
        var closers: [Token] = []
        // Tokens spelt only of name bytes, possibly ending in `>`: the pieces a slot is written in.
        var pieces: [[UInt8]: Int] = [:]
        var enders: [Token] = []
        var literalNumbers: [Int] = []
        let window = Array(String(GroundingChecker.trendingWindowDays).utf8)
        for id in 0..<tokenizer.vocabSize where id != GPT2Tokenizer.endOfText {
            let bytes = tokenizer.decodeBytes([id])
            if bytes.contains(UInt8(ascii: "\n")) {
                stops.insert(id)
                continue
            }
            if bytes.contains(Self.open) { openers.append(Token(id: id, bytes: bytes)) }
            if bytes.contains(Self.close) { closers.append(Token(id: id, bytes: bytes)) }
            let digits = bytes.filter(Self.isDigit)
            if Self.holdsPound(bytes) || !(digits.isEmpty || digits == window) { literalNumbers.append(id) }
            let said = bytes.filter { !Self.isSpace($0) }
            if let last = said.last, Self.isSentenceEnd(last), said.allSatisfy({ Self.isSentenceEnd($0) || Self.isCloser($0) }) {
                enders.append(Token(id: id, bytes: bytes))
            }
            if let last = bytes.last, bytes.dropLast().allSatisfy(Self.isNameByte), Self.isNameByte(last) || last == Self.close {
                pieces[bytes] = id
            }
        }
        stopTokens = stops
        stopList = stops.sorted()
        self.openers = openers
        gluedOpeners = openers.filter { $0.bytes.first == Self.open }.map(\.id)
        gluingOpeners = Set(openers.filter { token in
            guard let open = token.bytes.firstIndex(of: Self.open), open > 0 else { return false }
            return !Self.startsWord(after: token.bytes[open - 1])
        }.map(\.id))
        names = NarrativeSlot.allCases.map { Array($0.rawValue.utf8) }

        var continuations: [[UInt8]: [Token]] = [:]
        for name in names {
            for length in 0...name.count {
                let partial = Array(name[..<length])
                let rest = Array(name[length...]) + [Self.close]
                var found = continuations[partial] ?? []
                var seen = Set(found.map(\.id))
                for end in 1...rest.count {
                    if let id = pieces[Array(rest[..<end])], seen.insert(id).inserted { found.append(Token(id: id, bytes: Array(rest[..<end]))) }
                }
                for closer in closers where closer.bytes.count > rest.count && closer.bytes.starts(with: rest) {
                    if seen.insert(closer.id).inserted { found.append(closer) }
                }
                continuations[partial] = found
            }
        }
        self.continuations = continuations
        sentenceEnders = enders
        self.literalNumbers = literalNumbers
        literalNumberSet = Set(literalNumbers)

        var closingCosts: [[UInt8]: [Int]] = [:]
        for name in names {
            let spelling = name + [Self.close]
            var costs = [Int](repeating: Self.unreachable, count: name.count + 1)
            for written in stride(from: name.count, through: 0, by: -1) {
                let rest = spelling[written...]
                for token in continuations[Array(name[..<written])] ?? [] {
                    if token.bytes.starts(with: rest) {
                        costs[written] = 1
                    } else if rest.starts(with: token.bytes) {
                        costs[written] = min(costs[written], 1 + costs[written + token.bytes.count])
                    }
                }
            }
            closingCosts[name] = costs
        }
        self.closingCosts = closingCosts
        var openingCosts: [[UInt8]: Int] = [:]
        for name in names {
            let spelling = name + [Self.close]
            var best = Self.unreachable
            for opener in openers where opener.bytes.filter({ $0 == Self.open }).count == 1 {
                let after = opener.bytes.drop { $0 != Self.open }.dropFirst()
                if after.starts(with: spelling) {
                    best = 1
                } else if !after.contains(Self.close), spelling.starts(with: after), let rest = closingCosts[name]?[after.count] {
                    best = min(best, 1 + rest)
                }
            }
            openingCosts[name] = best
        }
        self.openingCosts = openingCosts
        longestSlotSpelling = openingCosts.values.filter { $0 < Self.unreachable }.max() ?? 0
    }

    /// Every token the constraint may leave a narrative to choose from when it keeps only a few
    /// (a slot's continuations, the openers, the sentence enders, the stops): an output shortlist
    /// must hold them all, or a step whose kept tokens all fell off the list has nothing to draw.
    public var tokensTheConstraintMayKeep: Set<Int> {
        var tokens = stopTokens
        tokens.formUnion(openers.map(\.id))
        tokens.formUnion(sentenceEnders.map(\.id))
        for continuation in continuations.values { tokens.formUnion(continuation.map(\.id)) }
        return tokens
    }

    /// A cost no spelling reaches: a name this vocabulary cannot write.
    static let unreachable = 1 << 20

    public func bytes(of token: Int) -> [UInt8] { tokenizer.decodeBytes([token]) }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// A closing bracket or quote, which may come before a sentence's end.
    static func isCloser(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ")") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    /// Whether a word may start right after this byte: a space or an opening bracket or quote.
    static func startsWord(after byte: UInt8) -> Bool {
        isSpace(byte) || byte == UInt8(ascii: "(") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Whether the bytes hold `£` (UTF-8 C2 A3) or one of its halves at an edge, where BPE may split it.
    static func holdsPound(_ bytes: [UInt8]) -> Bool {
        bytes.last == 0xC2 || bytes.first == 0xA3 || zip(bytes, bytes.dropFirst()).contains { $0 == (0xC2, 0xA3) }
    }

    static func isSentenceEnd(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?")
    }

    /// The bytes a slot name may hold (Swift identifiers: letters, digits, `_`).
    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }
}
