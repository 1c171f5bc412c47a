import Foundation
import XCTest
@testable import Server

/// Bad requests get OpenAI's error object with the right status, and never crash the server.
final class ErrorTests: XCTestCase {
    var server: TestServer!

    override func setUp() async throws {
        server = try await TestServer.start()
        try await server.waitUntilReady()
    }

    override func tearDown() async throws {
        await server.stop()
    }

    /// The status and the error object's fields, checking its shape.
    private func error(_ result: HTTPResult, file: StaticString = #filePath, line: UInt = #line) throws -> (Int, [String: Any]) {
        let json = try result.json()
        let error = try XCTUnwrap(json["error"] as? [String: Any], result.text, file: file, line: line)
        XCTAssertNotNil(error["message"] as? String, file: file, line: line)
        XCTAssertNotNil(error["type"] as? String, file: file, line: line)
        XCTAssertTrue(error.keys.contains("param") && error.keys.contains("code"), "param and code present", file: file, line: line)
        return (result.status, error)
    }

    private func postRaw(_ path: String, _ body: String) async throws -> HTTPResult {
        try await HTTPTestClient.request(port: server.port, "POST", path, headers: [("Content-Type", "application/json")],
                                         body: Data(body.utf8))
    }

    func testMalformedJSONAndWrongTypesAre400NamingTheField() async throws {
        let (status, malformed) = try error(try await postRaw("/v1/completions", #"{"prompt": "x", "#))
        XCTAssertEqual(status, 400)
        XCTAssertEqual(malformed["type"] as? String, "invalid_request_error")
        for (body, field) in [(#"{"prompt": "x", "max_tokens": "ten"}"#, "max_tokens"),
                              (#"{"prompt": "x", "temperature": "hot"}"#, "temperature"),
                              (#"{"prompt": 5}"#, "prompt"),
                              (#"{"prompt": ["a", "b"]}"#, "prompt"),
                              (#"{"prompt": "x", "stop": 3}"#, "stop"),
                              (#"{"prompt": "x", "stream": "yes"}"#, "stream")] {
            let (status, details) = try error(try await postRaw("/v1/completions", body))
            XCTAssertEqual(status, 400, body)
            XCTAssertEqual(details["param"] as? String, field, body)
        }
        let (tokenizeStatus, _) = try error(try await postRaw("/tokenize", #"{"text": "x"}"#))
        XCTAssertEqual(tokenizeStatus, 400, "missing 'content'")
    }

    func testOutOfRangeValuesAndOverlongPromptsAre400() async throws {
        let overlong = String(repeating: "hello ", count: 1100)
        for (fields, param) in [(["prompt": "x", "max_tokens": 0], "max_tokens"),
                                (["prompt": "x", "max_tokens": 1025], "max_tokens"),
                                (["prompt": "x", "temperature": -1], "temperature"),
                                (["prompt": "x", "top_p": 0], "top_p"),
                                (["prompt": "x", "top_k": -3], "top_k"),
                                (["prompt": "x", "repetition_penalty": 0], "repetition_penalty"),
                                (["prompt": "x", "stop": ["a", "b", "c", "d", "e"]], "stop"),
                                (["prompt": "x", "n": 2], "n"),
                                (["prompt": [1, 60000]], "prompt"),
                                (["prompt": overlong], "prompt")] as [([String: Any], String)] {
            let (status, details) = try error(try await HTTPTestClient.post(port: server.port, "/v1/completions", json: fields))
            XCTAssertEqual(status, 400, "\(fields)")
            XCTAssertEqual(details["param"] as? String, param, "\(fields)")
        }
        let (_, context) = try error(try await HTTPTestClient.post(port: server.port, "/v1/completions", json: ["prompt": overlong]))
        XCTAssertEqual(context["code"] as? String, "context_length_exceeded")
    }

    func testAnOversizedBodyIs413() async throws {
        let huge = #"{"prompt": ""# + String(repeating: "a", count: FinchRequestContext.bodyLimit + 10) + #""}"#
        let (status, details) = try error(try await postRaw("/v1/completions", huge))
        XCTAssertEqual(status, 413)
        XCTAssertEqual(details["code"] as? String, "request_too_large")
    }

    func testAnUnknownRouteIs404() async throws {
        let (status, details) = try error(try await HTTPTestClient.request(port: server.port, "GET", "/v2/nothing"))
        XCTAssertEqual(status, 404)
        XCTAssertEqual(details["type"] as? String, "not_found_error")
        XCTAssertTrue((details["message"] as? String)?.contains("/v2/nothing") == true)
    }

    func testTheAPIKeyIsRequiredWhenSet() async throws {
        let keyed = try await TestServer.start(apiKey: "s3cret-key")
        try await keyed.waitUntilReady()
        let fields: [String: Any] = ["prompt": "x", "max_tokens": 2]
        for headers in [[], [("Authorization", "Bearer wrong")], [("Authorization", "s3cret-key")], [("Authorization", "Bearer s3cret-ke")]] {
            let (status, details) = try error(try await HTTPTestClient.post(port: keyed.port, "/v1/completions", json: fields, headers: headers))
            XCTAssertEqual(status, 401, "\(headers)")
            XCTAssertEqual(details["code"] as? String, "invalid_api_key")
            XCTAssertFalse((details["message"] as? String ?? "").contains("s3cret"), "the key is never echoed")
        }
        let authorized = try await HTTPTestClient.post(port: keyed.port, "/v1/completions", json: fields,
                                                       headers: [("Authorization", "Bearer s3cret-key")])
        XCTAssertEqual(authorized.status, 200)
        let metrics = try await HTTPTestClient.request(port: keyed.port, "GET", "/metrics")
        XCTAssertEqual(metrics.status, 401)
        let health = try await HTTPTestClient.request(port: keyed.port, "GET", "/health")
        XCTAssertEqual(health.status, 200, "health stays public")
        await keyed.stop()
    }
}
