import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import Tensor
import Tokenizer

/// `generate [sample]`: streams text from a checkpoint with Hugging Face's sampling controls.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text after a prompt, streamed to stdout as it is produced.")

    @OptionGroup var model: ModelOptions

    @Option(parsing: .unconditional, help: "The prompt text.")
    var prompt: String?

    @Option(help: "Read the prompt from this file.")
    var promptFile: String?

    @Option(parsing: .unconditional, help: "Most tokens generated per sample.")
    var maxNewTokens = 200

    @Option(parsing: .unconditional, help: "Softmax temperature; 0 is greedy (argmax).")
    var temperature: Float = 0.8

    @Option(parsing: .unconditional, help: "Sample among the k most likely tokens only (0 = off).")
    var topK = 200

    @Option(parsing: .unconditional, help: "Nucleus sampling: the smallest set of most likely tokens whose probability is ≥ p, in (0, 1].")
    var topP: Float = 1.0

    @Option(parsing: .unconditional, help: "Penalise every token already in the prompt or output (> 1 discourages repeats; 1 = off).")
    var repetitionPenalty: Float = 1.0

    @Option(help: "Random seed: the same seed gives the same text.")
    var seed: UInt64 = 1337

    @Option(parsing: .unconditional, help: "Samples to generate, separated by a line '---'.")
    var numSamples = 1

    @Option(parsing: .unconditionalSingleValue, help: "End a sample when this text appears (not printed); repeatable.")
    var stop: [String] = []

    @Option(help: "Tokenizer directory (encoder.json + vocab.bpe, or vocab.json + merges.txt); default: the project's data/gpt2.")
    var vocab: String?

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            let parameters = SamplingParameters(temperature: temperature, topK: topK, topP: topP,
                                                repetitionPenalty: repetitionPenalty)
            if let problem = parameters.problem { throw ValidationError(problem) }
            guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1 (got \(maxNewTokens))") }
            guard numSamples >= 1 else { throw ValidationError("--num-samples must be at least 1 (got \(numSamples))") }
            if prompt != nil, promptFile != nil { throw ValidationError("give either --prompt or --prompt-file, not both") }

            let text = try readPrompt()
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let loaded = try model.load()
            let config = loaded.weights.model.config

            var ids = tokenizer.encode(text, allowSpecial: true)
            if ids.isEmpty { ids = [GPT2Tokenizer.endOfText] }
            if let bad = ids.firstIndex(where: { $0 >= config.vocabSize }) {
                throw ValidationError("the prompt's token \(bad) (id \(ids[bad]), \"\(tokenizer.decode([ids[bad]]))\") is outside the model's vocabulary of \(config.vocabSize): \(model.checkpoint) was not trained with the tokenizer in \(tokenizer.vocabularyFiles.first ?? "--vocab")")
            }
            let fitted = TokenGenerator.fitPrompt(ids, contextLength: config.contextLength)
            if fitted.dropped > 0 {
                printError("warning: the prompt has \(ids.count) tokens, more than the model's context of \(config.contextLength); the first \(fitted.dropped) were dropped")
            }

            var sampler = try Sampler(parameters: parameters, seed: seed)
            sampler.vocabularyLimit = tokenizer.vocabSize
            var generator = TokenGenerator(session: InferenceSession(weights: loaded.weights), sampler: sampler,
                                           stopTokens: [GPT2Tokenizer.endOfText])
            for sample in 0..<numSamples {
                if sample > 0 { writeOutput("\n---\n") }
                var decoder = StreamingDecoder(tokenizer: tokenizer)
                var filter = StopStringFilter(stops: stop)
                let reason = try generator.generate(prompt: fitted.tokens, maxNewTokens: maxNewTokens) { token in
                    writeOutput(filter.append(decoder.append(token)))
                    return !filter.isStopped
                }
                writeOutput(filter.append(decoder.flush()))
                writeOutput(filter.finish())
                if reason == .contextFull {
                    printError("note: sample \(sample + 1) stopped at the model's context of \(config.contextLength) tokens")
                }
            }
            writeOutput("\n")
        }
    }

    /// --prompt, --prompt-file, or standard input when neither is given.
    private func readPrompt() throws -> String {
        if let prompt { return prompt }
        if let promptFile {
            let data: Data
            do {
                data = try RegularFile.contents(of: promptFile, limit: 64 << 20)
            } catch {
                throw ValidationError("--prompt-file \(error)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("--prompt-file \(promptFile): not UTF-8 text")
            }
            return text
        }
        if isatty(STDIN_FILENO) == 1 { printError("reading the prompt from standard input (end it with Ctrl-D)") }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("standard input is not UTF-8 text") }
        return text
    }
}
