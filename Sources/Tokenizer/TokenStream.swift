import Foundation
import Tensor

/// A memory-mapped token file, never read whole: nanoGPT's raw little-endian uint16 `.bin`,
/// or llm.c's format (a 256 × int32 header: magic 20240520, version, token count; then
/// uint16 tokens), recognised by its header.
public final class TokenStream: @unchecked Sendable {
    public enum Format: String, Sendable { case nanoGPT = "nanoGPT uint16", llmC = "llm.c" }

    public static let llmCMagic: Int32 = 20_240_520
    static let llmCHeaderBytes = 256 * 4

    public let path: String
    public let format: Format
    /// Number of tokens in the stream.
    public let count: Int
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int
    private let tokens: UnsafePointer<UInt16>

    public init(path: String) throws {
        self.path = path
        let descriptor: Int32, size: Int
        do {
            (descriptor, size) = try RegularFile.openForReading(path)
        } catch let error as RegularFileError {
            throw TokenStreamError(error.message)
        }
        defer { close(descriptor) }
        guard size > 0 else { throw TokenStreamError("\(path): empty token file") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw TokenStreamError("\(path): cannot memory-map (\(String(cString: strerror(errno))))")
        }
        mapping = base
        mappedBytes = size

        let headerWords = size >= Self.llmCHeaderBytes ? base.loadUnaligned(as: Int32.self) : 0
        if Int32(littleEndian: headerWords) == Self.llmCMagic {
            let version = Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: Int32.self))
            let declared = Int(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: Int32.self)))
            let available = (size - Self.llmCHeaderBytes) / 2
            guard version == 1 else {
                munmap(base, size)
                throw TokenStreamError("\(path): llm.c token file version \(version) is not supported (expected 1)")
            }
            guard declared >= 0, declared * 2 + Self.llmCHeaderBytes == size else {
                munmap(base, size)
                throw TokenStreamError("\(path): llm.c header says \(declared) tokens but the file holds \(available)")
            }
            format = .llmC
            count = declared
            tokens = UnsafePointer((base + Self.llmCHeaderBytes).assumingMemoryBound(to: UInt16.self))
        } else {
            guard size % 2 == 0 else {
                munmap(base, size)
                throw TokenStreamError("\(path): \(size) bytes is odd; a token file holds 2-byte tokens")
            }
            format = .nanoGPT
            count = size / 2
            tokens = UnsafePointer(base.assumingMemoryBound(to: UInt16.self))
        }
    }

    deinit {
        if let mapping { munmap(mapping, mappedBytes) }
    }

    public subscript(position: Int) -> Int {
        Int(UInt16(littleEndian: tokens[position]))
    }

    /// Copies `length` tokens from `offset` (bounds are the caller's responsibility).
    public func copy(from offset: Int, count length: Int, into destination: UnsafeMutablePointer<Int32>) {
        for i in 0..<length { destination[i] = Int32(UInt16(littleEndian: tokens[offset + i])) }
    }

    /// The position of the first token ≥ `vocabSize`, or nil. Scans the whole file once,
    /// a page at a time through the mapping.
    public func firstOutOfRange(vocabSize: Int) -> Int? {
        guard vocabSize < 65_536 else { return nil }
        let limit = UInt16(vocabSize)
        for i in 0..<count where UInt16(littleEndian: tokens[i]) >= limit { return i }
        return nil
    }

    /// Throws when a token id does not fit a model's vocabulary, naming the first bad offset.
    public func validate(vocabSize: Int) throws {
        if let bad = firstOutOfRange(vocabSize: vocabSize) {
            throw TokenStreamError("\(path): token \(self[bad]) at offset \(bad) is outside the model's vocabulary of \(vocabSize)")
        }
    }
}

public struct TokenStreamError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
