import Foundation
import XCTest
@testable import Server

/// The shop's live answers — successes and errors — validate against the schemas the served
/// OpenAPI document gives for their route and status.
final class OpenAPIShopTests: XCTestCase {
    func testShopAnswersMatchTheirSchemas() async throws {
        let server = try await ShopTestServer.start()
        let document = try await server.request("GET", "/openapi.json").json()
        let admin = try await server.adminToken()
        let customerA = server.fixture.customerA
        let customer = try await server.customerToken(customerA)
        let recommendations = try await server.request("GET", "/api/customers/\(customerA)/recommendations?top_n=5", token: customer)
        let items = try XCTUnwrap(try recommendations.json()["items"] as? [[String: Any]])
        let code = try XCTUnwrap(items.first?["stock_code"] as? String)
        let json = [("Content-Type", "application/json")]
        func body(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object) }

        // (method, documented path, requested path, token, body, expected status)
        let samples: [(String, String, String, String?, Data?, Int)] = [
            ("POST", "/api/token", "/api/token", nil, try body(["username": "admin", "password": ShopFixture.adminPassword]), 200),
            ("POST", "/api/token", "/api/token", nil, try body(["username": "admin", "password": "wrong"]), 401),
            ("GET", "/api/me", "/api/me", customer, nil, 200),
            ("GET", "/api/me", "/api/me", admin, nil, 200),
            ("GET", "/api/me", "/api/me", nil, nil, 401),
            ("POST", "/api/users", "/api/users", admin, try body(["admin": "second-admin", "password": "p4ssword!"]), 201),
            ("POST", "/api/users", "/api/users", admin, try body(["admin": "second-admin", "password": "p4ssword!"]), 409),
            ("POST", "/api/users", "/api/users", customer, try body(["admin": "third", "password": "p4ssword!"]), 403),
            ("GET", "/api/customers", "/api/customers?limit=3", admin, nil, 200),
            ("GET", "/api/customers", "/api/customers", customer, nil, 403),
            ("GET", "/api/customers/{id}/recommendations", "/api/customers/\(customerA)/recommendations?top_n=3", admin, nil, 200),
            ("GET", "/api/customers/{id}/recommendations", "/api/customers/1/recommendations", admin, nil, 200),
            ("GET", "/api/customers/{id}/recommendations", "/api/customers/x/recommendations", admin, nil, 400),
            ("GET", "/api/customers/{id}/recommendations", "/api/customers/\(customerA)/recommendations?narrate=true", admin, nil, 503),
            ("GET", "/api/customers/{id}/history", "/api/customers/\(customerA)/history?limit=3", customer, nil, 200),
            ("GET", "/api/customers/{id}/history", "/api/customers/\(server.fixture.customerB)/history", customer, nil, 403),
            ("POST", "/api/interactions", "/api/interactions", customer, try body(["type": "product_click", "stock_code": code]), 201),
            ("POST", "/api/interactions", "/api/interactions", admin, try body(["type": "search", "query": "red lantern", "customer": customerA]), 201),
            ("POST", "/api/interactions", "/api/interactions", customer, try body(["type": "search", "query": ""]), 400),
            ("GET", "/api/products/{code}/similar", "/api/products/\(code)/similar?k=3", customer, nil, 200),
            ("GET", "/api/products/{code}/similar", "/api/products/NOPE0/similar", customer, nil, 404),
            ("GET", "/api/search", "/api/search?q=red%20lantern&k=3", customer, nil, 200),
            ("GET", "/api/search", "/api/search?q=zzqx%20vvk", customer, nil, 200),
            ("GET", "/api/search", "/api/search", customer, nil, 400),
            ("GET", "/api/trending", "/api/trending?k=3", customer, nil, 200),
        ]
        let checker = JSONSchemaChecker(document: document)
        for (method, template, path, token, requestBody, status) in samples {
            let answer = try await server.request(method, path, token: token, headers: requestBody == nil ? [] : json, body: requestBody)
            XCTAssertEqual(answer.status, status, "\(method) \(path): \(answer.text)")
            guard answer.status == status else { continue }
            let schema = try OpenAPITests.responseSchema(document, method: method, path: template, status: status)
            let value = try JSONSerialization.jsonObject(with: answer.body)
            XCTAssertEqual(checker.problems(value, against: schema), [], "\(method) \(path) → \(status)")
        }
        await server.stop()
    }
}
