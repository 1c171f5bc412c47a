import Foundation
import GPT
import Tokenizer

/// Owns the model and runs every completion on one thread of its own, off the request tasks
/// (the forward passes are long, CPU-bound and already spread over the cores by the kernels).
///
/// Continuous batching: up to `parallel` completions are active at once, and each step is one
/// batched forward (`BatchedGenerator`) that advances all of them by a token — the projections
/// read each weight once for the whole batch, which is what makes 8 streams cheaper than 8
/// times one. A new request joins at the next step (its prompt prefilled in chunks beside the
/// decoding rows), a finished one leaves at once, the rest wait in arrival order. A completion
/// whose stream is dropped — its client went away — leaves at the next step and frees its slot.
public final class GenerationScheduler: @unchecked Sendable {
    public let model: LanguageModel
    public let parallel: Int
    let metrics: ServerMetrics

    private struct Pending {
        let id: Int
        let job: GenerationJob
        let continuation: AsyncStream<GenerationEvent>.Continuation
        let arrival: ContinuousClock.Instant
    }

    /// Shared with the request tasks, under `condition`'s lock.
    private struct Shared {
        var waiting: [Pending] = []
        var activeIDs: Set<Int> = []
        var cancelled: Set<Int> = []
        var nextID = 0
        var isStopping = false
    }

    private let condition = NSCondition()
    private var shared = Shared()
    private let stopTokens: Set<Int> = [GPT2Tokenizer.endOfText]

    public init(model: LanguageModel, parallel: Int, metrics: ServerMetrics) {
        precondition(parallel >= 1, "parallel must be at least 1")
        self.model = model
        self.parallel = parallel
        self.metrics = metrics
        let thread = Thread { [self] in run() }
        thread.name = "finch-generation"
        thread.start()
    }

    /// Queues a job; its events arrive on the returned stream. Dropping or cancelling the stream's
    /// iteration cancels the job.
    public func submit(_ job: GenerationJob) -> AsyncStream<GenerationEvent> {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        condition.lock()
        let id = shared.nextID
        shared.nextID += 1
        condition.unlock()
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel(id) }
        }
        condition.lock()
        defer { condition.unlock() }
        guard !shared.isStopping else {
            fail(continuation, "the server is shutting down")
            return stream
        }
        shared.waiting.append(Pending(id: id, job: job, continuation: continuation, arrival: .now))
        metrics.queueDepth.set(Double(shared.waiting.count))
        condition.signal()
        return stream
    }

    /// Ends the generation thread once the active completions are done; queued ones fail.
    public func shutdown() {
        condition.lock()
        shared.isStopping = true
        condition.signal()
        condition.unlock()
    }

    private func cancel(_ id: Int) {
        condition.lock()
        defer { condition.unlock() }
        if let index = shared.waiting.firstIndex(where: { $0.id == id }) {
            shared.waiting.remove(at: index).continuation.finish()
            metrics.queueDepth.set(Double(shared.waiting.count))
            metrics.completions.increment()
        } else if shared.activeIDs.contains(id) {
            shared.cancelled.insert(id)
        }
    }

    // MARK: The generation thread

    private func run() {
        let generator: BatchedGenerator
        do {
            generator = try BatchedGenerator(weights: model.weights)
        } catch {
            failEverything("the batched generator cannot start: \(error)")
            return
        }
        var completions: [SequenceID: ActiveCompletion] = [:]
        var sequenceOfJob: [Int: SequenceID] = [:]
        while true {
            let (admitted, cancelled, stopping) = nextStep(activeCount: completions.count)
            if stopping, completions.isEmpty, admitted.isEmpty { return }
            for jobID in cancelled {
                guard let sequence = sequenceOfJob.removeValue(forKey: jobID), let completion = completions.removeValue(forKey: sequence)
                else { continue }
                generator.cancel(sequence)
                completion.continuation.finish()
                retire(completion)
            }
            for pending in admitted {
                do {
                    var sampler = try Sampler(parameters: pending.job.sampling, seed: pending.job.seed)
                    sampler.vocabularyLimit = model.tokenizer.vocabSize
                    let sequence = try generator.add(prompt: pending.job.prompt, sampler: sampler,
                                                     maxNewTokens: pending.job.maxNewTokens, stopTokens: stopTokens)
                    completions[sequence] = ActiveCompletion(jobID: pending.id, job: pending.job, tokenizer: model.tokenizer,
                                                             continuation: pending.continuation, arrival: pending.arrival)
                    sequenceOfJob[pending.id] = sequence
                    metrics.promptTokens.increment(by: Int64(pending.job.prompt.count))
                } catch {
                    fail(pending.continuation, error)
                    condition.lock()
                    shared.activeIDs.remove(pending.id)
                    condition.unlock()
                }
            }
            metrics.activeSlots.set(Double(completions.count))
            guard !generator.isEmpty else { continue }
            // One batched forward for every active completion.
            for (sequence, event) in generator.step() {
                guard let completion = completions[sequence] else { continue }
                if !completion.hasStarted { metrics.timeToFirstToken.record(Self.seconds(.now - completion.arrival)) }
                let before = completion.produced
                let finished = completion.receive(event) != nil
                metrics.generatedTokens.increment(by: Int64(completion.produced - before))
                guard finished else { continue }
                generator.cancel(sequence)
                completions[sequence] = nil
                sequenceOfJob[completion.jobID] = nil
                retire(completion)
            }
            metrics.activeSlots.set(Double(completions.count))
        }
    }

    /// Waits until there is work, then takes the queued jobs that fit beside `activeCount`
    /// running ones and the ids cancelled since the last step.
    private func nextStep(activeCount: Int) -> (admitted: [Pending], cancelled: Set<Int>, stopping: Bool) {
        condition.lock()
        defer { condition.unlock() }
        while shared.waiting.isEmpty, activeCount == 0, !shared.isStopping { condition.wait() }
        if shared.isStopping {
            for pending in shared.waiting { fail(pending.continuation, "the server is shutting down") }
            shared.waiting.removeAll()
        }
        let room = max(0, parallel - activeCount)
        let admitted = Array(shared.waiting.prefix(room))
        shared.waiting.removeFirst(admitted.count)
        for pending in admitted { shared.activeIDs.insert(pending.id) }
        let cancelled = shared.cancelled
        shared.cancelled.removeAll()
        metrics.queueDepth.set(Double(shared.waiting.count))
        return (admitted, cancelled, shared.isStopping)
    }

    private func retire(_ completion: ActiveCompletion) {
        metrics.completions.increment()
        metrics.completionDuration.record(Self.seconds(.now - completion.arrival))
        condition.lock()
        shared.activeIDs.remove(completion.jobID)
        condition.unlock()
    }

    /// Only if the generator cannot even be built: every request then gets the reason.
    private func failEverything(_ message: String) {
        condition.lock()
        shared.isStopping = true
        for pending in shared.waiting { fail(pending.continuation, message) }
        shared.waiting.removeAll()
        condition.unlock()
    }

    private func fail(_ continuation: AsyncStream<GenerationEvent>.Continuation, _ error: any Error) {
        fail(continuation, "\(error)")
    }

    private func fail(_ continuation: AsyncStream<GenerationEvent>.Continuation, _ message: String) {
        continuation.yield(.failed(message))
        continuation.finish()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
