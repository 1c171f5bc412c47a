import GPT

/// Decoding constrained by one fact sheet: a state machine over the bytes a narrative has
/// written that lets the narrator write only what `ServedNarrative.serve` can serve.
///
/// - A slot the sheet cannot fill (`<with>` for an item with no bought-together reason), an
///   unknown name or a stray `<` is never written: outside a slot the tokens holding `<` that
///   would spell one are masked; inside one (after `<partial`) only the tokens continuing a
///   fillable name are left.
/// - A slot whose value states a required fact already stated (the checker counts a repeat as
///   an error) is masked from then on: `<product>` after `<product>`, `<recent>` after `<with>`
///   when both name the same product.
/// - End-of-text and the line-break tokens are masked until every required fact (the product,
///   its price, the first reason's evidence, exactly as `GroundingChecker` requires them) has
///   been written by a slot and the text ends a sentence, and always inside a slot.
///
/// Which slot states which fact is the checker's own answer on the slot's value, not a table
/// here, so a slot added to `NarrativeSlot` or a fact the checker starts requiring just works.
/// Outside a slot a step costs a write per masked token (the few openers that would spell an
/// unfillable slot, and the stops while facts are missing); inside one the row becomes an
/// allow-list of the slot's few continuations, written over once, as the sampler's own copy is.
public struct SlotConstraint: LogitsProcessor {
    private let vocabulary: SlotVocabulary
    /// The required facts each fillable slot's value states, by slot name.
    private let facts: [[UInt8]: Set<String>]
    /// The required facts some slot can state: the ones a stop waits for.
    private let required: Set<String>
    private var stated: Set<String> = []
    /// The bytes after an unclosed `<`, or nil outside a slot.
    private var partial: [UInt8]?
    private var endsSentence = false
    /// The openers that would spell a slot not allowed now (recomputed as facts are stated).
    private var maskedOpeners: [Int] = []

    public init(sheet: FactSheet, vocabulary: SlotVocabulary, checker: GroundingChecker) {
        self.vocabulary = vocabulary
        let values = NarrativeSlot.values(for: sheet)
        let everything = checker.check("", item: sheet.item, history: sheet.history).missingFacts
        var facts: [[UInt8]: Set<String>] = [:]
        for (slot, value) in values {
            let missing = checker.check(value, item: sheet.item, history: sheet.history).missingFacts
            facts[Array(slot.rawValue.utf8)] = everything.subtracting(missing)
        }
        self.facts = facts
        required = facts.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        maskedOpeners = openersNotAllowed()
    }

    /// Whether every fact a stop waits for has been written.
    public var hasStatedRequiredFacts: Bool { required.isSubset(of: stated) }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>) {
        guard let partial else {
            for id in maskedOpeners where id < logits.count { logits[id] = -.infinity }
            if !(endsSentence && hasStatedRequiredFacts) {
                for id in vocabulary.stopList where id < logits.count { logits[id] = -.infinity }
            }
            return
        }
        let allowed = (vocabulary.continuations[partial] ?? []).filter { walk($0.bytes, from: partial) != nil }
        // Nothing continues it only if the vocabulary lacks single bytes; leave the row to the checker then.
        guard !allowed.isEmpty else { return }
        let kept = allowed.map { $0.id < logits.count ? logits[$0.id] : -.infinity }
        logits.update(repeating: -.infinity)
        for (token, value) in zip(allowed, kept) where token.id < logits.count { logits[token.id] = value }
    }

    public mutating func accept(_ token: Int) {
        guard !vocabulary.stopTokens.contains(token) else { return }
        let bytes = vocabulary.bytes(of: token)
        var closed: [[UInt8]] = []
        // A draw the mask forbade (a processor applied late, or a sampler ignoring −∞) is
        // followed as written; the checker rejects what it spelt.
        let after = walk(bytes, from: partial, closed: &closed) ?? nil
        let before = stated.count
        for name in closed { stated.formUnion(facts[name] ?? []) }
        partial = after
        if let last = bytes.last(where: { !Self.isSpace($0) }) {
            endsSentence = after == nil && [UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "?")].contains(last)
        }
        if stated.count != before { maskedOpeners = openersNotAllowed() }
    }

    // MARK: The state machine

    /// Whether a slot of this name may be written now: the sheet fills it and it repeats no stated fact.
    private func allows(_ name: [UInt8]) -> Bool {
        guard let states = facts[name] else { return false }
        return states.isDisjoint(with: stated)
    }

    private func continuesAllowedName(_ partial: [UInt8]) -> Bool {
        facts.keys.contains { $0.starts(with: partial) && allows($0) }
    }

    /// The state after `bytes` written from `start` (nil: outside a slot), or nil (the outer
    /// optional) when they spell a slot not allowed now.
    private func walk(_ bytes: [UInt8], from start: [UInt8]?) -> [UInt8]?? {
        var closed: [[UInt8]] = []
        return walk(bytes, from: start, closed: &closed)
    }

    private func walk(_ bytes: [UInt8], from start: [UInt8]?, closed: inout [[UInt8]]) -> [UInt8]?? {
        var partial = start
        for byte in bytes {
            if var name = partial {
                if byte == SlotVocabulary.close {
                    guard allows(name) else { return .none }
                    closed.append(name)
                    partial = nil
                } else {
                    name.append(byte)
                    guard continuesAllowedName(name) else { return .none }
                    partial = name
                }
            } else if byte == SlotVocabulary.open {
                guard continuesAllowedName([]) else { return .none }
                partial = []
            }
        }
        return .some(partial)
    }

    private func openersNotAllowed() -> [Int] {
        vocabulary.openers.filter { walk($0.bytes, from: nil) == nil }.map(\.id)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}
