import CKernels

/// A weight matrix in 4 bits per weight with a binary16 scale (and, asymmetric, a minimum) per
/// group of input features: what `--bits 4` turns every projection and the tied embedding /
/// LM head into.
///
/// Storage is by output channel: codes q ∈ 0…15 packed two per byte, 64 columns to 32 bytes
/// (column 64p + j in the low nibble of byte j of pair p, 64p + 32 + j in its high nibble, see
/// CKernels.h), `packed[rows, ⌈in / 64⌉ · 32]`, and
/// `scales[rows, ⌈in / groupSize⌉]`, `minimums` likewise. Symmetric (ggml's Q4_0 shape):
/// weight = scale · (q − 8); asymmetric (Q4_1's): weight = scale · q + minimum. A last group
/// shorter than `groupSize` is quantized from the elements it has; its pair is padded. The
/// pairing (rather than ggml's 16 bytes per block of 32) lets one 32-byte load, a mask and a
/// shift unpack 64 codes: half the unpacking instructions of ggml's order.
///
/// Products quantize the activations to int8 per block of 32 (max|x| / 127) and take each
/// block's Σ q · xq in integer arithmetic (AVX2 `maddubs`: 32 multiply-adds per instruction;
/// for several input rows AVX-512 VNNI's `vpdpbusd` where the CPU has it, on a copy repacked at
/// load in tiles of sixteen output rows, `Q4VNNITiles`), the offset term through the group's exact Σ x:
/// unpacking to floats would cost a conversion per weight, which is what keeps ggml's 4-bit
/// decode no faster than its 8-bit one on two cores.
public struct Q4Matrix: QuantizedWeight {
    /// Groups of 32 (ggml's block): at 64 a 4-bit code has half the resolution per scale it
    /// needs on trained GPT-2 weights (see the README's table), and the binary16 scales cost
    /// only 0.5 bit per weight at 32.
    public static let defaultGroupSize = 32

    public let rows: Int
    public let columns: Int
    public let groupSize: Int
    public let layout: QuantizedMatrix.Layout
    public let scheme: QuantizationFormat.Scheme
    private let storage: QuantizedBytes
    /// The copy the multi-row VNNI kernel reads, where the CPU has it.
    private let vnniTiles: Q4VNNITiles?

    public var groupsPerRow: Int { (columns + groupSize - 1) / groupSize }
    public var packedBytesPerRow: Int { finch_q4_row_bytes(columns) }
    public var format: QuantizationFormat {
        // Validated when the matrix was made: group size a positive multiple of 32.
        try! QuantizationFormat(bits: 4, scheme: scheme, groupSize: groupSize)
    }
    public var byteCount: Int { rows * packedBytesPerRow + rows * groupsPerRow * 2 * (scheme == .asymmetric ? 2 : 1) }

    private var packed: UnsafePointer<UInt8> { storage.parts[0].assumingMemoryBound(to: UInt8.self) }
    private var scales: UnsafePointer<UInt16> { storage.parts[1].assumingMemoryBound(to: UInt16.self) }
    private var minimums: UnsafePointer<UInt16>? {
        scheme == .asymmetric ? storage.parts[2].assumingMemoryBound(to: UInt16.self) : nil
    }

    public var storedBytes: [UnsafeRawBufferPointer] {
        let halves = rows * groupsPerRow * 2
        return [UnsafeRawBufferPointer(start: storage.parts[0], count: rows * packedBytesPerRow),
                UnsafeRawBufferPointer(start: storage.parts[1], count: halves)]
            + (scheme == .asymmetric ? [UnsafeRawBufferPointer(start: storage.parts[2], count: halves)] : [])
    }

