import Foundation

// safetensors stores every element little-endian and Finch reads and writes the bytes as they lie
// in memory, so a big-endian host would silently swap them: refuse to build there instead.
#if _endian(big)
#error("Finch's safetensors reader and writer assume a little-endian host")
#endif

/// The element types of the safetensors format, spelled as in the file header.
///
/// The cases are declared in the order of the reference (Rust) implementation's `Dtype` enum:
/// its writer lays tensors out by descending dtype in that order, then by name, and Finch's
/// writer does the same so its files are byte-identical to the Python library's.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case float8E8M0 = "F8_E8M0"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case complex64 = "C64"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .complex64, .float64, .int64, .uint64: 8
        }
    }

    /// Position in the reference implementation's enum; larger ranks are laid out first.
    var layoutRank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// A malformed, missing or mismatched safetensors file, or a tensor that cannot be added.
/// The message names the file (when there is one) so the CLIs can print it as one line.
public struct SafeTensorsError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var errorDescription: String? { message }
}

/// IEEE 754 binary16 → binary32, exact for every bit pattern (subnormals, infinities, NaN payloads).
/// Written out by hand because Swift's `Float16` is unavailable on Intel macOS.
@inline(__always)
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent != 0 {
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
    // Zero or subnormal: mantissa · 2⁻²⁴ is exact in binary32.
    let magnitude = Float(mantissa) * 0x1p-24
    return sign != 0 ? -magnitude : magnitude
}

/// bfloat16 is the upper half of a binary32, so widening is a shift.
@inline(__always)
func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
