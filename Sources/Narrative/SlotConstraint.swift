import GPT

/// Decoding constrained by one fact sheet: a state machine over the bytes a narrative has
/// written that lets the narrator write only what `ServedNarrative.serve` can serve.
///
/// - A slot the sheet cannot fill (`<with>` for an item with no bought-together reason), an
///   unknown name or a stray `<` is never written: outside a slot the tokens holding `<` that
///   would spell one are masked; inside one (after `<partial`) only the tokens continuing a
///   fillable name are left.
/// - A slot whose value states a fact already stated (the checker counts a repeat as an error,
///   required fact or not) is masked from then on: `<product>` after `<product>`, `<recent>`
///   after `<with>` when both name the same product, a second reason's `<orders>` after itself.
/// - End-of-text and the line-break tokens are masked until every required fact (the product,
///   its price, the first reason's evidence, exactly as `GroundingChecker` requires them) has
///   been written by a slot and the text ends a sentence, and always inside a slot.
///
/// - A price or number is never written as text: outside a slot the tokens holding `£` or a
///   digit are masked (but the trending window's `30`, which the checker allows).
/// - A narrative that would stop (a stop token is its favourite) with a fact missing goes on with
///   the slot of a missing fact at once, rather than wander about it until the limit.
/// - With a token budget (`maxNewTokens`), the narrative finishes inside it: once the tokens left
///   come near what the missing facts' slots and a sentence end need (`SlotConstraint+Budget`),
///   only the tokens after which they still fit are left — the opening of a missing fact's slot,
///   its shortest spelling, a sentence end, then the stop.
///
/// Which slot states which fact is the checker's own answer on the slot's value, not a table
/// here, so a slot added to `NarrativeSlot` or a fact the checker starts requiring just works.
/// Outside a slot a step costs a write per masked token (the few openers that would spell an
/// unfillable slot, and the stops while facts are missing); inside one the row becomes an
/// allow-list of the slot's few continuations, written over once, as the sampler's own copy is.
public struct SlotConstraint: LogitsProcessor {
    let vocabulary: SlotVocabulary
    /// The facts each fillable slot's value states (required or not), by slot name.
    let facts: [[UInt8]: Set<String>]
    /// The required facts some slot can state: the ones a stop waits for.
    let required: Set<String>
    /// New tokens the narrative may have (nil: no limit), and how many it has written.
    let maxNewTokens: Int?
    private(set) var produced = 0
    private(set) var stated: Set<String> = []
    /// The bytes after an unclosed `<`, or nil outside a slot.
    private(set) var partial: [UInt8]?
    private(set) var endsSentence = false
    /// The last byte written is neither a space nor an opening bracket or quote: a slot opened
    /// right after it would run its value into what is before (`theRegency`, `Tier£12.75`,
    /// `£2.08,.7`), which no reader and no checker can split.
    private(set) var endsWord = false
    /// The slot being written was opened between sentences with a required fact missing: it
    /// states a missing fact, so a narrative that meant to end goes on with what it left out.
    private(set) var opensMissingFact = false
    /// The openers that would spell a slot not allowed now (recomputed as facts are stated).
    private var maskedOpeners: [Int] = []

    /// `maxNewTokens`: the limit the generator stops the narrative at (its stop token aside), or
    /// nil to leave the length free.
    public init(sheet: FactSheet, vocabulary: SlotVocabulary, checker: GroundingChecker, maxNewTokens: Int? = nil) {
        self.vocabulary = vocabulary
        self.maxNewTokens = maxNewTokens
        let values = NarrativeSlot.values(for: sheet)
        let everything = checker.check("", item: sheet.item, history: sheet.history).missingFacts
        var facts: [[UInt8]: Set<String>] = [:]
        for (slot, value) in values {
            facts[Array(slot.rawValue.utf8)] = checker.check(value, item: sheet.item, history: sheet.history).statedFacts
        }
        self.facts = facts
        required = facts.values.reduce(into: Set<String>()) { $0.formUnion($1) }.intersection(everything)
        maskedOpeners = openersNotAllowed()
    }

    /// Whether every fact a stop waits for has been written.
    public var hasStatedRequiredFacts: Bool { required.isSubset(of: stated) }

