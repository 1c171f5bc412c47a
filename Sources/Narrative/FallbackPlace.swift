/// Where a narrative was when it ended, for the fallbacks `narrate-benchmark` counts: a fact
/// left out because the narrator stopped, or because the token limit cut it (and then where).
public enum FallbackPlace: String, Sendable, CaseIterable {
    /// It ended on a stop token before the limit.
    case stopped
    /// The limit fell inside an unclosed slot.
    case inSlot = "limit in a slot"
    /// The limit fell mid-sentence, and that unfinished sentence held a slot.
    case inSentenceWithSlot = "limit mid-sentence with a slot"
    /// The limit fell mid-sentence, with no slot in the unfinished sentence.
    case inSentenceWithoutSlot = "limit mid-sentence without a slot"
    /// The limit fell right after a finished sentence.
    case atSentenceEnd = "limit at a sentence end"

    /// The place of `delexicalised`, written in `generatedTokens` of at most `maxNewTokens`.
    public init(delexicalised: String, generatedTokens: Int, maxNewTokens: Int) {
        guard generatedTokens >= maxNewTokens else {
            self = .stopped
            return
        }
        let sentenceEnds: Set<Character> = [".", "!", "?"]
        if let open = delexicalised.lastIndex(of: "<"), delexicalised[open...].firstIndex(of: ">") == nil {
            self = .inSlot
        } else if let last = delexicalised.last, sentenceEnds.contains(last) {
            self = .atSentenceEnd
        } else {
            let unfinished = delexicalised.lastIndex(where: { sentenceEnds.contains($0) }).map { delexicalised[$0...] } ?? Substring(delexicalised)
            self = unfinished.contains("<") ? .inSentenceWithSlot : .inSentenceWithoutSlot
        }
    }
}
