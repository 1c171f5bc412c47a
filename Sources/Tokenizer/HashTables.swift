import Foundation

/// The two lookups on the encoder's hot path, as open-addressing tables over raw memory:
/// token bytes → id (a whole pre-token is usually one token) and (left id, right id) → merge.
/// Both are built once per tokenizer and only read afterwards, so they are shared by threads.

@inline(__always)
func hashBytes(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    // FNV-1a: pre-tokens are a handful of bytes, where simplicity beats block hashes.
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<count { hash = (hash ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01b3 }
    return hash ^ (hash >> 29)
}

@inline(__always)
func tableSize(for count: Int) -> Int {
    var size = 16
    while size < count * 2 { size <<= 1 }
    return size
}

/// Byte string → UInt32, immutable after `init`.
final class ByteStringIndex: @unchecked Sendable {
    static let missing = UInt32.max
    private let mask: Int
    /// Entry number + 1 per slot; 0 marks an empty slot.
    private let slots: UnsafeMutablePointer<UInt32>
    private let keyBytes: UnsafeMutablePointer<UInt8>
    /// `keyOffsets[e]..<keyOffsets[e + 1]` are entry e's bytes.
    private let keyOffsets: UnsafeMutablePointer<Int>
    private let values: UnsafeMutablePointer<UInt32>
    let longestKey: Int

    /// Keys must be distinct.
    init(keys: [[UInt8]], values keyValues: [UInt32]) {
        let size = tableSize(for: keys.count)
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        let totalBytes = keys.reduce(0) { $0 + $1.count }
        keyBytes = .allocate(capacity: max(1, totalBytes))
        keyOffsets = .allocate(capacity: keys.count + 1)
        values = .allocate(capacity: max(1, keys.count))
        var offset = 0
        var longest = 0
        for (entry, key) in keys.enumerated() {
            keyOffsets[entry] = offset
            for byte in key { keyBytes[offset] = byte; offset += 1 }
            values[entry] = keyValues[entry]
            longest = max(longest, key.count)
            var slot = Int(truncatingIfNeeded: hashBytes(keyBytes + keyOffsets[entry], key.count)) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(entry + 1)
        }
        keyOffsets[keys.count] = offset
        longestKey = longest
    }

    deinit {
        slots.deallocate()
        keyBytes.deallocate()
        keyOffsets.deallocate()
        values.deallocate()
    }

    /// The value for `bytes[0..<count]`, or `ByteStringIndex.missing`.
    @inline(__always)
    func value(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        if count > longestKey { return Self.missing }
        var slot = Int(truncatingIfNeeded: hashBytes(bytes, count)) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return Self.missing }
            let start = keyOffsets[entry - 1]
            if keyOffsets[entry] - start == count && memcmp(keyBytes + start, bytes, count) == 0 {
                return values[entry - 1]
            }
            slot = (slot + 1) & mask
        }
    }

    func value(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return Self.missing }
            return value(base, buffer.count)
        }
    }
}

/// (left id, right id) → the merge they form: `rank << 32 | merged id`, immutable after `init`.
/// Ranks order merges (lower merges first); tiktoken's rank of a token is its merge's rank.
final class PairMergeTable: @unchecked Sendable {
    static let noMerge = UInt64.max
    private let mask: Int
    private let keys: UnsafeMutablePointer<UInt64>
    private let merges: UnsafeMutablePointer<UInt64>

    init(_ entries: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)]) {
        let size = tableSize(for: entries.count)
        mask = size - 1
        keys = .allocate(capacity: size)
        keys.initialize(repeating: .max, count: size)
        merges = .allocate(capacity: size)
        merges.initialize(repeating: Self.noMerge, count: size)
        for entry in entries {
            let key = UInt64(entry.left) << 32 | UInt64(entry.right)
            var slot = Self.slot(key, mask)
            while keys[slot] != .max && keys[slot] != key { slot = (slot + 1) & mask }
            keys[slot] = key
            merges[slot] = UInt64(entry.rank) << 32 | UInt64(entry.merged)
        }
    }

    deinit {
        keys.deallocate()
        merges.deallocate()
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9e37_79b9_7f4a_7c15) >> 32) & mask
    }

    /// `rank << 32 | merged id` for the pair, or `noMerge`.
    @inline(__always)
    func merge(_ left: UInt32, _ right: UInt32) -> UInt64 {
        let key = UInt64(left) << 32 | UInt64(right)
        var slot = Self.slot(key, mask)
        while true {
            let found = keys[slot]
            if found == key { return merges[slot] }
            if found == .max { return Self.noMerge }
            slot = (slot + 1) & mask
        }
    }
}
