import Foundation
import GRDB

/// What an import read and changed.
public struct ImportSummary: Sendable, Equatable {
    public var csv: RetailCSVCounts
    /// Invoices of the file that were new to the store, that replaced a stored invoice with
    /// different lines, and that the store already held exactly.
    public var invoicesAdded = 0
    public var invoicesReplaced = 0
    public var invoicesUnchanged = 0
    public var linesWritten = 0
    public var linesRemoved = 0
    /// The store's tables after the import.
    public var totals = StoreTotals()
}

/// Imports an Online Retail CSV into a shop database, in one transaction.
///
/// Semantics: the unit is the invoice. An invoice of the file the store does not have is added;
/// one it has with exactly the same lines (in the same order) is left alone; one it has with other
/// lines is replaced by the file's lines. So re-importing a file changes nothing, a file of other
/// months adds to the store, and a corrected export of a month overwrites that month's invoices.
/// New lines go after all stored ones, in file order. Customers and products are derived from
/// all stored lines afterwards; only rows whose values changed are written.
///
/// Nothing is written unless the whole file reads: a missing column, an unreadable file, a file
/// without a single purchase line or a failure while writing leaves the database as it was (a
/// database file the import created is removed again).
public enum RetailImport {
    public static func run(
        csv csvPath: String, database databasePath: String,
        progress: ((_ rowsRead: Int) -> Void)? = nil
    ) throws -> ImportSummary {
        let existed = FileManager.default.fileExists(atPath: databasePath)
        if existed {
            try ShopDatabase.checkMigratable(path: databasePath)
        } else {
            let directory = URL(fileURLWithPath: databasePath).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: directory) else {
                throw StoreError("cannot create database \(databasePath): directory \(directory) does not exist")
            }
        }
        var lines: [PurchaseLine] = []
        let counts = try RetailCSV.read(path: csvPath, progress: progress) { line, _ in lines.append(line) }
        guard !lines.isEmpty else {
            let firstMalformed = counts.firstMalformed.first.map { "; line \($0.line): \($0.reason)" } ?? ""
            throw StoreError("\(csvPath): no purchase lines to import (\(counts.rowsRead) rows read, \(counts.malformed) malformed\(firstMalformed))")
        }
        do {
            let database = try ShopDatabase(path: databasePath, migrate: true)
            var summary = ImportSummary(csv: counts)
            try database.connections.write { db in try write(lines, into: db, summary: &summary) }
            return summary
        } catch {
            if !existed {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
            }
            if let error = error as? DatabaseError {
                throw StoreError("cannot write database \(databasePath): \(error.message ?? "\(error)")")
            }
            throw error
        }
    }

    private static func write(_ fileLines: [PurchaseLine], into db: Database, summary: inout ImportSummary) throws {
        var stored: [PurchaseLine] = []
        var lastPosition = 0
        var storedByInvoice: [String: [PurchaseLine]] = [:]
        try ShopDatabase.forEachStoredLine(db) { position, line in
            stored.append(line)
            storedByInvoice[line.invoice, default: []].append(line)
            lastPosition = position
        }
        var fileByInvoice: [String: [PurchaseLine]] = [:]
        var fileInvoiceOrder: [String] = []
        for line in fileLines {
            if fileByInvoice[line.invoice] == nil { fileInvoiceOrder.append(line.invoice) }
            fileByInvoice[line.invoice, default: []].append(line)
        }

        var written: Set<String> = []
        for invoice in fileInvoiceOrder {
            switch storedByInvoice[invoice] {
            case nil:
                summary.invoicesAdded += 1
                written.insert(invoice)
            case let old? where old == fileByInvoice[invoice]!:
                summary.invoicesUnchanged += 1
            case let old?:
                summary.invoicesReplaced += 1
                summary.linesRemoved += old.count
                written.insert(invoice)
            }
        }
        guard !written.isEmpty else {
            summary.totals = try ShopDatabase.totals(db)
            return
        }
        let newLines = fileLines.filter { written.contains($0.invoice) }
        let allLines = stored.lazy.filter { !written.contains($0.invoice) } + newLines

        try writeCustomers(of: allLines, db)
        try writeInvoices(newLines, db)
        try writeProducts(ProductCatalog.derive(from: allLines), db)
        let removeLines = try db.makeStatement(sql: "DELETE FROM purchase_lines WHERE invoice_no = ?")
        for invoice in written where storedByInvoice[invoice] != nil {
            try removeLines.execute(arguments: [invoice])
        }
        // A bulk insert builds the line indexes once afterwards instead of row by row.
        let rebuiltIndexes = newLines.count >= bulkInsertLines ? try dropIndexes(on: "purchase_lines", db) : []
        let insertLine = try db.makeStatement(sql: """
            INSERT INTO purchase_lines (position, invoice_no, stock_code, quantity, unit_price, date, description)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        var position = lastPosition + 1
        for line in newLines {
            try insertLine.execute(arguments: [position, line.invoice, line.stockCode, line.quantity, line.unitPrice, line.date, line.description])
            position += 1
        }
        for sql in rebuiltIndexes { try db.execute(sql: sql) }
        summary.linesWritten = newLines.count
        // Products and customers whose every line was replaced away.
        try db.execute(sql: "DELETE FROM products WHERE stock_code NOT IN (SELECT DISTINCT stock_code FROM purchase_lines)")
        try db.execute(sql: "DELETE FROM customers WHERE id NOT IN (SELECT DISTINCT customer_id FROM invoices)")
        summary.totals = try ShopDatabase.totals(db)
    }

    static let bulkInsertLines = 10_000

    /// Drops the table's indexes (as `ShopSchema` made them) and returns the SQL that recreates them.
    private static func dropIndexes(on table: String, _ db: Database) throws -> [String] {
        let indexes = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", arguments: [table])
        for index in indexes { try db.execute(sql: "DROP INDEX \(index["name"] as String)") }
        return indexes.map { $0["sql"] }
    }

    /// Each customer's country is that of their first line in store order.
    private static func writeCustomers<Lines: Sequence>(of lines: Lines, _ db: Database) throws where Lines.Element == PurchaseLine {
        var countries: [Int: String] = [:]
        for line in lines where countries[line.customer] == nil { countries[line.customer] = line.country }
        var stored: [Int: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, country FROM customers") { stored[row[0]] = row[1] }
        let upsert = try db.makeStatement(sql: "INSERT INTO customers (id, country) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET country = excluded.country")
        for (id, country) in countries where stored[id] != country {
            try upsert.execute(arguments: [id, country])
        }
    }

    /// An invoice's customer and country are its first line's, its date the earliest of its lines.
    private static func writeInvoices(_ lines: [PurchaseLine], _ db: Database) throws {
        var invoices: [String: (customer: Int, country: String, date: String)] = [:]
        var order: [String] = []
        for line in lines {
            if let invoice = invoices[line.invoice] {
                invoices[line.invoice]!.date = min(invoice.date, line.date)
            } else {
                invoices[line.invoice] = (line.customer, line.country, line.date)
                order.append(line.invoice)
            }
        }
        let upsert = try db.makeStatement(sql: """
            INSERT INTO invoices (invoice_no, customer_id, country, date) VALUES (?, ?, ?, ?)
            ON CONFLICT(invoice_no) DO UPDATE SET customer_id = excluded.customer_id, country = excluded.country, date = excluded.date
            """)
        for number in order {
            let invoice = invoices[number]!
            try upsert.execute(arguments: [number, invoice.customer, invoice.country, invoice.date])
        }
    }

    private static func writeProducts(_ products: [Product], _ db: Database) throws {
        var stored: [String: Product] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM products") {
            let product = ShopDatabase.product(row)
            stored[product.stockCode] = product
        }
        let upsert = try db.makeStatement(sql: """
            INSERT INTO products (stock_code, description, first_description, name, price, first_sold, last_sold)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(stock_code) DO UPDATE SET description = excluded.description,
                first_description = excluded.first_description, name = excluded.name, price = excluded.price,
                first_sold = excluded.first_sold, last_sold = excluded.last_sold
            """)
        for product in products where stored[product.stockCode] != product {
            try upsert.execute(arguments: [
                product.stockCode, product.description, product.firstDescription, product.name,
                product.price, product.firstSold, product.lastSold,
            ])
        }
    }
}
