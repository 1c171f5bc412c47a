import Foundation
import Tensor

/// A GPT-2 vocabulary as read from disk, before the encoder's tables are built: every token's
/// bytes by id, each token's merge rank (lower merges first) and the special tokens.
/// Three forms are read: OpenAI's `encoder.json` + `vocab.bpe`, Hugging Face's `vocab.json` +
/// `merges.txt` (the same formats under other names), and tiktoken's `.tiktoken` rank file.
struct Vocabulary {
    /// Token bytes by id; special tokens hold their literal text.
    var tokens: [[UInt8]]
    /// Merge rank by id; byte tokens rank below every merge, special tokens rank `.max`.
    var ranks: [UInt32]
    var specialTokens: [String: Int]
    /// The files read, in a fixed order (hashed into `train prepare`'s meta.json).
    var files: [String]


    static func load(directory: String) throws -> Vocabulary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TokenizerError("\(directory): vocabulary directory not found")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }
        let vocabulary: Vocabulary
        if exists("encoder.json") || exists("vocab.bpe") {
            vocabulary = try loadMerges(encoder: path("encoder.json"), merges: path("vocab.bpe"))
        } else if exists("vocab.json") || exists("merges.txt") {
            vocabulary = try loadMerges(encoder: path("vocab.json"), merges: path("merges.txt"))
        } else if let rankFile = try? FileManager.default.contentsOfDirectory(atPath: directory)
            .filter({ $0.hasSuffix(".tiktoken") }).sorted().first {
            vocabulary = try loadTiktoken(path(rankFile))
        } else {
            throw TokenizerError("\(directory): no GPT-2 vocabulary (expected encoder.json + vocab.bpe, vocab.json + merges.txt, or a .tiktoken file)")
        }
        try vocabulary.checkEndOfText(directory: directory)
        return vocabulary
    }

    private func checkEndOfText(directory: String) throws {
        let endOfText = specialTokens[GPT2Tokenizer.endOfTextText]
        guard endOfText == GPT2Tokenizer.endOfText, tokens.count == GPT2Tokenizer.endOfText + 1 else {
            throw TokenizerError("\(directory): not GPT-2's vocabulary: expected 50257 tokens with \(GPT2Tokenizer.endOfTextText) = 50256, found \(tokens.count) tokens with \(GPT2Tokenizer.endOfTextText) = \(endOfText.map(String.init) ?? "none") (truncated file?)")
        }
    }

    private static func readFile(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TokenizerError("\(path): missing (the vocabulary needs it)")
        }
        do {
            return try RegularFile.contents(of: path, limit: 256 << 20)
        } catch {
            throw TokenizerError("\(error)")
        }
    }

    /// `encoder.json`/`vocab.json` (token spelling → id) with `vocab.bpe`/`merges.txt` (merge lines in rank order).
    static func loadMerges(encoder encoderPath: String, merges mergesPath: String) throws -> Vocabulary {
        let encoderData = try readFile(encoderPath)
        let mergesData = try readFile(mergesPath)
        guard let object = try? JSONSerialization.jsonObject(with: encoderData), let json = object as? [String: Any] else {
            throw TokenizerError("\(encoderPath): not a JSON object of token → id (truncated or corrupt?)")
        }
        var idForSpelling: [String: Int] = [:]
        idForSpelling.reserveCapacity(json.count)
        var tokens = [[UInt8]?](repeating: nil, count: json.count)
        for (spelling, value) in json {
            guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue), id >= 0, id < json.count else {
                throw TokenizerError("\(encoderPath): token \"\(spelling)\" has id \(value); ids must be 0..<\(json.count)")
            }
            guard tokens[id] == nil else { throw TokenizerError("\(encoderPath): id \(id) is used twice") }
            guard let bytes = ByteLevelAlphabet.bytes(of: spelling) else {
                throw TokenizerError("\(encoderPath): token \"\(spelling)\" uses a character outside GPT-2's byte alphabet")
            }
            tokens[id] = bytes
            idForSpelling[spelling] = id
        }
        let allTokens = tokens.map { $0 ?? [] }

        guard let text = String(data: mergesData, encoding: .utf8) else {
            throw TokenizerError("\(mergesPath): not UTF-8 text")
        }
        var ranks = [UInt32](repeating: .max, count: allTokens.count)
        for (id, bytes) in allTokens.enumerated() where bytes.count == 1 { ranks[id] = 0 }
        var mergeCount = 0
        for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (lineIndex == 0 && line.hasPrefix("#version")) { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            let location = "\(mergesPath) line \(lineIndex + 1)"
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw TokenizerError("\(location): expected two tokens separated by one space, found \"\(line)\" (truncated?)")
            }
            guard let left = idForSpelling[String(fields[0])], let right = idForSpelling[String(fields[1])] else {
                throw TokenizerError("\(location): \"\(line)\" names a token that \(encoderPath) does not have")
            }
            guard let merged = idForSpelling[String(fields[0]) + String(fields[1])] else {
                throw TokenizerError("\(location): the merge \"\(line)\" makes a token that \(encoderPath) does not have")
            }
            // Merge ranks start above the 256 byte tokens, as tiktoken numbers them.
            let rank = UInt32(256 + mergeCount)
            guard ranks[left] < rank, ranks[right] < rank else {
                throw TokenizerError("\(location): \"\(line)\" uses a token before the line that makes it")
            }
            guard ranks[merged] == .max else {
                throw TokenizerError("\(location): \"\(line)\" makes a token that an earlier line already makes")
            }
            ranks[merged] = rank
            mergeCount += 1
        }

        var specialTokens: [String: Int] = [:]
        var unmade: [String] = []
        for (id, rank) in ranks.enumerated() where rank == .max {
            let spelling = ByteLevelAlphabet.spelling(of: allTokens[id])
            if spelling.hasPrefix("<|"), spelling.hasSuffix("|>") {
                specialTokens[spelling] = id
            } else {
                unmade.append(spelling)
            }
        }
        guard unmade.isEmpty else {
            throw TokenizerError("\(encoderPath) has \(unmade.count) tokens that no line of \(mergesPath) makes (e.g. \"\(unmade[0])\"): the files are truncated or do not belong together")
        }
        let vocabulary = Vocabulary(tokens: allTokens, ranks: ranks, specialTokens: specialTokens, files: [encoderPath, mergesPath])
        try vocabulary.checkByteTokens(file: encoderPath)
        return vocabulary
    }

    /// tiktoken's format: one `base64(token bytes) rank` line per token; rank = id.
    static func loadTiktoken(_ path: String) throws -> Vocabulary {
        let data = try readFile(path)
        guard let text = String(data: data, encoding: .utf8) else { throw TokenizerError("\(path): not UTF-8 text") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        var tokens = [[UInt8]?](repeating: nil, count: lines.count)
        for (lineIndex, line) in lines.enumerated() {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let bytes = Data(base64Encoded: String(fields[0])), !bytes.isEmpty,
                  let rank = Int(fields[1]) else {
                throw TokenizerError("\(path) line \(lineIndex + 1): expected \"<base64 token> <rank>\", found \"\(line.prefix(80))\" (truncated or corrupt?)")
            }
            guard rank >= 0, rank < lines.count, tokens[rank] == nil else {
                throw TokenizerError("\(path) line \(lineIndex + 1): rank \(rank) is repeated or outside 0..<\(lines.count)")
            }
            tokens[rank] = [UInt8](bytes)
        }
        var allTokens = tokens.map { $0 ?? [] }
        var ranks = (0..<allTokens.count).map { UInt32($0) }
        let mergeable = Vocabulary(tokens: allTokens, ranks: ranks, specialTokens: [:], files: [path])
        try mergeable.checkByteTokens(file: path)
        try mergeable.checkTokensAreBuildable(file: path)
        // tiktoken's gpt2 encoding adds <|endoftext|> right after the mergeable ranks.
        allTokens.append(GPT2Tokenizer.endOfTextBytes)
        ranks.append(.max)
        return Vocabulary(tokens: allTokens, ranks: ranks, specialTokens: [GPT2Tokenizer.endOfTextText: allTokens.count - 1], files: [path])
    }

    /// Byte-level BPE starts from one token per byte value: all 256 must be present.
    private func checkByteTokens(file: String) throws {
        var seen = [Bool](repeating: false, count: 256)
        for bytes in tokens where bytes.count == 1 { seen[Int(bytes[0])] = true }
        if let missing = seen.firstIndex(of: false) {
            throw TokenizerError("\(file): no token for byte \(missing); a byte-level vocabulary needs all 256")
        }
    }

    /// Every multi-byte token must be the concatenation of two lower-ranked tokens, or BPE can never produce it.
    private func checkTokensAreBuildable(file: String) throws {
        var rankOf: [[UInt8]: UInt32] = [:]
        rankOf.reserveCapacity(tokens.count)
        for (id, bytes) in tokens.enumerated() {
            guard rankOf.updateValue(ranks[id], forKey: bytes) == nil else {
                throw TokenizerError("\(file): the token \"\(ByteLevelAlphabet.spelling(of: bytes))\" appears twice")
            }
        }
        for (id, bytes) in tokens.enumerated() where bytes.count > 1 {
            let buildable = (1..<bytes.count).contains { split in
                guard let left = rankOf[Array(bytes[..<split])], let right = rankOf[Array(bytes[split...])] else { return false }
                return left < ranks[id] && right < ranks[id]
            }
            guard buildable else {
                throw TokenizerError("\(file): token \"\(ByteLevelAlphabet.spelling(of: bytes))\" (rank \(ranks[id])) is not two lower-ranked tokens joined (truncated or corrupt?)")
            }
        }
    }
}

public struct TokenizerError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
