import Foundation
import GRDB

/// A customer as the store knows them.
public struct Customer: Sendable, Equatable {
    public var id: Int
    /// The country of their first purchase line (a few customers order from two countries).
    public var country: String
    public var invoices: Int
    /// Dates of their first and last invoice, `YYYY-MM-DD HH:MM:SS`.
    public var firstPurchase: String
    public var lastPurchase: String
}

/// How many rows each table holds.
public struct StoreTotals: Sendable, Equatable {
    public var products = 0
    public var customers = 0
    public var invoices = 0
    public var purchaseLines = 0
}

/// The shop's SQLite database (WAL mode): opened and checked against this build's schema
/// (`ShopSchema`), and read by the recommenders. `RetailImport` writes it.
public final class ShopDatabase: Sendable {
    public let path: String
    /// The connections: a `DatabasePool` (one writer, readers beside it, as WAL allows) when the
    /// file is writable, one read-only connection otherwise. Readers never wait for a writer's
    /// commit, and a read on the pool's read-only connections leaves prepared statements valid —
    /// a read on a writable connection toggles `PRAGMA query_only`, which expires them all.
    public let connections: any DatabaseWriter

    /// Opens an existing shop database and checks its schema version; with `migrate`, creates the
    /// file when it is missing and brings an older schema to this build's version. `readOnly` is
    /// for the commands that only read: a writable open in WAL mode rewrites the file's header
    /// (GRDB creates and drops a table to set up the WAL), so a reader would change the file.
    public init(path: String, migrate: Bool = false, readOnly: Bool = false) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !migrate {
            throw StoreError("no shop database at \(path); `recommend import --csv FILE --db \(path)` creates it")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError("cannot create database \(path): directory \(directory) does not exist")
        }
        var configuration = Configuration()
        if readOnly && !migrate {
            configuration.readonly = true
        } else {
            configuration.journalMode = .wal
        }
        // A full import touches ~50 MB of pages; SQLite's default 2 MB cache would re-read index pages.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        do {
            connections = configuration.readonly
                ? try DatabaseQueue(path: path, configuration: configuration)
                : try DatabasePool(path: path, configuration: configuration)
            if migrate {
                try ShopSchema.migrate(connections, path: path)
            } else {
                try ShopSchema.check(connections, path: path, requireCurrent: true)
            }
        } catch let error as DatabaseError {
            throw StoreError("cannot open database \(path): \(error.message ?? "\(error)")")
        }
    }

    /// Fails as `init(path:migrate: true)` would for a file that is no shop database or one of a
    /// newer schema, but opens it read-only: the import checks before reading a large CSV.
    static func checkMigratable(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            try ShopSchema.check(DatabaseQueue(path: path, configuration: configuration), path: path, requireCurrent: false)
        } catch let error as DatabaseError {
            throw StoreError("cannot open database \(path): \(error.message ?? "\(error)")")
        }
    }

    /// Every purchase line in store order: the imported files' order, so a store made from one
    /// file gives back exactly the lines `RetailCSV` reads from it.
    public func purchaseLines() throws -> [PurchaseLine] {
        try connections.read { db in
            var lines: [PurchaseLine] = []
            lines.reserveCapacity(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM purchase_lines") ?? 0)
            try Self.forEachStoredLine(db) { _, line in lines.append(line) }
            return lines
        }
    }

    /// The catalogue, by stock code.
    public func products() throws -> [Product] {
        try connections.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM products ORDER BY stock_code").map(Self.product)
        }
    }

    public func product(_ stockCode: String) throws -> Product? {
        try connections.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM products WHERE stock_code = ?", arguments: [stockCode]).map(Self.product)
        }
    }

    /// A customer with their invoice count and first and last purchase, or nil for an unknown id.
    public func customer(_ id: Int) throws -> Customer? {
        try connections.read { db in
            try Row.fetchOne(db, sql: Self.customerSQL + " WHERE c.id = ? GROUP BY c.id", arguments: [id]).map(Self.customer)
        }
    }

    /// Every customer, by id.
    public func customers() throws -> [Customer] {
        try connections.read { db in
            try Row.fetchAll(db, sql: Self.customerSQL + " GROUP BY c.id ORDER BY c.id").map(Self.customer)
        }
    }

    private static let customerSQL = """
        SELECT c.id, c.country, COUNT(i.invoice_no), MIN(i.date), MAX(i.date)
        FROM customers c JOIN invoices i ON i.customer_id = c.id
        """

    private static func customer(_ row: Row) -> Customer {
        Customer(id: row[0], country: row[1], invoices: row[2], firstPurchase: row[3], lastPurchase: row[4])
    }

    public func totals() throws -> StoreTotals {
        try connections.read { db in try Self.totals(db) }
    }

    static func totals(_ db: Database) throws -> StoreTotals {
        func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
        return StoreTotals(
            products: try count("products"), customers: try count("customers"),
            invoices: try count("invoices"), purchaseLines: try count("purchase_lines")
        )
    }

    /// Calls `body` with the stored lines and their positions, in position order. Invoices are read first and
    /// looked up in memory, which is faster than SQLite joining them to each line.
    static func forEachStoredLine(_ db: Database, _ body: (_ position: Int, _ line: PurchaseLine) throws -> Void) throws {
        var invoices: [String: (customer: Int, country: String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT invoice_no, customer_id, country FROM invoices") {
            invoices[row[0]] = (row[1], row[2])
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT position, invoice_no, stock_code, date, quantity, unit_price, description
            FROM purchase_lines ORDER BY position
            """)
        while let row = try rows.next() {
            let invoiceNo: String = row[1]
            guard let invoice = invoices[invoiceNo] else {
                throw StoreError("purchase line \(row[0] as Int) names invoice \(invoiceNo), which the invoices table lacks")
            }
            try body(row[0], PurchaseLine(
                customer: invoice.customer, invoice: invoiceNo, stockCode: row[2], date: row[3],
                quantity: row[4], unitPrice: row[5], description: row[6], country: invoice.country
            ))
        }
    }

    static func product(_ row: Row) -> Product {
        Product(
            stockCode: row["stock_code"], description: row["description"], name: row["name"], price: row["price"],
            firstSold: row["first_sold"], lastSold: row["last_sold"], firstDescription: row["first_description"]
        )
    }
}
