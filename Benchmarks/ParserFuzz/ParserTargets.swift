import CSV
import Foundation
import GPT
import LoRA
import Tensor
import Tokenizer

/// The parsers of files a user hands Finch, each as a function of raw bytes. A target may throw
/// (a clean refusal is the expected outcome for most inputs); it must never crash, hang or
/// read out of bounds. Adding a parser is one entry here.
enum ParserTargets {
    /// Each input is written here first: the parsers read files, as the tools do.
    static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("finch-parser-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func file(_ name: String, _ bytes: Data) throws -> String {
        let path = (scratch as NSString).appendingPathComponent(name)
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The GPT-2 tokenizer, loaded once (`FINCH_VOCAB`, default `data/gpt2`).
    static let tokenizer: GPT2Tokenizer? = try? GPT2Tokenizer(
        directory: ProcessInfo.processInfo.environment["FINCH_VOCAB"] ?? "data/gpt2")

    static let all: [String: @Sendable (Data) throws -> Void] = [
        // The header's length, JSON, shapes, dtypes and offsets; every tensor is then read.
        "safetensors": { bytes in
            let file = try SafeTensorsFile(path: try file("model.safetensors", bytes))
            for name in file.names {
                guard let info = file.info(name) else { continue }
                if info.dtype == .float32 || info.dtype == .float16 || info.dtype == .bfloat16 || info.dtype == .float64 {
                    _ = try file.floats(name)
                } else {
                    _ = try? file.int64s(name)
                }
            }
        },
        // config.json as GPT2Config, then the allocation checks a load makes.
        "config": { bytes in
            _ = try file("config.json", bytes)
            let config = try Checkpoint.loadConfig(directory: scratch)
            _ = config.memoryProblem(bytesPerParameter: 4, source: "config.json")
        },
        "adapter-config": { bytes in
            _ = try PEFTAdapterConfig(path: try file("adapter_config.json", bytes))
        },
        // nanoGPT and llm.c token files.
        "tokens": { bytes in
            let stream = try TokenStream(path: try file("train.bin", bytes))
            try stream.validate(vocabSize: 50257)
        },
        "jsonl": { bytes in
            _ = try CompletionExample.readJSONL(path: try file("data.jsonl", bytes))
        },
        // `train prepare`'s CSV records, fed in two pieces as blocks of a file arrive.
        "csv": { bytes in
            var parser = CSVRecordParser()
            let split = bytes.count / 2
            try Array(bytes).withUnsafeBufferPointer { buffer in
                parser.feed(UnsafeBufferPointer(rebasing: buffer[..<split])) { _, _ in }
                parser.feed(UnsafeBufferPointer(rebasing: buffer[split...])) { _, _ in }
                try parser.finish { _, _ in }
            }
        },
        // BPE: any bytes encode, and decoding gives them back exactly.
        "bpe": { bytes in
            guard let tokenizer else { throw ParserFuzzError("no vocabulary: set FINCH_VOCAB") }
            let text = String(decoding: bytes, as: UTF8.self)
            let ids = tokenizer.encode(text, allowSpecial: true)
            guard tokenizer.decode(ids) == text else { fatalError("BPE round trip changed \(Array(bytes))") }
        },
        // WordPiece (BertTokenizer-exact): any bytes give [CLS] pieces… [SEP] within the limit.
        "wordpiece": { bytes in try WordPieceInvariants.check(bytes) },
    ]
}

struct ParserFuzzError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
