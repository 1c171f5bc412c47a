import Foundation
import GRDB
import XCTest

@testable import Store

final class ShopDatabaseTests: XCTestCase {
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

    func testTheSampleImportsAndLoadsBackInFileOrder() throws {
        let scratch = try Scratch()
        let database = scratch.path("shop.sqlite")
        let summary = try RetailImport.run(csv: OnlineRetailData.sample, database: database)
        let (csvLines, counts) = try RetailCSV.readAll(path: OnlineRetailData.sample)
        XCTAssertEqual(summary.csv, counts)
        XCTAssertEqual(summary.linesWritten, 29_180)
        // Distinct customers, stock codes and invoices of the reference's cleaned rows (`read_rows`).
        XCTAssertEqual(summary.totals, StoreTotals(products: 2_865, customers: 3_587, invoices: Set(csvLines.map(\.invoice)).count, purchaseLines: 29_180))
        XCTAssertEqual(summary.invoicesAdded, summary.totals.invoices)

        let shop = try ShopDatabase(path: database)
        XCTAssertEqual(try shop.purchaseLines(), csvLines)
        let products = try shop.products()
        XCTAssertEqual(products.count, 2_865)
        XCTAssertEqual(products.map(\.stockCode), products.map(\.stockCode).sorted())
        // FNV-1a of the reference's `names.setdefault(code, description)` over the sample, as
        // "code\tdescription" lines in code order, computed in Python.
        XCTAssertEqual(fnv1a(products.map { "\($0.stockCode)\t\($0.firstDescription)" }.joined(separator: "\n")), 0xa814_940f_f54f_41f1)
        let journal = try shop.connections.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journal, "wal")
    }

    /// A writable open in WAL mode rewrites the header (GRDB creates and drops a table), so the
    /// commands that only read must leave the file's bytes as they were.
    func testAReadOnlyOpenLeavesTheFileUnchanged() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("shop.csv", header + "1001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n")
        let database = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: csv, database: database)
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let shop = try ShopDatabase(path: database, readOnly: true)
        XCTAssertEqual(try shop.products().map(\.stockCode), ["85123A"])
        XCTAssertThrowsError(try shop.connections.write { db in try db.execute(sql: "DELETE FROM products") })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: database)), before)
    }

    func testProductsCustomersAndInvoicesAreDerivedFromTheLines() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("shop.csv", header + """
            1001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom
            1001,22633,HAND WARMER UNION JACK,6,2010-12-01 08:26:00,1.85,17850,United Kingdom
            1002,85123A,CREAM HANGING HEART T-LIGHT HOLDER,1,2010-12-03 10:00:00,2.95,12583,France
            1003,85123a,CREAM HANGING HEART T-LIGHT HOLDER,2,2011-01-05 11:00:00,3.10,17850,EIRE
            1003,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,2011-01-05 11:01:00,2.40,17850,EIRE
            1004,85123A,CREAM HANGING HEART T-LIGHT HOLDER,2,2011-02-05 09:00:00,2.55,12583,France

            """)
        let database = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: csv, database: database)
        let shop = try ShopDatabase(path: database)
        let heart = try XCTUnwrap(try shop.product("85123A"))
        // Three lines say CREAM, two say WHITE: the most frequent wins; the first seen is kept too.
        XCTAssertEqual(heart.description, "CREAM HANGING HEART T-LIGHT HOLDER")
        XCTAssertEqual(heart.firstDescription, "WHITE HANGING HEART T-LIGHT HOLDER")
        XCTAssertEqual(heart.name, "Cream Hanging Heart T-Light Holder")
        XCTAssertEqual(heart.price, 2.55, "median of 2.40, 2.55, 2.55, 2.95, 3.10")
        XCTAssertEqual(heart.firstSold, "2010-12-01 08:26:00")
        XCTAssertEqual(heart.lastSold, "2011-02-05 09:00:00")
        XCTAssertEqual(try shop.product("22633")?.price, 1.85)
        XCTAssertNil(try shop.product("99999"))
        XCTAssertEqual(try shop.customer(17850), Customer(id: 17850, country: "United Kingdom", invoices: 2,
                                                          firstPurchase: "2010-12-01 08:26:00", lastPurchase: "2011-01-05 11:00:00"))
        XCTAssertEqual(try shop.customer(12583)?.invoices, 2)
        XCTAssertNil(try shop.customer(1))
        XCTAssertEqual(try shop.customers().map(\.id), [12583, 17850])
        XCTAssertEqual(try shop.customers().map(\.country), ["France", "United Kingdom"])
        XCTAssertEqual(try shop.purchaseLines().map(\.country), ["United Kingdom", "United Kingdom", "France", "EIRE", "EIRE", "France"])
    }

    func testEvenCountMedianAndTieGoesToTheFirstDescription() {
        let lines = [("B", 1.0), ("A", 4.0), ("A", 2.0), ("B", 3.0)].enumerated().map { index, entry in
            PurchaseLine(customer: 1, invoice: "\(index)", stockCode: "10000", date: "2011-01-0\(index + 1) 10:00:00",
                         quantity: 1, unitPrice: entry.1, description: entry.0, country: "UK")
        }
        let product = ProductCatalog.derive(from: lines)[0]
        XCTAssertEqual(product.description, "B")
        XCTAssertEqual(product.price, 2.5)
    }

    func testTitleCasing() {
        let cases = [
            "WHITE HANGING HEART T-LIGHT HOLDER": "White Hanging Heart T-Light Holder",
            "SET 7 BABUSHKA NESTING BOXES": "Set 7 Babushka Nesting Boxes",
            "3 TIER CAKE TIN RED AND CREAM": "3 Tier Cake Tin Red and Cream",
            "12 PENCILS SMALL TUBE RED RETROSPOT": "12 Pencils Small Tube Red Retrospot",
            "SET OF 3 CAKE TINS PANTRY DESIGN ": "Set of 3 Cake Tins Pantry Design",
            "CHILDREN'S APRON DOLLY GIRL": "Children's Apron Dolly Girl",
            "PINK 3D GLITTER CARD  50CM": "Pink 3D Glitter Card 50cm",
            "SET/6 RED SPOTTY PAPER CUPS": "Set/6 Red Spotty Paper Cups",
            "CUSHION COVER 16X16CM A4 18PC": "Cushion Cover 16x16cm A4 18pc",
            "50'S CHRISTMAS GIFT BAG": "50's Christmas Gift Bag",
            "FLOWER GLASS GARLAND NECKL.36\"GREEN": "Flower Glass Garland Neckl.36\"Green",
            "20LIGHT 3.5g 15C": "20Light 3.5g 15C",
            "LED TEA LIGHTS": "LED Tea Lights",
            "FELTCRAFT DOLL ROSIE/MOLLY": "Feltcraft Doll Rosie/Molly",
            "OF MICE AND MEN": "Of Mice and Men",
            "": "",
        ]
        for (description, name) in cases {
            XCTAssertEqual(ProductName.titleCased(description), name, description)
        }
    }
}
