import CKernels
import Foundation

/// A weight matrix in symmetric int8 with one float scale per group of input features:
/// what `--int8` turns every linear layer and the tied embedding / LM head into.
///
/// Storage is by output channel, `q[out, in]` (`rows` × `columns`) Int8 in −127…127, with
/// `scales[out, ⌈in / groupSize⌉]` Float: weight(out: r, in: i) = scales[r, i / groupSize] · q[r, i].
/// Quantizing takes scale = max|w| / 127 over each group and q = round(w / scale). When
/// `groupSize` does not divide `in`, the last group of each row is shorter (its scale comes from
/// the elements it has); `groupSize ≥ in` is one scale per output channel.
///
/// Why groups of 64 (`defaultGroupSize`), measured by int8-bench (`bench/int8.sh --section groups`)
/// on a 512→2048 weight and 64 Gaussian input rows: the relative error ‖x·Wq − x·W‖/‖x·W‖ is
/// 0.53% (group 32), 0.59% (64), 0.64% (128), 0.74% (one scale per output channel) for Gaussian
/// weights, and 0.93%, 1.27%, 1.75%, 3.38% when 0.2% of the weights are 20σ outliers: one scale
/// per channel is set by a row's largest weight and rounds the rest to a few levels, a group
/// confines that to 64 weights. The scales cost 1/16 byte per weight at 64 and 1/8 at 32, and
/// the per-group work of the kernel shows at 32: a decode step's matrices cost 7.1, 6.0, 5.8 and
/// 5.6 ms of CPU at 32, 64, 128 and per channel. So 64 keeps most of 32's accuracy for 15% less
/// work (a whole slm60m in int8 is 27% of its float size at 64, 29% at 32; the issue allows 30%).
///
/// Activations stay float: the batch-1 kernel widens int8 weights to float and FMAs them with x
/// (AVX2, four rows per pass, the next rows prefetched). Quantizing x per group as well and using
/// `maddubs` (llama.cpp's q8_0 · q8_0) measured a little faster in cache (25 against 23 GB/s of
/// weights on one core at group 64, 512→1536) but not once the weights stream from memory (a decode
/// step's matrices on one core at group 32, best of 31: 4.6 against 4.1 ms), and it adds the
/// rounding of x: 0.76% instead of 0.51% error on 512→1536 at group 32.
///
/// The quantized bytes and scales are either owned or borrowed from memory another object keeps
/// alive (a memory-mapped checkpoint): see `init(rows:columns:groupSize:layout:quantizedValues:scales:owner:)`.
public struct QuantizedMatrix: Sendable {
    /// How the float weight is laid out.
    public enum Layout: String, Sendable, CaseIterable {
        /// GPT-2's Conv1D `[in, out]`, y = x · W.
        case conv1D
        /// `[out, in]`, y = x · Wᵀ: the token embedding `wte[vocab, C]` used as the LM head.
        case rowsAreOutputs
    }

    /// The group size Finch quantizes with (see the type's documentation for the measurements).
    public static let defaultGroupSize = 64

    /// Output features.
    public let rows: Int
    /// Input features.
    public let columns: Int
    /// Input features sharing one scale.
    public let groupSize: Int
    /// The layout of the float weight this came from; `dequantized()` returns that layout.
    public let layout: Layout
    private let storage: QuantizedBytes
    private var values: UnsafePointer<Int8> { storage.parts[0].assumingMemoryBound(to: Int8.self) }
    private var scalePointer: UnsafePointer<Float> { storage.parts[1].assumingMemoryBound(to: Float.self) }

    public var inFeatures: Int { columns }
    public var outFeatures: Int { rows }
    public var groupsPerRow: Int { (columns + groupSize - 1) / groupSize }

