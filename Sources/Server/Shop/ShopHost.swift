import Store
import Recommend

/// Everything the shop API answers from, loaded once: the database (accounts, activity, history),
/// the recommender over all purchases, the description search and the query embedder.
public struct ShopServices: Sendable {
    public let database: ShopDatabase
    public let accounts: ShopAccounts
    public let recommender: ShopRecommender
    public let search: CatalogueSearch
    /// A search query as a unit vector of the index's model (MiniLM in `serve`).
    public let embedQuery: @Sendable (String) throws -> [Float]
    public let tokens: TokenIssuer
    /// A search answer falls back to trending products when no product is at least this close.
    public let searchMinimumCosine: Float
    /// The narrator (`serve --narrator`); nil answers `narrate=true` with 503.
    public let narration: ShopNarration?

    public init(database: ShopDatabase, accounts: ShopAccounts, recommender: ShopRecommender,
                embedQuery: @escaping @Sendable (String) throws -> [Float], tokens: TokenIssuer, searchMinimumCosine: Float = 0.35,
                narration: ShopNarration? = nil) {
        self.database = database
        self.accounts = accounts
        self.recommender = recommender
        search = CatalogueSearch(recommender: recommender)
        self.embedQuery = embedQuery
        self.tokens = tokens
        self.searchMinimumCosine = searchMinimumCosine
        self.narration = narration
    }
}

/// The shop as the routes see it: loading (503, as the model's routes answer meanwhile), then ready.
public final class ShopHost: Sendable {
    private let state = Locked<ShopServices?>(nil)

    public init() {}

    public func ready(_ services: ShopServices) {
        state.withLock { $0 = services }
    }

    public var services: ShopServices? { state.withLock { $0 } }

    func require() throws -> ShopServices {
        guard let services else {
            throw APIError(status: .serviceUnavailable, message: "The shop is still loading.", type: "unavailable_error", code: "shop_loading")
        }
        return services
    }
}
