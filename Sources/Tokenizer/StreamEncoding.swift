import Foundation

/// Encoding input of any size (`train tokenize`): read a block at a time, validated as UTF-8,
/// encoded on all cores, ids handed on in order as they are ready.
extension GPT2Tokenizer {
    /// Encodes the text read from `handle` (`name` is used in errors). `write` receives
    /// consecutive runs of ids; together they are `encode(wholeText, allowSpecial:)`.
    public func encodeStream(_ handle: FileHandle, name: String, allowSpecial: Bool = false,
                             write: @escaping ([Int]) throws -> Void) throws {
        let encoder = ParallelTextEncoder(tokenizer: self, allowSpecial: allowSpecial, write: write)
        encoder.sourceName = name
        try InputFile(handle: handle, name: name).forEachValidatedBlock { block, _ in try encoder.append(block) }
        try encoder.endDocument(separator: false)
        try encoder.finish()
    }

    /// Encodes JSON lines `{"<field>": text, …}` read from `handle`, skipping blank lines; `write`
    /// receives each line's ids in order. Lines are encoded in batches on all cores.
    public func encodeJSONLines(_ handle: FileHandle, name: String, field: String = "text", allowSpecial: Bool = false,
                                write: ([Int]) throws -> Void) throws {
        var texts: [String] = []
        var textBytes = 0
        var lineNumber = 0
        func flush() throws {
            for ids in encodeBatch(texts, allowSpecial: allowSpecial) { try write(ids) }
            texts.removeAll(keepingCapacity: true)
            textBytes = 0
        }
        try InputFile(handle: handle, name: name).forEachLine(validated: true) { line in
            lineNumber += 1
            guard !InputFile.isBlank(line) else { return }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let text = object[field] as? String else {
                throw TokenizerError("\(name) line \(lineNumber): expected a JSON object with a string field \"\(field)\"")
            }
            texts.append(text)
            textBytes += text.utf8.count
            if textBytes >= 16 << 20 || texts.count >= 65_536 { try flush() }
        }
        try flush()
    }
}
