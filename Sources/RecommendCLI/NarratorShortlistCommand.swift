import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import Narrative
import Tokenizer

/// `recommend narrator-shortlist`: writes a narrator checkpoint's `shortlist.json` from the
/// corpus it was trained on, so its LM head computes only the tokens the narrator can write.
struct NarratorShortlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "narrator-shortlist",
        abstract: "Write a narrator checkpoint's output shortlist (shortlist.json): the tokens of its training corpus and every token the slot constraint may keep.")

    @Option(help: "The narrator checkpoint directory (float or quantized) to write shortlist.json into.")
    var checkpoint: String

    @Option(help: "A prompt/completion .jsonl file the narrator was trained on (repeat for several).")
    var data: [String] = []

    @Option(help: "GPT-2 vocabulary directory (encoder.json + vocab.bpe); default: the project's data/gpt2.")
    var vocab: String?

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("--data: give the narrator's training corpus (one or more .jsonl files)") }
    }

    func run() throws {
        try runReportingErrors {
            let config = try Checkpoint.loadConfig(directory: checkpoint)
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let shortlist = try NarratorShortlist.build(corpora: data, tokenizer: tokenizer, vocabSize: config.vocabSize)
            try shortlist.save(directory: checkpoint)
            print("wrote \((checkpoint as NSString).appendingPathComponent(OutputShortlist.fileName)): \(shortlist.note)")
        }
    }
}
