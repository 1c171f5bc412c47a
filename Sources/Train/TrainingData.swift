import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import LoRA
import Tokenizer

/// Where `pretrain` and `finetune` read their tokens: a directory of `train.bin` / `val.bin`
/// token streams, or prompt/completion JSON lines packed so that only completions are scored
/// (supervised fine-tuning, of adapters or of every weight).
struct TrainingDataOptions: ParsableArguments {
    @Option(help: "A directory with train.bin / val.bin, or a .jsonl file of {\"prompt\", \"completion\"} lines (only completions are scored).")
    var data: String

    @Option(help: "For JSONL data: a second .jsonl file to validate on instead of holding out --val-fraction of --data.")
    var valData: String?

    @Option(help: "For JSONL data without --val-data: share of the examples held out for validation.")
    var valFraction = 0.1

    @Option(help: "For JSONL data: directory with the GPT-2 vocabulary (encoder.json + vocab.bpe); default: the project's data/gpt2.")
    var vocab: String?

    /// The input paths, for `RunDirectory.check`.
    var inputs: [(String, String?)] { [("--data", data), ("--val-data", valData)] }

    /// Token streams for training and validation, checked against the model's vocabulary.
    func load(vocabSize: Int) throws -> (TokenSource, TokenSource?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else {
            throw ValidationError("--data \(data): no such file or directory")
        }
        if isDirectory.boolValue {
            if valData != nil { throw ValidationError("--val-data goes with JSONL --data; \(data) is a directory (its val.bin validates)") }
            let trainData = try TokenStream(path: (data as NSString).appendingPathComponent("train.bin"))
            let validationPath = (data as NSString).appendingPathComponent("val.bin")
            let validationData = FileManager.default.fileExists(atPath: validationPath) ? try TokenStream(path: validationPath) : nil
            try trainData.validate(vocabSize: vocabSize)
            try validationData?.validate(vocabSize: vocabSize)
            return (trainData, validationData)
        }
        guard data.hasSuffix(".jsonl") else {
            throw ValidationError("--data \(data): expected a directory with train.bin or a .jsonl file")
        }
        if let valData, !valData.hasSuffix(".jsonl") { throw ValidationError("--val-data \(valData): expected a .jsonl file") }
        guard (0..<1).contains(valFraction) else { throw ValidationError("--val-fraction must be in [0, 1) (got \(valFraction))") }
        let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
        let endOfText = Int32(GPT2Tokenizer.endOfText)
        guard Int(endOfText) < vocabSize else {
            throw ValidationError("the model's vocabulary (\(vocabSize)) has no <|endoftext|> (\(endOfText)); JSONL data needs the GPT-2 vocabulary")
        }
        let examples = try CompletionExample.readJSONL(path: data)
        let (train, validation) = try valData.map { (examples, try CompletionExample.readJSONL(path: $0)) }
            ?? CompletionExample.split(examples, validationFraction: valFraction)
        let encode: (String) throws -> [Int32] = { text in tokenizer.encode(text, allowSpecial: false).map { Int32($0) } }
        let trainData = try PackedCompletions(train, endOfText: endOfText, encode: encode)
        let validationData = validation.isEmpty ? nil : try PackedCompletions(validation, endOfText: endOfText, encode: encode)
        printError("examples: \(trainData.exampleCount) train, \(validationData?.exampleCount ?? 0) val; \(formatCount(trainData.scoredCount)) scored completion tokens")
        return (trainData, validationData)
    }
}