    /// q[out, in], row-major: what a checkpoint stores as an I8 tensor of shape `quantizedShape`.
    public var quantizedValues: UnsafeBufferPointer<Int8> { .init(start: values, count: rows * columns) }
    /// scales[out, groups], row-major: an F32 tensor of shape `scalesShape`.
    public var scales: UnsafeBufferPointer<Float> { .init(start: scalePointer, count: rows * groupsPerRow) }
    public var quantizedShape: [Int] { [rows, columns] }
    public var scalesShape: [Int] { [rows, groupsPerRow] }
    /// Bytes a decode step reads: the int8 values and the scales.
    public var byteCount: Int { rows * columns + rows * groupsPerRow * MemoryLayout<Float>.size }

    /// Quantizes a float weight of `inFeatures` × `outFeatures` stored in `layout`.
    /// Throws on a non-positive size or group size, or a weight that is not finite.
    public init(
        quantizing weight: UnsafePointer<Float>, inFeatures: Int, outFeatures: Int,
        layout: Layout, groupSize: Int = QuantizedMatrix.defaultGroupSize
    ) throws {
        try Self.validate(rows: outFeatures, columns: inFeatures, groupSize: groupSize)
        let groups = (inFeatures + groupSize - 1) / groupSize
        let storage = QuantizedBytes(owning: [outFeatures * inFeatures, outFeatures * groups * MemoryLayout<Float>.size])
        // Element (r, i) — output r, input i — sits at r * rowStride + i * columnStride.
        let (rowStride, columnStride) = layout == .conv1D ? (1, outFeatures) : (inFeatures, 1)
        let values = UnsafeMutableRawPointer(mutating: storage.parts[0]).assumingMemoryBound(to: Int8.self)
        let scales = UnsafeMutableRawPointer(mutating: storage.parts[1]).assumingMemoryBound(to: Float.self)
        try quantizeRowChunks(rows: outFeatures, columns: inFeatures, costPerRow: inFeatures) { range in
            finch_q8_quantize(
                weight + range.lowerBound * rowStride, rowStride, columnStride, range.count, inFeatures, groupSize,
                values + range.lowerBound * inFeatures, scales + range.lowerBound * groups)
        }
        self.rows = outFeatures
        self.columns = inFeatures
        self.groupSize = groupSize
        self.layout = layout
        self.storage = storage
    }

    /// Rebuilds a matrix from saved bytes: `quantizedValues` holds q[rows, columns] Int8 and
    /// `scales` scales[rows, ⌈columns / groupSize⌉] little-endian Float. With an `owner` the
    /// bytes are used in place and `owner` is kept alive for as long as the matrix (a
    /// memory-mapped `SafeTensorsFile`); without one they are copied. Throws when the byte
    /// counts do not match the shape or a scale is negative or not finite (a corrupt file).
    public init(
        rows: Int, columns: Int, groupSize: Int, layout: Layout,
        quantizedValues: UnsafeRawBufferPointer, scales: UnsafeRawBufferPointer,
        owner: (any AnyObject & Sendable)? = nil
    ) throws {
        try Self.validate(rows: rows, columns: columns, groupSize: groupSize)
        let groups = (columns + groupSize - 1) / groupSize
        let scaleBytes = rows * groups * MemoryLayout<Float>.size
        guard quantizedValues.count == rows * columns else {
            throw QuantizationError("int8 weight of \(rows)×\(columns) needs \(rows * columns) bytes, got \(quantizedValues.count)")
        }
        guard scales.count == scaleBytes else {
            throw QuantizationError("scales of \(rows)×\(groups) (group size \(groupSize)) need \(scaleBytes) bytes, got \(scales.count)")
        }
        let storage = QuantizedBytes(borrowing: [(quantizedValues, 1), (scales, MemoryLayout<Float>.alignment)], owner: owner)
        let scalePointer = storage.parts[1].assumingMemoryBound(to: Float.self)
        for index in 0..<(rows * groups) where !(scalePointer[index].isFinite && scalePointer[index] >= 0) {
            throw QuantizationError("scale \(index) of a \(rows)×\(columns) int8 weight is \(scalePointer[index]); scales must be finite and ≥ 0")
        }
        self.rows = rows
        self.columns = columns
        self.groupSize = groupSize
        self.layout = layout
        self.storage = storage
    }

