import Foundation
import GPT
import Narrative

/// Generates the shop's narratives with continuous batching across customers: every page's
/// items, from every request, join one `BatchedGenerator` per voice at its next step, so eight
/// customers' pages share each batched forward instead of queueing page after page. Each voice
/// runs on a thread of its own (the forwards are long and CPU-bound); a narrative's tokens are
/// handed back when its sequence stops.
public final class NarrationScheduler: @unchecked Sendable {
    public let narrator: Narrator
    /// Most sequences in one voice's batch; the rest wait for the next free row.
    public let capacity: Int

    private let lock = NSLock()
    private var lanes: [String: VoiceLane] = [:]

    public init(narrator: Narrator, capacity: Int = 64) {
        precondition(capacity >= 1, "capacity must be at least 1")
        self.narrator = narrator
        self.capacity = capacity
    }

    /// The tokens the narrator writes after `prompt` for this customer's item, sampled with the
    /// narrator's per-item seed (a page is reproducible) in `voice` (nil: the base narrator),
    /// under `constraint` (the sheet's `Narrator.constraint(for:)`) if any.
    public func generate(prompt: [Int], customer: Int, stockCode: String, seed: UInt64, voice: String?,
                         constraint: (any LogitsProcessor)? = nil) async throws -> [Int] {
        let lane = try lane(voice: voice)
        return try await withCheckedThrowingContinuation { continuation in
            lane.submit(VoiceLane.Job(prompt: prompt, customer: customer, stockCode: stockCode, seed: seed, constraint: constraint,
                                      continuation: continuation))
        }
    }

    /// Ends every voice's thread once its current sequences are done; queued jobs fail.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        for lane in lanes.values { lane.shutdown() }
    }

    private func lane(voice: String?) throws -> VoiceLane {
        let weights = try narrator.model.weights(voice: voice)
        lock.lock()
        defer { lock.unlock() }
        if let lane = lanes[voice ?? ""] { return lane }
        let lane = try VoiceLane(narrator: narrator, generator: BatchedGenerator(weights: weights), capacity: capacity)
        lanes[voice ?? ""] = lane
        return lane
    }
}

/// One voice's batch: a queue shared with the request tasks (under `condition`) and the
/// generation loop on its own thread.
private final class VoiceLane: @unchecked Sendable {
    struct Job {
        let prompt: [Int]
        let customer: Int
        let stockCode: String
        let seed: UInt64
        let constraint: (any LogitsProcessor)?
        let continuation: CheckedContinuation<[Int], any Error>
    }

    private let narrator: Narrator
    private let generator: BatchedGenerator
    private let capacity: Int
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var isStopping = false

    init(narrator: Narrator, generator: BatchedGenerator, capacity: Int) {
        self.narrator = narrator
        self.generator = generator
        self.capacity = capacity
        let thread = Thread { [self] in run() }
        thread.name = "finch-narration"
        thread.start()
    }

    func submit(_ job: Job) {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopping else {
            job.continuation.resume(throwing: NarrativeError("the server is shutting down"))
            return
        }
        waiting.append(job)
        condition.signal()
    }

    func shutdown() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var running: [SequenceID: (job: Job, tokens: [Int])] = [:]
        while true {
            condition.lock()
            while waiting.isEmpty, running.isEmpty, !isStopping { condition.wait() }
            if isStopping {
                for job in waiting { job.continuation.resume(throwing: NarrativeError("the server is shutting down")) }
                waiting.removeAll()
            }
            let admitted = Array(waiting.prefix(max(0, capacity - running.count)))
            waiting.removeFirst(admitted.count)
            let stopping = isStopping
            condition.unlock()
            if stopping, running.isEmpty { return }
            for job in admitted {
                do {
                    let sampler = try narrator.sampler(customer: job.customer, stockCode: job.stockCode, seed: job.seed)
                    let id = try generator.add(prompt: job.prompt, sampler: sampler, maxNewTokens: narrator.maxNewTokens,
                                               stopTokens: narrator.stopTokens, processor: job.constraint)
                    running[id] = (job, [])
                } catch {
                    job.continuation.resume(throwing: error)
                }
            }
            guard !generator.isEmpty else { continue }
            // One batched forward for every narrative being written, whoever asked for it.
            for (id, event) in generator.step() {
                if let token = event.token { running[id]?.tokens.append(token) }
                guard event.stopReason != nil, let finished = running.removeValue(forKey: id) else { continue }
                finished.job.continuation.resume(returning: finished.tokens)
            }
        }
    }
}
