import Foundation
import GPT
import Store
import Tokenizer

/// One narrative of a page: the tokens the narrator wrote, their delexicalised text, and what
/// is served (the filled, checked text, or the fallback sentence).
public struct Narration: Sendable, Equatable {
    public var stockCode: String
    public var generatedTokens: [Int]
    public var delexicalised: String
    public var served: ServedNarrative
}

/// Writes the narratives of recommendation pages with a narrator model: each fact sheet becomes
/// the prompt the narrator was trained on, a page's narratives are generated together in one
/// `BatchedGenerator` (one batched forward per step, finished ones leaving), and each result is
/// filled, checked and served or replaced by `ServedNarrative.serve`.
///
/// A server with its own continuous-batching scheduler uses the pieces instead of `narrate`:
/// `promptTokens(for:)`, `sampler(customer:stockCode:seed:)` and `constraint(for:)` with
/// `stopTokens` and `maxNewTokens`, then `serve(generatedTokens:sheet:)`.
public final class Narrator: @unchecked Sendable {
    /// New tokens per narrative: the corpus's longest (three sentences) fits with room to spare.
    public static let defaultMaxNewTokens = 48
    /// `recommend narratives-data`'s `--token-budget` default: prompts are cut as in training.
    public static let trainingPromptBudget = 160
    /// Mild sampling: variety between pages without drifting from the frames the narrator learnt.
    public static let defaultSampling = SamplingParameters(temperature: 0.7, topK: 40, topP: 0.95, repetitionPenalty: 1)

    public let model: NarratorModel
    public let checker: GroundingChecker
    public let sampling: SamplingParameters
    public let maxNewTokens: Int
    /// The fact sheet's budget in tokens, without the end-of-text before it and the line break after.
    public let promptBudget: Int
    /// End-of-text and every token holding a line break: a narrative is one line.
    public var stopTokens: Set<Int> { slotVocabulary.stopTokens }
    /// The tokens slot-constrained decoding reads, found once.
    public let slotVocabulary: SlotVocabulary
    /// Whether each narrative is decoded under its sheet's `SlotConstraint` (the default);
    /// false decodes freely, as before the constraint, for measuring what it changes.
    public let constrainsSlots: Bool
    /// Whether the narrative is steered to state its facts within `maxNewTokens` (the
    /// constraint's budget) and a sentence the limit cuts may be closed after its last slot (the
    /// default); false for measuring what they change.
    public let budgetsTokens: Bool

    private let lock = NSLock()
    /// One generator per voice ("" for the base), kept so pages reuse their KV caches.
    private var generators: [String: BatchedGenerator] = [:]

    /// `catalogue` is what the grounding checker matches narratives against.
    public init(model: NarratorModel, catalogue: [Product], sampling: SamplingParameters = defaultSampling,
                maxNewTokens: Int = defaultMaxNewTokens, constrainsSlots: Bool = true, budgetsTokens: Bool = true) throws {
        try sampling.validate()
        guard maxNewTokens >= 1 else { throw NarrativeError("max new tokens must be at least 1 (got \(maxNewTokens))") }
        let context = model.config.contextLength
        promptBudget = min(Self.trainingPromptBudget, context - maxNewTokens - 2)
        guard promptBudget >= 16 else {
            throw NarrativeError("\(model.directory): a context of \(context) tokens leaves no room for a fact sheet and \(maxNewTokens) new tokens")
        }
        self.model = model
        checker = GroundingChecker(catalogue: catalogue)
        self.sampling = sampling
        self.maxNewTokens = maxNewTokens
        slotVocabulary = SlotVocabulary(tokenizer: model.tokenizer)
        self.constrainsSlots = constrainsSlots
        self.budgetsTokens = budgetsTokens
    }

    public var tokenizer: GPT2Tokenizer { model.tokenizer }

    // MARK: The pieces

    /// End-of-text, then the fact sheet as `narratives-data` writes it (history dropped oldest
    /// first, with its note, to fit `promptBudget`) and the line break its completions follow —
    /// the token stream `train finetune` packs. Throws when even no history fits.
    public func promptTokens(for sheet: FactSheet) throws -> [Int] {
        let text = try sheet.prompt(tokenBudget: promptBudget, countTokens: { self.tokenizer.encode($0).count })
        return [GPT2Tokenizer.endOfText] + tokenizer.encode(text + "\n")
    }

    /// The seed of one item's draws (see `NarrationSeed`).
    public func seed(customer: Int, stockCode: String, seed: UInt64) -> UInt64 {
        NarrationSeed.seed(seed, customer: customer, stockCode: stockCode)
    }

    /// The sampler for one item: `parameters` (the narrator's by default) seeded per item, never
    /// drawing an id past the tokenizer's vocabulary.
    public func sampler(customer: Int, stockCode: String, seed: UInt64, parameters: SamplingParameters? = nil) throws -> Sampler {
        var sampler = try Sampler(parameters: parameters ?? sampling,
                                  seed: self.seed(customer: customer, stockCode: stockCode, seed: seed))
        sampler.vocabularyLimit = tokenizer.vocabSize
        return sampler
    }

