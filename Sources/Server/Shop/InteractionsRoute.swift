import Foundation
import Hummingbird
import Store

/// `POST /api/interactions`: a product click or a search, checked, then stored in one transaction
/// before the 201 — an interaction answered 2xx survives a crash right after. The next
/// recommendations for that customer read the clicks.
enum InteractionsRoute {
    struct Body: Decodable {
        let type: String
        let stockCode: String?
        let query: String?
        /// Required from an admin; a customer may give only their own id.
        let customer: Int?

        enum CodingKeys: String, CodingKey { case type, stockCode = "stock_code", query, customer }
    }

    struct Created: Encodable {
        let id: Int
        let type: InteractionKind
        let customer: Int
        let createdAt: String

        enum CodingKeys: String, CodingKey { case id, type, customer, createdAt = "created_at" }
    }

    static let maxQueryLength = 200

    static func add(to api: RouterGroup<SignedInContext>, shop: ShopHost) {
        api.post("interactions") { request, context -> Response in
            let body = try await request.decodeJSON(as: Body.self, context: context)
            let customer = try customer(of: body, context: context)
            let services = try shop.require()
            var stockCode: String?
            var query: String?
            guard let kind = InteractionKind(rawValue: body.type) else {
                throw APIError.invalidRequest("Unknown interaction type \"\(body.type.prefix(40))\"; use \(InteractionKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")).",
                                              param: "type")
            }
            switch kind {
            case .productClick:
                guard let code = body.stockCode else { throw APIError.invalidRequest("A product_click needs 'stock_code'.", param: "stock_code") }
                guard services.recommender.products[code] != nil else {
                    throw APIError.invalidRequest("Unknown stock code \"\(code.prefix(40))\".", param: "stock_code")
                }
                stockCode = code
            case .search:
                let text = body.query?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                guard !text.isEmpty, text.count <= maxQueryLength else {
                    throw APIError.invalidRequest("A search needs a non-empty 'query' of at most \(maxQueryLength) characters.", param: "query")
                }
                query = text
            }
            let stored = try services.database.recordInteraction(customer: customer, kind: kind, stockCode: stockCode, query: query)
            return JSONResponse.make(Created(id: stored.id, type: stored.kind, customer: stored.customer, createdAt: stored.createdAt),
                                     status: .created)
        }
    }

    private static func customer(of body: Body, context: SignedInContext) throws -> Int {
        if let own = context.account.customer {
            if let given = body.customer { try context.requireAccess(toCustomer: given) }
            return own
        }
        guard let given = body.customer else {
            throw APIError.invalidRequest("An admin must say which customer the interaction is for: 'customer'.", param: "customer")
        }
        return given
    }
}
