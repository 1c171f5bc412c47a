import Foundation
import Server
import Store
import XCTest

/// Each shop route's answer on a real server over a real database: shapes, the history that
/// records every answer, interactions that move the next recommendations, search with its
/// fallback, and the errors (400, 404, 405, 413).
final class ShopRouteTests: XCTestCase {
    func testRecommendationsAreRecordedInTheHistory() async throws {
        let server = try await ShopTestServer.start()
        let a = server.fixture.customerA
        let token = try await server.customerToken(a)
        let answer = try await server.request("GET", "/api/customers/\(a)/recommendations?top_n=5", token: token)
        XCTAssertEqual(answer.status, 200, answer.text)
        let json = try answer.json()
        XCTAssertEqual(json["customer"] as? Int, a)
        XCTAssertEqual(json["cold_start"] as? Bool, false)
        let items = try XCTUnwrap(json["items"] as? [[String: Any]])
        XCTAssertEqual(items.count, 5)
        let expected = try server.fixture.recommender.recommend(customer: a, k: 5)
        XCTAssertEqual(items.map { $0["stock_code"] as? String }, expected.items.map(\.stockCode), "recommend query's ranking")
        for item in items {
            XCTAssertNotNil(item["name"] as? String)
            XCTAssertNotNil(item["price"] as? Double)
            XCTAssertNotNil(item["score"] as? Double)
            XCTAssertFalse((item["reasons"] as? [[String: Any]] ?? []).isEmpty)
            XCTAssertNil(item["narrative"], "no narrative unless narrate=true")
        }
        _ = try await server.request("GET", "/api/customers/\(a)/recommendations?top_n=3", token: token)

        let history = try await server.request("GET", "/api/customers/\(a)/history?limit=10", token: token)
        XCTAssertEqual(history.status, 200)
        let historyJSON = try history.json()
        let purchases = try XCTUnwrap(historyJSON["purchases"] as? [[String: Any]])
        XCTAssertEqual(purchases.count, 10)
        let dates = purchases.compactMap { $0["date"] as? String }
        XCTAssertEqual(dates, dates.sorted(by: >), "purchases newest first")
        XCTAssertTrue(purchases.allSatisfy { ($0["invoice"] as? String) != nil && ($0["quantity"] as? Int ?? 0) > 0 })
        let served = try XCTUnwrap(historyJSON["served"] as? [[String: Any]])
        XCTAssertEqual(served.map { ($0["items"] as? [Any])?.count }, [3, 5], "both answers, newest first")
        let firstServed = try XCTUnwrap((served[1]["items"] as? [[String: Any]])?.first)
        XCTAssertEqual(firstServed["stock_code"] as? String, expected.items[0].stockCode)
        XCTAssertTrue(firstServed.keys.contains("narrative"))
        XCTAssertTrue((served[0]["served_at"] as? String ?? "").hasSuffix("Z"))
        await server.stop()
    }

    func testUnknownCustomerGetsTheColdStartAnswer() async throws {
        let server = try await ShopTestServer.start()
        let admin = try await server.adminToken()
        let json = try await server.request("GET", "/api/customers/1/recommendations?top_n=4", token: admin).json()
        XCTAssertEqual(json["cold_start"] as? Bool, true)
        XCTAssertEqual((json["items"] as? [Any])?.count, 4)
        await server.stop()
    }

