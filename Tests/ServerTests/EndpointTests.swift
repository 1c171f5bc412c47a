import Foundation
import XCTest
@testable import Server

/// Health, the model list, tokenize/detokenize and metrics on a real server.
final class EndpointTests: XCTestCase {
    func testHealthIs503WhileTheModelLoadsThen200() async throws {
        let gate = AsyncStream<Void>.makeStream()
        let model = TestServer.tinyModel
        let server = try await TestServer.start(loadModel: {
            for await _ in gate.stream { break }
            return model
        })
        let loading = try await HTTPTestClient.request(port: server.port, "GET", "/health")
        XCTAssertEqual(loading.status, 503)
        XCTAssertEqual(try loading.json()["status"] as? String, "loading")
        let completion = try await HTTPTestClient.post(port: server.port, "/v1/completions", json: ["prompt": "x"])
        XCTAssertEqual(completion.status, 503)
        XCTAssertEqual((try completion.json()["error"] as? [String: Any])?["code"] as? String, "model_loading")
        gate.continuation.yield()
        try await server.waitUntilReady()
        let ready = try await HTTPTestClient.request(port: server.port, "GET", "/health")
        XCTAssertEqual(try ready.json()["status"] as? String, "ok")
        await server.stop()
    }

    func testModelsListsTheServedModel() async throws {
        let server = try await TestServer.start()
        try await server.waitUntilReady()
        let json = try await HTTPTestClient.request(port: server.port, "GET", "/v1/models").json()
        XCTAssertEqual(json["object"] as? String, "list")
        let models = try XCTUnwrap(json["data"] as? [[String: Any]])
        XCTAssertEqual(models.count, 1)
        XCTAssertEqual(models[0]["id"] as? String, "tiny-random")
        XCTAssertEqual(models[0]["object"] as? String, "model")
        XCTAssertEqual(models[0]["owned_by"] as? String, "finch")
        XCTAssertEqual(models[0]["context_length"] as? Int, 1024)
        await server.stop()
    }

    func testTokenizeAndDetokenizeRoundTrip() async throws {
        let server = try await TestServer.start()
        try await server.waitUntilReady()
        let text = "Hello world — café <|endoftext|> 🎄"
        let tokenized = try await HTTPTestClient.post(port: server.port, "/tokenize", json: ["content": text])
        XCTAssertEqual(tokenized.status, 200)
        let tokens = try XCTUnwrap(tokenized.json()["tokens"] as? [Int])
        XCTAssertEqual(tokens, server.model.tokenizer.encode(text, allowSpecial: true))
        XCTAssertTrue(tokens.contains(50256), "<|endoftext|> in the text is the special token")
        XCTAssertEqual(Array(tokens.prefix(2)), [15496, 995], "tiktoken's ids for 'Hello world'")
        let detokenized = try await HTTPTestClient.post(port: server.port, "/detokenize", json: ["tokens": tokens])
        XCTAssertEqual(try detokenized.json()["content"] as? String, text)
        let outside = try await HTTPTestClient.post(port: server.port, "/detokenize", json: ["tokens": [1, 50257]])
        XCTAssertEqual(outside.status, 400)
        XCTAssertEqual((try outside.json()["error"] as? [String: Any])?["param"] as? String, "tokens")
        await server.stop()
    }

    func testMetricsCountRequestsTokensAndLatency() async throws {
        let server = try await TestServer.start()
        try await server.waitUntilReady()
        for _ in 0..<2 {
            let result = try await HTTPTestClient.post(port: server.port, "/v1/completions",
                                                       json: ["prompt": "Metrics", "max_tokens": 7, "temperature": 0])
            XCTAssertEqual(result.status, 200)
        }
        let response = try await HTTPTestClient.request(port: server.port, "GET", "/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        let text = response.text
        XCTAssertEqual(metricValue("finch_generated_tokens_total", in: text), 14, text)
        XCTAssertEqual(metricValue("finch_completions_total", in: text), 2)
        XCTAssertEqual(metricValue("finch_queue_depth", in: text), 0)
        XCTAssertEqual(metricValue("finch_time_to_first_token_seconds_count", in: text), 2)
        XCTAssertEqual(metricValue("finch_completion_duration_seconds_count", in: text), 2)
        XCTAssertTrue(text.contains(#"finch_http_requests_total{route="/v1/completions",method="POST",status="200"} 2"#), text)
        XCTAssertTrue(text.contains("# TYPE finch_http_request_duration_seconds histogram"))
        await server.stop()
    }
}
