/// Row lookup in an embedding table and its scatter-add backward.
public enum Embedding {
    /// out[r, :] = table[indices[r], :] (or += when `accumulate`).
    public static func forward(
        out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
        rows: Int, channels: Int, accumulate: Bool = false
    ) {
        Parallel.forEachChunk(rows, costPerItem: channels) { range in
            for r in range {
                let source = table + Int(indices[r]) * channels
                let target = out + r * channels
                if accumulate {
                    for c in 0..<channels { target[c] += source[c] }
                } else {
                    target.update(from: source, count: channels)
                }
            }
        }
    }

    /// dTable[indices[r], :] += dOut[r, :]. Repeated indices add up; threads split the
    /// channels, not the rows, so no two threads ever write the same element.
    public static func backward(
        dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
        rows: Int, channels: Int
    ) {
        let blocks = (channels + 15) / 16
        Parallel.forEachChunk(blocks, costPerItem: rows * 16) { blockRange in
            let lo = blockRange.lowerBound * 16
            let hi = min(channels, blockRange.upperBound * 16)
            for r in 0..<rows {
                let target = dTable + Int(indices[r]) * channels
                let source = dOut + r * channels
                for c in lo..<hi { target[c] += source[c] }
            }
        }
    }
}
