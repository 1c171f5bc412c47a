/// One sequence's hook between the forward and its sampler, as Hugging Face's
/// `LogitsProcessor`: it may lower logits (−∞ forbids a token) before every draw and follows
/// the tokens drawn, so it can keep a state machine over what the sequence has written
/// (decoding constrained to a grammar or to the slots a fact sheet can fill).
///
/// `BatchedGenerator` and `TokenGenerator` call it identically — `process` on the row, the
/// sampler draws, `accept` with the draw (a stop token included) — so a constrained sequence
/// still gives the same tokens batched as alone. Each sequence owns its processor (a value),
/// and rows are processed concurrently, so `process` must touch only its row and its own state.
public protocol LogitsProcessor: Sendable {
    /// Adjusts the logits of the next draw in place: a whole `[V]` row or a shortlisted model's
    /// compact one, read and written by token id either way.
    func process(_ logits: LogitRow)
    /// The token the sampler drew after `process`.
    mutating func accept(_ token: Int)
}
