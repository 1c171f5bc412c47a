import CKernels

/// A `Q4Matrix`'s codes and scales repacked at load for the AVX-512 VNNI multi-row kernel: tiles
/// of sixteen output rows, each one sequential stream in the order the kernel reads it, two steps
/// of four columns per 64 bytes (`Q4VNNIKernels.h`), so the kernel neither gathers rows nor
/// transposes. The batch-1 GEMV, dequantizing and saving keep reading the matrix's own layout
/// (memory-mapped in place); this copy costs the packed size again (rows rounded up to sixteen).
final class Q4VNNITiles: @unchecked Sendable {
    let count: Int
    /// Bytes a product reads: codes, scales and minimums.
    let byteCount: Int
    private let storage: QuantizedBytes

    var codes: UnsafePointer<UInt8> { storage.parts[0].assumingMemoryBound(to: UInt8.self) }
    var scales: UnsafePointer<UInt16> { storage.parts[1].assumingMemoryBound(to: UInt16.self) }
    var minimums: UnsafePointer<UInt16>? { storage.parts.count > 2 ? storage.parts[2].assumingMemoryBound(to: UInt16.self) : nil }

    /// The repacked copy where this CPU runs the kernel, nil elsewhere.
    static func repacking(
        packed: UnsafePointer<UInt8>, scales: UnsafePointer<UInt16>, minimums: UnsafePointer<UInt16>?,
        rows: Int, columns: Int, groupSize: Int
    ) -> Q4VNNITiles? {
        guard finch_q4_vnni_available() != 0 else { return nil }
        return Q4VNNITiles(packed: packed, scales: scales, minimums: minimums, rows: rows, columns: columns, groupSize: groupSize)
    }

    private init(packed: UnsafePointer<UInt8>, scales: UnsafePointer<UInt16>, minimums: UnsafePointer<UInt16>?,
                 rows: Int, columns: Int, groupSize: Int) {
        count = (rows + 15) / 16
        let halves = count * 16 * ((columns + groupSize - 1) / groupSize) * 2
        let byteCounts = [finch_q4_vnni_code_bytes(rows, columns), halves] + (minimums == nil ? [] : [halves])
        byteCount = byteCounts.reduce(0, +)
        storage = QuantizedBytes(owning: byteCounts)
        let parts = storage.parts.map { UnsafeMutableRawPointer(mutating: $0) }
        let (codes, tileScales) = (parts[0].assumingMemoryBound(to: UInt8.self), parts[1].assumingMemoryBound(to: UInt16.self))
        let tileMinimums = minimums == nil ? nil : parts[2].assumingMemoryBound(to: UInt16.self)
        Parallel.forEachChunk(count, costPerItem: 16 * columns) { range in
            finch_q4_vnni_pack(packed, scales, minimums, rows, columns, groupSize, range.lowerBound, range.upperBound,
                               codes, tileScales, tileMinimums)
        }
    }
}
