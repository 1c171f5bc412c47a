import Foundation

/// Writes token ids as nanoGPT's raw little-endian uint16 to a temporary file beside the final
/// path; `commit` renames it into place, `discard` removes it, so a failure leaves nothing half-written.
final class TokenFileWriter {
    let path: String
    let temporaryPath: String
    private let handle: FileHandle
    private(set) var tokenCount = 0

    init(path: String) throws {
        self.path = path
        temporaryPath = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw TokenizerError("\(path): cannot create (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
    }

    func write(_ ids: [Int]) throws {
        guard !ids.isEmpty else { return }
        var bytes = [UInt8](repeating: 0, count: ids.count * 2)
        for (i, id) in ids.enumerated() {
            // Callers check up front that the vocabulary fits in 16 bits.
            let token = UInt16(truncatingIfNeeded: id)
            bytes[2 * i] = UInt8(token & 0xFF)
            bytes[2 * i + 1] = UInt8(token >> 8)
        }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw TokenizerError("\(path): cannot write (\(error.localizedDescription))")
        }
        tokenCount += ids.count
    }

    func commit() throws {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw TokenizerError("\(path): cannot write (\(error.localizedDescription))")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw TokenizerError("\(path): cannot rename the finished file into place (\(String(cString: strerror(errno))))")
        }
    }

    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporaryPath)
    }
}
