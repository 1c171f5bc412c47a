import Foundation
import GPT
import Hummingbird
import Logging
import Server
import ServiceLifecycle
import Tokenizer

/// A real Finch server on a free loopback port, serving a small random model with the project's
/// GPT-2 vocabulary (data/gpt2): random weights give deterministic, checkable greedy text.
final class TestServer: @unchecked Sendable {
    let port: Int
    let model: LanguageModel
    let metrics: ServerMetrics
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let tokenizer: GPT2Tokenizer = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! GPT2Tokenizer(directory: root.appendingPathComponent("data/gpt2").path)
    }()

    /// Shared across tests: building it is the slow part.
    static let tinyModel = LanguageModel(
        name: "tiny-random",
        weights: InferenceWeights(model: GPTModel(
            config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 1024,
                              vocabSize: GPTConfig.gpt2VocabularySize),
            seed: 11)),
        tokenizer: tokenizer)

    /// Starts the server; `loadModel` defaults to handing over the tiny model at once.
    static func start(apiKey: String? = nil, parallel: Int = 4,
                      loadModel: (@Sendable () async throws -> LanguageModel)? = nil) async throws -> TestServer {
        let model = tinyModel
        let metrics = ServerMetrics()
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "finch.test")
        logger.logLevel = .warning
        let app = ServerApplication.make(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, apiKey: apiKey, parallel: parallel),
            logger: logger, metrics: metrics,
            loadModel: loadModel ?? { model },
            onListening: { port in portContinuation.yield(port) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPTestError("the server did not start") }
        return TestServer(port: port, model: model, metrics: metrics, group: group, task: task)
    }

    private init(port: Int, model: LanguageModel, metrics: ServerMetrics, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.model = model
        self.metrics = metrics
        self.group = group
        self.task = task
    }

    /// Shuts down as `serve` does on SIGTERM: the listener closes, the scheduler stops.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// Polls /health until it answers 200.
    func waitUntilReady() async throws {
        for _ in 0..<200 {
            if try await HTTPTestClient.request(port: port, "GET", "/health").status == 200 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HTTPTestError("the model never became ready")
    }

    /// What `generate` prints for `prompt` with greedy decoding: TokenGenerator and the streaming
    /// decoder on the same weights, no server involved.
    func greedyReference(prompt: String, maxNewTokens: Int) throws -> String {
        let ids = model.tokenizer.encode(prompt, allowSpecial: true)
        var generator = TokenGenerator(session: InferenceSession(weights: model.weights),
                                       sampler: try Sampler(parameters: .greedy, seed: 0),
                                       stopTokens: [GPT2Tokenizer.endOfText])
        var decoder = StreamingDecoder(tokenizer: model.tokenizer)
        var text = ""
        _ = try generator.generate(prompt: ids, maxNewTokens: maxNewTokens) { token in
            text += decoder.append(token)
            return true
        }
        return text + decoder.flush()
    }
}