    private static func validate(rows: Int, columns: Int, groupSize: Int) throws {
        guard rows > 0, columns > 0 else {
            throw QuantizationError("cannot quantize a weight with \(columns) inputs and \(rows) outputs; both must be ≥ 1")
        }
        guard groupSize > 0 else { throw QuantizationError("group size must be ≥ 1, got \(groupSize)") }
    }
}

// MARK: Products

extension QuantizedMatrix {
    /// Below this many bytes of weight reads (bytes × input rows) a product stays on the calling
    /// thread: 512 KB is ~25 µs of work for one core, and waking a Dispatch worker for half of it
    /// costs of the order of 10 µs (int8-bench prints the one-thread and automatic timings per shape).
    public static let parallelMinimumBytes = 512 * 1024

    /// y[out] = Σ_in W[in, out] · x[in] (+ bias[out]): one row, the decoding case.
    /// x has `inFeatures` elements, y and bias `outFeatures`. `threads` overrides the automatic
    /// choice (one thread for small matrices, every core for large ones); the result is the
    /// same bit for bit whatever the number of threads.
    public func multiply(
        vector x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Float>? = nil, threads: Int? = nil
    ) {
        let (values, scales) = (self.values, scalePointer)
        let (columns, groupSize) = (self.columns, self.groupSize)
        forEachQuantizedRowRange(rows: rows, byteCount: byteCount, inputRows: 1, threads: threads) { range in
            finch_q8_gemv(values, scales, columns, groupSize, x, bias, y, range.lowerBound, range.upperBound)
        }
    }

    /// y[n, out] = x[n, in] · W (+ bias): prefill and perplexity. One row takes the vector
    /// kernel; more go through a kernel that widens each int8 weight once for four input rows
    /// and keeps a block of weights in cache for all of them, so the weights are read from
    /// memory once whatever n is. At 64 rows one core does 0.7–0.8 of the FLOP/s of OpenBLAS's
    /// sgemm on the float weights (thread CPU time), and a whole slm60m prefill costs about the
    /// same CPU as sgemm's (int8-bench); dequantizing tiles for sgemm instead cost an extra pass
    /// over the weights, and OpenBLAS's threads stall when the cores are oversubscribed.
    /// `threads` as in `multiply(vector:)`, and the result as independent of it.
    public func multiply(
        rows n: Int, input x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Float>? = nil, threads: Int? = nil
    ) {
        guard n > 1 else {
            if n == 1 { multiply(vector: x, into: y, bias: bias, threads: threads) }
            return
        }
        let (values, scales) = (self.values, scalePointer)
        let (columns, groupSize, outputs) = (self.columns, self.groupSize, rows)
        forEachQuantizedRowRange(rows: rows, byteCount: byteCount, inputRows: n, threads: threads) { range in
            finch_q8_gemm(values, scales, columns, groupSize, x, n, bias, y, outputs, range.lowerBound, range.upperBound)
        }
    }

    /// Row r of q·scale, `inFeatures` floats: for a `.rowsAreOutputs` embedding table the
    /// embedding of token r. `r` must be in 0..<outFeatures (token ids are checked where they enter).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) out of 0..<\(rows)")
        finch_q8_dequantize(values, scalePointer, columns, groupSize, r, r + 1, out, columns, 1)
    }

    /// The whole weight as floats in its original layout: [in, out] for `.conv1D`, [out, in]
    /// for `.rowsAreOutputs`.
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            if let out = buffer.baseAddress {
                let (rowStride, columnStride) = layout == .conv1D ? (1, rows) : (columns, 1)
                finch_q8_dequantize(values, scalePointer, columns, groupSize, 0, rows,
                                    out, rowStride, columnStride)
            }
            initialized = rows * columns
        }
    }
}

/// A weight that cannot be quantized, or saved int8 bytes that do not form a matrix.
public struct QuantizationError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
