import ArgumentParser
import CommandLineSupport
import Foundation
import Tokenizer

/// `train tokenize`: text → GPT-2 ids, as decimal numbers separated by spaces on one line; with
/// `--jsonl`, lines `{"text": …}` → lines `{"ids": […]}` in the same order (blank lines skipped).
/// Both read their input a block at a time.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the GPT-2 token ids of a text file (or stdin).")

    @Option(help: "Vocabulary directory (encoder.json + vocab.bpe, vocab.json + merges.txt, or a .tiktoken file); default: the project's data/gpt2.")
    var vocab: String?
    @Flag(help: "Read JSON lines {\"text\": …} and write lines {\"ids\": […]}.") var jsonl = false
    @Flag(help: "Encode the text <|endoftext|> as the special token 50256 instead of as plain text.")
    var allowSpecial = false
    @Argument(help: "Input file; stdin when omitted.") var file: String?

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let (input, name) = try openInput(file)
            defer { if file != nil { try? input.close() } }
            if jsonl {
                try tokenizer.encodeJSONLines(input, name: name, allowSpecial: allowSpecial) { ids in
                    writeOutput("{\"ids\": [" + ids.map(String.init).joined(separator: ", ") + "]}\n")
                }
            } else {
                // Streamed: ids are printed as each batch is encoded, so input of any size works.
                var first = true
                try tokenizer.encodeStream(input, name: name, allowSpecial: allowSpecial) { ids in
                    guard !ids.isEmpty else { return }
                    writeOutput((first ? "" : " ") + ids.map(String.init).joined(separator: " "))
                    first = false
                }
                writeOutput("\n")
            }
        }
    }
}

/// `file` opened for reading, or stdin, and the name errors should use for it. The open does
/// not block: a named pipe with no writer reads as empty instead of waiting forever, while one
/// with a writer (`<(command)`) streams as usual.
func openInput(_ file: String?) throws -> (FileHandle, String) {
    guard let file else { return (FileHandle.standardInput, "stdin") }
    let descriptor = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else {
        throw ValidationError("\(file): cannot read (\(String(cString: strerror(errno))))")
    }
    var status = stat()
    if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
        close(descriptor)
        throw ValidationError("\(file): is a directory, not a text file")
    }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    return (FileHandle(fileDescriptor: descriptor, closeOnDealloc: true), file)
}

/// Input read whole (`detokenize`) beyond this is refused: ids of a larger text are streamed
/// through `tokenize`, and an endless device must not exhaust memory.
let maximumWholeInputBytes = 256 << 20

/// The whole of `file` (or stdin) as text, and the name errors should use for it.
func readInputText(_ file: String?) throws -> (String, String) {
    let (handle, name) = try openInput(file)
    var data = Data()
    while let block = try handle.read(upToCount: 4 << 20), !block.isEmpty {
        data.append(block)
        guard data.count <= maximumWholeInputBytes else {
            throw ValidationError("\(name): more than \(maximumWholeInputBytes >> 20) MB of input, the limit for reading it whole")
        }
    }
    guard let text = String(validating: data, as: UTF8.self) else {
        throw ValidationError("\(name): not UTF-8 at byte offset \(firstInvalidUTF8Offset(data))")
    }
    return (text, name)
}

private func firstInvalidUTF8Offset(_ data: Data) -> Int {
    var iterator = data.makeIterator()
    var decoder = UTF8()
    var offset = 0
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar): offset += UTF8.width(scalar)
        case .emptyInput, .error: return offset
        }
    }
}
