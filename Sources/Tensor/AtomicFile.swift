#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes files so that a reader — or a run restarted after `kill -9` or a full disk — sees either
/// the old file or the complete new one, never a torn write: the bytes go to a temporary file in
/// the same directory (`.<name>.tmp-<pid>-<random>`), which is fsynced and then renamed over the
/// target. On any failure the temporary file is removed and the old file is left as it was.
public enum AtomicFile {
    /// Where the body of `write(to:_:)` writes; every write goes straight to the temporary file.
    public struct Output {
        fileprivate let descriptor: Int32
        /// The final path, for error messages.
        fileprivate let path: String

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = writeToDescriptor(descriptor, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFileError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                next += written
                remaining -= written
            }
        }

        /// Writes the bytes of `Data`, `[UInt8]`, `[Float]`, … as they lie in memory.
        public func write<Bytes: ContiguousBytes>(_ bytes: Bytes) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        public func write(_ text: String) throws {
            try write(Array(text.utf8))
        }
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(data) }
    }

    /// Creates the parent directory if needed, runs `body` on a temporary file, then renames it
    /// over `path`. An error thrown by `body` is rethrown unchanged after the cleanup.
    public static func write(to path: String, _ body: (Output) throws -> Void) throws {
        let temporary = try writeTemporary(for: path, body)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw AtomicFileError("cannot write \(path): cannot rename the temporary file over it: \(reason)")
        }
        syncDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Writes `path`'s new contents to a durable temporary file beside it and returns the
    /// temporary's path, leaving the rename to the caller (`FileSet` renames several together).
    static func writeTemporary(for path: String, _ body: (Output) throws -> Void) throws -> String {
        let target = URL(fileURLWithPath: path)
        let directory = target.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AtomicFileError("cannot write \(path): cannot create the directory \(directory)")
        }
        let temporary = directory + "/." + target.lastPathComponent + temporaryMarker
            + "\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AtomicFileError("cannot write \(path): cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        var isOpen = true
        do {
            try body(Output(descriptor: descriptor, path: path))
            guard fsync(descriptor) == 0 else {
                throw AtomicFileError("cannot write \(path): fsync failed: \(String(cString: strerror(errno)))")
            }
            isOpen = false
            guard close(descriptor) == 0 else {
                throw AtomicFileError("cannot write \(path): close failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// What every temporary file's name contains (`.<name>.tmp-<pid>-<random>`), so a restarted
    /// run can find and remove the ones a killed run left.
    static let temporaryMarker = ".tmp-"

    /// Makes the rename itself durable across a power loss. Best effort: some file systems
    /// refuse to fsync a directory, and the file's contents are already safe.
    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}

/// The system `write`, reachable from `Output.write`, whose own name shadows it.
private func writeToDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

public struct AtomicFileError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var errorDescription: String? { message }
}
