import Foundation

/// Collects tensors and writes them as one safetensors file, atomically (see `AtomicFile`).
///
/// The layout is the reference implementation's, so a file is byte-identical to what Python's
/// `safetensors.save_file` writes for the same tensors: tensors ordered by descending dtype (in the
/// order of `SafeTensorsDType`) and then by name, compact JSON, the header padded with spaces to a
/// multiple of 8 bytes. That order also keeps every tensor aligned to its element size.
/// (Python orders several `__metadata__` keys at random; Finch sorts them.)
///
/// Tensors are not copied: arrays are kept by reference (copy-on-write) and the buffer-pointer
/// variants borrow the caller's memory, so a 230 MB parameter buffer is streamed to disk as it is.
public struct SafeTensorsWriter {
    /// Written as the header's `__metadata__` unless empty (Hugging Face writes `["format": "pt"]`).
    public var metadata: [String: String]

    /// The tensor's bytes: an array kept by reference, or memory borrowed from the caller.
    private enum Storage {
        case bytes([UInt8])
        case floats([Float])
        case int8s([Int8])
        case int32s([Int32])
        case int64s([Int64])
        case borrowed(UnsafeRawBufferPointer)

        func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            switch self {
            case .bytes(let values): try values.withUnsafeBytes(body)
            case .floats(let values): try values.withUnsafeBytes(body)
            case .int8s(let values): try values.withUnsafeBytes(body)
            case .int32s(let values): try values.withUnsafeBytes(body)
            case .int64s(let values): try values.withUnsafeBytes(body)
            case .borrowed(let pointer): try body(pointer)
            }
        }
    }

    private struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var storage: Storage
        var byteCount: Int
    }

    private var entries: [Entry] = []
    private var names: Set<String> = []

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a tensor from its raw little-endian bytes.
    public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) throws {
        try add(name, dtype: dtype, shape: shape, storage: .bytes(bytes))
    }

    /// Borrows `bytes`: the memory must stay valid and unchanged until `write(to:)` returns.
    public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) throws {
        try add(name, dtype: dtype, shape: shape, storage: .borrowed(bytes))
    }

    public mutating func add(_ name: String, tensor: Tensor) throws {
        try add(name, dtype: .float32, shape: tensor.shape, storage: .floats(tensor.data))
    }

    public mutating func add(_ name: String, floats: [Float], shape: [Int]) throws {
        try add(name, dtype: .float32, shape: shape, storage: .floats(floats))
    }

    /// Borrows `floats` (e.g. a view of the model's parameter buffer) until `write(to:)` returns.
    public mutating func add(_ name: String, floats: UnsafeBufferPointer<Float>, shape: [Int]) throws {
        try add(name, dtype: .float32, shape: shape, storage: .borrowed(UnsafeRawBufferPointer(floats)))
    }

    public mutating func add(_ name: String, int8s: [Int8], shape: [Int]) throws {
        try add(name, dtype: .int8, shape: shape, storage: .int8s(int8s))
    }

    public mutating func add(_ name: String, int32s: [Int32], shape: [Int]) throws {
        try add(name, dtype: .int32, shape: shape, storage: .int32s(int32s))
    }

    public mutating func add(_ name: String, int64s: [Int64], shape: [Int]) throws {
        try add(name, dtype: .int64, shape: shape, storage: .int64s(int64s))
    }

    private mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], storage: Storage) throws {
        guard name != "__metadata__" else {
            throw SafeTensorsError("cannot add a tensor named '__metadata__': the name is reserved for the header's metadata")
        }
        guard !names.contains(name) else { throw SafeTensorsError("cannot add tensor '\(name)' twice") }
        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else { throw SafeTensorsError("cannot add tensor '\(name)': invalid shape \(shape)") }
            elementCount = product
        }
        let byteCount = storage.withUnsafeBytes { $0.count }
        let (expected, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, expected == byteCount else {
            throw SafeTensorsError("cannot add tensor '\(name)': shape \(shape) of \(dtype.rawValue) needs \(expected) bytes, got \(byteCount)")
        }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, storage: storage, byteCount: byteCount))
        names.insert(name)
    }

    /// Writes the file through a temporary file renamed over `path` (or staged in `set`, renamed
    /// with the others); the parent directory is created if needed.
    public func write(to path: String, in set: FileSet? = nil) throws {
        let ordered = entries.sorted { a, b in
            a.dtype.layoutRank != b.dtype.layoutRank
                ? a.dtype.layoutRank > b.dtype.layoutRank
                : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var header = Array(headerJSON(ordered).utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        try AtomicFile.write(to: path, in: set) { output in
            try output.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
            try output.write(header)
            for entry in ordered {
                try entry.storage.withUnsafeBytes { try output.write($0) }
            }
        }
    }

    /// Compact JSON exactly as serde_json prints the reference implementation's header.
    private func headerJSON(_ ordered: [Entry]) -> String {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { jsonString($0.key) + ":" + jsonString($0.value) }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for entry in ordered {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append(jsonString(entry.name)
                + ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.byteCount)]}")
            offset += entry.byteCount
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// A JSON string literal escaped as serde_json does: `"`, `\` and control characters only,
/// with short forms where JSON has them and lowercase `\u00xx` otherwise; everything else as UTF-8.
private func jsonString(_ text: String) -> String {
    var escaped = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\u{08}": escaped += "\\b"
        case "\u{0C}": escaped += "\\f"
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\t": escaped += "\\t"
        case "\u{00}"..."\u{1F}":
            let hex = String(scalar.value, radix: 16)
            escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped + "\""
}
