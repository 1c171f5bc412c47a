import ArgumentParser
import CommandLineSupport
import Foundation
import Tokenizer

/// `train detokenize`: whitespace-separated GPT-2 ids → the bytes they stand for (exactly, even
/// when the ids end inside a character); with `--jsonl`, lines `{"ids": […]}` → lines `{"text": …}`.
struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Print the text of GPT-2 token ids read from a file (or stdin).")

    @Option(help: "Vocabulary directory (encoder.json + vocab.bpe, vocab.json + merges.txt, or a .tiktoken file); default: the project's data/gpt2.")
    var vocab: String?
    @Flag(help: "Read JSON lines {\"ids\": […]} and write lines {\"text\": …}.") var jsonl = false
    @Argument(help: "Input file; stdin when omitted.") var file: String?

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let (text, name) = try readInputText(file)
            if jsonl {
                var output = Data()
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where !line.allSatisfy(\.isWhitespace) {
                    let location = "\(name) line \(number + 1)"
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                          let values = object["ids"] as? [Any] else {
                        throw ValidationError("\(location): expected a JSON object with an array field \"ids\"")
                    }
                    let ids = try values.map { value -> Int in
                        guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue) else {
                            throw ValidationError("\(location): \(value) is not a token id")
                        }
                        return id
                    }
                    try validate(tokenizer, ids, location)
                    output.append(try JSONSerialization.data(withJSONObject: ["text": tokenizer.decode(ids)], options: [.withoutEscapingSlashes]))
                    output.append(UInt8(ascii: "\n"))
                }
                writeOutput(output)
            } else {
                var ids: [Int] = []
                for (position, word) in text.split(whereSeparator: \.isWhitespace).enumerated() {
                    guard let id = Int(word) else {
                        throw ValidationError("\(name): \"\(word.prefix(20))\" (word \(position + 1)) is not a token id")
                    }
                    ids.append(id)
                }
                try validate(tokenizer, ids, name)
                writeOutput(Data(tokenizer.decodeBytes(ids)))
            }
        }
    }

    private func validate(_ tokenizer: GPT2Tokenizer, _ ids: [Int], _ location: String) throws {
        do {
            try tokenizer.validate(ids: ids)
        } catch {
            throw ValidationError("\(location): \(error)")
        }
    }
}
