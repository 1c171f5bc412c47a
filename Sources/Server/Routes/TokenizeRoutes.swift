import Hummingbird

/// llama.cpp's `POST /tokenize` (`{"content": …}` → `{"tokens": [...]}`) and `POST /detokenize`
/// (`{"tokens": [...]}` → `{"content": …}`), with the completion model's vocabulary.
/// `<|endoftext|>` written in the text is the special token, as in completion prompts.
enum TokenizeRoutes {
    struct TokenizeRequest: Decodable {
        let content: String
    }

    struct TokenizeResponse: Codable {
        let tokens: [Int]
    }

    struct DetokenizeRequest: Decodable {
        let tokens: [Int]
    }

    struct DetokenizeResponse: Codable {
        let content: String
    }

    static func add(to router: Router<FinchRequestContext>, host: ModelHost) {
        router.post("/tokenize") { request, context -> Response in
            let body = try await request.decodeJSON(as: TokenizeRequest.self, context: context)
            let tokenizer = try host.requireScheduler().model.tokenizer
            return JSONResponse.make(TokenizeResponse(tokens: tokenizer.encode(body.content, allowSpecial: true)))
        }
        router.post("/detokenize") { request, context -> Response in
            let body = try await request.decodeJSON(as: DetokenizeRequest.self, context: context)
            let tokenizer = try host.requireScheduler().model.tokenizer
            if let bad = body.tokens.firstIndex(where: { $0 < 0 || $0 >= tokenizer.vocabSize }) {
                throw APIError.invalidRequest(
                    "Token \(body.tokens[bad]) at index \(bad) is outside the vocabulary (0..<\(tokenizer.vocabSize)).",
                    param: "tokens")
            }
            return JSONResponse.make(DetokenizeResponse(content: tokenizer.decode(body.tokens)))
        }
    }
}
