#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Opening input files that must be ordinary files — checkpoints, configs, vocabularies, token
/// files — without hanging or exhausting memory on what a hostile path can name instead: a FIFO
/// (whose `open` blocks until a writer appears), a device such as `/dev/zero` (endless), a
/// directory. The file is opened non-blocking and checked with `fstat` on the open descriptor,
/// so a path swapped between a check and the open cannot slip through.
public enum RegularFile {
    /// Whole-file reads beyond this are refused: every file read whole is a config or a
    /// vocabulary, far smaller.
    public static let defaultReadLimit = 1 << 30

    /// An open descriptor of a regular file and its size; the caller closes it.
    public static func openForReading(_ path: String) throws -> (descriptor: Int32, size: Int) {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RegularFileError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw RegularFileError("\(path): cannot read its size: \(reason)")
        }
        let kind = status.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(descriptor)
            throw RegularFileError("\(path): \(describe(kind)), not a regular file")
        }
        // Back to blocking reads: a regular file never blocks, and some readers expect it.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return (descriptor, Int(status.st_size))
    }

    /// The whole file, refusing anything but a regular file of at most `limit` bytes.
    public static func contents(of path: String, limit: Int = defaultReadLimit) throws -> Data {
        let (descriptor, size) = try openForReading(path)
        defer { close(descriptor) }
        guard size <= limit else {
            throw RegularFileError("\(path): \(size) bytes is over the \(limit)-byte limit for this kind of file")
        }
        var data = Data(count: size)
        var filled = 0
        try data.withUnsafeMutableBytes { raw in
            while filled < size {
                let count = read(descriptor, raw.baseAddress! + filled, size - filled)
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else {
                    throw RegularFileError("\(path): read failed: \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                filled += count
            }
        }
        // A file that shrank while it was read.
        return data.prefix(filled)
    }

    /// Whether `path` exists (following links), so callers can say "not found" before `contents`.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    private static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "is a directory"
        case S_IFIFO: "is a FIFO (named pipe)"
        case S_IFCHR: "is a character device"
        case S_IFBLK: "is a block device"
        case S_IFSOCK: "is a socket"
        default: "is not a file"
        }
    }
}

public struct RegularFileError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