    /// Quantizes a float weight of `inFeatures` × `outFeatures` stored in `layout`. With
    /// `searchScale` each group's scale (and minimum) minimises the group's squared error;
    /// without, it spans the group's range. Throws on a bad size or group size, or a non-finite weight.
    public init(
        quantizing weight: UnsafePointer<Float>, inFeatures: Int, outFeatures: Int, layout: QuantizedMatrix.Layout,
        scheme: QuantizationFormat.Scheme = .symmetric, groupSize: Int = Q4Matrix.defaultGroupSize,
        searchScale: Bool = true
    ) throws {
        try Self.validate(rows: outFeatures, columns: inFeatures, groupSize: groupSize)
        let groups = (inFeatures + groupSize - 1) / groupSize
        let rowBytes = finch_q4_row_bytes(inFeatures)
        let halves = outFeatures * groups * 2
        let storage = QuantizedBytes(owning: [outFeatures * rowBytes, halves] + (scheme == .asymmetric ? [halves] : []))
        let (rowStride, columnStride) = layout == .conv1D ? (1, outFeatures) : (inFeatures, 1)
        let packed = UnsafeMutableRawPointer(mutating: storage.parts[0]).assumingMemoryBound(to: UInt8.self)
        let scales = UnsafeMutableRawPointer(mutating: storage.parts[1]).assumingMemoryBound(to: UInt16.self)
        let minimums = scheme == .asymmetric
            ? UnsafeMutableRawPointer(mutating: storage.parts[2]).assumingMemoryBound(to: UInt16.self) : nil
        let withMinimum: Int32 = scheme == .asymmetric ? 1 : 0
        try quantizeRowChunks(rows: outFeatures, columns: inFeatures, costPerRow: inFeatures * (searchScale ? 40 : 2)) { range in
            finch_q4_quantize(
                weight + range.lowerBound * rowStride, rowStride, columnStride, range.count, inFeatures, groupSize,
                withMinimum, searchScale ? 1 : 0, packed + range.lowerBound * rowBytes,
                scales + range.lowerBound * groups, minimums.map { $0 + range.lowerBound * groups })
        }
        self.rows = outFeatures
        self.columns = inFeatures
        self.groupSize = groupSize
        self.layout = layout
        self.scheme = scheme
        self.storage = storage
        vnniTiles = Self.repackedTiles(storage, rows: rows, columns: columns, groupSize: groupSize)
    }

    /// Rebuilds a matrix from saved bytes — `packed` codes, binary16 `scales` (and `minimums`,
    /// asymmetric), little-endian — used in place while `owner` keeps them alive, copied without
    /// one. Throws when a byte count does not match the shape or a scale (minimum) is not finite.
    public init(
        rows: Int, columns: Int, groupSize: Int, layout: QuantizedMatrix.Layout, scheme: QuantizationFormat.Scheme,
        packed: UnsafeRawBufferPointer, scales: UnsafeRawBufferPointer, minimums: UnsafeRawBufferPointer?,
        owner: (any AnyObject & Sendable)? = nil
    ) throws {
        try Self.validate(rows: rows, columns: columns, groupSize: groupSize)
        let groups = (columns + groupSize - 1) / groupSize
        let packedBytes = rows * finch_q4_row_bytes(columns), halfBytes = rows * groups * 2
        guard packed.count == packedBytes else {
            throw QuantizationError("4-bit weight of \(rows)×\(columns) needs \(packedBytes) packed bytes (\(finch_q4_row_bytes(columns)) a row), got \(packed.count)")
        }
        guard scales.count == halfBytes else {
            throw QuantizationError("scales of \(rows)×\(groups) (group size \(groupSize)) need \(halfBytes) bytes, got \(scales.count)")
        }
        guard (scheme == .asymmetric) == (minimums != nil) else {
            throw QuantizationError("a \(scheme.rawValue) 4-bit weight \(scheme == .asymmetric ? "needs" : "has no") minimums")
        }
        if let minimums, minimums.count != halfBytes {
            throw QuantizationError("minimums of \(rows)×\(groups) (group size \(groupSize)) need \(halfBytes) bytes, got \(minimums.count)")
        }
        let sources = [(packed, 1), (scales, 2)] + (minimums.map { [($0, 2)] } ?? [])
        let storage = QuantizedBytes(borrowing: sources, owner: owner)
        // A symmetric scale may be negative: it maps the group's largest-magnitude weight to −8.
        for (part, what) in zip(storage.parts.dropFirst(), ["scale", "minimum"]) {
            let halves = part.assumingMemoryBound(to: UInt16.self)
            for index in 0..<(rows * groups) where !finch_float_from_half(halves[index]).isFinite {
                throw QuantizationError("\(what) \(index) of a \(rows)×\(columns) 4-bit weight is \(finch_float_from_half(halves[index])); \(what)s must be finite")
            }
        }
        self.rows = rows
        self.columns = columns
        self.groupSize = groupSize
        self.layout = layout
        self.scheme = scheme
        self.storage = storage
        vnniTiles = Self.repackedTiles(storage, rows: rows, columns: columns, groupSize: groupSize)
    }

