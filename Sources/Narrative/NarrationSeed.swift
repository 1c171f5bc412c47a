/// The sampling seed of one narrative: derived from the request's seed, the customer and the
/// recommended product, so a page reads the same every time it is asked for, whatever else is
/// in the batch or in which order its items finish, and two items of one page never share a
/// draw sequence. FNV-1a over the three (stable across runs and machines, unlike `Hasher`).
public enum NarrationSeed {
    public static func seed(_ base: UInt64, customer: Int, stockCode: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: base >> UInt64(shift))) }
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(customer)) >> UInt64(shift))) }
        for byte in stockCode.utf8 { mix(byte) }
        return hash
    }
}
