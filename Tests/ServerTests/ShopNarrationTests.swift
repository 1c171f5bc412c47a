import Foundation
import GPT
import Narrative
import Server
import Store
import XCTest

/// `narrate=true` on a real server with a small random int8 narrator: every item gets a served
/// narrative (the grounding check's text or its template fallback), whole or streamed as each
/// finishes, pages of concurrent customers share the batch, and the history keeps the narratives.
final class ShopNarrationTests: XCTestCase {
    /// Random weights five times GPT-2's initial scale, so continuations depend on the prompt.
    private static func narrator(catalogue: [Product]) throws -> Narrator {
        let config = GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 256, vocabSize: GPTConfig.gpt2VocabularySize)
        let model = GPTModel(config: config, seed: 11)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 5 }
        let weights = try InferenceWeights(model: model, quantized: try QuantizedModelWeights(quantizing: model))
        let narratorModel = try NarratorModel(directory: "test-narrator", base: weights, voices: [:], tokenizer: TestServer.tokenizer)
        return try Narrator(model: narratorModel, catalogue: catalogue, maxNewTokens: 12)
    }

    private func startServer() async throws -> ShopTestServer {
        let fixture = try ShopFixture.shared()
        return try await ShopTestServer.start(narrator: try Self.narrator(catalogue: Array(fixture.recommender.products.values)))
    }

    func testNarratedPageWholeAndStreamed() async throws {
        let server = try await startServer()
        let a = server.fixture.customerA
        let token = try await server.customerToken(a)
        let path = "/api/customers/\(a)/recommendations?top_n=4&narrate=true"
        let whole = try await server.request("GET", path, token: token)
        XCTAssertEqual(whole.status, 200, whole.text)
        let items = try XCTUnwrap(try whole.json()["items"] as? [[String: Any]])
        XCTAssertEqual(items.count, 4)
        let expected = try server.fixture.recommender.recommend(customer: a, k: 4)
        XCTAssertEqual(items.map { $0["stock_code"] as? String }, expected.items.map(\.stockCode))
        let narratives = items.compactMap { $0["narrative"] as? String }
        XCTAssertEqual(narratives.count, 4)
        XCTAssertTrue(narratives.allSatisfy { !$0.isEmpty })
        XCTAssertTrue(items.allSatisfy { $0["narrative_fallback"] is Bool })
        let again = try await server.request("GET", path, token: token).json()
        XCTAssertEqual((again["items"] as? [[String: Any]])?.compactMap { $0["narrative"] as? String }, narratives, "seeded per item")

        let streamed = try await server.request("GET", path + "&stream=true", token: token)
        XCTAssertEqual(streamed.status, 200)
        XCTAssertEqual(streamed.headers["content-type"], "text/event-stream")
        let events = serverSentEvents(streamed.text)
        XCTAssertEqual(events.count, 1 + 4 + 1, streamed.text)
        XCTAssertEqual(events.last, "[DONE]")
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(events[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["type"] as? String, "items")
        XCTAssertEqual(first["customer"] as? Int, a)
        let firstItems = try XCTUnwrap(first["items"] as? [[String: Any]])
        XCTAssertEqual(firstItems.map { $0["stock_code"] as? String }, expected.items.map(\.stockCode))
        XCTAssertTrue(firstItems.allSatisfy { $0["narrative"] == nil })
        var streamedNarratives = [String?](repeating: nil, count: 4)
        for event in events[1..<5] {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            XCTAssertEqual(json["type"] as? String, "narrative")
            let index = try XCTUnwrap(json["index"] as? Int)
            XCTAssertEqual(json["stock_code"] as? String, expected.items[index].stockCode)
            XCTAssertNotNil(json["narrative_fallback"] as? Bool)
            streamedNarratives[index] = json["narrative"] as? String
        }
        XCTAssertEqual(streamedNarratives.compactMap { $0 }, narratives, "every index once, the same texts")

        let history = try await server.request("GET", "/api/customers/\(a)/history", token: token).json()
        let served = try XCTUnwrap(history["served"] as? [[String: Any]])
        XCTAssertEqual(served.count, 3)
        XCTAssertEqual((served[0]["items"] as? [[String: Any]])?.compactMap { $0["narrative"] as? String }, narratives)

        let unknownVoice = try await server.request("GET", path + "&voice=nobody", token: token).status
        XCTAssertEqual(unknownVoice, 400)
        let streamWithoutNarrate = try await server.request("GET", "/api/customers/\(a)/recommendations?stream=true", token: token).status
        XCTAssertEqual(streamWithoutNarrate, 400)
        await server.stop()
    }

    func testEightCustomersPagesAtOnce() async throws {
        let server = try await startServer()
        let admin = try await server.adminToken()
        let customers = Array(server.fixture.recommender.data.customers.prefix(8))
        let pages = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for id in customers {
                group.addTask {
                    let answer = try await server.request("GET", "/api/customers/\(id)/recommendations?top_n=3&narrate=true", token: admin)
                    let items = (try answer.json()["items"] as? [[String: Any]]) ?? []
                    return (answer.status, items.compactMap { $0["narrative"] as? String }.count)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(pages.count, 8)
        XCTAssertTrue(pages.allSatisfy { $0 == (200, 3) }, "\(pages)")
        await server.stop()
    }

    func testWithoutANarratorNarrateIs503() async throws {
        let server = try await ShopTestServer.start()
        let token = try await server.customerToken(server.fixture.customerA)
        let answer = try await server.request("GET", "/api/customers/\(server.fixture.customerA)/recommendations?narrate=true", token: token)
        XCTAssertEqual(answer.status, 503)
        XCTAssertEqual((try answer.json()["error"] as? [String: Any])?["code"] as? String, "narrator_unavailable")
        await server.stop()
    }
}
