import Foundation
import GRDB
import XCTest

@testable import Store

/// Accounts and activity in schema version 3: bcrypt hashes only, the account rules, and the
/// history reads in newest-first order.
final class ShopAccountsTests: XCTestCase {
    private let csv = """
        InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
        2001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-01-04 10:00:00,2.55,17850,United Kingdom
        2002,71053,WHITE METAL LANTERN,6,2011-02-04 10:00:00,3.39,17850,United Kingdom
        2003,22633,HAND WARMER UNION JACK,12,2011-01-05 11:30:00,1.85,12583,France

        """

    func testAccountsStoreBcryptHashesAndFollowTheRules() throws {
        let scratch = try Scratch()
        let path = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: try scratch.file("shop.csv", csv), database: path)
        let database = try ShopDatabase(path: path)
        let accounts = ShopAccounts(database: database, cost: 4)
        XCTAssertEqual(try accounts.addCustomer(17850, password: "pw-17850"), Account(username: "17850", role: .customer, customer: 17850))
        try accounts.addAdmin("ops.admin", password: "pw-admin")
        XCTAssertThrowsError(try accounts.addCustomer(17850, password: "again")) { XCTAssertEqual($0 as? AccountError, .exists("17850")) }
        XCTAssertThrowsError(try accounts.addCustomer(99999, password: "x")) { XCTAssertEqual($0 as? AccountError, .unknownCustomer(99999)) }
        for name in ["", "12345", "bad name", "é"] {
            XCTAssertThrowsError(try accounts.addAdmin(name, password: "x"), name)
        }
        XCTAssertThrowsError(try accounts.addAdmin("long", password: String(repeating: "p", count: 73)), "bcrypt reads 72 bytes")
        XCTAssertThrowsError(try accounts.addAdmin("empty", password: ""))

        let hashes = try database.connections.read { db in try String.fetchAll(db, sql: "SELECT password_hash FROM users ORDER BY username") }
        XCTAssertEqual(hashes.count, 2)
        XCTAssertTrue(hashes.allSatisfy { $0.hasPrefix("$2b$04$") && !$0.contains("pw-") }, "\(hashes)")

        XCTAssertEqual(try accounts.authenticate(username: "17850", password: "pw-17850")?.customer, 17850)
        XCTAssertEqual(try accounts.authenticate(username: "ops.admin", password: "pw-admin")?.role, .admin)
        XCTAssertNil(try accounts.authenticate(username: "17850", password: "pw-17851"))
        XCTAssertNil(try accounts.authenticate(username: "nobody", password: "pw-17850"))
        XCTAssertEqual(try accounts.account("ops.admin"), Account(username: "ops.admin", role: .admin, customer: nil))
        XCTAssertNil(try accounts.account("nobody"))
    }

    func testActivityReadsNewestFirst() throws {
        let scratch = try Scratch()
        let path = scratch.path("shop.sqlite")
        _ = try RetailImport.run(csv: try scratch.file("shop.csv", csv), database: path)
        let database = try ShopDatabase(path: path)
        let click = try database.recordInteraction(customer: 17850, kind: .productClick, stockCode: "22633", query: nil)
        let search = try database.recordInteraction(customer: 17850, kind: .search, stockCode: nil, query: "lantern")
        XCTAssertGreaterThan(search.id, click.id)
        XCTAssertEqual(try database.interactions(customer: 17850, limit: 10).map(\.id), [search.id, click.id])
        XCTAssertEqual(try database.interactions(customer: 12583, limit: 10), [])

        try database.recordServed(customer: 17850, items: [ServedItem(stockCode: "22633", name: "Hand Warmer", narrative: nil)])
        try database.recordServed(customer: 17850, items: [ServedItem(stockCode: "71053", name: "Lantern", narrative: "A lantern.")])
        XCTAssertEqual(try database.served(customer: 17850, limit: 10).map { $0.items.map(\.stockCode) }, [["71053"], ["22633"]])

        let purchases = try database.purchases(customer: 17850, limit: 10)
        XCTAssertEqual(purchases.map(\.invoice), ["2002", "2001"])
        XCTAssertEqual(purchases.first?.date, "2011-02-04")
        let page = try database.customerPage(limit: 1, offset: 0)
        XCTAssertEqual(page.total, 2)
        XCTAssertEqual(page.customers.map(\.id), [17850], "most invoices first")
    }
}
