import ArgumentParser
import CommandLineSupport
import Embedding
import Foundation
import Tensor

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentence embeddings: JSON lines {\"text\": ...} in, one {\"embedding\": [...]} line out per input, in order."
    )

    @Option(help: "The sentence-transformers model folder (default: models/all-MiniLM-L6-v2; fetch it with scripts/setup-minilm).")
    var model: String?

    @Argument(help: "JSON-lines input (default: standard input).")
    var file: String?

    func run() throws {
        try runReportingErrors {
            let source = file ?? "stdin"
            let data: Data
            if let file {
                guard RegularFile.exists(file) else { throw ValidationError("\(file): not found") }
                data = try RegularFile.contents(of: file)
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            let texts = try TextLines.texts(fromJSONLines: data, source: source)
            let encoder = try SentenceEncoder(modelDirectory: ModelLocation.resolve(model))
            let chunk = 1024
            var embeddings = [Float](repeating: 0, count: min(chunk, texts.count) * encoder.dimension)
            for start in stride(from: 0, to: texts.count, by: chunk) {
                let part = Array(texts[start..<min(texts.count, start + chunk)])
                let count = part.count * encoder.dimension
                var output = ""
                try embeddings.withUnsafeMutableBufferPointer { buffer in
                    let used = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
                    try encoder.embed(part, into: used)
                    for row in 0..<part.count {
                        output += TextLines.embeddingLine(UnsafeBufferPointer(rebasing: used[row * encoder.dimension..<(row + 1) * encoder.dimension]))
                    }
                }
                writeOutput(output)
            }
        }
    }
}
