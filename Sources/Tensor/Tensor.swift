#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A float32 tensor: a shape and its elements stored contiguously in row-major order.
///
/// The model itself keeps its parameters in one flat buffer (see `FloatBuffer`); `Tensor`
/// is the convenient value type for everything else: tests, tools, loading and saving.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Samples from N(mean, std²) with a seeded generator: the same seed gives the same tensor.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, generator: inout SeededGenerator
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + std * generator.nextNormal() }
        return Tensor(shape: shape, data: values)
    }

    /// Samples uniformly from [low, high) with a seeded generator.
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, generator: inout SeededGenerator
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = low + (high - low) * generator.nextUniform() }
        return Tensor(shape: shape, data: values)
    }

    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Runs `body` with a pointer to the elements; for calling the pointer kernels.
    @inlinable
    public func withPointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try data.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    @inlinable
    public mutating func withMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try data.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}

/// A heap buffer of floats with a stable address, 64-byte aligned, zero-initialised.
/// The model's parameters, gradients, optimiser moments and activations each live in one,
/// carved into named views by offset (as llm.c does), so an optimiser step is one loop
/// and a checkpoint one write.
///
/// Buffers of a megabyte or more are anonymous memory maps: the kernel hands out zero pages
/// on first touch, so a page nobody writes costs no memory and no zeroing pass (an int8 model
/// loads into a parameter buffer whose quantized matrices' float slots are never written).
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    private let mappedBytes: Int?

    private static let mapThresholdBytes = 1 << 20

    public init(count: Int) {
        self.count = count
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        if bytes >= Self.mapThresholdBytes,
           let address = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           address != MAP_FAILED {
            mappedBytes = bytes
            pointer = address.bindMemory(to: Float.self, capacity: max(1, count))
        } else {
            mappedBytes = nil
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
            pointer.initialize(repeating: 0, count: count)
        }
    }

    deinit {
        if let mappedBytes {
            munmap(pointer, mappedBytes)
        } else {
            pointer.deallocate()
        }
    }

    /// Asks for 2 MB pages (Linux's transparent huge pages, `madvise` mode) before the buffer is
    /// first written. For buffers streamed whole every step, such as a model's parameters: with
    /// 4 KB pages a batch-1 decoding step of slm60m (231 MB read once) took 20% more CPU, one
    /// page-table walk every 4 KB. Not for buffers that fill slowly (KV caches), which would take
    /// 2 MB at a time.
    public func adviseHugePages() {
#if os(Linux)
        if let mappedBytes { _ = madvise(pointer, mappedBytes, MADV_HUGEPAGE) }
#endif
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

    public func toArray() -> [Float] { Array(buffer) }
}