    private static func repackedTiles(_ storage: QuantizedBytes, rows: Int, columns: Int, groupSize: Int) -> Q4VNNITiles? {
        Q4VNNITiles.repacking(
            packed: storage.parts[0].assumingMemoryBound(to: UInt8.self), scales: storage.parts[1].assumingMemoryBound(to: UInt16.self),
            minimums: storage.parts.count > 2 ? storage.parts[2].assumingMemoryBound(to: UInt16.self) : nil,
            rows: rows, columns: columns, groupSize: groupSize)
    }

    private static func validate(rows: Int, columns: Int, groupSize: Int) throws {
        guard rows > 0, columns > 0 else {
            throw QuantizationError("cannot quantize a weight with \(columns) inputs and \(rows) outputs; both must be ≥ 1")
        }
        guard groupSize > 0, groupSize % 32 == 0 else {
            throw QuantizationError("a 4-bit group size must be a multiple of 32, got \(groupSize)")
        }
    }
}

// MARK: Products

extension Q4Matrix {
    /// The kernels for several input rows: what this CPU runs, the fastest first.
    public enum MultiRowKernel: Sendable, CaseIterable {
        /// AVX-512 VNNI: tiles of sixteen output rows repacked at load into the order the kernel
        /// reads them (`Q4VNNITiles`), `vpdpbusd` (Q4VNNIKernels.h). Prefill faster than int8's.
        case vnni
        /// AVX2 `maddubs` (the scalar loop where the build has no AVX2): each pair of blocks
        /// unpacked once for four input rows.
        case avx2OrScalar

        public static let available: [MultiRowKernel] = finch_q4_vnni_available() != 0 ? [.vnni, .avx2OrScalar] : [.avx2OrScalar]
    }

    /// y[n, out] = x[n, in] · W (+ bias): one row is decoding (the vector kernel, four weight
    /// rows per pass), more are prefill, perplexity and batched decoding, on the fastest
    /// multi-row kernel this CPU runs. The result does not depend on `threads`.
    public func multiply(
        rows n: Int, input x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Float>? = nil, threads: Int? = nil
    ) {
        multiply(rows: n, input: x, into: y, bias: bias, threads: threads, kernel: MultiRowKernel.available[0])
    }

    /// The product with the multi-row `kernel` chosen (for tests and measurements). The
    /// activations are quantized once: by the calling thread for one row, by every thread of a
    /// multi-row product together, each taking chunks of rows before its share of the outputs (on
    /// the caller alone this was a tenth of a 64-token prefill's CPU time, with the other core idle).
    public func multiply(
        rows n: Int, input x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Float>?, threads: Int?, kernel: MultiRowKernel
    ) {
        guard n > 0 else { return }
        let blocks = (columns + 31) / 32, groups = groupsPerRow
        let (packed, scales, minimums) = (self.packed, self.scales, self.minimums)
        let (columns, groupSize, outputs) = (self.columns, self.groupSize, rows)
        let codeBytes = n * finch_q4_input_stride(columns), floatCount = n * (blocks + groups)
        // The two counters of the shared quantizing, then the activations.
        withUnsafeTemporaryAllocation(byteCount: 64 + codeBytes + floatCount * 4, alignment: 64) { scratch in
            guard let base = scratch.baseAddress else { return }
            let counters = base.bindMemory(to: Int.self, capacity: 2)
            counters.initialize(repeating: 0, count: 2)
            let xq = (base + 64).bindMemory(to: Int8.self, capacity: codeBytes)
            let xScales = (base + 64 + codeBytes).bindMemory(to: Float.self, capacity: floatCount)
            let groupSums = xScales + n * blocks
            guard n > 1 else {
                finch_q4_prepare_input(x, n, columns, groupSize, xq, xScales, groupSums)
                forEachDecodingRowRange(threads: threads) { range in
                    finch_q4_gemv(packed, scales, minimums, columns, groupSize, xq, xScales, groupSums, bias, y,
                                  range.lowerBound, range.upperBound)
                }
                return
            }
            // Chunks of a quarter of a thread's share of the rows, so a late thread's chunks are taken over.
            let rowsPerChunk = max(1, n / (4 * Parallel.coreCount))
            let prepareInput = {
                finch_q4_prepare_input_shared(x, n, columns, groupSize, xq, xScales, groupSums, rowsPerChunk,
                                              counters, counters + 1)
            }
            if kernel == .vnni, let tiles = vnniTiles {
                let scratchBytes = finch_q4_vnni_scratch_bytes(columns, groupSize, n)
                forEachTileRange(tiles, inputRows: n, threads: threads) { range in
                    prepareInput()
                    withUnsafeTemporaryAllocation(byteCount: scratchBytes, alignment: 64) { scratch in
                        finch_q4_gemm_vnni(tiles.codes, tiles.scales, tiles.minimums, outputs, columns, groupSize, xq, xScales,
                                           groupSums, n, bias, y, outputs, range.lowerBound, range.upperBound, scratch.baseAddress)
                    }
                }
                return
            }
            forEachQuantizedRowRange(rows: outputs, byteCount: byteCount, inputRows: n, threads: threads) { range in
                prepareInput()
                finch_q4_gemm(packed, scales, minimums, columns, groupSize, xq, xScales, groupSums, n, bias, y,
                              outputs, range.lowerBound, range.upperBound)
            }
        }
    }

