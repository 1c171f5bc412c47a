import Foundation
import Hummingbird
import Narrative
import Recommend
import Store

/// `GET /api/customers/{id}/recommendations?top_n=12&narrate=true&stream=true&voice=NAME`:
/// `recommend query`'s answer for that customer (an unknown id gets the cold-start answer), with
/// their recent product clicks as interest (`RecentInterest`); with `narrate=true`, a grounded
/// narrative per item from the narrator (`NarrationScheduler`), whole or streamed as server-sent
/// events. Every answer is recorded in the customer's history.
enum RecommendationsRoute {
    /// Clicks older than the most recent this many do not move the ranking.
    static let recentClicks = 20

    static func add(to api: RouterGroup<SignedInContext>, shop: ShopHost) {
        api.get("customers/:id/recommendations") { request, context -> Response in
            let id = try ShopParameters.pathInteger("id", context: context)
            try context.requireAccess(toCustomer: id)
            let topN = try ShopParameters.integer("top_n", in: request, default: 12, range: 1...100)
            let narrate = try ShopParameters.boolean("narrate", in: request)
            let stream = try ShopParameters.boolean("stream", in: request)
            let voice = request.uri.queryParameters.get("voice").map { String($0) }
            guard narrate || (!stream && voice == nil) else {
                throw APIError.invalidRequest("stream=true and voice need narrate=true.", param: stream ? "stream" : "voice")
            }
            let services = try shop.require()
            let answer = try recommendations(for: id, topN: topN, services: services)
            guard narrate else {
                try services.database.recordServed(customer: id, items: answer.items.map {
                    ServedItem(stockCode: $0.stockCode, name: $0.name, narrative: nil)
                })
                var json = JSONText(capacity: 512 * answer.items.count)
                answer.write(to: &json)
                return JSONResponse.make(json)
            }
            guard let narration = services.narration else {
                throw APIError(status: .serviceUnavailable, message: "This server has no narrator: narrate=true needs `serve --narrator DIR`.",
                               type: "unavailable_error", param: "narrate", code: "narrator_unavailable")
            }
            do {
                _ = try narration.narrator.model.weights(voice: voice)
            } catch {
                throw APIError.invalidRequest("\(error)", param: "voice")
            }
            let narratives = try narration.narratives(customer: id, items: answer.items, voice: voice)
            return stream
                ? NarratedRecommendations.stream(answer, narratives: narratives, database: services.database)
                : try await NarratedRecommendations.whole(answer, narratives: narratives, database: services.database)
        }
    }

    /// The ranking with the customer's recent clicks folded in.
    static func recommendations(for id: Int, topN: Int, services: ShopServices) throws -> CustomerRecommendations {
        let clicked = try services.database.interactions(customer: id, limit: recentClicks * 2)
            .filter { $0.kind == .productClick }.compactMap(\.stockCode).prefix(recentClicks)
        return try services.recommender.recommend(customer: id, k: min(topN, services.recommender.data.itemCount), clicked: Array(clicked))
    }
}

/// `GET /api/customers/{id}/history?limit=50`: the customer's purchase lines and the
/// recommendations served to them, both newest first.
enum HistoryRoute {
    struct Purchase: Encodable {
        let invoice: String
        let date: String
        let stockCode: String
        let name: String
        let quantity: Int
        let price: Double

        enum CodingKeys: String, CodingKey { case invoice, date, stockCode = "stock_code", name, quantity, price }
    }

    struct Served: Encodable {
        let servedAt: String
        let items: [ServedItem]

        enum CodingKeys: String, CodingKey { case servedAt = "served_at", items }
    }

    struct History: Encodable {
        let customer: Int
        let purchases: [Purchase]
        let served: [Served]
    }

    static func add(to api: RouterGroup<SignedInContext>, shop: ShopHost) {
        api.get("customers/:id/history") { request, context -> Response in
            let id = try ShopParameters.pathInteger("id", context: context)
            try context.requireAccess(toCustomer: id)
            let limit = try ShopParameters.integer("limit", in: request, default: 50, range: 1...1000)
            let database = try shop.require().database
            let purchases = try database.purchases(customer: id, limit: limit).map {
                Purchase(invoice: $0.invoice, date: $0.date, stockCode: $0.stockCode, name: $0.name, quantity: $0.quantity, price: $0.price)
            }
            let served = try database.served(customer: id, limit: limit).map { Served(servedAt: $0.servedAt, items: $0.items) }
            return JSONResponse.make(History(customer: id, purchases: purchases, served: served))
        }
    }
}