    func testClicksAreStoredAndMoveTheNextRecommendations() async throws {
        let server = try await ShopTestServer.start()
        let b = server.fixture.customerB
        let token = try await server.customerToken(b)
        let recommender = server.fixture.recommender
        let before = try recommender.recommend(customer: b, k: 12).items.map(\.stockCode)
        // A product the customer never bought and that is not recommended yet, with co-purchases.
        let data = recommender.data
        let bought = Set(data.items(ofCustomer: data.customerIndex[b]!).map { data.items[Int($0)] })
        let popular = (0..<data.itemCount).sorted { data.popularity[$0] > data.popularity[$1] }.map { data.items[$0] }
        let clicked = try XCTUnwrap(popular.first { !bought.contains($0) && !before.contains($0) })

        let stored = try await server.post("/api/interactions", token: token, json: ["type": "product_click", "stock_code": clicked])
        XCTAssertEqual(stored.status, 201, stored.text)
        let storedJSON = try stored.json()
        XCTAssertEqual(storedJSON["type"] as? String, "product_click")
        XCTAssertEqual(storedJSON["customer"] as? Int, b)
        XCTAssertNotNil(storedJSON["id"] as? Int)
        let rows = try server.services.database.interactions(customer: b, limit: 10)
        XCTAssertEqual(rows.first?.stockCode, clicked, "in the database before the 201")

        let after = try await server.request("GET", "/api/customers/\(b)/recommendations?top_n=12", token: token).json()
        let afterCodes = (after["items"] as? [[String: Any]] ?? []).compactMap { $0["stock_code"] as? String }
        XCTAssertEqual(afterCodes, try recommender.recommend(customer: b, k: 12, clicked: [clicked]).items.map(\.stockCode),
                       "the stored click is the recent interest")
        XCTAssertNotEqual(afterCodes, before, "a click changes the ranking")

        // A cold-start customer's page follows a click too, citing it as the evidence.
        let admin = try await server.adminToken()
        let coldClick = try await server.post("/api/interactions", token: admin, json: ["type": "product_click", "stock_code": clicked, "customer": 1])
        XCTAssertEqual(coldClick.status, 201)
        let cold = try await server.request("GET", "/api/customers/1/recommendations?top_n=12", token: admin).json()
        XCTAssertEqual(cold["cold_start"] as? Bool, true)
        let citesClick = (cold["items"] as? [[String: Any]] ?? []).contains { item in
            (item["reasons"] as? [[String: Any]] ?? []).contains { $0["kind"] as? String == "bought-together" && $0["with"] as? String == clicked }
        }
        XCTAssertTrue(citesClick, "\(cold)")

        let search = try await server.post("/api/interactions", token: token, json: ["type": "search", "query": "red lantern"])
        XCTAssertEqual(search.status, 201)
        let forB = try await server.post("/api/interactions", token: admin, json: ["type": "search", "query": "mug", "customer": b])
        XCTAssertEqual(forB.status, 201)
        XCTAssertEqual(try server.services.database.interactions(customer: b, limit: 10).map(\.kind), [.search, .search, .productClick])
        let status1 = try await server.post("/api/interactions", token: admin, json: ["type": "search", "query": "mug"]).status
        XCTAssertEqual(status1, 400,
                       "an admin names the customer")
        for bad: [String: Any] in [["type": "purchase", "stock_code": clicked], ["type": "product_click", "stock_code": "NO-SUCH"],
                                   ["type": "product_click"], ["type": "search", "query": "  "],
                                   ["type": "search", "query": String(repeating: "a", count: 201)], ["type": 3]] {
            let answer = try await server.post("/api/interactions", token: token, json: bad)
            XCTAssertEqual(answer.status, 400, "\(bad): \(answer.text)")
        }
        XCTAssertEqual(try server.services.database.interactions(customer: b, limit: 10).count, 3, "nothing stored for bad input")
        await server.stop()
    }

