#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLZMA
import Tensor

/// Reads a file a chunk at a time, decompressing it when it is an `.xz` stream (recognised by its
/// magic bytes, whatever its name), so a 47 MB CSV is never held in memory whole.
enum FileChunks {
    static let chunkSize = 1 << 20
    private static let xzMagic: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]

    /// Calls `body` with consecutive chunks of the file's (decompressed) bytes.
    static func forEach(path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        // A FIFO would block in open() and a device such as /dev/zero never ends: regular files only.
        let descriptor: Int32
        do {
            descriptor = try RegularFile.openForReading(path).descriptor
        } catch let error as RegularFileError {
            throw StoreError("cannot read \(error.message)")
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        let first = try readChunk(descriptor, into: &buffer, path: path)
        if first >= xzMagic.count && Array(buffer[0..<xzMagic.count]) == xzMagic {
            var decoder = try XZDecoder(path: path)
            defer { decoder.end() }
            var count = first
            while count > 0 {
                try buffer.withUnsafeBufferPointer { try decoder.decode(UnsafeBufferPointer(rebasing: $0[0..<count]), body) }
                count = try readChunk(descriptor, into: &buffer, path: path)
            }
            try decoder.finish(body)
        } else {
            var count = first
            while count > 0 {
                try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                count = try readChunk(descriptor, into: &buffer, path: path)
            }
        }
    }

    /// Fills as much of `buffer` as one read gives; 0 at the end of the file.
    private static func readChunk(_ descriptor: Int32, into buffer: inout [UInt8], path: String) throws -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// liblzma's stream decoder, fed compressed chunks and handing on decompressed ones. Concatenated
/// streams (`xz` of several files, `cat a.xz b.xz`) decode as one.
private struct XZDecoder {
    private var stream = lzma_stream()
    private var output = [UInt8](repeating: 0, count: FileChunks.chunkSize)
    private let path: String

    init(path: String) throws {
        self.path = path
        let status = lzma_stream_decoder(&stream, UInt64.max, CLZMA_CONCATENATED)
        guard status == LZMA_OK else { throw StoreError("cannot decompress \(path): liblzma could not start (code \(status.rawValue))") }
    }

    mutating func decode(_ input: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        stream.next_in = input.baseAddress
        stream.avail_in = input.count
        while stream.avail_in > 0 {
            if try run(LZMA_RUN, body) == LZMA_STREAM_END { return }
        }
    }

    /// The compressed input ended: flushes what is left and checks the stream was complete.
    mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        stream.next_in = nil
        stream.avail_in = 0
        while try run(LZMA_FINISH, body) != LZMA_STREAM_END {}
    }

    mutating func end() {
        lzma_end(&stream)
    }

    /// One `lzma_code` call into the output buffer; whatever it produced goes to `body`.
    private mutating func run(_ action: lzma_action, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> lzma_ret {
        let status = output.withUnsafeMutableBufferPointer { out -> lzma_ret in
            stream.next_out = out.baseAddress
            stream.avail_out = out.count
            return lzma_code(&stream, action)
        }
        let produced = output.count - stream.avail_out
        if produced > 0 {
            try output.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
        }
        switch status {
        case LZMA_OK, LZMA_STREAM_END:
            return status
        case LZMA_BUF_ERROR where action == LZMA_FINISH:
            throw StoreError("cannot decompress \(path): the .xz stream is truncated")
        case LZMA_DATA_ERROR, LZMA_FORMAT_ERROR, LZMA_OPTIONS_ERROR:
            throw StoreError("cannot decompress \(path): the .xz data is corrupt")
        default:
            throw StoreError("cannot decompress \(path): liblzma error \(status.rawValue)")
        }
    }
}
