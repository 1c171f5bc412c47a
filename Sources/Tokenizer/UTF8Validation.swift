/// UTF-8 validation over a file read in chunks, so an error can name the byte offset.
/// Accepts exactly what Swift's `String` accepts: no overlong forms, surrogates or values past U+10FFFF.
enum UTF8Validation {
    /// Checks `bytes` from the start. Returns the length of its longest prefix of complete valid
    /// sequences when the rest is only an incomplete (so far valid) sequence at the end, or throws
    /// `invalid(at:)` with the offset of the first byte that cannot start or continue a sequence.
    static func validPrefix(_ bytes: UnsafeBufferPointer<UInt8>, scalarCount: inout Int) throws -> Int {
        var i = 0
        let count = bytes.count
        while i < count {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                scalarCount += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: throw Invalid(offset: i)
            }
            for k in 1..<length {
                guard i + k < count else { return i }
                let byte = bytes[i + k]
                let (from, to) = k == 1 ? (low, high) : (0x80, 0xBF)
                guard byte >= from && byte <= to else { throw Invalid(offset: i) }
            }
            i += length
            scalarCount += 1
        }
        return count
    }

    struct Invalid: Error {
        let offset: Int
    }
}
