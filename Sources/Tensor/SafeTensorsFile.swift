#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A safetensors file opened by memory map (read-only, private): only the pages of the tensors
/// actually used are read from disk, and int8 weights can be used in place through `rawBytes`.
///
/// The header is validated when the file is opened (see `SafeTensorsHeader`), so every accessor
/// can trust the offsets. The file must not be truncated by another process while it is open.
public final class SafeTensorsFile: @unchecked Sendable {
    /// One tensor's entry in the header.
    public struct TensorInfo: Equatable, Sendable {
        public let name: String
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// The byte range inside the data section (the header's `data_offsets`).
        public let dataOffsets: Range<Int>

        public var elementCount: Int { shape.reduce(1, *) }
        public var byteCount: Int { dataOffsets.count }
    }

    public let path: String
    /// Tensor names in ascending order.
    public let names: [String]
    /// The header's `__metadata__` (e.g. `["format": "pt"]`); empty when absent.
    public let metadata: [String: String]

    private let tensors: [String: TensorInfo]
    private let mapping: UnsafeMutableRawPointer
    private let mappedLength: Int
    private let dataStart: Int

    public init(path: String) throws {
        let descriptor: Int32, length: Int
        do {
            (descriptor, length) = try RegularFile.openForReading(path)
        } catch let error as RegularFileError {
            throw SafeTensorsError(error.message)
        }
        defer { close(descriptor) }
        guard length >= 8 else {
            throw SafeTensorsError("\(path): file is \(length) bytes, too short for the 8-byte header length of a safetensors file")
        }
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw SafeTensorsError("\(path): cannot map: \(String(cString: strerror(errno)))")
        }

        let header: SafeTensorsHeader
        do {
            header = try SafeTensorsHeader(parsing: UnsafeRawBufferPointer(start: address, count: length), path: path)
        } catch {
            munmap(address, length)
            throw error
        }
        self.path = path
        self.mapping = address
        self.mappedLength = length
        self.dataStart = header.dataStart
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.names = header.tensors.keys.sorted()
    }

    deinit { munmap(mapping, mappedLength) }

    public func info(_ name: String) -> TensorInfo? { tensors[name] }

    /// The tensor's bytes inside the memory map, valid for as long as this object is alive.
    /// Prefer `withRawBytes` unless the bytes must outlive one call (weights used in place).
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        bytes(of: try require(name))
    }

    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withExtendedLifetime(self) { try body(bytes(of: try require(name))) }
    }

    /// The elements converted to Float; the dtype must be F32, F16, BF16 or F64.
    public func floats(_ name: String) throws -> [Float] {
        let info = try require(name)
        return try [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            try convertFloats(info, into: buffer)
            initialized = info.elementCount
        }
    }

    /// Converts the elements straight into `destination` (e.g. a view of the model's parameter buffer);
    /// throws unless the tensor has exactly `count` elements of a floating-point dtype.
    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let info = try require(name)
        guard info.elementCount == count else {
            throw SafeTensorsError("\(path): tensor '\(name)' has \(info.elementCount) elements (shape \(info.shape)), expected \(count)")
        }
        try convertFloats(info, into: UnsafeMutableBufferPointer(start: destination, count: count))
    }

    public func tensor(_ name: String) throws -> Tensor {
        let info = try require(name)
        return Tensor(shape: info.shape, data: try floats(name))
    }

    /// The elements of an integer (or BOOL) tensor converted to `T`; throws if one does not fit.
    public func integers<T: FixedWidthInteger>(_ name: String, as type: T.Type = T.self) throws -> [T] {
        let info = try require(name)
        switch info.dtype {
        case .bool, .uint8: return try convertIntegers(info, from: UInt8.self)
        case .int8: return try convertIntegers(info, from: Int8.self)
        case .int16: return try convertIntegers(info, from: Int16.self)
        case .uint16: return try convertIntegers(info, from: UInt16.self)
        case .int32: return try convertIntegers(info, from: Int32.self)
        case .uint32: return try convertIntegers(info, from: UInt32.self)
        case .int64: return try convertIntegers(info, from: Int64.self)
        case .uint64: return try convertIntegers(info, from: UInt64.self)
        case .float8E5M2, .float8E4M3, .float8E8M0, .float16, .bfloat16, .float32, .complex64, .float64:
            throw SafeTensorsError("\(path): tensor '\(name)' has dtype \(info.dtype.rawValue), not an integer type")
        }
    }

    public func int64s(_ name: String) throws -> [Int64] { try integers(name) }
    public func int32s(_ name: String) throws -> [Int32] { try integers(name) }
    public func int8s(_ name: String) throws -> [Int8] { try integers(name) }

    private func require(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else { throw SafeTensorsError("\(path): no tensor named '\(name)'") }
        return info
    }

    private func bytes(of info: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: start(of: info), count: info.byteCount)
    }

    private func start(of info: TensorInfo) -> UnsafeRawPointer {
        UnsafeRawPointer(mapping) + dataStart + info.dataOffsets.lowerBound
    }

    /// Loads element by element without alignment assumptions: a foreign writer may place a
    /// tensor at any offset.
    private func convertFloats(_ info: TensorInfo, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let count = info.elementCount
        let base = start(of: info)
        switch info.dtype {
        case .float32:
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4))
        case .float16:
            for i in 0..<count { destination[i] = floatFromHalfBits(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bfloat16:
            for i in 0..<count { destination[i] = floatFromBFloat16Bits(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .float64:
            for i in 0..<count { destination[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0, .int16, .uint16, .int32, .uint32,
             .complex64, .int64, .uint64:
            throw SafeTensorsError("\(path): tensor '\(info.name)' has dtype \(info.dtype.rawValue), which cannot be read as floats (F32, F16, BF16 or F64)")
        }
    }

    private func convertIntegers<Source: FixedWidthInteger, T: FixedWidthInteger>(
        _ info: TensorInfo, from source: Source.Type
    ) throws -> [T] {
        let raw = bytes(of: info)
        var values = [T]()
        values.reserveCapacity(info.elementCount)
        for i in 0..<info.elementCount {
            let value = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Source>.size, as: Source.self)
            guard let converted = T(exactly: value) else {
                throw SafeTensorsError("\(path): tensor '\(info.name)' element \(i) = \(value) does not fit in \(T.self)")
            }
            values.append(converted)
        }
        return values
    }
}
