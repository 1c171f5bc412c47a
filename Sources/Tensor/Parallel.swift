import Dispatch
import Foundation
import Synchronization

/// Work splitting for the non-GEMM kernels: large loops are spread over the cores,
/// small ones stay on the calling thread where a dispatch would cost more than it saves.
public enum Parallel {
    /// Number of worker threads the kernels use: the cores of the process's affinity mask
    /// (`ThreadCount.automatic`) until `setThreadCount` changes it.
    public static var coreCount: Int { threadCount.load(ordering: .relaxed) }

    private static let threadCount = Atomic<Int>(ThreadCount.automatic())

    /// Makes Finch's kernels and OpenBLAS use `count` threads. Set it before work starts:
    /// a kernel running meanwhile may size its per-thread buffers with either value.
    public static func setThreadCount(_ count: Int) {
        let count = max(1, count)
        threadCount.store(count, ordering: .relaxed)
        Matmul.setThreads(count)
    }

    /// Below this many scalar operations a loop runs single-threaded.
    public static let minimumWorkPerThread = 32_768

    /// True inside `serially`: the kernels then keep to the calling thread.
    @TaskLocal static var isSerial = false

    /// Runs `body` with every `Parallel` loop on the calling thread: for data-parallel callers that
    /// already keep each core busy with work of its own, where splitting each kernel again would
    /// only add synchronisation.
    public static func serially<Result>(_ body: () throws -> Result) rethrows -> Result {
        try $isSerial.withValue(true, operation: body)
    }

    /// Threads for `work` scalar operations over `count` items.
    private static func chunkCount(items count: Int, work: Int) -> Int {
        isSerial ? 1 : min(coreCount, max(1, work / minimumWorkPerThread), count)
    }

    /// Calls `body(range)` on disjoint chunks covering `0..<count`, in parallel when
    /// `count * costPerItem` is large enough. Chunks are contiguous so each thread streams memory.
    public static func forEachChunk(
        _ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let threads = chunkCount(items: count, work: count * max(1, costPerItem))
        if threads <= 1 {
            body(0..<count)
            return
        }
        let chunk = (count + threads - 1) / threads
        run(threads) { t in
            let start = t * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }

    /// Like `forEachChunk`, but also hands the body its chunk index so it can write
    /// per-thread partial results (e.g. a weight gradient summed over rows) without locks.
    /// Returns the number of chunks used; partial buffers must hold `coreCount` slots.
    @discardableResult
    public static func forEachChunkIndexed(
        _ count: Int, costPerItem: Int = 1, _ body: (Int, Range<Int>) -> Void
    ) -> Int {
        guard count > 0 else { return 0 }
        let threads = chunkCount(items: count, work: count * max(1, costPerItem))
        if threads <= 1 {
            body(0, 0..<count)
            return 1
        }
        let chunk = (count + threads - 1) / threads
        run(threads) { t in
            let start = t * chunk
            let end = min(count, start + chunk)
            if start < end { body(t, start..<end) }
        }
        return threads
    }

    /// Runs `body(worker)` for workers 0..<count at once, each on a thread of its own with its
    /// kernels serial and OpenBLAS single-threaded: data parallelism for work that splits into
    /// independent parts (batches of sentences), with no synchronisation inside each GEMM or pass.
    /// OpenBLAS's thread count is process-wide, so a GEMM another thread runs meanwhile is
    /// single-threaded too; it is restored to `coreCount` on return.
    public static func dataParallel(workers count: Int, _ body: (Int) -> Void) {
        guard count > 1 else { return serially { body(0) } }
        Matmul.setThreads(1)
        defer { Matmul.setThreads(coreCount) }
        run(count) { worker in serially { body(worker) } }
    }

    /// Runs `body(0..<iterations)` concurrently and returns when all are done. The kernels
    /// hand it closures over raw pointers to disjoint memory; Dispatch wants them Sendable,
    /// which the type system cannot see, so the closure crosses in a box.
    /// Inside `serially` they run one after another on the calling thread, so a kernel that splits
    /// its own work (the quantized products) keeps to the thread of a caller that already split.
    static func run(_ iterations: Int, _ body: (Int) -> Void) {
        if isSerial {
            for i in 0..<iterations { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendableBox(escapable)
            DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
        }
    }
}

struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