    public func process(_ logits: LogitRow) {
        if partial == nil, !(endsSentence && hasStatedRequiredFacts), prefersStop(logits) {
            let progress = tokensNearerTheStop()
            if !progress.isEmpty {
                logits.keepOnly(progress)
                return
            }
        }
        switch budgetMask() {
        case .free: break
        case let .masked(ids): logits.forbid(ids)
        case let .keptOnly(ids):
            logits.keepOnly(ids)
            return
        }
        guard let partial else {
            logits.forbid(maskedOpeners)
            logits.forbid(vocabulary.literalNumbers)
            if endsWord { logits.forbid(vocabulary.gluedOpeners) }
            logits.forbid(vocabulary.gluingOpeners)
            if !(endsSentence && hasStatedRequiredFacts) { logits.forbid(vocabulary.stopList) }
            return
        }
        var allowed = (vocabulary.continuations[partial] ?? []).filter { walk($0.bytes, from: partial) != nil }
        if opensMissingFact {
            let missingFacts = allowed.filter { statesMissingFact(after: $0.bytes) }
            if !missingFacts.isEmpty { allowed = missingFacts }
        }
        // Nothing continues it only if the vocabulary lacks single bytes; leave the row to the checker then.
        guard !allowed.isEmpty else { return }
        logits.keepOnly(allowed.map(\.id))
    }

    public mutating func accept(_ token: Int) {
        guard !vocabulary.stopTokens.contains(token) else { return }
        produced += 1
        // A draw the mask forbade (a processor applied late, or a sampler ignoring −∞) is
        // followed as written; the checker rejects what it spelt.
        let next = state(after: vocabulary.bytes(of: token)).state
        let before = stated.count
        let betweenSentences = partial == nil && endsSentence && !hasStatedRequiredFacts
        if next.partial == nil {
            opensMissingFact = false
        } else if partial == nil {
            opensMissingFact = betweenSentences
        }
        (stated, partial, endsSentence, endsWord) = (next.stated, next.partial, next.endsSentence, next.endsWord)
        if stated.count != before { maskedOpeners = openersNotAllowed() }
    }

    /// Whether a token of these bytes, inside the slot, closes or continues a name stating a missing fact.
    private func statesMissingFact(after bytes: [UInt8]) -> Bool {
        var closed: [[UInt8]] = []
        guard let after = walk(bytes, from: partial, closed: &closed) else { return false }
        let missing = required.subtracting(stated)
        let names = closed + (after.map { prefix in facts.keys.filter { $0.starts(with: prefix) && allows($0) } } ?? [])
        return names.contains { !(facts[$0] ?? []).isDisjoint(with: missing) }
    }

    /// What the constraint follows: the facts stated, the slot being written, whether a sentence just ended.
    struct State {
        var stated: Set<String>
        var partial: [UInt8]?
        var endsSentence: Bool
        var endsWord = false
    }

    /// The state after a token of these bytes, and whether it was allowed (one spelling a slot not
    /// allowed now leaves the slot as if never opened).
    func state(after bytes: [UInt8]) -> (state: State, isAllowed: Bool) {
        var closed: [[UInt8]] = []
        let walked = walk(bytes, from: partial, closed: &closed)
        let after = walked ?? nil
        var next = State(stated: stated, partial: after, endsSentence: endsSentence)
        for name in closed { next.stated.formUnion(facts[name] ?? []) }
        if let last = bytes.last(where: { !SlotVocabulary.isSpace($0) }) {
            next.endsSentence = after == nil && SlotVocabulary.isSentenceEnd(last)
        }
        next.endsWord = after == nil && bytes.last.map { !SlotVocabulary.startsWord(after: $0) } ?? endsWord
        let glues = (endsWord && bytes.first == SlotVocabulary.open)
            || (bytes.firstIndex(of: SlotVocabulary.open).map { $0 > 0 && !SlotVocabulary.startsWord(after: bytes[$0 - 1]) } ?? false)
        return (next, walked != nil && !glues)
    }

    // MARK: The state machine

    /// Whether a slot of this name may be written now: the sheet fills it and it repeats no stated fact.
    private func allows(_ name: [UInt8]) -> Bool { allows(name, after: stated) }

    func allows(_ name: [UInt8], after stated: Set<String>) -> Bool {
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
}
