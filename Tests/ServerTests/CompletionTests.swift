import Foundation
import XCTest
@testable import Server

/// `POST /v1/completions` against a real server on a loopback port.
final class CompletionTests: XCTestCase {
    var server: TestServer!

    override func setUp() async throws {
        server = try await TestServer.start(parallel: 4)
        try await server.waitUntilReady()
    }

    override func tearDown() async throws {
        await server.stop()
    }

    private func complete(_ fields: [String: Any]) async throws -> HTTPResult {
        try await HTTPTestClient.post(port: server.port, "/v1/completions", json: fields)
    }

    func testGreedyCompletionEqualsGenerateAndFollowsOpenAIsShape() async throws {
        let prompt = "The white hanging heart"
        let result = try await complete(["prompt": prompt, "max_tokens": 12, "temperature": 0])
        XCTAssertEqual(result.status, 200, result.text)
        XCTAssertEqual(result.headers["content-type"], "application/json")
        let json = try result.json()
        XCTAssertEqual(json["object"] as? String, "text_completion")
        XCTAssertTrue((json["id"] as? String)?.hasPrefix("cmpl-") == true)
        XCTAssertEqual(json["model"] as? String, "tiny-random")
        XCTAssertNotNil(json["created"] as? Int)
        let choices = try XCTUnwrap(json["choices"] as? [[String: Any]])
        XCTAssertEqual(choices.count, 1)
        XCTAssertEqual(choices[0]["index"] as? Int, 0)
        XCTAssertTrue(choices[0]["logprobs"] is NSNull, "logprobs is null, not absent")
        XCTAssertEqual(choices[0]["text"] as? String, try server.greedyReference(prompt: prompt, maxNewTokens: 12))
        XCTAssertEqual(choices[0]["finish_reason"] as? String, "length")
        let usage = try XCTUnwrap(json["usage"] as? [String: Int])
        let promptTokens = server.model.tokenizer.encode(prompt).count
        XCTAssertEqual(usage, ["prompt_tokens": promptTokens, "completion_tokens": 12, "total_tokens": promptTokens + 12])
    }

    func testPromptAsAnArrayOfOneStringOrOfTokenIds() async throws {
        let ids = server.model.tokenizer.encode("Hello world")
        let asText = try await complete(["prompt": "Hello world", "max_tokens": 5, "temperature": 0]).json()
        let asArray = try await complete(["prompt": ["Hello world"], "max_tokens": 5, "temperature": 0]).json()
        let asIds = try await complete(["prompt": ids, "max_tokens": 5, "temperature": 0]).json()
        let text = { (json: [String: Any]) in ((json["choices"] as? [[String: Any]])?.first?["text"] as? String) }
        XCTAssertNotNil(text(asText))
        XCTAssertEqual(text(asArray), text(asText))
        XCTAssertEqual(text(asIds), text(asText))
    }

    func testStreamedCompletionIsServerSentEventsEndingWithDone() async throws {
        let prompt = "Regency cakestand"
        let result = try await complete(["prompt": prompt, "max_tokens": 10, "temperature": 0, "stream": true])
        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(result.headers["content-type"], "text/event-stream")
        XCTAssertTrue(result.text.hasSuffix("data: [DONE]\n\n"), result.text)
        let events = serverSentEvents(result.text)
        XCTAssertEqual(events.last, "[DONE]")
        let chunks = try events.dropLast().map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertGreaterThanOrEqual(chunks.count, 2)
        let ids = Set(chunks.compactMap { $0["id"] as? String })
        XCTAssertEqual(ids.count, 1, "every chunk carries the completion's id")
        var text = ""
        for (i, chunk) in chunks.enumerated() {
            XCTAssertEqual(chunk["object"] as? String, "text_completion")
            let choice = try XCTUnwrap((chunk["choices"] as? [[String: Any]])?.first)
            text += try XCTUnwrap(choice["text"] as? String)
            if i < chunks.count - 1 {
                XCTAssertTrue(choice["finish_reason"] is NSNull, "only the last chunk finishes")
                XCTAssertNil(chunk["usage"] as? [String: Int])
            } else {
                XCTAssertEqual(choice["finish_reason"] as? String, "length")
                XCTAssertEqual((chunk["usage"] as? [String: Int])?["completion_tokens"], 10)
            }
        }
        XCTAssertEqual(text, try server.greedyReference(prompt: prompt, maxNewTokens: 10))
    }

