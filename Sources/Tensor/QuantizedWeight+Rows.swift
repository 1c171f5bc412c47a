extension QuantizedWeight {
    /// A weight of the output rows `rows` of this one, in that order, in the same format: every
    /// stored tensor is laid out by output row (`QuantizationFormat.storedTensors`), so a row's
    /// codes, scales and minimums are copied as they are and each output is computed from exactly
    /// the same bytes as before. (An LM head restricted to a shortlist of tokens.)
    public func gatheringRows(_ rows: [Int]) throws -> any QuantizedWeight {
        let stored = storedBytes
        let rowBytes = stored.map { $0.count / self.rows }
        let owner = QuantizedBytes(owning: rowBytes.map { $0 * rows.count })
        for (source, (target, size)) in zip(stored, zip(owner.parts, rowBytes)) {
            let target = UnsafeMutableRawPointer(mutating: target)
            for (k, row) in rows.enumerated() {
                precondition((0..<self.rows).contains(row), "row \(row) of a \(self.rows)-row weight")
                (target + k * size).copyMemory(from: source.baseAddress! + row * size, byteCount: size)
            }
        }
        let bytes = zip(owner.parts, rowBytes).map { UnsafeRawBufferPointer(start: $0, count: $1 * rows.count) }
        return try format.matrix(rows: rows.count, columns: columns, layout: layout, bytes: bytes, owner: owner)
    }
}
