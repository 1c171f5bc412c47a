import Dispatch
import Foundation
import Tensor

/// Encodes a stream of text on all cores, handing the ids to `write` in order. Text arrives in
/// pieces of any size; it is cut into chunks of about `chunkBytes` at points where the pre-tokeniser
/// has a boundary whatever the context (`PreTokenizer.isSafeSplit`) and, with `allowSpecial`, never
/// inside `<|endoftext|>`, so the ids equal those of encoding each document whole. Chunks are
/// encoded a batch at a time and written in arrival order.
final class ParallelTextEncoder {
    private let tokenizer: GPT2Tokenizer
    private let write: ([Int]) throws -> Void
    private let allowSpecial: Bool
    private let marker = GPT2Tokenizer.endOfTextBytes
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
    /// The input's name for errors.
    var sourceName = "the input"

    /// The longest run of text without a safe split point that is accepted: real text splits at
    /// every word; a run this long is binary data (`/dev/zero` is one endless pre-token), which
    /// would otherwise be buffered without end.
    static let maximumUnsplitBytes = 16 << 20

    init(tokenizer: GPT2Tokenizer, allowSpecial: Bool = false, chunkBytes: Int = 1 << 20, write: @escaping ([Int]) throws -> Void) {
        self.tokenizer = tokenizer
        self.allowSpecial = allowSpecial
        self.write = write
        self.chunkBytes = max(64, chunkBytes)
        workerCount = Parallel.coreCount
        sessions = (0..<workerCount).map { _ in tokenizer.makeSession() }
    }

    /// Adds valid UTF-8 text to the current document (a scalar may straddle two calls).
    func append(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        pending.append(contentsOf: bytes)
        var start = 0
        while pending.count - start > chunkBytes, let cut = splitPoint(from: start) {
            enqueue(Array(pending[start..<cut]), endOfText: false)
            start = cut
        }
        pending.removeFirst(start)
        if pending.count > Self.maximumUnsplitBytes {
            throw TokenizerError("\(sourceName): more than \(Self.maximumUnsplitBytes >> 20) MB of text with no place to split it into pieces (one pre-token); binary data such as /dev/zero?")
        }
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
            // (and, with special tokens, to see a whole marker around it).
            let end = buffer.count - (allowSpecial ? marker.count : 4)
            let target = start + chunkBytes
            guard target < end else { return nil }
            func canCut(_ position: Int) -> Bool {
                pieces.isSafeSplit(text, position, buffer.count) && !(allowSpecial && insideMarker(text, position))
            }
            var position = target
            while position > start + chunkBytes / 2 {
                if canCut(position) { return position }
                position -= 1
            }
            position = target + 1
            while position < end {
                if canCut(position) { return position }
                position += 1
            }
            return nil
        }
    }

    /// True when `position` falls strictly inside an occurrence of `<|endoftext|>`.
    private func insideMarker(_ text: UnsafePointer<UInt8>, _ position: Int) -> Bool {
        for back in 1..<marker.count where position - back >= 0 {
            if memcmp(text + position - back, marker, marker.count) == 0 { return true }
        }
        return false
    }

    private func encodeQueue() throws {
        guard !queue.isEmpty else { return }
        var results = [[Int]](repeating: [], count: queue.count)
        let chunks = queue
        let tokenizer = self.tokenizer
        let allowSpecial = self.allowSpecial
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
                            tokenizer.encode(utf8: $0, allowSpecial: allowSpecial, session: &sessions[worker], into: &ids)
                        }
                        if chunks[i].endOfText { ids.append(GPT2Tokenizer.endOfText) }
                        results[i] = ids
                    }
                }
            }
        }
        queue.removeAll(keepingCapacity: true)
        queuedBytes = 0
        for ids in results { try write(ids) }
    }
}
