import Foundation
import GRDB
import XCTest

@testable import Store

final class RetailImportTests: XCTestCase {
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    let january = """
        2001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-01-04 10:00:00,2.55,17850,United Kingdom
        2001,71053,WHITE METAL LANTERN,6,2011-01-04 10:00:00,3.39,17850,United Kingdom
        2002,22633,HAND WARMER UNION JACK,12,2011-01-05 11:30:00,1.85,12583,France
        C2003,22633,HAND WARMER UNION JACK,-2,2011-01-06 09:00:00,1.85,12583,France
        2004,84879,ASSORTED COLOUR BIRD ORNAMENT,8,2011-01-07 15:00:00,1.69,13047,United Kingdom
        2004,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,2011-01-07 15:00:00,2.95,13047,United Kingdom

        """

    /// Every table's rows in key order, and the schema: equal strings mean an unchanged database.
    func contents(_ path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var text = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").joined(separator: "\n")
            for table in ["customers", "invoices", "products", "purchase_lines"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1") { text += "\n\(table) \(row)" }
            }
            return text + "\nversion \(try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1)"
        }
    }

    func testReimportingTheSameFileChangesNothing() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("jan.csv", header + january)
        let database = scratch.path("shop.sqlite")
        let first = try RetailImport.run(csv: csv, database: database)
        XCTAssertEqual(first.invoicesAdded, 3)
        XCTAssertEqual(first.linesWritten, 5)
        let before = try contents(database)
        let again = try RetailImport.run(csv: csv, database: database)
        XCTAssertEqual(again.invoicesUnchanged, 3)
        XCTAssertEqual(again.invoicesAdded + again.invoicesReplaced + again.linesWritten + again.linesRemoved, 0)
        XCTAssertEqual(again.totals, first.totals)
        XCTAssertEqual(try contents(database), before)
    }

    func testOtherMonthsAddInvoicesAndAChangedInvoiceIsReplaced() throws {
        let scratch = try Scratch()
        let database = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: try scratch.file("jan.csv", header + january), database: database)
        // February, plus a corrected 2002 (another quantity, one more line) and 2004 exactly as before.
        let february = try scratch.file("feb.csv", header + """
            2002,22633,HAND WARMER UNION JACK,24,2011-01-05 11:30:00,1.85,12583,France
            2002,21754,HOME BUILDING BLOCK WORD,3,2011-01-05 11:30:00,5.95,12583,France
            2004,84879,ASSORTED COLOUR BIRD ORNAMENT,8,2011-01-07 15:00:00,1.69,13047,United Kingdom
            2004,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,2011-01-07 15:00:00,2.95,13047,United Kingdom
            3001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,2011-02-01 09:00:00,2.65,14688,United Kingdom
            """)
        let summary = try RetailImport.run(csv: february, database: database)
        XCTAssertEqual(summary.invoicesAdded, 1)
        XCTAssertEqual(summary.invoicesReplaced, 1)
        XCTAssertEqual(summary.invoicesUnchanged, 1)
        XCTAssertEqual(summary.linesRemoved, 1)
        XCTAssertEqual(summary.linesWritten, 3)
        XCTAssertEqual(summary.totals, StoreTotals(products: 5, customers: 4, invoices: 4, purchaseLines: 7))

        let shop = try ShopDatabase(path: database)
        let lines = try shop.purchaseLines()
        XCTAssertEqual(lines.map { "\($0.invoice) \($0.stockCode) \($0.quantity)" }, [
            "2001 85123A 6", "2001 71053 6", "2004 84879 8", "2004 85123A 1",
            "2002 22633 24", "2002 21754 3", "3001 85123A 4",
        ])
        let heart = try XCTUnwrap(try shop.product("85123A"))
        XCTAssertEqual(heart.lastSold, "2011-02-01 09:00:00")
        XCTAssertEqual(heart.price, 2.65, "median of 2.55, 2.65, 2.95")
        XCTAssertEqual(try shop.customer(14688)?.invoices, 1)
    }

    func testAReplacedInvoiceTakesOrphanedProductsAndCustomersWithIt() throws {
        let scratch = try Scratch()
        let database = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: try scratch.file("jan.csv", header + january), database: database)
        let corrected = try scratch.file("fix.csv", header + "2001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-01-04 10:00:00,2.55,13047,United Kingdom\n")
        let summary = try RetailImport.run(csv: corrected, database: database)
        XCTAssertEqual(summary.totals, StoreTotals(products: 3, customers: 2, invoices: 3, purchaseLines: 4))
        let shop = try ShopDatabase(path: database)
        XCTAssertNil(try shop.product("71053"))
        XCTAssertNil(try shop.customer(17850))
    }

    func testFailuresLeaveTheDatabaseAsItWas() throws {
        let scratch = try Scratch()
        let database = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: try scratch.file("jan.csv", header + january), database: database)
        let before = try contents(database)
        let newRows = "5001,22720,SET OF 3 CAKE TINS PANTRY DESIGN,4,2011-03-01 09:45:00,4.95,16098,United Kingdom\n"

        let noCountry = try scratch.file("nocountry.csv", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n" + newRows)
        assertFails(try RetailImport.run(csv: noCountry, database: database), mentioning: [noCountry, "no column Country"])
        assertFails(try RetailImport.run(csv: scratch.path("absent.csv"), database: database), mentioning: ["cannot read", "absent.csv"])
        let unclosed = try scratch.file("unclosed.csv", header + newRows + "5002,22720,\"NEVER CLOSED,4,2011-03-01 09:45:00,4.95,16098,UK\n")
        assertFails(try RetailImport.run(csv: unclosed, database: database), mentioning: [unclosed, "line 3", "never closed"])

        // A failure in the middle of writing: the 22720 line is refused after customers, invoices,
        // products and the first lines were written.
        let queue = try DatabaseQueue(path: database)
        try queue.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse AFTER INSERT ON purchase_lines WHEN NEW.stock_code = '22720' BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        }
        let withTrigger = try contents(database)
        let failing = try scratch.file("failing.csv", header + "5000,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,2011-03-01 09:00:00,2.55,17850,United Kingdom\n" + newRows)
        assertFails(try RetailImport.run(csv: failing, database: database), mentioning: ["cannot write database \(database)", "injected failure"])
        XCTAssertEqual(try contents(database), withTrigger)
        try queue.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        XCTAssertEqual(try contents(database), before)

        // Another connection holding the write lock.
        var lockingConfiguration = Configuration()
        lockingConfiguration.allowsUnsafeTransactions = true
        let locking = try DatabaseQueue(path: database, configuration: lockingConfiguration)
        try locking.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        assertFails(try RetailImport.run(csv: failing, database: database), mentioning: ["cannot", database, "locked"])
        try locking.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        XCTAssertEqual(try contents(database), before)
    }

    func testAFailedImportIntoANewPathCreatesNoFile() throws {
        let scratch = try Scratch()
        let database = scratch.path("new.sqlite")
        let noPrice = try scratch.file("noprice.csv", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID,Country\n1,85123A,X,1,2011-01-01 10:00:00,1,UK\n")
        assertFails(try RetailImport.run(csv: noPrice, database: database), mentioning: ["no column UnitPrice"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: database))
        let latin1 = try scratch.file("latin1.csv", bytes: Array(header.utf8) + Array("1,85123A,CAF".utf8) + [0xC9] + Array(",1,2011-01-01 10:00,1,5,UK\n".utf8))
        assertFails(try RetailImport.run(csv: latin1, database: database), mentioning: [latin1, "no purchase lines", "line 2: not valid UTF-8"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: database))
        let nowhere = scratch.path("missing-directory/shop.sqlite")
        assertFails(try RetailImport.run(csv: try scratch.file("jan.csv", header + january), database: nowhere),
                    mentioning: [nowhere, "does not exist"])
    }

    func testOtherSchemaVersionsAndOtherFilesAreOneClearError() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("jan.csv", header + january)
        let database = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: csv, database: database)
        XCTAssertEqual(try DatabaseQueue(path: database).read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }, ShopSchema.version)

        let newer = scratch.path("newer.sqlite")
        try FileManager.default.copyItem(atPath: database, toPath: newer)
        try DatabaseQueue(path: newer).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA user_version = 99") }
        let newerContents = try contents(newer)
        assertFails(try ShopDatabase(path: newer), mentioning: [newer, "version 99", "newer"])
        assertFails(try RetailImport.run(csv: csv, database: newer), mentioning: [newer, "version 99"])
        XCTAssertEqual(try contents(newer), newerContents)

        let unknownMigration = scratch.path("unknown.sqlite")
        try FileManager.default.copyItem(atPath: database, toPath: unknownMigration)
        try DatabaseQueue(path: unknownMigration).write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9-from-the-future')") }
        assertFails(try ShopDatabase(path: unknownMigration), mentioning: [unknownMigration, "newer than this build"])

        let foreign = scratch.path("foreign.sqlite")
        try DatabaseQueue(path: foreign).write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT)") }
        assertFails(try RetailImport.run(csv: csv, database: foreign), mentioning: [foreign, "not a Finch shop database"])

        let text = try scratch.file("text.sqlite", String(repeating: "not a database at all\n", count: 100))
        assertFails(try ShopDatabase(path: text), mentioning: [text])
        assertFails(try RetailImport.run(csv: csv, database: text), mentioning: [text])
        XCTAssertEqual(try String(contentsOfFile: text, encoding: .utf8), String(repeating: "not a database at all\n", count: 100))

        assertFails(try ShopDatabase(path: scratch.path("absent.sqlite")), mentioning: ["no shop database", "recommend import"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("absent.sqlite")))
    }

    func testTheReportNamesMalformedLinesAndEachDropRule() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("mixed.csv", header + january + "2005,22633,HAND WARMER,lots,2011-01-08 10:00:00,1.85,12583,France\n")
        let report = try RetailImport.run(csv: csv, database: scratch.path("shop.sqlite")).report.joined(separator: "\n")
        XCTAssertTrue(report.contains("rows read 7, kept 5, dropped 1, malformed 1"), report)
        XCTAssertTrue(report.contains("cancellation (InvoiceNo C…): 1"), report)
        XCTAssertTrue(report.contains("line 8 (Quantity \"lots\" is not a number)"), report)
        XCTAssertTrue(report.contains("store: 4 products, 3 customers, 3 invoices, 5 purchase lines"), report)
    }

    private func assertFails<T>(_ body: @autoclosure () throws -> T, mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for part in parts {
                XCTAssertTrue(message.contains(part), "\"\(message)\" should mention \"\(part)\"", file: file, line: line)
            }
        }
    }
}