    /// The logits processor of one item's narrative: its sheet's `SlotConstraint` within
    /// `maxNewTokens`, or nil when the narrator decodes unconstrained. One per sequence: it
    /// follows what that one writes.
    public func constraint(for sheet: FactSheet) -> SlotConstraint? {
        constrainsSlots ? SlotConstraint(sheet: sheet, vocabulary: slotVocabulary, checker: checker,
                                         maxNewTokens: budgetsTokens ? maxNewTokens : nil) : nil
    }

    /// The text of generated tokens: up to the first line break, trimmed.
    public func delexicalised(_ tokens: [Int]) -> String {
        let text = tokenizer.decode(tokens)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// Fills, checks and serves what the narrator wrote for `sheet`. A narrative cut off by the
    /// token limit loses its unfinished last sentence when what is left passes the checker;
    /// otherwise, when that sentence carried a slot, it is closed after its last slot instead
    /// (`The <product> is <price> and` → `The <product> is <price>.`), so a fact the cut would
    /// drop is kept. One with neither reading servable is a fallback.
    public func serve(generatedTokens: [Int], sheet: FactSheet) -> ServedNarrative {
        let text = delexicalised(generatedTokens)
        guard !text.isEmpty else {
            return ServedNarrative(text: ServedNarrative.fallback(for: sheet), isFallback: true, problems: ["the narrator wrote nothing"])
        }
        let readings = Self.finishedReadings(of: text, closingCutSentence: budgetsTokens)
        guard let first = readings.first else {
            return ServedNarrative(text: ServedNarrative.fallback(for: sheet), isFallback: true,
                                   problems: ["no finished sentence in \"\(text)\""])
        }
        let served = ServedNarrative.serve(first, sheet: sheet, checker: checker)
        for reading in readings.dropFirst() where served.isFallback {
            let closed = ServedNarrative.serve(reading, sheet: sheet, checker: checker)
            if !closed.isFallback { return closed }
        }
        return served
    }

    /// The texts `text` may be served as, in order of preference: itself when it ends a sentence;
    /// else without its unfinished last sentence, then (if `closingCutSentence`) that sentence
    /// closed after its last slot.
    static func finishedReadings(of text: String, closingCutSentence: Bool = true) -> [String] {
        let sentenceEnds: Set<Character> = [".", "!", "?"]
        guard let last = text.last, !sentenceEnds.contains(last) else { return [text] }
        let finishedEnd = text.lastIndex(where: { sentenceEnds.contains($0) })
        var readings = finishedEnd.map { [String(text[...$0])] } ?? []
        let unfinishedStart = finishedEnd.map { text.index(after: $0) } ?? text.startIndex
        if closingCutSentence, let close = text[unfinishedStart...].lastIndex(of: ">") {
            let kept = text[..<text.index(after: close)]
            readings.append(String(kept) + ".")
        }
        return readings
    }

    // MARK: A page at once

    /// The narratives of one customer's page, in `sheets` order, generated together: one batched
    /// forward per step over every unfinished narrative. `voice` nil is the base narrator;
    /// `parameters` overrides the sampling (`.greedy` for argmax decoding). A sheet that cannot
    /// become a prompt is served its fallback; the rest of the page is unaffected.
    public func narrate(customer: Int, sheets: [FactSheet], voice: String? = nil, seed: UInt64 = 0,
                        parameters: SamplingParameters? = nil) throws -> [Narration] {
        let weights = try model.weights(voice: voice)
        lock.lock()
        defer { lock.unlock() }
        let generator = try generator(voice: voice, weights: weights)
        var sequences: [Int: SequenceID] = [:]
        var narrations: [Narration?] = Array(repeating: nil, count: sheets.count)
        for (index, sheet) in sheets.enumerated() {
            let code = sheet.item.stockCode
            do {
                let prompt = try promptTokens(for: sheet)
                sequences[index] = try generator.add(
                    prompt: prompt, sampler: try sampler(customer: customer, stockCode: code, seed: seed, parameters: parameters),
                    maxNewTokens: maxNewTokens, stopTokens: stopTokens, processor: constraint(for: sheet))
            } catch {
                narrations[index] = Narration(stockCode: code, generatedTokens: [], delexicalised: "",
                                              served: ServedNarrative(text: ServedNarrative.fallback(for: sheet), isFallback: true,
                                                                      problems: ["\(error)"]))
            }
        }
        let results = generator.runToCompletion()
        for (index, id) in sequences {
            let tokens = results[id]?.tokens ?? []
            narrations[index] = Narration(stockCode: sheets[index].item.stockCode, generatedTokens: tokens,
                                          delexicalised: delexicalised(tokens),
                                          served: serve(generatedTokens: tokens, sheet: sheets[index]))
        }
        return narrations.compactMap { $0 }
    }

    private func generator(voice: String?, weights: InferenceWeights) throws -> BatchedGenerator {
        let key = voice ?? ""
        if let generator = generators[key] { return generator }
        let generator = try BatchedGenerator(weights: weights)
        generators[key] = generator
        return generator
    }
}
