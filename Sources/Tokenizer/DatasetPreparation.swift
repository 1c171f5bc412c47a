import Foundation
import Tensor

public enum DatasetFormat: String, CaseIterable, Sendable {
    /// Whole files of plain text; split into train and validation by characters, like nanoGPT.
    case text
    /// One JSON object per line; each line's `field` is a document.
    case jsonl
    /// RFC 4180 CSV with a header row; each record's `field` column is a document.
    case csv
}

/// `train prepare`: tokenises text into nanoGPT's `train.bin` / `val.bin` (raw little-endian uint16)
/// and `meta.json`. Inputs are streamed in blocks and encoded on all cores in a fixed order.
///
/// Splits: plain text is split by characters (Unicode scalars, as Python indexes a `str`): the first
/// `1 - validationFraction` of all the inputs' characters are train, the rest validation, and each
/// part is encoded on its own — so one file gives exactly nanoGPT's `prepare.py` ids. Several text
/// files are documents joined by `<|endoftext|>` between them. For jsonl and csv every document is
/// followed by `<|endoftext|>`, and validation is the last `validationFraction` of the documents.
public struct DatasetPreparation {
    public var inputs: [String]
    public var outputDirectory: String
    public var format: DatasetFormat
    public var field: String
    public var validationFraction: Double
    /// Size of the pieces the text is cut into for the workers.
    public var chunkBytes = 1 << 20

    public struct Progress: Sendable {
        public let bytesDone: Int
        public let bytesTotal: Int
        public let seconds: Double
        /// True once, on the last report: everything is encoded and written.
        public let finished: Bool
    }

    public struct Summary: Sendable {
        public let trainTokens: Int
        public let validationTokens: Int
        /// Documents read (text files count one each).
        public let documents: Int
    }

    public init(inputs: [String], outputDirectory: String, format: DatasetFormat = .text,
                field: String = "text", validationFraction: Double = 0.1) {
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.format = format
        self.field = field
        self.validationFraction = validationFraction
    }

