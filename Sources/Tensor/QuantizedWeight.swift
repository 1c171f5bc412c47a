/// A weight matrix stored in fewer bits than float, with float activations: int8
/// (`QuantizedMatrix`) or 4-bit (`Q4Matrix`). Inference, checkpoints and the frozen LoRA base
/// see either through this protocol.
public protocol QuantizedWeight: Sendable {
    /// Output features.
    var rows: Int { get }
    /// Input features.
    var columns: Int { get }
    var layout: QuantizedMatrix.Layout { get }
    var format: QuantizationFormat { get }
    /// Bytes a decoding step reads: codes, scales and minimums.
    var byteCount: Int { get }
    /// The tensors a checkpoint stores for this weight, in `format.storedTensors` order.
    var storedBytes: [UnsafeRawBufferPointer] { get }

    /// y[n, out] = x[n, in] · W (+ bias[out]); the result does not depend on `threads`.
    func multiply(rows n: Int, input x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                  bias: UnsafePointer<Float>?, threads: Int?)
    /// Row r of the weight as floats, `columns` of them: the embedding of token r.
    func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>)
    /// The whole weight as floats in its original layout.
    func dequantized() -> [Float]
}

extension QuantizedWeight {
    public var inFeatures: Int { columns }
    public var outFeatures: Int { rows }
}

/// How matrices are quantized: bits, scheme and group size — config.json's
/// `"quantization": {"bits": 4, "group_size": 32, "scheme": "symmetric"}`.
public struct QuantizationFormat: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable, CaseIterable {
        /// weight = scale · q (int8), scale · (q − 8) (4-bit, ggml's Q4_0 shape).
        case symmetric
        /// weight = scale · q + minimum (4-bit only, ggml's Q4_1 shape).
        case asymmetric
    }

    public let bits: Int
    public let scheme: Scheme
    /// Input features sharing one scale (and minimum).
    public let groupSize: Int

    /// Throws a message naming what is wrong: bits other than 4 or 8, an asymmetric int8, a
    /// group size below 1, or a 4-bit group size that is not a multiple of 32 (the kernels'
    /// block of packed codes).
    public init(bits: Int, scheme: Scheme = .symmetric, groupSize: Int? = nil) throws {
        guard bits == 8 || bits == 4 else { throw QuantizationError("bits must be 4 or 8, got \(bits)") }
        let groupSize = groupSize ?? (bits == 8 ? QuantizedMatrix.defaultGroupSize : Q4Matrix.defaultGroupSize)
        guard groupSize >= 1 else { throw QuantizationError("group size must be ≥ 1, got \(groupSize)") }
        if bits == 8, scheme != .symmetric { throw QuantizationError("int8 weights are symmetric only, not \(scheme.rawValue)") }
        if bits == 4, groupSize % 32 != 0 {
            throw QuantizationError("a 4-bit group size must be a multiple of 32, got \(groupSize)")
        }
        self.bits = bits
        self.scheme = scheme
        self.groupSize = groupSize
    }

    /// Finch's int8: symmetric, groups of 64.
    public static let int8 = try! QuantizationFormat(bits: 8)

    public var description: String { "\(bits == 8 ? "int8" : "4-bit \(scheme.rawValue)"), group size \(groupSize)" }

    /// A tensor suffix (appended to the weight's name), its dtype and shape for a weight of
    /// `rows` outputs and `columns` inputs: the codes first, then scales, then minimums.
    public func storedTensors(rows: Int, columns: Int) -> [(suffix: String, dtype: SafeTensorsDType, shape: [Int])] {
        let groups = (columns + groupSize - 1) / groupSize
        if bits == 8 { return [("", .int8, [rows, columns]), ("_scale", .float32, [rows, groups])] }
        var tensors: [(suffix: String, dtype: SafeTensorsDType, shape: [Int])] = [
            ("", .uint8, [rows, (columns + 63) / 64 * 32]), ("_scale", .float16, [rows, groups]),
        ]
        if scheme == .asymmetric { tensors.append(("_min", .float16, [rows, groups])) }
        return tensors
    }

    /// Quantizes a float weight of `inFeatures` × `outFeatures` laid out as `layout`;
    /// `searchScale` (4-bit only) picks each group's scale by least squared error.
    public func quantize(
        _ weight: UnsafePointer<Float>, inFeatures: Int, outFeatures: Int, layout: QuantizedMatrix.Layout,
        searchScale: Bool = true
    ) throws -> any QuantizedWeight {
        if bits == 8 {
            return try QuantizedMatrix(quantizing: weight, inFeatures: inFeatures, outFeatures: outFeatures,
                                       layout: layout, groupSize: groupSize)
        }
        return try Q4Matrix(quantizing: weight, inFeatures: inFeatures, outFeatures: outFeatures, layout: layout,
                            scheme: scheme, groupSize: groupSize, searchScale: searchScale)
    }

    /// Rebuilds a weight from the bytes of its `storedTensors`, in that order, used in place
    /// while `owner` keeps them alive. Throws when a byte count or a scale is wrong.
    public func matrix(
        rows: Int, columns: Int, layout: QuantizedMatrix.Layout, bytes: [UnsafeRawBufferPointer],
        owner: (any AnyObject & Sendable)?
    ) throws -> any QuantizedWeight {
        if bits == 8 {
            return try QuantizedMatrix(rows: rows, columns: columns, groupSize: groupSize, layout: layout,
                                       quantizedValues: bytes[0], scales: bytes[1], owner: owner)
        }
        return try Q4Matrix(rows: rows, columns: columns, groupSize: groupSize, layout: layout, scheme: scheme,
                            packed: bytes[0], scales: bytes[1], minimums: scheme == .asymmetric ? bytes[2] : nil,
                            owner: owner)
    }
}

extension QuantizedMatrix: QuantizedWeight {
    public var format: QuantizationFormat {
        // Validated when the matrix was made: bits 8, symmetric, group ≥ 1.
        try! QuantizationFormat(bits: 8, groupSize: groupSize)
    }

    public var storedBytes: [UnsafeRawBufferPointer] {
        [UnsafeRawBufferPointer(quantizedValues), UnsafeRawBufferPointer(scales)]
    }
}
