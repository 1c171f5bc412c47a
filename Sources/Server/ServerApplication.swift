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

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, parallel: Int = 4) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.parallel = parallel
    }
}

/// Builds Finch's HTTP application: the routes, the error and authentication middleware, and the
/// model loading that runs beside the listening server (so /health answers 503 meanwhile).
public enum ServerApplication {
    /// - Parameters:
    ///   - loadModel: runs once the server listens; the server fails if it throws. nil serves no
    ///     completion model (the completion routes answer 503 saying so).
    ///   - shop: the shop API under `/api` (`serve --db`); nil leaves it out.
    ///   - onListening: receives the bound port.
    public static func make(
        configuration: ServerConfiguration,
        logger: Logger,
        metrics: ServerMetrics = ServerMetrics(),
        host: ModelHost = ModelHost(),
        loadModel: (@Sendable () async throws -> LanguageModel)?,
        shop: ShopConfiguration? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        if loadModel == nil { host.markAbsent() }
        let router = makeRouter(configuration: configuration, metrics: metrics, host: host,
                                servesCompletions: loadModel != nil, shop: shop)
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "finch"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        if let loadModel {
            app.addServices(ModelLoadingService(host: host, parallel: configuration.parallel, metrics: metrics,
                                                logger: logger, load: loadModel))
        }
        if let shop { app.addServices(ShopLoadingService(configuration: shop, logger: logger)) }
        return app
    }

    /// Every route and middleware; `OpenAPITests` compares its routes with the OpenAPI document.
    public static func makeRouter(configuration: ServerConfiguration, metrics: ServerMetrics, host: ModelHost,
                                  servesCompletions: Bool, shop: ShopConfiguration?) -> Router<FinchRequestContext> {
        let router = Router(context: FinchRequestContext.self)
        router.add(middleware: ErrorMiddleware(metrics: metrics))
        if let apiKey = configuration.apiKey { router.add(middleware: APIKeyMiddleware(apiKey: apiKey)) }
        HealthRoute.add(to: router, isReady: { (!servesCompletions || host.scheduler != nil) && (shop.map { $0.host.services != nil } ?? true) })
        ModelsRoute.add(to: router, host: host, started: Int(Date().timeIntervalSince1970))
        CompletionsRoute.add(to: router, host: host)
        TokenizeRoutes.add(to: router, host: host)
        MetricsRoute.add(to: router, metrics: metrics)
        if let shop { ShopRoutes.add(to: router, shop: shop.host) }
        DocumentRoutes.add(to: router, shop: shop != nil)
        return router
    }
}
