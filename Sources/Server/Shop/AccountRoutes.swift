import Foundation
import Hummingbird
import Store

/// `GET /api/me` (who the token is) and `POST /api/users` (an admin creates a customer's or
/// another admin's account).
enum AccountRoutes {
    struct Me: Encodable {
        let username: String
        let role: AccountRole
        let customer: Int?

        enum CodingKeys: String, CodingKey { case username, role, customer }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(username, forKey: .username)
            try container.encode(role, forKey: .role)
            try container.encode(customer, forKey: .customer)
        }
    }

    /// Exactly one of `customer` and `admin`.
    struct NewUser: Decodable {
        let customer: Int?
        let admin: String?
        let password: String
    }

    struct Created: Encodable {
        let username: String
        let role: AccountRole
    }

    static func add(to api: RouterGroup<SignedInContext>, shop: ShopHost) {
        api.get("me") { _, context -> Response in
            JSONResponse.make(Me(username: context.account.username, role: context.account.role, customer: context.account.customer))
        }
        api.post("users") { request, context -> Response in
            try context.requireAdmin()
            let services = try shop.require()
            let body = try await request.decodeJSON(as: NewUser.self, context: context)
            let accounts = services.accounts
            do {
                let account = try await onOwnThread { () throws -> Account in
                    switch (body.customer, body.admin) {
                    case let (id?, nil): return try accounts.addCustomer(id, password: body.password)
                    case let (nil, name?): return try accounts.addAdmin(name, password: body.password)
                    default: throw APIError.invalidRequest("Give exactly one of 'customer' (an id) and 'admin' (a name).", param: "customer")
                    }
                }
                return JSONResponse.make(Created(username: account.username, role: account.role), status: .created)
            } catch let error as AccountError {
                switch error {
                case .exists: throw APIError(status: .conflict, message: "\(error).", type: "invalid_request_error", code: "user_exists")
                case .unknownCustomer: throw APIError(status: .notFound, message: "\(error).", type: "not_found_error", param: "customer")
                case .invalid: throw APIError.invalidRequest("\(error).", param: "password")
                }
            }
        }
    }
}

/// `GET /api/customers?limit=50&offset=0` (admin): the customers with the most invoices first,
/// for the page's customer picker.
enum CustomerListRoute {
    struct Entry: Encodable {
        let id: Int
        let country: String
        let invoices: Int
        let lastPurchase: String

        enum CodingKeys: String, CodingKey { case id, country, invoices, lastPurchase = "last_purchase" }
    }

    struct Page: Encodable {
        let customers: [Entry]
        let total: Int
    }

    static func add(to api: RouterGroup<SignedInContext>, shop: ShopHost) {
        api.get("customers") { request, context -> Response in
            try context.requireAdmin()
            let limit = try ShopParameters.integer("limit", in: request, default: 50, range: 1...1000)
            let offset = try ShopParameters.integer("offset", in: request, default: 0, range: 0...Int(Int32.max))
            let page = try shop.require().database.customerPage(limit: limit, offset: offset)
            return JSONResponse.make(Page(customers: page.customers.map {
                Entry(id: $0.id, country: $0.country, invoices: $0.invoices, lastPurchase: $0.lastPurchase)
            }, total: page.total))
        }
    }
}
