import Foundation
import Hummingbird
import Recommend
import Store

/// `GET /api/products/{code}/similar`, `GET /api/search?q=`, `GET /api/trending`: the catalogue by
/// description meaning (the index's MiniLM embeddings) and by what sells now.
enum ProductRoutes {
    struct ProductSummary: Encodable {
        let stockCode: String
        let name: String
        let price: Double

        enum CodingKeys: String, CodingKey { case stockCode = "stock_code", name, price }
    }

    struct SimilarItem: Encodable {
        let stockCode: String
        let name: String
        let price: Double
        let cosine: Double

        enum CodingKeys: String, CodingKey { case stockCode = "stock_code", name, price, cosine }
    }

    struct Similar: Encodable {
        let product: ProductSummary
        let items: [SimilarItem]
    }

    struct SearchItem: Encodable {
        let stockCode: String
        let name: String
        let price: Double
        /// The query's cosine to the description; for fallback items, the trending rank score
        /// (1 for the top item, falling).
        let score: Double

        enum CodingKeys: String, CodingKey { case stockCode = "stock_code", name, price, score }
    }

    struct SearchAnswer: Encodable {
        let query: String
        let items: [SearchItem]
        let fallbackReason: String?

        enum CodingKeys: String, CodingKey { case query, items, fallbackReason = "fallback_reason" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(query, forKey: .query)
            try container.encode(items, forKey: .items)
            try container.encode(fallbackReason, forKey: .fallbackReason)
        }
    }

    struct TrendingItem: Encodable {
        let stockCode: String
        let name: String
        let price: Double
        let orders30d: Int

        enum CodingKeys: String, CodingKey { case stockCode = "stock_code", name, price, orders30d = "orders_30d" }
    }

    struct Trending: Encodable {
        let items: [TrendingItem]
    }

    static func add(to api: RouterGroup<SignedInContext>, shop: ShopHost) {
        api.get("products/:code/similar") { request, context -> Response in
            let code = context.parameters.get("code") ?? ""
            let k = try ShopParameters.integer("k", in: request, default: 10, range: 1...100)
            let services = try shop.require()
            guard let product = services.recommender.products[code], let similar = services.search.similar(to: code, k: k) else {
                throw APIError(status: .notFound, message: "No product with stock code \"\(code.prefix(40))\".", type: "not_found_error", param: "code")
            }
            return JSONResponse.make(Similar(
                product: ProductSummary(stockCode: code, name: product.name, price: product.price),
                items: similar.map { item in
                    let product = services.recommender.products[item.stockCode]
                    return SimilarItem(stockCode: item.stockCode, name: product?.name ?? item.stockCode, price: product?.price ?? 0,
                                       cosine: Double(item.cosine))
                }))
        }
        api.get("search") { request, _ -> Response in
            let query = (request.uri.queryParameters.get("q") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !query.isEmpty, query.count <= InteractionsRoute.maxQueryLength else {
                throw APIError.invalidRequest("'q' must be a non-empty query of at most \(InteractionsRoute.maxQueryLength) characters.", param: "q")
            }
            let k = try ShopParameters.integer("k", in: request, default: 10, range: 1...100)
            let services = try shop.require()
            let vector = try services.embedQuery(query)
            let found = services.search.search(vector, k: k, minimumCosine: services.searchMinimumCosine)
            guard found.isEmpty else {
                return JSONResponse.make(SearchAnswer(query: query, items: found.map { item($0.stockCode, score: Double($0.cosine), services) },
                                                      fallbackReason: nil))
            }
            let trending = services.recommender.trendingItems(k: k)
            let reason = "No product description is close enough to the query (cosine below \(services.searchMinimumCosine)); showing trending products instead."
            return JSONResponse.make(SearchAnswer(query: query, items: trending.enumerated().map { rank, entry in
                item(entry.stockCode, score: 1 / Double(rank + 1), services)
            }, fallbackReason: reason))
        }
        api.get("trending") { request, _ -> Response in
            let k = try ShopParameters.integer("k", in: request, default: 10, range: 1...100)
            let services = try shop.require()
            return JSONResponse.make(Trending(items: services.recommender.trendingItems(k: k).map { entry in
                let product = services.recommender.products[entry.stockCode]
                return TrendingItem(stockCode: entry.stockCode, name: product?.name ?? entry.stockCode, price: product?.price ?? 0,
                                    orders30d: entry.orders30d)
            }))
        }
    }

    private static func item(_ code: String, score: Double, _ services: ShopServices) -> SearchItem {
        let product = services.recommender.products[code]
        return SearchItem(stockCode: code, name: product?.name ?? code, price: product?.price ?? 0, score: score)
    }
}
