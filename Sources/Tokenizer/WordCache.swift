import Foundation

/// Pre-token bytes → the ids BPE gave them, so a word that repeats is merged once.
/// One cache belongs to one encoding call or batch worker, so it needs no lock.
struct WordCache {
    /// Longer pieces are rare and would fill the cache with one-offs.
    static let longestCachedPiece = 64
    /// Past this many words the cache starts over, which bounds its memory on endless input.
    static let capacity = 1 << 16

    private var slots: [Int32] = []
    private var keyBytes: [UInt8] = []
    /// Per entry: start of its key in `keyBytes`, key length, start of its ids, id count.
    private var entries: [(keyStart: Int32, keyCount: Int32, idStart: Int32, idCount: Int32)] = []
    private var ids: [UInt32] = []

    /// Calls `body` with the cached ids of `bytes[0..<count]` and returns true, or returns false.
    @inline(__always)
    func withCached(_ bytes: UnsafePointer<UInt8>, _ count: Int, _ body: (ArraySlice<UInt32>) -> Void) -> Bool {
        guard !slots.isEmpty else { return false }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hashBytes(bytes, count)) & mask
        while true {
            let entryNumber = Int(slots[slot])
            if entryNumber == 0 { return false }
            let entry = entries[entryNumber - 1]
            if Int(entry.keyCount) == count {
                let same = keyBytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(entry.keyStart), bytes, count) == 0 }
                if same {
                    body(ids[Int(entry.idStart)..<Int(entry.idStart + entry.idCount)])
                    return true
                }
            }
            slot = (slot + 1) & mask
        }
    }

    mutating func insert(_ bytes: UnsafePointer<UInt8>, _ count: Int, ids pieceIds: UnsafeBufferPointer<UInt32>) {
        guard count <= Self.longestCachedPiece else { return }
        if entries.count >= Self.capacity { self = WordCache() }
        if slots.isEmpty || (entries.count + 1) * 2 > slots.count { grow() }
        let entryNumber = entries.count + 1
        entries.append((Int32(keyBytes.count), Int32(count), Int32(ids.count), Int32(pieceIds.count)))
        keyBytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
        ids.append(contentsOf: pieceIds)
        place(entryNumber, hash: hashBytes(bytes, count))
    }

    private mutating func place(_ entryNumber: Int, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entryNumber)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: max(1024, slots.count * 2))
        for (index, entry) in entries.enumerated() {
            let hash = keyBytes.withUnsafeBufferPointer { hashBytes($0.baseAddress! + Int(entry.keyStart), Int(entry.keyCount)) }
            place(index + 1, hash: hash)
        }
    }
}
