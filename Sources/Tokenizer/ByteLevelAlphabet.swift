/// GPT-2's `bytes_to_unicode`: vocabulary files spell every byte as a printable character
/// (printable Latin-1 bytes as themselves, the others as U+0100…U+0143 in byte order), so that
/// token strings in `encoder.json`/`vocab.bpe` never contain spaces or control characters.
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the character that spells byte `b`.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// The inverse of `scalarForByte`, indexed by scalar value (< 324); -1 where no byte maps.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar)] = Int16(byte) }
        return table
    }()

    /// The bytes a vocabulary token string spells, or nil if it uses a character outside the alphabet.
    static func bytes(of token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteForScalar[value]))
        }
        return bytes
    }

    /// The vocabulary spelling of a byte string (used when writing error messages).
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(Unicode.Scalar(scalarForByte[Int(byte)])!) }
        return String(text)
    }
}
