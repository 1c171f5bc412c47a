import Tensor

/// Names one sequence of a `BatchedGenerator`, unique for the generator's lifetime.
public struct SequenceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// What one step produced for one sequence.
public struct TokenEvent: Equatable, Sendable {
    /// The token sampled this step; nil when the sequence ended without one (a stop token).
    public var token: Int?
    /// Set on the sequence's last event: it has left the batch.
    public var stopReason: StopReason?

    public init(token: Int?, stopReason: StopReason?) {
        self.token = token
        self.stopReason = stopReason
    }
}

/// Generates many sequences together: each `step()` is one batched forward over every active
/// sequence (the projections read each weight once for all of them), and new sequences may
/// join between any two steps — what a page of narratives and a server's continuous batching
/// both need. Each sequence keeps its own KV cache, position, sampler and stop tokens, so its
/// tokens are the ones `TokenGenerator` gives it alone (with greedy decoding, token for token;
/// with a seeded sampler, draw for draw).
///
/// A joining prompt is prefilled in chunks inside the same forward as the decoding rows, at
/// most `tokensPerStep` rows a step in all (decoding rows first), so a long prompt never stalls
/// the sequences already streaming. Stop strings are text, so they stay with the caller (as with
/// `TokenGenerator`): decode, watch with `StopStringFilter`, and `cancel` the sequence.
public final class BatchedGenerator {
    private struct ActiveSequence {
        let id: SequenceID
        let cache: KeyValueCache
        var sampler: Sampler
        var processor: (any LogitsProcessor)?
        let stopTokens: Set<Int>
        let maxNewTokens: Int
        /// Tokens to run before the next sample: the prompt's unprefilled part, then the last sampled token.
        var pending: [Int]
        var pendingStart = 0
        var history: Set<Int>
        var produced = 0
    }

    public let weights: InferenceWeights
    public let config: GPTConfig
    /// Rows one forward may run (decoding rows always run; prefill chunks fill the rest).
    public let tokensPerStep: Int
    private let forward: BatchedForward
    /// One forward per core for decoding steps split by sequence (`splitsDecoding`).
    private lazy var partForwards = (0..<Parallel.coreCount).map { _ in BatchedForward(weights: weights, compactRows: true) }
    /// Whether a step of decoding rows may run as one part of the sequences per core, each part a
    /// whole forward and its rows' sampling on one thread, with no hand-off inside: only when
    /// every product gives a row the same bits whatever rows are beside it (int8 × int8), so the
    /// split changes no token, and the model is small (`splitDecodingWeightLimit`): each core then
    /// reads every weight, which for a larger model doubles the traffic its step is bound by.
    private let splitsDecoding: Bool
    /// The largest model (weights of all products, a byte each in int8) whose decoding steps split
    /// by sequence. Measured with the workers on: the 4 × 128 narrator (1.4 M) 0.25 → 0.14 ms a
    /// ten-row step; 6 × 256 (5.9 M) and 6 × 384 (12 M) gained nothing or lost (each core reads
    /// every weight, and their steps are bound by reading ten KV caches).
    static let splitDecodingWeightLimit = 4 << 20
    /// In the order they joined.
    private var sequences: [ActiveSequence] = []
    /// Caches of sequences that left, reused by the next ones.
    private var freeCaches: [KeyValueCache] = []
    private var nextID = 0

    public init(weights: InferenceWeights, tokensPerStep: Int = 256) throws {
        guard tokensPerStep >= 1 else { throw GPTError.invalidInput("tokens per step must be at least 1 (got \(tokensPerStep))") }
        self.weights = weights
        config = weights.model.config
        self.tokensPerStep = tokensPerStep
        forward = BatchedForward(weights: weights, compactRows: true)
        splitsDecoding = Parallel.coreCount > 1 && forward.rowsAreIndependentOfTheBatch
            && forward.productWeightCount <= Self.splitDecodingWeightLimit
    }

    /// Sequences that have not finished (prefilling or decoding).
    public var activeCount: Int { sequences.count }
    public var isEmpty: Bool { sequences.isEmpty }
    public var activeIDs: [SequenceID] { sequences.map(\.id) }

