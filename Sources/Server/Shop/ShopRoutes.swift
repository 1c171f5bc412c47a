import Hummingbird
import Logging
import ServiceLifecycle

/// How `serve --db` loads the shop: runs once the server listens (`/health` answers 503 until it
/// returns); the server fails if it throws.
public struct ShopConfiguration: Sendable {
    public let host: ShopHost
    public let load: @Sendable () async throws -> ShopServices

    public init(host: ShopHost = ShopHost(), load: @escaping @Sendable () async throws -> ShopServices) {
        self.host = host
        self.load = load
    }
}

/// The shop API under `/api`: the token route is open, every other route runs in a
/// `SignedInContext` after `ShopAuthenticationMiddleware`.
enum ShopRoutes {
    static func add(to router: Router<FinchRequestContext>, shop: ShopHost) {
        TokenRoute.add(to: router, shop: shop)
        let api = router.group("api")
            .add(middleware: ShopAuthenticationMiddleware(shop: shop))
            .group(context: SignedInContext.self)
        AccountRoutes.add(to: api, shop: shop)
        CustomerListRoute.add(to: api, shop: shop)
        RecommendationsRoute.add(to: api, shop: shop)
        HistoryRoute.add(to: api, shop: shop)
        InteractionsRoute.add(to: api, shop: shop)
        ProductRoutes.add(to: api, shop: shop)
        let routes: [(String, [HTTPRequest.Method])] = [
            ("/api/me", [.get]), ("/api/users", [.post]), ("/api/customers", [.get]),
            ("/api/customers/:id/recommendations", [.get]), ("/api/customers/:id/history", [.get]),
            ("/api/interactions", [.post]), ("/api/products/:code/similar", [.get]), ("/api/search", [.get]), ("/api/trending", [.get]),
        ]
        for (path, allowed) in routes { ShopParameters.refuseOtherMethods(on: router, path, allowed: allowed) }
    }
}

/// Loads the shop in the background beside the listening server and hands it to the routes.
struct ShopLoadingService: Service {
    let configuration: ShopConfiguration
    let logger: Logger

    func run() async throws {
        let services = try await configuration.load()
        configuration.host.ready(services)
        logger.info("shop loaded: \(services.database.path), \(services.recommender.data.customerCount) customers, \(services.recommender.data.itemCount) products\(services.narration.map { ", narrator \($0.narrator.model.directory)" } ?? "")")
        try? await gracefulShutdown()
        services.narration?.scheduler.shutdown()
    }
}
