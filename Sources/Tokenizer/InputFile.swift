import Foundation

/// Reads an input file a block at a time (never whole), with errors that name the file.
struct InputFile {
    static let blockBytes = 4 << 20

    let path: String

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
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TokenizerError("\(path): cannot open for reading")
        }
        defer { try? handle.close() }
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
}
