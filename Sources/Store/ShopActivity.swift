import Foundation
import GRDB

/// What a customer did on the site: a product click or a search (schema version 3's `interactions`).
public enum InteractionKind: String, Sendable, Codable, CaseIterable {
    case productClick = "product_click"
    case search
}

public struct StoredInteraction: Sendable, Equatable {
    public var id: Int
    public var kind: InteractionKind
    public var customer: Int
    public var stockCode: String?
    public var query: String?
    public var createdAt: String
}

/// One item of a recommendations answer as the history keeps it.
public struct ServedItem: Sendable, Equatable, Codable {
    public var stockCode: String
    public var name: String
    public var narrative: String?

    public init(stockCode: String, name: String, narrative: String?) {
        self.stockCode = stockCode
        self.name = name
        self.narrative = narrative
    }

    enum CodingKeys: String, CodingKey { case stockCode = "stock_code", name, narrative }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stockCode, forKey: .stockCode)
        try container.encode(name, forKey: .name)
        try container.encode(narrative, forKey: .narrative)
    }

    /// The same JSON as `encode(to:)` gives, written directly (`JSONText`).
    public func write(to json: inout JSONText) {
        json.object {
            $0.key("name"); $0.string(name)
            $0.key("narrative"); $0.string(narrative)
            $0.key("stock_code"); $0.string(stockCode)
        }
    }
}

public struct ServedRecommendations: Sendable, Equatable {
    public var servedAt: String
    public var items: [ServedItem]
}

/// One purchase line of a customer's history.
public struct PurchaseRecord: Sendable, Equatable {
    public var invoice: String
    /// `YYYY-MM-DD`
    public var date: String
    public var stockCode: String
    public var name: String
    public var quantity: Int
    public var price: Double
}

/// A row of the admin's customer list.
public struct CustomerSummary: Sendable, Equatable {
    public var id: Int
    public var country: String
    public var invoices: Int
    /// `YYYY-MM-DD`
    public var lastPurchase: String
}

/// The shop's activity tables — interactions and served recommendations — and the history reads
/// the shop API answers from. Every write is one transaction, committed before the caller answers.
extension ShopDatabase {
    public func recordInteraction(customer: Int, kind: InteractionKind, stockCode: String?, query: String?) throws -> StoredInteraction {
        let createdAt = ShopClock.timestamp()
        let id = try connections.write { db in
            try db.execute(sql: "INSERT INTO interactions (customer_id, type, stock_code, query, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [customer, kind.rawValue, stockCode, query, createdAt])
            return Int(db.lastInsertedRowID)
        }
        return StoredInteraction(id: id, kind: kind, customer: customer, stockCode: stockCode, query: query, createdAt: createdAt)
    }

    /// The customer's interactions, newest first.
    public func interactions(customer: Int, limit: Int) throws -> [StoredInteraction] {
        try connections.read { db in
            // Cached: every recommendations request reads the customer's clicks.
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, type, stock_code, query, created_at FROM interactions
                WHERE customer_id = ? ORDER BY id DESC LIMIT ?
                """), arguments: [customer, limit]).compactMap { row in
                InteractionKind(rawValue: row["type"]).map {
                    StoredInteraction(id: row["id"], kind: $0, customer: customer, stockCode: row["stock_code"],
                                      query: row["query"], createdAt: row["created_at"])
                }
            }
        }
    }

    public func recordServed(customer: Int, items: [ServedItem]) throws {
        var text = JSONText()
        text.array(items) { $1.write(to: &$0) }
        let json = String(decoding: text.bytes, as: UTF8.self)
        try connections.write { db in
            // Cached: every recommendations answer is recorded.
            try db.cachedStatement(sql: "INSERT INTO served_recommendations (customer_id, served_at, items) VALUES (?, ?, ?)")
                .execute(arguments: [customer, ShopClock.timestamp(), json])
        }
    }

    /// The recommendations served to the customer, newest first.
    public func served(customer: Int, limit: Int) throws -> [ServedRecommendations] {
        let rows = try connections.read { db in
            try Row.fetchAll(db, sql: "SELECT served_at, items FROM served_recommendations WHERE customer_id = ? ORDER BY id DESC LIMIT ?",
                             arguments: [customer, limit])
        }
        return try rows.map { row in
            let items: String = row["items"]
            return ServedRecommendations(servedAt: row["served_at"], items: try JSONDecoder().decode([ServedItem].self, from: Data(items.utf8)))
        }
    }

    /// The customer's purchase lines, newest first (within an invoice, in the invoice's order).
    public func purchases(customer: Int, limit: Int) throws -> [PurchaseRecord] {
        try connections.read { db in
            try Row.fetchAll(db, sql: """
                SELECT l.invoice_no, i.date, l.stock_code, COALESCE(p.name, l.description), l.quantity, l.unit_price
                FROM invoices i JOIN purchase_lines l ON l.invoice_no = i.invoice_no
                LEFT JOIN products p ON p.stock_code = l.stock_code
                WHERE i.customer_id = ? ORDER BY i.date DESC, i.invoice_no DESC, l.position LIMIT ?
                """, arguments: [customer, limit]).map { row in
                PurchaseRecord(invoice: row[0], date: String((row[1] as String).prefix(10)), stockCode: row[2], name: row[3],
                               quantity: row[4], price: row[5])
            }
        }
    }

    /// A page of customers, most invoices first, and how many there are in all.
    public func customerPage(limit: Int, offset: Int) throws -> (customers: [CustomerSummary], total: Int) {
        try connections.read { db in
            let page = try Row.fetchAll(db, sql: """
                SELECT c.id, c.country, COUNT(i.invoice_no) AS invoices, MAX(i.date)
                FROM customers c JOIN invoices i ON i.customer_id = c.id
                GROUP BY c.id ORDER BY invoices DESC, c.id LIMIT ? OFFSET ?
                """, arguments: [limit, offset]).map { row in
                CustomerSummary(id: row[0], country: row[1], invoices: row[2], lastPurchase: String((row[3] as String).prefix(10)))
            }
            return (page, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customers") ?? 0)
        }
    }
}
