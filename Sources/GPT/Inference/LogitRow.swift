import Tensor

/// One row of next-token logits as the generators hand it to logits processors and samplers:
/// either the whole vocabulary `[V]`, or — behind a `ShortlistHead` — only the shortlist's `[S]`
/// logits with the list as the id map, every other token's logit being −∞.
///
/// A ten-row step of a shortlisted narrator used to scatter each row's S logits into a
/// 50,257-wide row and scan all of it for the argmax; a compact row costs S. Every operation here
/// answers what it would on the expanded `[V]` row, bit for bit (argmax ties and NaNs included),
/// so a sequence's tokens do not depend on which form its row came in.
public struct LogitRow {
    /// `[V]`, or `[S]` with `shortlist`.
    public let values: UnsafeMutableBufferPointer<Float>
    /// The id map of a compact row: `values[k]` is token `shortlist.tokens[k]`'s logit.
    public let shortlist: OutputShortlist?

    public init(full values: UnsafeMutableBufferPointer<Float>) {
        self.values = values
        shortlist = nil
    }

    public init(compact values: UnsafeMutableBufferPointer<Float>, shortlist: OutputShortlist) {
        precondition(values.count == shortlist.tokens.count, "a compact row holds one logit per shortlisted token")
        self.values = values
        self.shortlist = shortlist
    }

    /// V, the ids the row covers.
    public var vocabularySize: Int { shortlist?.vocabSize ?? values.count }

    /// Where `token`'s logit is stored, or nil for a token off the list (or outside the vocabulary).
    @inline(__always)
    func slot(of token: Int) -> Int? {
        guard token >= 0, token < vocabularySize else { return nil }
        guard let shortlist else { return token }
        let slot = Int(shortlist.slots[token])
        return slot < 0 ? nil : slot
    }

    /// A token's logit (−∞ off the list). Processors only lower logits, so writing to a token
    /// off the list, which is −∞ already, changes nothing.
    public subscript(token: Int) -> Float {
        get { slot(of: token).map { values[$0] } ?? -.infinity }
        nonmutating set { if let slot = slot(of: token) { values[slot] = newValue } }
    }

    /// Sets these tokens' logits to −∞ (ids outside the vocabulary are ignored).
    public func forbid<Tokens: Sequence<Int>>(_ tokens: Tokens) {
        for token in tokens { self[token] = -.infinity }
    }

    /// Sets every logit but those of `tokens` to −∞.
    public func keepOnly(_ tokens: [Int]) {
        let kept = tokens.map { self[$0] }
        values.update(repeating: -.infinity)
        for (token, value) in zip(tokens, kept) { self[token] = value }
    }

    /// How many of the stored values belong to ids below `limit` (the list is sorted, so they are a prefix).
    func storedCount(below limit: Int) -> Int {
        guard let shortlist else { return min(limit, values.count) }
        var low = 0, high = shortlist.tokens.count
        while low < high {
            let middle = (low + high) / 2
            if shortlist.tokens[middle] < limit { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// `Sampler.argmax` of the `[V]` row restricted to ids below `limit`: the lowest id of the
    /// largest logit, 0 when token 0's logit is NaN, NaNs never chosen.
    public func argmax(below limit: Int? = nil) -> Int {
        let limit = min(limit ?? vocabularySize, vocabularySize)
        guard let shortlist, let base = values.baseAddress else {
            return values.baseAddress.map { LogitSelection.argmax($0, count: max(0, limit)) } ?? 0
        }
        guard limit > 0 else { return 0 }
        let count = storedCount(below: limit)
        if count > 0, shortlist.tokens[0] == 0, base[0].isNaN { return 0 }
        let largest = count > 0 ? VectorMath.max(base, count) : -.infinity
        if largest > -.infinity, let slot = LogitSelection.firstIndex(of: largest, in: base, count: count) {
            return shortlist.tokens[slot]
        }
        // Every listed logit is −∞ or NaN: the answer is the first −∞ of the whole row, listed or not.
        let firstListed = LogitSelection.firstIndex(of: -.infinity, in: base, count: count).map { shortlist.tokens[$0] }
        let firstUnlisted = (0..<limit).first { shortlist.slots[$0] < 0 }
        return [firstListed, firstUnlisted].compactMap { $0 }.min() ?? 0
    }

    /// Writes the `[V]` row this one stands for into `row`.
    public func expand(into row: UnsafeMutablePointer<Float>) {
        guard let shortlist else {
            row.update(from: values.baseAddress!, count: values.count)
            return
        }
        row.update(repeating: -.infinity, count: shortlist.vocabSize)
        for (slot, token) in shortlist.tokens.enumerated() { row[token] = values[slot] }
    }
}
