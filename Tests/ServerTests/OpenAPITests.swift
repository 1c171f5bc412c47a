import Foundation
import Hummingbird
import XCTest
@testable import Server

/// `GET /openapi.json` is kept true: the router's routes and the document's paths are the same
/// set, every reference resolves, and live answers validate against the schemas the document
/// gives for their status.
final class OpenAPITests: XCTestCase {
    func testDocumentIsOpenAPI31AndEveryReferenceResolves() throws {
        let document = OpenAPIDocument.object(shop: true)
        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        let checker = JSONSchemaChecker(document: document)
        var references: [String] = []
        var unknownKeywords: [String] = []
        Self.walk(document, path: "$", references: &references, unknownKeywords: &unknownKeywords)
        XCTAssertGreaterThan(references.count, 40)
        for reference in references { XCTAssertNotNil(checker.resolve(reference), "unresolved \(reference)") }
        XCTAssertEqual(unknownKeywords, [], "schema keywords the checker would ignore")
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = (operation as? [String: Any])?["responses"] as? [String: Any] ?? [:]
                XCTAssertTrue(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) documents no success")
            }
        }
    }

    func testRouterAndDocumentHaveTheSameRoutes() async throws {
        for shop in [nil, Self.unloadedShop] {
            let router = Self.router(shop: shop)
            let name = shop == nil ? "without a shop" : "with a shop"
            let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
            let paths = try XCTUnwrap(OpenAPIDocument.object(shop: shop != nil)["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
            XCTAssertEqual(Set(router.routes.map { "\($0.path)" }), Set(paths.keys), "paths \(name)")
            XCTAssertEqual(documented.subtracting(registered).sorted(), [], "documented routes the router lacks \(name)")
            // A method registered beyond the documented ones may only be the 405 of a known path.
            let refusals = registered.subtracting(documented).sorted()
            guard !refusals.isEmpty else { continue }
            let server = try await RouterServer.start(router)
            for route in refusals {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let path = parts[1].replacingOccurrences(of: "{id}", with: "17850").replacingOccurrences(of: "{code}", with: "85123A")
                let answer = try await HTTPTestClient.request(port: server.port, parts[0], path)
                XCTAssertEqual(answer.status, 405, "\(route) is registered but not documented, and answers \(answer.status)")
            }
            await server.stop()
        }
    }

    func testLiveAnswersMatchTheirSchemas() async throws {
        let server = try await TestServer.start()
        try await server.waitUntilReady()
        let document = try await HTTPTestClient.request(port: server.port, "GET", "/openapi.json").json()
        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        XCTAssertNil((document["paths"] as? [String: Any])?["/api/token"], "a server without a shop documents no shop routes")
        let samples: [(String, String, [String: Any]?, Int)] = [
            ("GET", "/health", nil, 200),
            ("GET", "/v1/health", nil, 200),
            ("GET", "/v1/models", nil, 200),
            ("POST", "/v1/completions", ["prompt": "Hello", "max_tokens": 3, "temperature": 0], 200),
            ("POST", "/v1/completions", ["prompt": "Hello", "max_tokens": 0], 400),
            ("POST", "/v1/completions", ["prompt": 12], 400),
            ("POST", "/tokenize", ["content": "Hello world"], 200),
            ("POST", "/detokenize", ["tokens": [15496, 995]], 200),
            ("POST", "/detokenize", ["tokens": [-1]], 400),
        ]
        for (method, path, body, status) in samples {
            let answer = try await HTTPTestClient.request(
                port: server.port, method, path, headers: [("Content-Type", "application/json")],
                body: try body.map { try JSONSerialization.data(withJSONObject: $0) })
            XCTAssertEqual(answer.status, status, "\(method) \(path): \(answer.text)")
            let schema = try Self.responseSchema(document, method: method, path: path, status: status)
            let value = try JSONSerialization.jsonObject(with: answer.body)
            XCTAssertEqual(JSONSchemaChecker(document: document).problems(value, against: schema), [], "\(method) \(path) → \(status)")
        }
        await server.stop()
    }

    func testSchemasRejectWhatTheyShould() throws {
        let checker = JSONSchemaChecker(document: OpenAPIDocument.object(shop: true))
        let recommendations = try XCTUnwrap(checker.resolve("#/components/schemas/Recommendations"))
        let good: [String: Any] = ["customer": 17850, "cold_start": false, "items": [
            ["stock_code": "85123A", "name": "WHITE HANGING HEART", "price": 2.55, "score": 0.9,
             "reasons": [["kind": "bought-together", "with": "22423", "customers": 3]]]]]
        XCTAssertEqual(checker.problems(good, against: recommendations), [])
        var wrongType = good
        wrongType["cold_start"] = 0
        XCTAssertEqual(checker.problems(wrongType, against: recommendations), ["$.cold_start: 0 is not boolean"])
        var missing = good
        missing["items"] = [["stock_code": "85123A", "name": "X", "price": 1, "score": 1, "reasons": [["kind": "nearby"]]]]
        XCTAssertEqual(checker.problems(missing, against: recommendations),
                       [#"$.items[0].reasons[0].kind: "nearby" is not one of ["bought-together","similar","bought-before","trending","popular"]"#])
        let interaction = try XCTUnwrap(checker.resolve("#/components/schemas/NewInteraction"))
        XCTAssertEqual(checker.problems(["type": "search", "query": "red lantern"], against: interaction), [])
        XCTAssertEqual(checker.problems(["type": "search", "stock_code": "85123A"], against: interaction),
                       ["$: matches 0 of oneOf's 2 schemas"])
    }

    func testThePageIsServedOnlyWithAShopAndLoadsNothingFromElsewhere() async throws {
        let plain = try await TestServer.start()
        let none = try await HTTPTestClient.request(port: plain.port, "GET", "/")
        XCTAssertEqual(none.status, 404)
        await plain.stop()

        let server = try await RouterServer.start(Self.router(shop: Self.unloadedShop, apiKey: "secret"))
        let page = try await HTTPTestClient.request(port: server.port, "GET", "/")
        XCTAssertEqual(page.status, 200, "the page is public even with --api-key")
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertEqual(page.headers["content-security-policy"], DocumentRoutes.pagePolicy)
        XCTAssertTrue(page.text.hasPrefix("<!doctype html>"))
        for field in [#"<label for="username">"#, #"<label for="password">"#, #"id="recs""#, #"id="history""#,
                      #"role="search""#, "getReader()", "/api/token", "/api/interactions", "stream=true"] {
            XCTAssertTrue(page.text.contains(field), "the page lacks \(field)")
        }
        XCTAssertFalse(page.text.contains("/*SCRIPT*/"), "the script is inlined")
        for outside in ["http://", "https://", "src=", "@import", "innerHTML"] {
            XCTAssertFalse(page.text.contains(outside), "the page contains \(outside)")
        }
        let document = try await HTTPTestClient.request(port: server.port, "GET", "/openapi.json")
        XCTAssertEqual(document.status, 200)
        XCTAssertNotNil((try document.json()["paths"] as? [String: Any])?["/api/token"], "a shop server documents its shop routes")
        await server.stop()
    }

    /// A shop whose services never load: its routes are registered, which is all the route list
    /// and the page need.
    static let unloadedShop = ShopConfiguration(load: { throw HTTPTestError("this test server loads no shop") })

    static func router(shop: ShopConfiguration?, apiKey: String? = nil) -> Router<FinchRequestContext> {
        ServerApplication.makeRouter(configuration: ServerConfiguration(apiKey: apiKey), metrics: ServerMetrics(),
                                     host: ModelHost(), servesCompletions: true, shop: shop)
    }

    /// The JSON schema of `method path`'s answer with `status`, through a `$ref`'d response if any.
    static func responseSchema(_ document: [String: Any], method: String, path: String, status: Int) throws -> [String: Any] {
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        let operation = try XCTUnwrap(paths[path]?[method.lowercased()] as? [String: Any], "\(method) \(path) is not documented")
        var response = try XCTUnwrap((operation["responses"] as? [String: Any])?[String(status)] as? [String: Any],
                                     "\(method) \(path) does not document \(status)")
        if let reference = response["$ref"] as? String {
            response = try XCTUnwrap(JSONSchemaChecker(document: document).resolve(reference))
        }
        let content = try XCTUnwrap(response["content"] as? [String: Any])
        return try XCTUnwrap((content["application/json"] as? [String: Any])?["schema"] as? [String: Any])
    }

    /// Collects every `$ref`, and every keyword of a schema object the checker does not understand.
    static func walk(_ node: Any, path: String, inSchema: Bool = false, references: inout [String], unknownKeywords: inout [String]) {
        if let object = node as? [String: Any] {
            if let reference = object["$ref"] as? String { references.append(reference) }
            if inSchema {
                for key in object.keys where !JSONSchemaChecker.understood.contains(key) { unknownKeywords.append("\(path).\(key)") }
            }
            for (key, value) in object {
                switch key {
                case "schema", "items":
                    walk(value, path: "\(path).\(key)", inSchema: true, references: &references, unknownKeywords: &unknownKeywords)
                case "schemas", "properties":
                    for (name, schema) in value as? [String: Any] ?? [:] {
                        walk(schema, path: "\(path).\(key).\(name)", inSchema: true, references: &references, unknownKeywords: &unknownKeywords)
                    }
                case "oneOf":
                    for (index, schema) in (value as? [Any] ?? []).enumerated() {
                        walk(schema, path: "\(path).oneOf[\(index)]", inSchema: true, references: &references, unknownKeywords: &unknownKeywords)
                    }
                default:
                    walk(value, path: "\(path).\(key)", references: &references, unknownKeywords: &unknownKeywords)
                }
            }
        } else if let array = node as? [Any] {
            for (index, element) in array.enumerated() {
                walk(element, path: "\(path)[\(index)]", references: &references, unknownKeywords: &unknownKeywords)
            }
        }
    }
}
