import GPT
import Tokenizer

/// The body of `POST /v1/completions`: OpenAI's fields, plus llama.cpp's `top_k` and
/// `repetition_penalty`. Unknown fields (`model`, `user`, …) are ignored, as OpenAI-compatible
/// servers do. Defaults are OpenAI's: 16 tokens, temperature 1, no top-p/top-k filter.
struct CompletionRequest: Decodable {
    /// A string, an array holding one string, or an array of token ids (llama.cpp accepts ids).
    enum Prompt {
        case text(String)
        case tokens([Int])
    }

    var prompt: Prompt = .text("")
    var maxTokens = 16
    var temperature: Float = 1
    var topP: Float = 1
    var topK = 0
    var repetitionPenalty: Float = 1
    var stop: [String] = []
    var seed: UInt64?
    var stream = false
    var choiceCount = 1

    /// OpenAI allows up to four stop sequences.
    static let maxStops = 4

    enum CodingKeys: String, CodingKey {
        case prompt, temperature, stop, seed, stream, n
        case maxTokens = "max_tokens", topP = "top_p", topK = "top_k", repetitionPenalty = "repetition_penalty"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.prompt) { prompt = try Self.decodePrompt(container) }
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens) ?? maxTokens
        temperature = try container.decodeIfPresent(Float.self, forKey: .temperature) ?? temperature
        topP = try container.decodeIfPresent(Float.self, forKey: .topP) ?? topP
        topK = try container.decodeIfPresent(Int.self, forKey: .topK) ?? topK
        repetitionPenalty = try container.decodeIfPresent(Float.self, forKey: .repetitionPenalty) ?? repetitionPenalty
        if let one = try? container.decodeIfPresent(String.self, forKey: .stop) {
            stop = [one]
        } else {
            stop = try container.decodeIfPresent([String].self, forKey: .stop) ?? []
        }
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        choiceCount = try container.decodeIfPresent(Int.self, forKey: .n) ?? 1
    }

    private static func decodePrompt(_ container: KeyedDecodingContainer<CodingKeys>) throws -> Prompt {
        if let text = try? container.decode(String.self, forKey: .prompt) { return .text(text) }
        if let ids = try? container.decode([Int].self, forKey: .prompt) { return .tokens(ids) }
        guard let texts = try? container.decode([String].self, forKey: .prompt) else {
            throw APIError.invalidRequest("'prompt' must be a string, an array of one string, or an array of token ids.",
                                          param: "prompt")
        }
        guard texts.count == 1 else {
            throw APIError.invalidRequest("'prompt' as an array must hold exactly one string (got \(texts.count)).",
                                          param: "prompt")
        }
        return .text(texts[0])
    }

    /// The job to run, after checking every field against the model: a prompt that does not fit
    /// the context, ids outside the vocabulary or a value out of range is a 400 naming the field.
    func job(for model: LanguageModel) throws -> GenerationJob {
        let context = model.config.contextLength
        guard choiceCount == 1 else { throw APIError.invalidRequest("Only n = 1 is supported.", param: "n") }
        guard (1...context).contains(maxTokens) else {
            throw APIError.invalidRequest("'max_tokens' must be between 1 and the model's context of \(context) (got \(maxTokens)).",
                                          param: "max_tokens")
        }
        let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, repetitionPenalty: repetitionPenalty)
        if let (field, problem) = Self.problem(of: sampling) { throw APIError.invalidRequest(problem, param: field) }
        guard stop.count <= Self.maxStops else {
            throw APIError.invalidRequest("'stop' may hold at most \(Self.maxStops) strings (got \(stop.count)).", param: "stop")
        }
        var ids: [Int]
        switch prompt {
        case .text(let text): ids = model.tokenizer.encode(text, allowSpecial: true)
        case .tokens(let tokens): ids = tokens
        }
        // An empty prompt starts a document, as OpenAI's models treat it.
        if ids.isEmpty { ids = [GPT2Tokenizer.endOfText] }
        let vocabulary = min(model.tokenizer.vocabSize, model.config.vocabSize)
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw APIError.invalidRequest("The prompt's token at position \(bad) (id \(ids[bad])) is outside the model's vocabulary of \(vocabulary).",
                                          param: "prompt")
        }
        guard ids.count <= context else {
            throw APIError.invalidRequest("The prompt has \(ids.count) tokens, more than the model's context of \(context).",
                                          param: "prompt", code: "context_length_exceeded")
        }
        return GenerationJob(prompt: ids, maxNewTokens: maxTokens, sampling: sampling,
                             seed: seed ?? UInt64.random(in: 0...UInt64.max), stops: stop)
    }

    /// `SamplingParameters.problem` in the API's field names.
    private static func problem(of sampling: SamplingParameters) -> (String, String)? {
        if !(sampling.temperature >= 0) || !sampling.temperature.isFinite {
            return ("temperature", "'temperature' must be a finite number ≥ 0 (0 is greedy; got \(sampling.temperature)).")
        }
        if sampling.topK < 0 { return ("top_k", "'top_k' must be ≥ 0 (0 turns it off; got \(sampling.topK)).") }
        if !(sampling.topP > 0 && sampling.topP <= 1) { return ("top_p", "'top_p' must be in (0, 1] (got \(sampling.topP)).") }
        if !(sampling.repetitionPenalty > 0) || !sampling.repetitionPenalty.isFinite {
            return ("repetition_penalty", "'repetition_penalty' must be a finite number > 0 (got \(sampling.repetitionPenalty)).")
        }
        return nil
    }
}
