import CKernels

/// An int8 `QuantizedMatrix` repacked for products with int8 activations (W8A8, llama.cpp's
/// q8_0 · q8_0 on AVX-512 VNNI): each input row is quantized per weight group (scale max|x| / 127),
/// the products are exact int32 sums from `vpdpbusd`, and each group is scaled into float once.
///
/// Why: a batched decoding step (ten sequences) is compute-bound on the float-activation kernel,
/// which widens every weight to float and spends one FMA per weight and row; slm60m's 57 M
/// weights × 10 rows then cost ~24 ms of CPU against 3–4 ms for one row. `vpdpbusd` does 32
/// multiply-adds per instruction instead of 8, and the tiles of eight output rows (one per
/// 32-bit lane) need no horizontal sums, so ten rows cost about twice one row
/// (`generate batch-benchmark`, README "Batched generation").
///
/// The arithmetic of every output (see `Int8ActivationKernels.h`) depends only on its weight row
/// and its input row — not on how many rows are multiplied together nor on the thread split —
/// so a sequence decoded alone and inside a batch gets the same logits bit for bit.
///
/// The cost is the activations' rounding: about 1.4× the float-activation product's error
/// (the README's int8 section). Only on CPUs with AVX-512 VNNI and group sizes that are a
/// multiple of 4; `init` returns nil otherwise and the caller keeps `QuantizedMatrix`'s kernels.
public final class Int8ActivationMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let groupSize: Int
    private let groups: Int
    private let blocks: Int
    private let packed: UnsafeMutableRawPointer
    private let blockScales: UnsafeMutablePointer<Float>
    private let blockOffsets: UnsafeMutablePointer<Int32>

    /// Whether this machine runs the kernel.
    public static let isAvailable = finch_q8a8_available() != 0

    public init?(_ matrix: QuantizedMatrix) {
        guard Self.isAvailable, matrix.groupSize % 4 == 0 else { return nil }
        rows = matrix.rows
        columns = matrix.columns
        groupSize = matrix.groupSize
        groups = matrix.groupsPerRow
        blocks = finch_q8a8_blocks(rows)
        packed = UnsafeMutableRawPointer.allocate(byteCount: finch_q8a8_packed_bytes(rows, columns), alignment: 64)
        blockScales = .allocate(capacity: blocks * groups * Self.blockOutputs)
        blockOffsets = .allocate(capacity: blocks * groups * Self.blockOutputs)
        let (values, scales) = (matrix.quantizedValues.baseAddress!, matrix.scales.baseAddress!)
        let (rows, columns, groupSize) = (rows, columns, groupSize)
        let (packed, blockScales, blockOffsets) = (packed.assumingMemoryBound(to: Int8.self), blockScales, blockOffsets)
        Parallel.forEachChunk(blocks, costPerItem: Self.blockOutputs * columns) { range in
            finch_q8a8_pack(values, scales, rows, columns, groupSize, range.lowerBound, range.upperBound,
                            packed, blockScales, blockOffsets)
        }
    }

    deinit {
        packed.deallocate()
        blockScales.deallocate()
        blockOffsets.deallocate()
    }

    /// Outputs of one block of the packed layout: FINCH_Q8A8_BLOCK_TILES tiles of 8.
    private static let blockOutputs = 8 * Int(FINCH_Q8A8_BLOCK_TILES)

    /// Bytes a product reads: the packed weights, scales and offsets.
    public var byteCount: Int { finch_q8a8_packed_bytes(rows, columns) + blocks * groups * Self.blockOutputs * 8 }

    /// y[n, rows] = x[n, columns] · Wᵀ (+ bias[rows]), x quantized per group as it is read.
    /// `threads` overrides the automatic choice as in `QuantizedMatrix.multiply(vector:)`; the
    /// result is the same bit for bit whatever `n` and the number of threads.
    public func multiply(rows n: Int, input x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                         bias: UnsafePointer<Float>? = nil, threads: Int? = nil) {
        guard n > 0 else { return }
        let stride = finch_q8a8_input_stride(columns)
        let codes = UnsafeMutablePointer<UInt8>.allocate(capacity: n * stride)
        let inputScales = UnsafeMutablePointer<Float>.allocate(capacity: n * groups)
        defer {
            codes.deallocate()
            inputScales.deallocate()
        }
        finch_q8a8_quantize_input(x, n, columns, groupSize, codes, inputScales)
        let (rows, columns, groupSize) = (rows, columns, groupSize)
        let (packed, blockScales, blockOffsets) = (packed.assumingMemoryBound(to: Int8.self), blockScales, blockOffsets)
        // Split by whole blocks; the helper's "rows" are blocks here.
        forEachQuantizedRowRange(rows: blocks, byteCount: byteCount, inputRows: n, threads: threads) { range in
            finch_q8a8_gemm(packed, blockScales, blockOffsets, rows, columns, groupSize, codes, inputScales, n,
                            bias, y, rows, range.lowerBound, range.upperBound)
        }
    }
}