    /// Queues a sequence to start at the next step. `prompt` must fit the context (see
    /// `TokenGenerator.fitPrompt`) and hold valid ids; `maxNewTokens` 0 ends it at the next step
    /// with no token. `processor`, if any, adjusts each of its rows before `sampler` draws.
    @discardableResult
    public func add(prompt: [Int], sampler: Sampler, maxNewTokens: Int, stopTokens: Set<Int> = [],
                    processor: (any LogitsProcessor)? = nil) throws -> SequenceID {
        guard !prompt.isEmpty else { throw GPTError.invalidInput("nothing to run: the prompt has no tokens") }
        guard prompt.count <= config.contextLength else {
            throw GPTError.invalidInput("\(prompt.count) tokens exceed the model's context of \(config.contextLength)")
        }
        if let bad = prompt.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw GPTError.invalidInput("token id \(bad) is outside the vocabulary (size \(config.vocabSize))")
        }
        guard maxNewTokens >= 0 else { throw GPTError.invalidInput("max new tokens must be ≥ 0 (got \(maxNewTokens))") }
        let id = SequenceID(rawValue: nextID)
        nextID += 1
        let cache = freeCaches.popLast() ?? KeyValueCache(config: config)
        cache.position = 0
        sequences.append(ActiveSequence(id: id, cache: cache, sampler: sampler, processor: processor, stopTokens: stopTokens,
                                  maxNewTokens: maxNewTokens, pending: prompt, history: Set(prompt)))
        return id
    }

    /// Removes a sequence at once (a client that left, a stop string seen); its cache is reused.
    /// Returns false when it had already finished.
    @discardableResult
    public func cancel(_ id: SequenceID) -> Bool {
        guard let index = sequences.firstIndex(where: { $0.id == id }) else { return false }
        freeCaches.append(sequences.remove(at: index).cache)
        return true
    }

    /// Runs one batched forward and samples the next token of every sequence whose pending
    /// input is complete. Returns an event for each sequence that sampled a token or finished;
    /// a sequence still prefilling a long prompt has none. Finished sequences leave the batch.
    @discardableResult
    public func step() -> [SequenceID: TokenEvent] {
        var events: [SequenceID: TokenEvent] = [:]
        for sequence in sequences where sequence.maxNewTokens == 0 {
            events[sequence.id] = TokenEvent(token: nil, stopReason: .maxNewTokens)
        }
        retire(events.keys)

        // Decoding rows first, then prompt chunks in joining order while the budget lasts.
        var segments: [BatchedForward.Segment] = []
        var scheduled: [(index: Int, count: Int)] = []
        var budget = tokensPerStep - sequences.filter { $0.pending.count - $0.pendingStart == 1 }.count
        for decoding in [true, false] {
            for (index, sequence) in sequences.enumerated() {
                let remaining = sequence.pending.count - sequence.pendingStart
                guard (remaining == 1) == decoding else { continue }
                let count = decoding ? 1 : min(remaining, budget)
                guard count > 0 else { continue }
                if !decoding { budget -= count }
                let tokens = sequence.pending[sequence.pendingStart..<(sequence.pendingStart + count)]
                segments.append(.init(cache: sequence.cache, tokens: tokens, wantsLogits: count == remaining))
                scheduled.append((index, count))
            }
        }
        let onlyDecoding = scheduled.allSatisfy { sequences[$0.index].pending.count - sequences[$0.index].pendingStart == 1 }
        if splitsDecoding, segments.count >= 2, onlyDecoding, SpinPool.workersWelcome {
            return finishDecoding(segments: segments, scheduled: scheduled.map(\.index), events: events)
        }
        forward.run(segments)

        // Each sequence's penalty, top-k and draw read only its own row and sampler, so the rows
        // are sampled concurrently (a sampled row costs about as much as a decoding row's forward).
        var sampling: [(index: Int, logitRow: Int)] = []
        for (index, count) in scheduled {
            sequences[index].pendingStart += count
            guard sequences[index].pendingStart == sequences[index].pending.count else { continue }
            sampling.append((index, sampling.count))
        }
        let forward = forward, rowCost = (weights.head as? ShortlistHead)?.shortlistCount ?? config.vocabSize
        var sampled = [TokenEvent](repeating: TokenEvent(token: nil, stopReason: nil), count: sampling.count)
        sequences.withUnsafeMutableBufferPointer { sequences in
            sampled.withUnsafeMutableBufferPointer { sampled in
                Parallel.forEachChunk(sampling.count, costPerItem: rowCost) { range in
                    for k in range {
                        sampled[k] = sample(&sequences[sampling[k].index], logits: forward.row(sampling[k].logitRow))
                    }
                }
            }
        }
        var finished: [SequenceID] = []
        for ((index, _), event) in zip(sampling, sampled) {
            events[sequences[index].id] = event
            if event.stopReason != nil { finished.append(sequences[index].id) }
        }
        retire(finished)
        return events
    }

    /// A step of decoding rows only, cut into one contiguous part of the sequences per core: each
    /// part runs its forward and samples its rows on one thread (its kernels serial), so the step
    /// costs one hand-off instead of one per product and attention of every block. Rows of a
    /// small model are too cheap to split finer: a ten-row step of the narrator is 0.14–0.3 ms.
    /// The hand-off is the `SpinPool`'s (its workers awake between steps; a Dispatch worker woken
    /// each step often started after the caller had run both parts). When the pool's workers stand
    /// down (a crowded machine) the step is not split, so it keeps the products' own two threads.
    private func finishDecoding(segments: [BatchedForward.Segment], scheduled: [Int],
                                events: [SequenceID: TokenEvent]) -> [SequenceID: TokenEvent] {
        var events = events
        for index in scheduled { sequences[index].pendingStart += 1 }
        let parts = min(partForwards.count, segments.count)
        let forwards = partForwards
        var sampled = [TokenEvent](repeating: TokenEvent(token: nil, stopReason: nil), count: segments.count)
        sequences.withUnsafeMutableBufferPointer { sequences in
            sampled.withUnsafeMutableBufferPointer { sampled in
                SpinPool.forEachRange(segments.count, parts: parts, threads: parts) { part, range in
                    Parallel.serially {
                        forwards[part].run(Array(segments[range]))
                        for (row, k) in range.enumerated() {
                            sampled[k] = sample(&sequences[scheduled[k]], logits: forwards[part].row(row))
                        }
                    }
                }
            }
        }
        var finished: [SequenceID] = []
        for (index, event) in zip(scheduled, sampled) {
            events[sequences[index].id] = event
            if event.stopReason != nil { finished.append(sequences[index].id) }
        }
        retire(finished)
        return events
    }

    /// Steps until every sequence has finished, collecting each one's tokens and why it ended.
    public func runToCompletion() -> [SequenceID: (tokens: [Int], stopReason: StopReason)] {
        var tokens: [SequenceID: [Int]] = [:]
        var results: [SequenceID: (tokens: [Int], stopReason: StopReason)] = [:]
        while !isEmpty {
            for (id, event) in step() {
                if let token = event.token { tokens[id, default: []].append(token) }
                if let reason = event.stopReason { results[id] = (tokens[id] ?? [], reason) }
            }
        }
        return results
    }

    /// `TokenGenerator.generate`'s rules for one sampled token.
    private func sample(_ sequence: inout ActiveSequence, logits: LogitRow) -> TokenEvent {
        sequence.processor?.process(logits)
        let token = sequence.sampler.next(logits, history: sequence.history)
        sequence.processor?.accept(token)
        if sequence.stopTokens.contains(token) { return TokenEvent(token: nil, stopReason: .stopToken) }
        sequence.produced += 1
        sequence.history.insert(token)
        if sequence.produced >= sequence.maxNewTokens { return TokenEvent(token: token, stopReason: .maxNewTokens) }
        if sequence.cache.position >= config.contextLength { return TokenEvent(token: token, stopReason: .contextFull) }
        sequence.pending = [token]
        sequence.pendingStart = 0
        return TokenEvent(token: token, stopReason: nil)
    }

    private func retire<IDs: Sequence<SequenceID>>(_ ids: IDs) {
        for id in ids { cancel(id) }
    }
}
