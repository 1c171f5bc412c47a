import GPT

/// Budget-aware decoding: a narrative states its required facts and ends a sentence inside its
/// token limit, instead of wandering past it and losing the unfinished sentence that carried a fact.
///
/// The constraint knows, at every step, the fewest tokens that still take it to a place where it
/// may stop (`tokensNeeded`): the shortest spelling of a slot for each missing fact, then a
/// sentence end. While the tokens left exceed that by more than any one slot can cost, the model
/// is free. Nearer the limit each candidate that can change the need — an opener, a sentence end,
/// a slot's continuation — is kept only if the need after it still fits what is left, and plain
/// words only while one more word fits; so from a state that fits, some kept token always leads
/// on (the next piece of the shortest plan), and the narrative completes its facts in time.
extension SlotConstraint {
    /// What the budget does to one step's row.
    enum BudgetMask {
        /// Nothing: the other masks apply as they are.
        case free
        /// These ids are masked as well as the other masks'.
        case masked([Int])
        /// Only these ids are left (the other masks are already applied in choosing them).
        case keptOnly([Int])
    }

    /// New tokens the narrative may still write, or nil without a limit.
    var tokensLeft: Int? { maxNewTokens.map { max(0, $0 - produced) } }

    /// This step's budget mask.
    func budgetMask() -> BudgetMask {
        guard let left = tokensLeft else { return .free }
        let current = State(stated: stated, partial: partial, endsSentence: endsSentence)
        guard left <= tokensNeeded(current) + 1 + vocabulary.longestSlotSpelling else { return .free }
        let after = left - 1
        var candidates: [SlotVocabulary.Token]
        if let partial {
            candidates = vocabulary.continuations[partial] ?? []
        } else {
            candidates = (vocabulary.openers + vocabulary.sentenceEnders).filter { !vocabulary.literalNumberSet.contains($0.id) }
        }
        var fitting: [Int] = [], unfitting: [Int] = []
        var closest: [Int] = [], closestNeed = Int.max
        for token in candidates {
            let (next, isAllowed) = state(after: token.bytes)
            guard isAllowed else { continue }
            let need = tokensNeeded(next)
            if need <= after { fitting.append(token.id) } else { unfitting.append(token.id) }
            if need < closestNeed { (closest, closestNeed) = ([token.id], need) } else if need == closestNeed { closest.append(token.id) }
        }
        let stops = endsSentence && hasStatedRequiredFacts ? vocabulary.stopList : []
        if partial == nil, tokensNeeded(State(stated: stated, partial: nil, endsSentence: false)) <= after {
            return .masked(unfitting)
        }
        // Nothing fits only when the state was already out of budget: get as near as possible.
        return .keptOnly(fitting.isEmpty && stops.isEmpty ? closest : fitting + stops)
    }

    /// Whether the row's favourite token is a stop (the sampler's argmax: this runs on every step
    /// of every narrative, over the whole row).
    func prefersStop(_ logits: LogitRow) -> Bool {
        guard !logits.values.isEmpty else { return false }
        return vocabulary.stopTokens.contains(logits.argmax())
    }

    /// Outside a slot, the openers after which fewer tokens are needed to stop: the start of a
    /// missing fact's slot.
    func tokensNearerTheStop() -> [Int] {
        let need = tokensNeeded(State(stated: stated, partial: partial, endsSentence: endsSentence))
        return vocabulary.openers.filter { token in
            guard !vocabulary.literalNumberSet.contains(token.id) else { return false }
            let (next, isAllowed) = state(after: token.bytes)
            return isAllowed && tokensNeeded(next) < need
        }.map(\.id)
    }

    /// The fewest tokens from `state` to one where the narrative may stop: every required fact
    /// some slot can still state is stated, outside a slot, a sentence just ended.
    func tokensNeeded(_ state: State) -> Int {
        guard let partial = state.partial else { return tokensNeeded(outsideSlotAfter: state.stated, endsSentence: state.endsSentence) }
        var best = SlotVocabulary.unreachable
        for (name, costs) in vocabulary.closingCosts where name.starts(with: partial) && allows(name, after: state.stated) {
            let rest = tokensNeeded(outsideSlotAfter: state.stated.union(facts[name] ?? []), endsSentence: false)
            best = min(best, costs[partial.count] + rest)
        }
        return best
    }

    /// Outside a slot: the cheapest slot for each missing fact in turn (one may state several),
    /// then a sentence end. Slots that would repeat a planned fact are not planned.
    private func tokensNeeded(outsideSlotAfter stated: Set<String>, endsSentence: Bool) -> Int {
        var covered = stated
        var cost = 0
        for fact in required.subtracting(stated).sorted() where !covered.contains(fact) {
            let choices = facts.filter { $0.value.contains(fact) && allows($0.key, after: covered) }.map(\.key)
            let cheapest = choices.min {
                let (a, b) = (vocabulary.openingCosts[$0] ?? SlotVocabulary.unreachable, vocabulary.openingCosts[$1] ?? SlotVocabulary.unreachable)
                return a != b ? a < b : $0.lexicographicallyPrecedes($1)
            }
            // A fact no slot may state any more cannot be planned; the stop waits for it regardless.
            guard let cheapest else { continue }
            cost += vocabulary.openingCosts[cheapest] ?? SlotVocabulary.unreachable
            covered.formUnion(facts[cheapest] ?? [])
        }
        return cost == 0 && endsSentence ? 0 : cost + 1
    }
}
