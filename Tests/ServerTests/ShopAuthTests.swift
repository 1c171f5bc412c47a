import Foundation
import Server
import Store
import XCTest

/// Accounts and tokens on a real server: the token flow (form and JSON), expiry and forgery, the
/// 401/403 rules, account creation by an admin, and no secret in any log line.
final class ShopAuthTests: XCTestCase {
    func testTokenFromFormAndJSONThenMe() async throws {
        let server = try await ShopTestServer.start()
        let a = server.fixture.customerA
        let form = "username=\(a)&password=\(ShopFixture.customerPassword)"
        let fromForm = try await server.request("POST", "/api/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                body: Data(form.utf8))
        XCTAssertEqual(fromForm.status, 200, fromForm.text)
        let formJSON = try fromForm.json()
        XCTAssertEqual(formJSON["token_type"] as? String, "bearer")
        XCTAssertEqual(formJSON["expires_in"] as? Int, 3600)
        let token = try XCTUnwrap(formJSON["access_token"] as? String)
        XCTAssertEqual(token.split(separator: ".").count, 3, "a JWS compact token")

        let me = try await server.request("GET", "/api/me", token: token)
        XCTAssertEqual(me.status, 200)
        XCTAssertEqual(try me.json()["username"] as? String, String(a))
        XCTAssertEqual(try me.json()["role"] as? String, "customer")
        XCTAssertEqual(try me.json()["customer"] as? Int, a)

        let admin = try await server.request("GET", "/api/me", token: try await server.adminToken())
        XCTAssertEqual(try admin.json()["role"] as? String, "admin")
        XCTAssertTrue(admin.text.contains("\"customer\":null"), admin.text)

        let wrong = try await server.post("/api/token", token: nil, json: ["username": String(a), "password": "nope"])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual((try wrong.json()["error"] as? [String: Any])?["code"] as? String, "invalid_credentials")
        let unknown = try await server.post("/api/token", token: nil, json: ["username": "nobody", "password": "x"])
        XCTAssertEqual(unknown.status, 401)
        let missingField = try await server.post("/api/token", token: nil, json: ["username": "admin"])
        XCTAssertEqual(missingField.status, 400)
        XCTAssertEqual((try missingField.json()["error"] as? [String: Any])?["param"] as? String, "password")
        await server.stop()
    }

    func testMissingForgedAndExpiredTokensAre401() async throws {
        let server = try await ShopTestServer.start()
        let missing = try await server.request("GET", "/api/me")
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual((try missing.json()["error"] as? [String: Any])?["code"] as? String, "missing_token")
        let status1 = try await server.request("GET", "/api/me", token: "not-a-jwt").status
        XCTAssertEqual(status1, 401)

        let account = Account(username: "admin", role: .admin, customer: nil)
        let expired = try await TokenIssuer(secret: server.secret).issue(for: account, now: Date().addingTimeInterval(-7200))
        let expiredAnswer = try await server.request("GET", "/api/me", token: expired)
        XCTAssertEqual(expiredAnswer.status, 401)
        XCTAssertEqual((try expiredAnswer.json()["error"] as? [String: Any])?["code"] as? String, "invalid_token")
        let forged = try await TokenIssuer(secret: TokenIssuer.randomSecret()).issue(for: account)
        let status2 = try await server.request("GET", "/api/me", token: forged).status
        XCTAssertEqual(status2, 401)
        // The same key and a live expiry: accepted, so the two refusals above were about expiry and key.
        let fresh = try await TokenIssuer(secret: server.secret).issue(for: account)
        let status3 = try await server.request("GET", "/api/me", token: fresh).status
        XCTAssertEqual(status3, 200)
        let ghost = try await TokenIssuer(secret: server.secret).issue(for: Account(username: "ghost", role: .admin, customer: nil))
        let status4 = try await server.request("GET", "/api/me", token: ghost).status
        XCTAssertEqual(status4, 401, "a token of no account")
        await server.stop()
    }

    func testCustomersReadOnlyThemselvesAndNoAdminRoutes() async throws {
        let server = try await ShopTestServer.start()
        let (a, b) = (server.fixture.customerA, server.fixture.customerB)
        let tokenA = try await server.customerToken(a)
        for path in ["/api/customers/\(a)/recommendations", "/api/customers/\(a)/history"] {
            let status5 = try await server.request("GET", path, token: tokenA).status
            XCTAssertEqual(status5, 200, path)
        }
        for path in ["/api/customers/\(b)/recommendations", "/api/customers/\(b)/history", "/api/customers"] {
            let answer = try await server.request("GET", path, token: tokenA)
            XCTAssertEqual(answer.status, 403, path)
            XCTAssertEqual((try answer.json()["error"] as? [String: Any])?["type"] as? String, "permission_error")
        }
        let status6 = try await server.post("/api/users", token: tokenA, json: ["admin": "mallory", "password": "x"]).status
        XCTAssertEqual(status6, 403)
        let other = try await server.post("/api/interactions", token: tokenA,
                                          json: ["type": "search", "query": "lantern", "customer": b])
        XCTAssertEqual(other.status, 403)
        let admin = try await server.adminToken()
        let status7 = try await server.request("GET", "/api/customers/\(b)/history", token: admin).status
        XCTAssertEqual(status7, 200)
        await server.stop()
    }

    func testAdminCreatesAccounts() async throws {
        let server = try await ShopTestServer.start()
        let admin = try await server.adminToken()
        let data = server.fixture.recommender.data
        let newCustomer = data.customers.first { $0 != server.fixture.customerA && $0 != server.fixture.customerB }!
        let created = try await server.post("/api/users", token: admin, json: ["customer": newCustomer, "password": "pw-new-customer"])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(try created.json()["username"] as? String, String(newCustomer))
        XCTAssertEqual(try created.json()["role"] as? String, "customer")
        let status8 = try await server.post("/api/users", token: admin, json: ["customer": newCustomer, "password": "again"]).status
        XCTAssertEqual(status8, 409)
        let status9 = try await server.post("/api/users", token: admin, json: ["customer": 1, "password": "pw"]).status
        XCTAssertEqual(status9, 404)
        let status10 = try await server.post("/api/users", token: admin, json: ["admin": "ops", "password": "pw-ops"]).status
        XCTAssertEqual(status10, 201)
        let status11 = try await server.post("/api/users", token: admin, json: ["admin": "12345", "password": "pw"]).status
        XCTAssertEqual(status11, 400)
        let status12 = try await server.post("/api/users", token: admin, json: ["password": "pw"]).status
        XCTAssertEqual(status12, 400)
        let newToken = try await server.token(String(newCustomer), "pw-new-customer")
        let status13 = try await server.request("GET", "/api/customers/\(newCustomer)/history", token: newToken).status
        XCTAssertEqual(status13, 200)
        let answer14 = try await server.token("ops", "pw-ops")
        XCTAssertNotNil(answer14)
        await server.stop()
    }

    func testNoPasswordTokenOrKeyInTheLog() async throws {
        let apiKey = "sk-finch-test-key-0123456789"
        let server = try await ShopTestServer.start(apiKey: apiKey)
        let token = try await server.adminToken()
        _ = try await server.request("GET", "/api/me", token: token)
        _ = try await server.request("GET", "/api/customers?limit=2", token: token)
        _ = try await server.post("/api/token", token: nil, json: ["username": "admin", "password": "wrong-password-\(apiKey)"])
        _ = try await server.request("GET", "/api/me", token: token + "x")
        _ = try await HTTPTestClient.request(port: server.port, "GET", "/metrics", headers: [("Authorization", "Bearer \(apiKey)")])
        _ = try await HTTPTestClient.request(port: server.port, "GET", "/metrics", headers: [("Authorization", "Bearer wrong-\(apiKey)")])
        await server.stop()
        let log = server.log.text
        XCTAssertFalse(log.isEmpty, "the server logged nothing at trace level: the capture is broken")
        for secret in [ShopFixture.adminPassword, "wrong-password", token, String(token.split(separator: ".")[2]), apiKey,
                       server.secret.map { String(format: "%02x", $0) }.joined(), String(decoding: server.secret, as: UTF8.self)] {
            XCTAssertFalse(log.contains(secret), "the log contains a secret")
        }
    }
}
