import GPT
import Tokenizer

/// One completion being generated: its KV-cache session, sampler and text state. Each `advance`
/// runs one forward pass (the prefill first, then one token) and samples one token, so the
/// scheduler can interleave the slots step by step; the sequence of tokens is exactly
/// `TokenGenerator.generate`'s for the same prompt and seed.
final class DecodingSlot {
    let id: Int
    let job: GenerationJob
    let session: InferenceSession
    let continuation: AsyncStream<GenerationEvent>.Continuation
    let arrival: ContinuousClock.Instant
    private(set) var produced = 0
    private(set) var firstTokenTime: ContinuousClock.Instant?

    private var sampler: Sampler
    private var history: Set<Int>
    private var decoder: StreamingDecoder
    private var filter: StopStringFilter
    private var lastToken: Int?

    init(id: Int, job: GenerationJob, session: InferenceSession, tokenizer: GPT2Tokenizer,
         continuation: AsyncStream<GenerationEvent>.Continuation, arrival: ContinuousClock.Instant) throws {
        self.id = id
        self.job = job
        self.session = session
        self.continuation = continuation
        self.arrival = arrival
        sampler = try Sampler(parameters: job.sampling, seed: job.seed)
        sampler.vocabularyLimit = tokenizer.vocabSize
        history = Set(job.prompt)
        decoder = StreamingDecoder(tokenizer: tokenizer)
        filter = StopStringFilter(stops: job.stops)
        session.reset()
    }

    /// Runs one step and sends its text; returns the finish reason once the completion is over
    /// (then the closing text and `finished` have been sent too).
    func advance(stopTokens: Set<Int>) throws -> FinishReason? {
        let logits = try lastToken.map { try session.next($0) } ?? session.prefill(job.prompt)
        let token = sampler.next(logits: logits, history: history)
        if firstTokenTime == nil { firstTokenTime = .now }
        if stopTokens.contains(token) { return finish(.stop) }
        produced += 1
        history.insert(token)
        lastToken = token
        send(filter.append(decoder.append(token)))
        if filter.isStopped { return finish(.stop) }
        if produced >= job.maxNewTokens || session.remainingContext == 0 { return finish(.length) }
        return nil
    }

    private func finish(_ reason: FinishReason) -> FinishReason {
        send(filter.append(decoder.flush()))
        send(filter.finish())
        continuation.yield(.finished(reason, completionTokens: produced))
        continuation.finish()
        return reason
    }

    private func send(_ text: String) {
        if !text.isEmpty { continuation.yield(.text(text)) }
    }
}