    func testSimilarSearchTrendingAndCustomerList() async throws {
        let server = try await ShopTestServer.start()
        let token = try await server.customerToken(server.fixture.customerA)
        let code = server.fixture.recommender.trendingItems(k: 1)[0].stockCode
        let similar = try await server.request("GET", "/api/products/\(code)/similar?k=5", token: token).json()
        XCTAssertEqual((similar["product"] as? [String: Any])?["stock_code"] as? String, code)
        let similarItems = try XCTUnwrap(similar["items"] as? [[String: Any]])
        XCTAssertEqual(similarItems.count, 5)
        let cosines = similarItems.compactMap { $0["cosine"] as? Double }
        XCTAssertEqual(cosines, cosines.sorted(by: >))
        XCTAssertFalse(similarItems.contains { $0["stock_code"] as? String == code })
        let status2 = try await server.request("GET", "/api/products/NO-SUCH/similar", token: token).status
        XCTAssertEqual(status2, 404)

        // A product's own name, lower-cased, finds that product by meaning.
        let name = try XCTUnwrap(server.fixture.recommender.products[code]?.name).lowercased()
        let query = try XCTUnwrap(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let found = try await server.request("GET", "/api/search?q=\(query)&k=5", token: token).json()
        XCTAssertTrue(found["fallback_reason"] is NSNull, "\(found)")
        let foundItems = try XCTUnwrap(found["items"] as? [[String: Any]])
        XCTAssertTrue(foundItems.allSatisfy { ($0["score"] as? Double ?? 0) >= Double(server.services.searchMinimumCosine) })
        XCTAssertTrue(foundItems.contains { $0["stock_code"] as? String == code }, "\(name): \(foundItems)")

        let nonsense = try await server.request("GET", "/api/search?q=qzxv%20wkpfj&k=3", token: token).json()
        XCTAssertNotNil(nonsense["fallback_reason"] as? String, "\(nonsense)")
        let trending = try await server.request("GET", "/api/trending?k=3", token: token).json()
        let trendingItems = try XCTUnwrap(trending["items"] as? [[String: Any]])
        XCTAssertEqual((nonsense["items"] as? [[String: Any]])?.map { $0["stock_code"] as? String }, trendingItems.map { $0["stock_code"] as? String })
        XCTAssertTrue(trendingItems.allSatisfy { $0["orders_30d"] is Int })
        let status3 = try await server.request("GET", "/api/search?q=", token: token).status
        XCTAssertEqual(status3, 400)

        let admin = try await server.adminToken()
        let page = try await server.request("GET", "/api/customers?limit=3&offset=0", token: admin).json()
        XCTAssertEqual(page["total"] as? Int, server.fixture.recommender.data.customerCount)
        let customers = try XCTUnwrap(page["customers"] as? [[String: Any]])
        XCTAssertEqual(customers.count, 3)
        let invoices = customers.compactMap { $0["invoices"] as? Int }
        XCTAssertEqual(invoices, invoices.sorted(by: >), "most invoices first")
        XCTAssertEqual((customers[0]["last_purchase"] as? String)?.count, 10)
        await server.stop()
    }

    func testBadRequestsGetTheRightStatus() async throws {
        let server = try await ShopTestServer.start()
        let a = server.fixture.customerA
        let token = try await server.customerToken(a)
        let malformed = try await server.request("POST", "/api/interactions", token: token, headers: [("Content-Type", "application/json")],
                                                 body: Data("{\"type\": ".utf8))
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual((try malformed.json()["error"] as? [String: Any])?["type"] as? String, "invalid_request_error")
        let status4 = try await server.post("/api/interactions", token: token, json: ["type": ["x"]]).status
        XCTAssertEqual(status4, 400)
        let status5 = try await server.request("GET", "/api/customers/abc/recommendations", token: token).status
        XCTAssertEqual(status5, 400)
        for query in ["top_n=0", "top_n=101", "top_n=x", "narrate=maybe"] {
            let status6 = try await server.request("GET", "/api/customers/\(a)/recommendations?\(query)", token: token).status
            XCTAssertEqual(status6, 400, query)
        }
        let wrongMethod = try await server.request("DELETE", "/api/customers/\(a)/recommendations", token: token)
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.headers["allow"], "GET")
        let status7 = try await server.request("GET", "/api/token").status
        XCTAssertEqual(status7, 405)
        let status8 = try await server.request("GET", "/api/interactions", token: token).status
        XCTAssertEqual(status8, 405)
        let unknown = try await server.request("GET", "/api/nothing-here", token: token)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual((try unknown.json()["error"] as? [String: Any])?["type"] as? String, "not_found_error")
        let huge = Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
        for path in ["/api/interactions", "/api/token"] {
            let answer = try await server.request("POST", path, token: token, headers: [("Content-Type", "application/json")], body: huge)
            XCTAssertEqual(answer.status, 413, path)
        }
        await server.stop()
    }
}
