import Foundation

/// Reads an input file (or an open handle such as stdin) a block at a time, never whole, with
/// errors that name it.
struct InputFile {
    static let blockBytes = 4 << 20
    /// The longest line `forEachLine` accepts (one JSON-lines record): longer is an error rather
    /// than an ever-growing buffer (a device such as /dev/zero has no line breaks at all).
    static let maximumLineBytes = 64 << 20

    /// The file's path, or the name errors use for `handle`.
    let path: String
    private let handle: FileHandle?

    init(path: String) {
        self.path = path
        handle = nil
    }

    init(handle: FileHandle, name: String) {
        path = name
        self.handle = handle
    }

    var size: Int {
        get throws {
            do {
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                return (attributes[.size] as? NSNumber)?.intValue ?? 0
            } catch {
                throw TokenizerError("\(path): cannot read (no such file?)")
            }
        }
    }

    /// Calls `body` with consecutive blocks of the file and the offset of each block's first byte.
    func forEachBlock(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        let opened = self.handle == nil ? FileHandle(forReadingAtPath: path) : nil
        guard let handle = self.handle ?? opened else {
            throw TokenizerError("\(path): cannot open for reading (no such file?)")
        }
        defer { try? opened?.close() }
        var offset = 0
        while true {
            let block: Data
            do {
                guard let data = try handle.read(upToCount: Self.blockBytes), !data.isEmpty else { return }
                block = data
            } catch {
                throw TokenizerError("\(path): read failed at byte \(offset) (\(error.localizedDescription))")
            }
            try block.withUnsafeBytes { raw in
                try body(raw.bindMemory(to: UInt8.self), offset)
            }
            offset += block.count
        }
    }

    /// Validates the whole file as UTF-8, passing each block of complete characters to `body`
    /// along with its number of Unicode scalars.
    func forEachValidatedBlock(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var carry: [UInt8] = []
        var end = 0
        try forEachBlock { block, offset in
            var bytes = carry
            bytes.append(contentsOf: block)
            let blockStart = offset - carry.count
            var scalars = 0
            let valid: Int
            do {
                valid = try bytes.withUnsafeBufferPointer { try UTF8Validation.validPrefix($0, scalarCount: &scalars) }
            } catch let invalid as UTF8Validation.Invalid {
                throw TokenizerError("\(path): not UTF-8 at byte offset \(blockStart + invalid.offset)")
            }
            try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<valid]), scalars) }
            carry = Array(bytes[valid...])
            end = offset + block.count
        }
        if !carry.isEmpty {
            throw TokenizerError("\(path): not UTF-8 at byte offset \(end - carry.count) (the file ends inside a character)")
        }
    }

    /// Calls `body` with every line, without its "\n" (a last line without one too), carrying
    /// a line across blocks; then `blockDone` with the bytes read so far. `validated` checks
    /// the file as UTF-8 first (`forEachValidatedBlock`).
    func forEachLine(validated: Bool, blockDone: (Int) -> Void = { _ in },
                     _ body: ([UInt8]) throws -> Void) throws {
        var line: [UInt8] = []
        var done = 0
        func split(_ block: UnsafeBufferPointer<UInt8>) throws {
            var start = 0
            for (i, byte) in block.enumerated() where byte == UInt8(ascii: "\n") {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: block[start..<i]))
                try body(line)
                line.removeAll(keepingCapacity: true)
                start = i + 1
            }
            line.append(contentsOf: UnsafeBufferPointer(rebasing: block[start...]))
            if line.count > Self.maximumLineBytes {
                throw TokenizerError("\(path): a line is longer than the \(Self.maximumLineBytes >> 20) MB limit for one JSON line; not a JSON-lines file?")
            }
            done += block.count
            blockDone(done)
        }
        if validated {
            try forEachValidatedBlock { block, _ in try split(block) }
        } else {
            try forEachBlock { block, _ in try split(block) }
        }
        if !line.isEmpty { try body(line) }
    }

    /// True for a line of nothing but ASCII whitespace: JSON-lines skip it.
    static func isBlank(_ line: [UInt8]) -> Bool {
        !line.contains { $0 != 0x20 && !(0x09...0x0D).contains($0) }
    }
}
