import Dispatch
import Foundation

/// Encodes a stream of text on all cores into one token file, in order. Text arrives in pieces of
/// any size; it is cut into chunks of about `chunkBytes` at points where the pre-tokeniser has a
/// boundary whatever the context (`PreTokenizer.isSafeSplit`), so the ids equal those of encoding
/// each document whole. Chunks are encoded a batch at a time and written in arrival order.
final class ParallelTextEncoder {
    private let tokenizer: GPT2Tokenizer
    private let writer: TokenFileWriter
    private let chunkBytes: Int
    private let workerCount: Int
    private let pieces = PreTokenizer()
    /// One encoding session per worker, kept across batches so word caches stay warm.
    private var sessions: [EncodingSession]
    /// Text of the current document not yet cut into a chunk.
    private var pending: [UInt8] = []
    /// Chunks waiting for the next batch; `endOfText` appends 50256 after the chunk's ids.
    private var queue: [(bytes: [UInt8], endOfText: Bool)] = []
    private var queuedBytes = 0

    init(tokenizer: GPT2Tokenizer, writer: TokenFileWriter, chunkBytes: Int = 1 << 20) {
        self.tokenizer = tokenizer
        self.writer = writer
        self.chunkBytes = max(64, chunkBytes)
        workerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
        sessions = (0..<workerCount).map { _ in tokenizer.makeSession() }
    }

    var tokenCount: Int { writer.tokenCount }

    /// Adds valid UTF-8 text to the current document (a scalar may straddle two calls).
    func append(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        pending.append(contentsOf: bytes)
        var start = 0
        while pending.count - start > chunkBytes, let cut = splitPoint(from: start) {
            enqueue(Array(pending[start..<cut]), endOfText: false)
            start = cut
        }
        pending.removeFirst(start)
        if queuedBytes >= workerCount * chunkBytes * 2 { try encodeQueue() }
    }

    /// The current document ends here; with `separator`, `<|endoftext|>` follows it.
    func endDocument(separator: Bool) throws {
        if !pending.isEmpty || separator { enqueue(pending, endOfText: separator) }
        pending.removeAll(keepingCapacity: true)
        if queuedBytes >= workerCount * chunkBytes * 2 || queue.count >= 4096 { try encodeQueue() }
    }

    /// Encodes and writes everything queued (the current document must have ended).
    func finish() throws {
        try encodeQueue()
    }

    private func enqueue(_ bytes: [UInt8], endOfText: Bool) {
        queue.append((bytes, endOfText))
        queuedBytes += bytes.count
    }

    /// A safe split near `start + chunkBytes`: the last one in the second half of the chunk,
    /// else the first one after it; nil if the pending text has none yet.
    private func splitPoint(from start: Int) -> Int? {
        pending.withUnsafeBufferPointer { buffer -> Int? in
            let text = buffer.baseAddress!
            // Leave room for a whole scalar at the split so the class test never reads past the end.
            let end = buffer.count - 4
            let target = start + chunkBytes
            guard target < end else { return nil }
            var position = target
            while position > start + chunkBytes / 2 {
                if pieces.isSafeSplit(text, position, buffer.count) { return position }
                position -= 1
            }
            position = target + 1
            while position < end {
                if pieces.isSafeSplit(text, position, buffer.count) { return position }
                position += 1
            }
            return nil
        }
    }

    private func encodeQueue() throws {
        guard !queue.isEmpty else { return }
        var results = [[Int]](repeating: [], count: queue.count)
        let chunks = queue
        let tokenizer = self.tokenizer
        let nextChunk = WorkCounter()
        let workers = min(workerCount, chunks.count)
        sessions.withUnsafeMutableBufferPointer { sessionBuffer in
            results.withUnsafeMutableBufferPointer { resultBuffer in
                let shared = UncheckedSendable((sessionBuffer, resultBuffer))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let (sessions, results) = shared.value
                    while true {
                        let i = nextChunk.take()
                        guard i < chunks.count else { break }
                        var ids: [Int] = []
                        ids.reserveCapacity(chunks[i].bytes.count / 3)
                        chunks[i].bytes.withUnsafeBufferPointer {
                            tokenizer.encode(utf8: $0, allowSpecial: false, session: &sessions[worker], into: &ids)
                        }
                        if chunks[i].endOfText { ids.append(GPT2Tokenizer.endOfText) }
                        results[i] = ids
                    }
                }
            }
        }
        queue.removeAll(keepingCapacity: true)
        queuedBytes = 0
        for ids in results { try writer.write(ids) }
    }
}