    /// Tile ranges of a multi-row VNNI product, one a thread: over the `SpinPool` while its workers
    /// are welcome, else through Dispatch. The pool's workers are often still spinning from the last
    /// decoding step or product, and a Dispatch loop then had to wait for a core they held: a
    /// 64-token slm60m prefill took 15.1–16.0 ms through Dispatch, 14.2 through the pool (int8
    /// 14.9–15.4, same run). One part a thread measured 1–3% faster than two and four (each part
    /// converts its tiles' scales and the group sums again, and prefetches only within itself); a
    /// late worker's part is still taken over by the caller if the worker has not claimed it.
    private func forEachTileRange(_ tiles: Q4VNNITiles, inputRows n: Int, threads: Int?, _ body: (Range<Int>) -> Void) {
        let automatic = tiles.byteCount * n >= QuantizedMatrix.parallelMinimumBytes ? Parallel.coreCount : 1
        let threadCount = max(1, min(threads ?? automatic, tiles.count))
        guard threadCount > 1, SpinPool.workersWelcome else {
            // The helper's "rows" are tiles here.
            return forEachQuantizedRowRange(rows: tiles.count, byteCount: tiles.byteCount, inputRows: n, threads: threads, body)
        }
        SpinPool.forEachRange(tiles.count, parts: threadCount, threads: threadCount) { body($1) }
    }

    /// Output-row ranges of a batch-1 product over the `SpinPool`: every projection of a
    /// decoding step is split (through Dispatch only those over `parallelMinimumBytes` were,
    /// leaving slm60m's attention projections on one core), in parts of whole blocks of four
    /// rows — at least four a thread and at most 128 KB each, so the caller never waits long for
    /// a worker's last part.
    private func forEachDecodingRowRange(threads: Int?, _ body: (Range<Int>) -> Void) {
        let quads = (rows + 3) / 4
        let threadCount = min(threads ?? (byteCount >= Self.decodingParallelMinimumBytes ? Parallel.coreCount : 1), quads)
        guard threadCount > 1 else { return body(0..<rows) }
        let parts = min(quads, max(4 * threadCount, byteCount / (128 * 1024)))
        SpinPool.forEachRange(quads, parts: parts, threads: threadCount) { _, range in
            body(range.lowerBound * 4..<min(rows, range.upperBound * 4))
        }
    }

    /// Below this a batch-1 product stays on the calling thread: a part of a smaller matrix
    /// takes about as long as handing it over.
    public static let decodingParallelMinimumBytes = 32 * 1024

    /// y[out] = W · x (+ bias): one row, the decoding case.
    public func multiply(vector x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                         bias: UnsafePointer<Float>? = nil, threads: Int? = nil) {
        multiply(rows: 1, input: x, into: y, bias: bias, threads: threads)
    }

    /// Row r as floats: for a `.rowsAreOutputs` embedding table the embedding of token r.
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) out of 0..<\(rows)")
        finch_q4_dequantize(packed, scales, minimums, columns, groupSize, r, r + 1, out, columns, 1)
    }

    /// The whole weight as floats in its original layout: [in, out] for `.conv1D`, [out, in]
    /// for `.rowsAreOutputs`.
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            if let out = buffer.baseAddress {
                let (rowStride, columnStride) = layout == .conv1D ? (1, rows) : (columns, 1)
                finch_q4_dequantize(packed, scales, minimums, columns, groupSize, 0, rows, out, rowStride, columnStride)
            }
            initialized = rows * columns
        }
    }
}
