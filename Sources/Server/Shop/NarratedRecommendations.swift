import Foundation
import Hummingbird
import Narrative
import Recommend
import Store

/// The `narrate=true` answers: every item with its served narrative (`narrative_fallback` when
/// the grounding check refused the narrator's text and a template sentence stands in), whole,
/// or as server-sent events — the items first, then each narrative as it finishes, then
/// `[DONE]`. The history records the page with its narratives once they are all written.
enum NarratedRecommendations {
    struct Item: Encodable {
        let item: RecommendedItem
        let narrative: ServedNarrative

        enum CodingKeys: String, CodingKey {
            case stockCode = "stock_code", name, price, score, reasons, narrative, narrativeFallback = "narrative_fallback"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(item.stockCode, forKey: .stockCode)
            try container.encode(item.name, forKey: .name)
            try container.encode(item.price, forKey: .price)
            try container.encode(item.score, forKey: .score)
            try container.encode(item.reasons, forKey: .reasons)
            try container.encode(narrative.text, forKey: .narrative)
            try container.encode(narrative.isFallback, forKey: .narrativeFallback)
        }
    }

    struct Page: Encodable {
        let customer: Int
        let coldStart: Bool
        let items: [Item]

        enum CodingKeys: String, CodingKey { case customer, coldStart = "cold_start", items }
    }

    struct ItemsEvent: Encodable {
        let type = "items"
        let customer: Int
        let coldStart: Bool
        let items: [RecommendedItem]

        enum CodingKeys: String, CodingKey { case type, customer, coldStart = "cold_start", items }
    }

    struct NarrativeEvent: Encodable {
        let type = "narrative"
        let index: Int
        let stockCode: String
        let narrative: String
        let narrativeFallback: Bool

        enum CodingKeys: String, CodingKey {
            case type, index, stockCode = "stock_code", narrative, narrativeFallback = "narrative_fallback"
        }
    }

    static func whole(_ answer: CustomerRecommendations, narratives: AsyncThrowingStream<(index: Int, served: ServedNarrative), any Error>,
                      database: ShopDatabase) async throws -> Response {
        var served = [ServedNarrative?](repeating: nil, count: answer.items.count)
        for try await narrative in narratives { served[narrative.index] = narrative.served }
        let texts = served.compactMap { $0 }
        guard texts.count == answer.items.count else { throw CancellationError() }
        try record(answer, texts, database: database)
        return JSONResponse.make(Page(customer: answer.customer, coldStart: answer.coldStart,
                                      items: zip(answer.items, texts).map { Item(item: $0, narrative: $1) }))
    }

    static func stream(_ answer: CustomerRecommendations, narratives: AsyncThrowingStream<(index: Int, served: ServedNarrative), any Error>,
                       database: ShopDatabase) -> Response {
        let body = ResponseBody { writer in
            try await writer.write(try event(ItemsEvent(customer: answer.customer, coldStart: answer.coldStart, items: answer.items)))
            var served = [ServedNarrative?](repeating: nil, count: answer.items.count)
            do {
                for try await narrative in narratives {
                    served[narrative.index] = narrative.served
                    try await writer.write(try event(NarrativeEvent(
                        index: narrative.index, stockCode: answer.items[narrative.index].stockCode,
                        narrative: narrative.served.text, narrativeFallback: narrative.served.isFallback)))
                }
                try record(answer, served.compactMap { $0 }, database: database)
            } catch {
                let failure = APIError(status: .internalServerError, message: "Narration failed: \(error)", type: "server_error")
                try await writer.write(ByteBuffer(string: "data: \(String(decoding: failure.jsonBody(), as: UTF8.self))\n\n"))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private static func record(_ answer: CustomerRecommendations, _ narratives: [ServedNarrative], database: ShopDatabase) throws {
        try database.recordServed(customer: answer.customer, items: zip(answer.items, narratives).map {
            ServedItem(stockCode: $0.stockCode, name: $0.name, narrative: $1.text)
        })
    }

    private static func event(_ value: some Encodable) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONResponse.encode(value))
        buffer.writeString("\n\n")
        return buffer
    }
}