    public func run(tokenizer: GPT2Tokenizer, progress: (Progress) -> Void = { _ in }) throws -> Summary {
        guard !inputs.isEmpty else { throw TokenizerError("--input: no input files given") }
        guard validationFraction > 0, validationFraction < 1 else {
            throw TokenizerError("--val-fraction: \(validationFraction) is not between 0 and 1 (exclusive)")
        }
        guard tokenizer.vocabSize <= 65_536 else {
            throw TokenizerError("vocabulary of \(tokenizer.vocabSize) ids does not fit nanoGPT's uint16 token files")
        }
        // Regular files only: the input is read twice (a count, then the split), and a FIFO or a
        // device such as /dev/zero would block or never end.
        for input in inputs {
            do {
                close(try RegularFile.openForReading(input).descriptor)
            } catch let error as RegularFileError {
                throw TokenizerError("--input \(error.message)")
            }
        }
        let files = inputs.map { InputFile(path: $0) }
        let sizes = try files.map { try $0.size }
        let reader = DocumentReader(format: format, field: field)
        let counts = try files.map { try reader.count($0) }
        let unitCount = counts.reduce(0, +)
        guard unitCount > 0 else {
            throw TokenizerError("\(inputs.joined(separator: ", ")): no \(format == .text ? "text" : "documents") to tokenise (empty input)")
        }
        let trainUnits = Int(Double(unitCount) * (1 - validationFraction))
        let unitName = format == .text ? "characters" : "documents"
        guard trainUnits > 0, trainUnits < unitCount else {
            throw TokenizerError("--val-fraction \(validationFraction) of \(unitCount) \(unitName) leaves \(trainUnits == 0 ? "no training" : "no validation") data")
        }

        try createDirectory(outputDirectory)
        let train = try TokenFileWriter(path: outputDirectory + "/train.bin")
        let validation: TokenFileWriter
        do {
            validation = try TokenFileWriter(path: outputDirectory + "/val.bin")
        } catch {
            train.discard()
            throw error
        }
        var finished = false
        defer {
            if !finished {
                train.discard()
                validation.discard()
            }
        }
        let trainEncoder = ParallelTextEncoder(tokenizer: tokenizer, chunkBytes: chunkBytes, write: train.write)
        let validationEncoder = ParallelTextEncoder(tokenizer: tokenizer, chunkBytes: chunkBytes, write: validation.write)
        let start = Date()
        let totalBytes = sizes.reduce(0, +)
        var bytesBefore = 0
        var router = SplitRouter(trainUnits: trainUnits, train: trainEncoder, validation: validationEncoder)
        for (index, file) in files.enumerated() {
            try reader.read(file, isLast: index == files.count - 1, into: &router) { bytesInFile in
                progress(Progress(bytesDone: bytesBefore + bytesInFile, bytesTotal: totalBytes,
                                  seconds: Date().timeIntervalSince(start), finished: false))
            }
            bytesBefore += sizes[index]
        }
        try trainEncoder.finish()
        try validationEncoder.finish()
        try train.commit()
        try validation.commit()
        finished = true
        let documents = format == .text ? files.count : unitCount
        try writeMeta(tokenizer: tokenizer, train: train.tokenCount, validation: validation.tokenCount,
                      documents: documents, sizes: sizes)
        progress(Progress(bytesDone: totalBytes, bytesTotal: totalBytes, seconds: Date().timeIntervalSince(start), finished: true))
        return Summary(trainTokens: train.tokenCount, validationTokens: validation.tokenCount, documents: documents)
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TokenizerError("--out \(path): cannot create the directory (\(error.localizedDescription))")
        }
    }

    private func writeMeta(tokenizer: GPT2Tokenizer, train: Int, validation: Int, documents: Int, sizes: [Int]) throws {
        var vocabularyFiles: [[String: Any]] = []
        for path in tokenizer.vocabularyFiles {
            let data = try RegularFile.contents(of: path, limit: 256 << 20)
            vocabularyFiles.append(["file": path, "bytes": data.count, "sha256": SHA256.hex(of: data)])
        }
        var meta: [String: Any] = [
            "dtype": "uint16",
            "layout": "nanoGPT raw little-endian",
            "train_tokens": train,
            "val_tokens": validation,
            "vocab_size": tokenizer.vocabSize,
            "eot_token": GPT2Tokenizer.endOfText,
            "tokenizer": "gpt2",
            "vocab": vocabularyFiles,
            "input_format": format.rawValue,
            "val_fraction": validationFraction,
            "split": format == .text ? "characters" : "documents",
            "documents": documents,
            "sources": zip(inputs, sizes).map { ["path": $0, "bytes": $1] },
        ]
        if format != .text { meta["field"] = field }
        let path = outputDirectory + "/meta.json"
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let data = try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw TokenizerError("\(path): cannot write (\(error.localizedDescription))")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw TokenizerError("\(path): cannot rename into place (\(String(cString: strerror(errno))))")
        }
    }
}

/// Sends text to the train encoder until `trainUnits` characters or documents have passed, then
/// to the validation encoder.
struct SplitRouter {
    let trainUnits: Int
    let train: ParallelTextEncoder
    let validation: ParallelTextEncoder
    private(set) var unitsSeen = 0

    init(trainUnits: Int, train: ParallelTextEncoder, validation: ParallelTextEncoder) {
        self.trainUnits = trainUnits
        self.train = train
        self.validation = validation
    }

    /// Plain text: `bytes` holds `scalars` characters of the current file; the train part ends
    /// (and is encoded as a whole text) at the split character.
    mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>, scalars: Int) throws {
        if unitsSeen >= trainUnits {
            try validation.append(bytes)
        } else if unitsSeen + scalars <= trainUnits {
            try train.append(bytes)
        } else {
            var cut = 0
            var remaining = trainUnits - unitsSeen
            while remaining > 0 || (cut < bytes.count && bytes[cut] & 0xC0 == 0x80) {
                if bytes[cut] & 0xC0 != 0x80 { remaining -= 1 }
                cut += 1
            }
            try train.append(UnsafeBufferPointer(rebasing: bytes[..<cut]))
            try train.endDocument(separator: false)
            try validation.append(UnsafeBufferPointer(rebasing: bytes[cut...]))
        }
        unitsSeen += scalars
    }

    /// The current text file ends; between files comes `<|endoftext|>`.
    mutating func endTextFile(isLast: Bool) throws {
        try (unitsSeen > trainUnits ? validation : train).endDocument(separator: !isLast)
    }

    /// One whole document, followed by `<|endoftext|>`.
    mutating func appendDocument(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        let encoder = unitsSeen < trainUnits ? train : validation
        try encoder.append(bytes)
        try encoder.endDocument(separator: true)
        unitsSeen += 1
    }
}
