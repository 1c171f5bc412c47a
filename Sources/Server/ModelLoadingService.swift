import Logging
import ServiceLifecycle

/// Loads the completion model in the background, hands it to the routes, and stops its
/// scheduler when the server shuts down. A failed load ends the whole server with that error.
struct ModelLoadingService: Service {
    let host: ModelHost
    let parallel: Int
    let metrics: ServerMetrics
    let logger: Logger
    let load: @Sendable () async throws -> LanguageModel

    func run() async throws {
        let model = try await load()
        let scheduler = GenerationScheduler(model: model, parallel: parallel, metrics: metrics)
        host.ready(scheduler)
        logger.info("model \(model.name) loaded: \(model.config.layerCount) layers, context \(model.config.contextLength), \(parallel) parallel slots")
        try? await gracefulShutdown()
        scheduler.shutdown()
    }
}
