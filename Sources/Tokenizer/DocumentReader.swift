import CSV
import Foundation

/// The per-format halves of `train prepare`: a first pass that validates a file and counts its
/// split units (characters of text, or documents), and a second that sends its text to the router.
struct DocumentReader {
    let format: DatasetFormat
    let field: String

    func count(_ file: InputFile) throws -> Int {
        var units = 0
        switch format {
        case .text:
            try file.forEachValidatedBlock { _, scalars in units += scalars }
        case .jsonl:
            try file.forEachLine(validated: true) { line in
                if !InputFile.isBlank(line) { units += 1 }
            }
        case .csv:
            var parser = CSVRecordParser()
            var columns: [[UInt8]]?
            let onRecord: ([[UInt8]], Int) throws -> Void = { record, _ in
                if columns == nil {
                    columns = record
                    _ = try columnIndex(header: record, file: file)
                } else {
                    units += 1
                }
            }
            try file.forEachValidatedBlock { block, _ in try parser.feed(block, onRecord) }
            try finishCSV(&parser, file: file, onRecord)
        }
        return units
    }

    func read(_ file: InputFile, isLast: Bool, into router: inout SplitRouter, progress: (Int) -> Void) throws {
        switch format {
        case .text:
            // Validated in the first pass; blocks end on character boundaries after this one too.
            try file.forEachValidatedBlock { block, scalars in
                try router.appendText(block, scalars: scalars)
                progress(block.count)
            }
            try router.endTextFile(isLast: isLast)
        case .jsonl:
            try readJSONLines(file, into: &router, progress: progress)
        case .csv:
            try readCSV(file, into: &router, progress: progress)
        }
    }

    private func readJSONLines(_ file: InputFile, into router: inout SplitRouter, progress: (Int) -> Void) throws {
        var lineNumber = 0
        try file.forEachLine(validated: false, blockDone: progress) { line in
            lineNumber += 1
            guard !InputFile.isBlank(line) else { return }
            let location = "\(file.path) line \(lineNumber)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw TokenizerError("\(location): not a JSON object")
            }
            guard let value = object[field] else {
                throw TokenizerError("\(location): no field \"\(field)\" (--field; the line has \(object.keys.sorted().joined(separator: ", ")))")
            }
            guard let text = value as? String else {
                throw TokenizerError("\(location): field \"\(field)\" is not a string")
            }
            var utf8 = text
            try utf8.withUTF8 { try router.appendDocument($0) }
        }
    }

    private func readCSV(_ file: InputFile, into router: inout SplitRouter, progress: (Int) -> Void) throws {
        var parser = CSVRecordParser()
        var column: Int?
        var done = 0
        func onRecord(_ record: [[UInt8]], _: Int) throws {
            guard let index = column else {
                column = try columnIndex(header: record, file: file)
                return
            }
            guard index < record.count else {
                throw TokenizerError("\(file.path): a record has \(record.count) fields, too few for column \"\(field)\" (number \(index + 1))")
            }
            try record[index].withUnsafeBufferPointer { try router.appendDocument($0) }
        }
        try file.forEachBlock { block, _ in
            try parser.feed(block, onRecord)
            done += block.count
            progress(done)
        }
        try finishCSV(&parser, file: file, onRecord)
    }

    private func finishCSV(_ parser: inout CSVRecordParser, file: InputFile, _ onRecord: ([[UInt8]], Int) throws -> Void) throws {
        do {
            try parser.finish(onRecord)
        } catch let unclosed as CSVRecordParser.Unclosed {
            throw TokenizerError("\(file.path): the quoted field opened at byte offset \(unclosed.quoteOffset) is never closed")
        }
    }

    private func columnIndex(header: [[UInt8]], file: InputFile) throws -> Int {
        var names = header.map { String(decoding: $0, as: UTF8.self) }
        // A byte-order mark (spreadsheet exports) is not part of the first column's name.
        if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
        guard let index = names.firstIndex(of: field) else {
            throw TokenizerError("\(file.path): no column \"\(field)\" (--field; the header has \(names.joined(separator: ", ")))")
        }
        return index
    }
}
