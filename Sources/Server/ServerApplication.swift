import Foundation
import Hummingbird
import Logging

/// Where and how the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); `onListening` tells which.
    public var port: Int
    /// When set, every route but /health and /v1/models needs `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// Most completions generated at once; the rest queue.
    public var parallel: Int
    /// Serve the shop's page and `/api/` routes (`serve --db`).
    public var shop: Bool

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, parallel: Int = 4, shop: Bool = false) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.parallel = parallel
        self.shop = shop
    }
}

/// Builds Finch's HTTP application: the routes, the error and authentication middleware, and the
/// model loading that runs beside the listening server (so /health answers 503 meanwhile).
public enum ServerApplication {
    /// - Parameters:
    ///   - loadModel: runs once the server listens; the server fails if it throws.
    ///   - onListening: receives the bound port.
    public static func make(
        configuration: ServerConfiguration,
        logger: Logger,
        metrics: ServerMetrics = ServerMetrics(),
        host: ModelHost = ModelHost(),
        loadModel: @escaping @Sendable () async throws -> LanguageModel,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = makeRouter(configuration: configuration, metrics: metrics, host: host)
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "finch"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        app.addServices(ModelLoadingService(host: host, parallel: configuration.parallel, metrics: metrics,
                                            logger: logger, load: loadModel))
        return app
    }

    /// Every route and middleware; `OpenAPITests` compares its routes with the OpenAPI document.
    public static func makeRouter(configuration: ServerConfiguration, metrics: ServerMetrics, host: ModelHost) -> Router<FinchRequestContext> {
        let router = Router(context: FinchRequestContext.self)
        router.add(middleware: ErrorMiddleware(metrics: metrics))
        if let apiKey = configuration.apiKey { router.add(middleware: APIKeyMiddleware(apiKey: apiKey)) }
        HealthRoute.add(to: router, host: host)
        ModelsRoute.add(to: router, host: host, started: Int(Date().timeIntervalSince1970))
        CompletionsRoute.add(to: router, host: host)
        TokenizeRoutes.add(to: router, host: host)
        MetricsRoute.add(to: router, metrics: metrics)
        DocumentRoutes.add(to: router, shop: configuration.shop)
        return router
    }
}
