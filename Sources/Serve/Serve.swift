import ArgumentParser
import CommandLineSupport
import Embedding
import Foundation
import GPT
import Hummingbird
import Logging
import Narrative
import Server
import Tokenizer

/// `serve`: Finch's HTTP server — OpenAI-compatible completions (llama.cpp's endpoints) on a
/// checkpoint, with Prometheus metrics; with `--db`, the shop API (accounts, recommendations,
/// history, interactions, search) under `/api`.
@main
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a checkpoint over HTTP: /v1/completions (streaming), /tokenize, /detokenize, /health, /v1/models, /metrics; with --db, the shop API under /api.")

    static let defaultCheckpoint = "checkpoints/narrator"

    @Option(help: "Checkpoint directory for completions (float or int8); default \(Serve.defaultCheckpoint) when it exists (with --db, none: the shop alone).")
    var checkpoint: String?

    @Option(help: "Shop database (`recommend import` + `recommend index`): serves the shop API under /api. Upgraded to this build's schema on open.")
    var db: String?

    @Option(help: "Sentence-embedding model folder the index was built with (search queries); default \(ModelLocation.defaultRelativePath).")
    var model: String?

    @Option(help: "Narrator checkpoint for the shop's narratives (narrate=true); default \(NarratorModel.defaultDirectory) when it exists.")
    var narrator: String?

    @Option(help: "A narrator voice as NAME=ADAPTER_DIR (repeatable); default: every adapter under the narrator's voices/.")
    var voice: [String] = []

    @Option(help: "HS256 key for the shop's access tokens, read from this file (at least 32 bytes). Without it a random key is made at each start, so a restart signs everyone out.")
    var jwtSecretFile: String?

    @Flag(help: "Quantize a float checkpoint to int8 weights as it loads.")
    var int8 = false

    @Option(help: "Tokenizer directory (encoder.json + vocab.bpe, or vocab.json + merges.txt); default: the project's data/gpt2.")
    var vocab: String?

    @Option(help: "Address to listen on; 0.0.0.0 exposes the server to the network.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one and prints it).")
    var port = 8080

    @Option(help: "Require 'Authorization: Bearer KEY' on every route but /health and /v1/models. Visible to other users in the process list: prefer --api-key-file.")
    var apiKey: String?

    @Option(help: "Read the API key from the first line of this file.")
    var apiKeyFile: String?

    @Option(help: "Most completions generated at once; the rest wait in a queue.")
    var parallel = 4

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    mutating func run() async throws {
        try await runReportingErrors {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535 (got \(port))") }
            guard (1...256).contains(parallel) else { throw ValidationError("--parallel must be in 1...256 (got \(parallel))") }
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) (got \(logLevel))")
            }
            let checkpoint = try resolveCheckpoint()
            // Fail before listening on what is quick to check: the config, the vocabulary, the shop's files.
            if let checkpoint { _ = try Checkpoint.loadConfig(directory: checkpoint) }
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let configuration = ServerConfiguration(host: host, port: port, apiKey: try resolveAPIKey(), parallel: parallel)
            let shop = try shopConfiguration()

            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "finch.serve")
            let quantize = int8 ? LoadQuantization(format: .int8) : nil
            var loadModel: (@Sendable () async throws -> LanguageModel)?
            if let checkpoint {
                loadModel = { try await onOwnThread { try LanguageModel.load(checkpoint: checkpoint, tokenizer: tokenizer, quantize: quantize) } }
            }
            let loading = [checkpoint, db].compactMap { $0 }.joined(separator: " and ")
            let app = ServerApplication.make(
                configuration: configuration, logger: logger, loadModel: loadModel, shop: shop,
                onListening: { port in
                    logger.info("listening on http://\(configuration.host):\(port) (loading \(loading))")
                })
            try await app.runService()
        }
    }

    /// The completion checkpoint; nil when the server is only the shop (`--db` and no checkpoint).
    private func resolveCheckpoint() throws -> String? {
        if let checkpoint { return checkpoint }
        guard FileManager.default.fileExists(atPath: Serve.defaultCheckpoint + "/config.json") else {
            if db != nil { return nil }
            throw ValidationError("--checkpoint is required: there is no \(Serve.defaultCheckpoint) (scripts/narrator builds it)")
        }
        return Serve.defaultCheckpoint
    }

    private func shopConfiguration() throws -> ShopConfiguration? {
        guard let db else {
            if model != nil || jwtSecretFile != nil || narrator != nil || !voice.isEmpty {
                throw ValidationError("--model, --narrator, --voice and --jwt-secret-file need --db (the shop database)")
            }
            return nil
        }
        guard FileManager.default.fileExists(atPath: db) else {
            throw ValidationError("--db \(db): no shop database there; `recommend import --csv FILE --db \(db)` creates it")
        }
        let model = ModelLocation.resolve(model)
        guard FileManager.default.fileExists(atPath: model + "/config.json") else {
            throw ValidationError("--model \(model): no sentence-embedding model there (scripts/setup-minilm downloads all-MiniLM-L6-v2)")
        }
        let secret = try resolveJWTSecret()
        let narrator = try narratorLocation()
        return ShopConfiguration(load: {
            try await ShopServices.load(databasePath: db, modelDirectory: model, narrator: narrator, jwtSecret: secret)
        })
    }

    /// `--narrator` (or the default directory when it exists) with its `--voice` adapters.
    private func narratorLocation() throws -> NarratorLocation? {
        var voices: [String: String] = [:]
        for entry in voice {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--voice \(entry): expected NAME=ADAPTER_DIR")
            }
            guard voices[parts[0]] == nil else { throw ValidationError("--voice \(parts[0]) is given twice") }
            voices[parts[0]] = parts[1]
        }
        let directory = narrator ?? (FileManager.default.fileExists(atPath: NarratorModel.defaultDirectory + "/config.json") ? NarratorModel.defaultDirectory : nil)
        guard let directory else {
            if !voices.isEmpty { throw ValidationError("--voice needs a narrator: --narrator DIR (there is no \(NarratorModel.defaultDirectory))") }
            return nil
        }
        return NarratorLocation(directory: directory, voices: voices.isEmpty ? nil : voices, vocabulary: try VocabularyLocation.resolve(vocab))
    }

    private func resolveJWTSecret() throws -> [UInt8] {
        guard let jwtSecretFile else { return TokenIssuer.randomSecret() }
        guard let data = FileManager.default.contents(atPath: jwtSecretFile) else {
            throw ValidationError("--jwt-secret-file \(jwtSecretFile): cannot read it")
        }
        var bytes = [UInt8](data)
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        guard bytes.count >= TokenIssuer.minimumSecretBytes else {
            throw ValidationError("--jwt-secret-file \(jwtSecretFile): the key must have at least \(TokenIssuer.minimumSecretBytes) bytes (got \(bytes.count)); `head -c 48 /dev/urandom | base64 > FILE` makes one")
        }
        return bytes
    }

    private func resolveAPIKey() throws -> String? {
        if apiKey != nil, apiKeyFile != nil { throw ValidationError("give either --api-key or --api-key-file, not both") }
        guard let apiKeyFile else {
            if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key must not be empty") }
            return apiKey
        }
        guard let data = FileManager.default.contents(atPath: apiKeyFile),
              let key = String(data: data, encoding: .utf8)?.split(whereSeparator: \.isNewline).first.map(String.init),
              !key.trimmingCharacters(in: .whitespaces).isEmpty
        else { throw ValidationError("--api-key-file \(apiKeyFile): cannot read a key from its first line") }
        return key.trimmingCharacters(in: .whitespaces)
    }
}