    func testAStopStringEndsTheCompletionAndIsNotReturned() async throws {
        let prompt = "Lunch bag"
        let full = try server.greedyReference(prompt: prompt, maxNewTokens: 20)
        // A stop string taken from the middle of the greedy text: the completion is the text before it.
        let scalars = Array(full.unicodeScalars)
        XCTAssertGreaterThan(scalars.count, 6, "the greedy text is long enough to cut")
        let start = scalars.count / 2
        let stop = String(String.UnicodeScalarView(scalars[start..<(start + 3)]))
        let expected = String(full[..<full.range(of: stop)!.lowerBound])
        for stream in [false, true] {
            let result = try await complete(["prompt": prompt, "max_tokens": 20, "temperature": 0, "stop": stop, "stream": stream])
            XCTAssertEqual(result.status, 200)
            let chunks = try (stream ? serverSentEvents(result.text).dropLast() : [result.text]).map {
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            let choices = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            XCTAssertEqual(choices.compactMap { $0["text"] as? String }.joined(), expected, "stream: \(stream)")
            XCTAssertEqual(choices.last?["finish_reason"] as? String, "stop")
        }
        let asArray = try await complete(["prompt": prompt, "max_tokens": 20, "temperature": 0, "stop": ["\u{1F600}", stop]]).json()
        XCTAssertEqual((asArray["choices"] as? [[String: Any]])?.first?["text"] as? String, expected)
    }

    func testTheSameSeedGivesTheSameSampledText() async throws {
        let fields: [String: Any] = ["prompt": "Paper chain kit", "max_tokens": 16, "temperature": 1.0, "top_k": 50,
                                     "top_p": 0.9, "repetition_penalty": 1.2, "seed": 42]
        let first = try await complete(fields).json()
        let second = try await complete(fields).json()
        let text = { (json: [String: Any]) in (json["choices"] as? [[String: Any]])?.first?["text"] as? String }
        XCTAssertNotNil(text(first))
        XCTAssertEqual(text(first), text(second))
    }

    /// Eight greedy streams batched together (eight slots), then eight requests on four slots
    /// (half of them queue; half streamed, half whole): each text equals its text alone.
    func testConcurrentCompletionsEachEqualTheirTextAlone() async throws {
        let prompts = (0..<8).map { "Customer \($0) bought a" }
        let expected = try prompts.map { try server.greedyReference(prompt: $0, maxNewTokens: 12) }
        let configurations: [(parallel: Int, streamed: @Sendable (Int) -> Bool)] = [(8, { _ in true }), (4, { $0 % 2 == 0 })]
        for (parallel, streamed) in configurations {
            await server.stop()
            server = try await TestServer.start(parallel: parallel)
            try await server.waitUntilReady()
            let texts = try await concurrentCompletions(prompts, maxTokens: 12, streamed: streamed)
            for i in prompts.indices {
                XCTAssertEqual(texts[i], expected[i], "request \(i), \(parallel) slots, streamed: \(streamed(i))")
            }
        }
    }

    /// The greedy texts of `prompts`, all requested at once.
    private func concurrentCompletions(_ prompts: [String], maxTokens: Int, streamed: @escaping @Sendable (Int) -> Bool) async throws -> [String?] {
        let port = server.port
        return try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for (i, prompt) in prompts.enumerated() {
                group.addTask {
                    let result = try await HTTPTestClient.post(port: port, "/v1/completions", json: [
                        "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "stream": streamed(i)])
                    guard streamed(i) else { return (i, try (result.json()["choices"] as? [[String: Any]])?.first?["text"] as? String) }
                    XCTAssertEqual(serverSentEvents(result.text).last, "[DONE]")
                    let chunks = serverSentEvents(result.text).dropLast().compactMap {
                        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                    }
                    return (i, chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined())
                }
            }
            var texts = [String?](repeating: nil, count: prompts.count)
            for try await (i, text) in group { texts[i] = text }
            return texts
        }
    }

    /// A client that hangs up mid-stream frees its slot: with one slot, the next request is served
    /// long before the abandoned completion could have reached its 1,000 tokens.
    func testADisconnectedStreamFreesItsSlot() async throws {
        await server.stop()
        server = try await TestServer.start(parallel: 1)
        try await server.waitUntilReady()
        let port = server.port
        try await HTTPTestClient.onThread {
            let connection = try HTTPConnection(port: port)
            let body = try JSONSerialization.data(withJSONObject: ["prompt": "Abandoned", "max_tokens": 1000, "temperature": 0,
                                                                   "stream": true])
            try connection.send(method: "POST", path: "/v1/completions", headers: [("Content-Type", "application/json")], body: body)
            var received = ""
            while !received.contains("data: ") {
                let piece = connection.readSome()
                guard !piece.isEmpty else { break }
                received += String(decoding: piece, as: UTF8.self)
            }
            XCTAssertTrue(received.contains("data: "), "the stream started before the client left: \(received)")
        }
        let next = try await complete(["prompt": "Next", "max_tokens": 5, "temperature": 0])
        XCTAssertEqual(next.status, 200)
        let metrics = try await HTTPTestClient.request(port: port, "GET", "/metrics").text
        let generated = try XCTUnwrap(metricValue("finch_generated_tokens_total", in: metrics))
        XCTAssertLessThan(generated, 500, "the abandoned completion stopped early (\(generated) tokens in all)")
        XCTAssertEqual(metricValue("finch_active_slots", in: metrics), 0)
    }
}

/// The value of an unlabelled metric in Prometheus text.
func metricValue(_ name: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.split(separator: " ")[1])
    }
    return nil
}
