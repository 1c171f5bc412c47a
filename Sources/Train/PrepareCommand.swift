import ArgumentParser
import CommandLineSupport
import Foundation
import Tokenizer

/// `train prepare`: text, JSON lines or CSV → `train.bin` / `val.bin` (nanoGPT's raw uint16) and
/// `meta.json`, streamed and encoded on all cores. How the split is made: `DatasetPreparation`.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Tokenise text into train.bin / val.bin (nanoGPT uint16) and meta.json.",
        discussion: """
            text: each file is a document (documents are joined by <|endoftext|>); the first \
            (1 - val-fraction) of the characters are train, the rest validation, as nanoGPT does. \
            jsonl / csv: each row's --field is a document followed by <|endoftext|>; the last \
            val-fraction of the documents are validation. CSV needs a header row.
            """)

    @Option(name: .customLong("input"), parsing: .upToNextOption, help: "Input files.") var inputs: [String] = []
    @Option(help: "Vocabulary directory; default: the project's data/gpt2.") var vocab: String?
    @Option(help: "Output directory.") var out: String
    @Option(help: "Input format: text, jsonl or csv.") var format = "text"
    @Option(help: "JSON key or CSV column holding the text (jsonl, csv).") var field = "text"
    @Option(help: "Fraction of the data kept for validation.") var valFraction = 0.1

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            guard let format = DatasetFormat(rawValue: format) else {
                throw ValidationError("--format: unknown format \"\(format)\" (expected \(DatasetFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let preparation = DatasetPreparation(inputs: inputs, outputDirectory: out, format: format,
                                                 field: field, validationFraction: valFraction)
            var lastPrint = -1.0
            var progressLineOpen = false
            // An error must start on its own line, not after an unfinished "\rtokenizing …".
            defer { if progressLineOpen { printError("") } }
            let summary = try preparation.run(tokenizer: tokenizer) { progress in
                let done = progress.finished
                guard done || progress.seconds - lastPrint >= 0.5 else { return }
                lastPrint = progress.seconds
                progressLineOpen = !done
                let rate = Double(progress.bytesDone) / max(progress.seconds, 1e-9)
                let eta = Double(progress.bytesTotal - progress.bytesDone) / max(rate, 1)
                FileHandle.standardError.write(Data(String(
                    format: "\r\u{1B}[Ktokenizing %.1f/%.1f MB | %.1f MB/s | ETA %@%@", Double(progress.bytesDone) / 1e6,
                    Double(progress.bytesTotal) / 1e6, rate / 1e6, formatDuration(eta), done ? "\n" : "").utf8))
            }
            print("\(out)/train.bin: \(summary.trainTokens) tokens, \(out)/val.bin: \(summary.validationTokens) tokens (documents: \(summary.documents))")
        }
    }
}
