/// The bytes of a quantized matrix (codes, scales, minimums): allocated here, or borrowed from
/// memory `owner` keeps valid (a memory-mapped `SafeTensorsFile`).
final class QuantizedBytes: @unchecked Sendable {
    /// One base address per part, in the order given.
    let parts: [UnsafeRawPointer]
    private let allocations: [UnsafeMutableRawPointer]
    private let owner: AnyObject?

    /// Uninitialized room for parts of the given byte counts, each 64-byte aligned.
    init(owning byteCounts: [Int]) {
        let allocations = byteCounts.map(Self.allocate)
        self.allocations = allocations
        parts = allocations.map { UnsafeRawPointer($0) }
        owner = nil
    }

    /// Borrows each part when there is an owner and the part is aligned for its element type
    /// (safetensors does not promise alignment after an odd-sized tensor); copies the rest.
    init(borrowing sources: [(bytes: UnsafeRawBufferPointer, alignment: Int)], owner: AnyObject?) {
        var allocations = [UnsafeMutableRawPointer]()
        parts = sources.map { bytes, alignment in
            if owner != nil, let base = bytes.baseAddress, Int(bitPattern: base) % alignment == 0 { return base }
            let copy = Self.allocate(bytes.count)
            if let base = bytes.baseAddress { copy.copyMemory(from: base, byteCount: bytes.count) }
            allocations.append(copy)
            return UnsafeRawPointer(copy)
        }
        self.allocations = allocations
        self.owner = owner
    }

    private static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, byteCount), alignment: 64)
    }

    deinit { for allocation in allocations { allocation.deallocate() } }
}

/// Calls `body` on output-row ranges covering 0..<rows, one per thread: one thread when the
/// product reads fewer than `QuantizedMatrix.parallelMinimumBytes` (bytes × input rows), every
/// core otherwise, or `threads` when given. Ranges are whole blocks of four rows, the vector
/// kernels' unit, so every thread runs the fast path.
func forEachQuantizedRowRange(rows: Int, byteCount: Int, inputRows: Int, threads: Int?, _ body: (Range<Int>) -> Void) {
    let blocks = (rows + 3) / 4
    let automatic = byteCount * inputRows >= QuantizedMatrix.parallelMinimumBytes ? Parallel.coreCount : 1
    let threadCount = max(1, min(threads ?? automatic, blocks))
    guard threadCount > 1 else {
        body(0..<rows)
        return
    }
    let rowsPerThread = (blocks + threadCount - 1) / threadCount * 4
    Parallel.run(threadCount) { thread in
        let begin = min(rows, thread * rowsPerThread)
        let end = min(rows, begin + rowsPerThread)
        if begin < end { body(begin..<end) }
    }
}

/// Quantizes the rows of a `columns` × `rows` weight in contiguous chunks over the cores:
/// `quantize(range)` fills those output rows and returns the non-finite weights it met, or −1
/// when it ran out of memory. Throws naming the weight's shape unless every chunk succeeded.
func quantizeRowChunks(rows: Int, columns: Int, costPerRow: Int, _ quantize: (Range<Int>) -> Int) throws {
    let results = UnsafeMutablePointer<Int>.allocate(capacity: Parallel.coreCount)
    defer { results.deallocate() }
    results.initialize(repeating: 0, count: Parallel.coreCount)
    Parallel.forEachChunkIndexed(rows, costPerItem: costPerRow) { chunk, range in results[chunk] = quantize(range) }
    let counts = (0..<Parallel.coreCount).map { results[$0] }
    guard !counts.contains(-1) else { throw QuantizationError("out of memory quantizing a \(columns)×\(rows) weight") }
    let nonFinite = counts.reduce(0, +)
    guard nonFinite == 0 else {
        throw QuantizationError("cannot quantize a \(columns)×\(rows) weight with \(nonFinite) non-finite values")
    }
}
