import GPT
import Tokenizer

/// The text side of one completion in the batch: its tokens become UTF-8-safe text, stop strings
/// are watched for, and the pieces go to the request's stream. The tokens come from the
/// scheduler's `BatchedGenerator`, which holds the sequence's cache and sampler.
final class ActiveCompletion {
    let jobID: Int
    let continuation: AsyncStream<GenerationEvent>.Continuation
    let arrival: ContinuousClock.Instant
    private(set) var produced = 0
    private(set) var hasStarted = false
    private var decoder: StreamingDecoder
    private var filter: StopStringFilter

    init(jobID: Int, job: GenerationJob, tokenizer: GPT2Tokenizer,
         continuation: AsyncStream<GenerationEvent>.Continuation, arrival: ContinuousClock.Instant) {
        self.jobID = jobID
        self.continuation = continuation
        self.arrival = arrival
        decoder = StreamingDecoder(tokenizer: tokenizer)
        filter = StopStringFilter(stops: job.stops)
    }

    /// Takes one step's event for this sequence and sends its text; returns the finish reason
    /// once the completion is over (then its closing text and `finished` have been sent).
    /// A stop string ends it here, before the generator knows: the caller cancels the sequence.
    func receive(_ event: TokenEvent) -> FinishReason? {
        hasStarted = true
        if let token = event.token {
            produced += 1
            send(filter.append(decoder.append(token)))
            if filter.isStopped { return finish(.stop) }
        }
        switch event.stopReason {
        case nil: return nil
        case .stopToken, .stoppedByCaller: return finish(.stop)
        case .maxNewTokens, .contextFull: return finish(.length)
        }
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
