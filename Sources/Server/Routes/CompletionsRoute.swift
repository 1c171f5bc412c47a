import Foundation
import Hummingbird

/// `POST /v1/completions`: OpenAI's text completion, whole or streamed as server-sent events
/// (`data: {chunk}\n\n` per piece of text, the last chunk with `finish_reason` and `usage`,
/// then `data: [DONE]\n\n`).
enum CompletionsRoute {
    struct Choice: Encodable {
        let text: String
        let index = 0
        /// nil while a stream is still going; OpenAI writes `null` then, never omits the key.
        let finishReason: FinishReason?

        enum CodingKeys: String, CodingKey {
            case text, index, logprobs
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(index, forKey: .index)
            try container.encodeNil(forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    struct Usage: Encodable {
        let promptTokens: Int
        let completionTokens: Int
        var totalTokens: Int { promptTokens + completionTokens }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(promptTokens, forKey: .promptTokens)
            try container.encode(completionTokens, forKey: .completionTokens)
            try container.encode(totalTokens, forKey: .totalTokens)
        }
    }

    /// The whole response, and each streamed chunk (there `usage` only on the last).
    struct Completion: Encodable {
        let id: String
        let object = "text_completion"
        let created: Int
        let model: String
        let choices: [Choice]
        let usage: Usage?
    }

    static func add(to router: Router<FinchRequestContext>, host: ModelHost) {
        router.post("/v1/completions") { request, context -> Response in
            let body = try await request.decodeJSON(as: CompletionRequest.self, context: context)
            let scheduler = try host.requireScheduler()
            let job = try body.job(for: scheduler.model)
            let header = Header(id: "cmpl-\(UUID().uuidString.lowercased())", created: Int(Date().timeIntervalSince1970),
                                model: scheduler.model.name, promptTokens: job.prompt.count)
            let events = scheduler.submit(job)
            return body.stream ? stream(events, header: header) : try await collect(events, header: header)
        }
    }

    /// What every chunk of one completion repeats.
    struct Header: Sendable {
        let id: String
        let created: Int
        let model: String
        let promptTokens: Int

        func completion(text: String, finish: (FinishReason, completionTokens: Int)?) -> Completion {
            Completion(id: id, created: created, model: model,
                       choices: [Choice(text: text, finishReason: finish?.0)],
                       usage: finish.map { Usage(promptTokens: promptTokens, completionTokens: $0.completionTokens) })
        }
    }

    private static func collect(_ events: AsyncStream<GenerationEvent>, header: Header) async throws -> Response {
        var text = ""
        for await event in events {
            switch event {
            case .text(let piece):
                text += piece
            case .finished(let reason, let completionTokens):
                return JSONResponse.make(header.completion(text: text, finish: (reason, completionTokens)))
            case .failed(let message):
                throw APIError(status: .internalServerError, message: "Generation failed: \(message)", type: "server_error")
            }
        }
        // The stream ends without `finished` only when this request was cancelled.
        throw CancellationError()
    }

    /// The SSE response. Its body is written as the events arrive; when the client goes away the
    /// write fails, the loop ends, the stream is dropped, and the scheduler frees the slot.
    private static func stream(_ events: AsyncStream<GenerationEvent>, header: Header) -> Response {
        let body = ResponseBody { writer in
            for await event in events {
                switch event {
                case .text(let piece):
                    try await writer.write(try sse(header.completion(text: piece, finish: nil)))
                case .finished(let reason, let completionTokens):
                    try await writer.write(try sse(header.completion(text: "", finish: (reason, completionTokens))))
                case .failed(let message):
                    let error = APIError(status: .internalServerError, message: "Generation failed: \(message)", type: "server_error")
                    try await writer.write(ByteBuffer(string: "data: \(String(decoding: error.jsonBody(), as: UTF8.self))\n\n"))
                }
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private static func sse(_ chunk: Completion) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONResponse.encode(chunk))
        buffer.writeString("\n\n")
        return buffer
    }
}
