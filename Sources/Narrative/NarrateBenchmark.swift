import Foundation
import GPT
import Recommend

/// `recommend narrate-benchmark`'s measurements: pages of narratives for held-out customers,
/// end to end (recommendation, fact sheets, batched generation, filling, checking), scored for
/// grounding, variety, copying and evidence, with latencies and the batched decode's step cost.
public enum NarrateBenchmark {
    public struct Settings: Sendable {
        public var voice: String?
        public var seed: UInt64 = 0
        /// nil: the narrator's own sampling.
        public var parameters: SamplingParameters?
        /// Customers whose first item is also narrated alone, for the one-narrative latency.
        public var singleNarratives = 100
        /// Runs of the batched decode measurement (10 sequences against 1).
        public var decodeRepeats = 3

        public init(voice: String? = nil, seed: UInt64 = 0, parameters: SamplingParameters? = nil) {
            self.voice = voice
            self.seed = seed
            self.parameters = parameters
        }
    }

    public struct Report {
        public var customers = 0
        public var grounding = GroundingSummary()
        /// Distinct-2 over every served narrative, and over the generated delexicalised ones.
        public var distinct2 = 0.0
        public var distinct2Delexicalised = 0.0
        /// Generated narratives whose delexicalised text is a training completion, over all generated.
        public var identicalToTraining = 0.0
        /// Served narratives that state the first reason's evidence, over items with a reason;
        /// and the same for what the narrator wrote before any fallback.
        public var evidenceShare = 0.0
        public var generatedEvidenceShare = 0.0
        /// Why narratives fell back, by the checker's first problem's kind, most frequent first.
        public var fallbackCauses: [(cause: String, count: Int)] = []
        /// Where the fallen-back narratives were when they ended (`FallbackPlace`), most frequent first.
        public var fallbackPlaces: [(place: String, count: Int)] = []
        public var perplexity: CompletionPerplexity.Result?
        /// End to end per page (recommend → served narratives), milliseconds.
        public var pageMilliseconds: [Double] = []
        public var singleMilliseconds: [Double] = []
        public var decode: BatchedDecodeBenchmark.Result?
        /// A few served narratives to read.
        public var samples: [String] = []
        /// Every served narrative, page by page (runs with another narrator or build compare them).
        public var served: [String] = []

        public var pageP50: Double { percentile(pageMilliseconds, 0.5) }
        public var pageP95: Double { percentile(pageMilliseconds, 0.95) }
        public var singleP50: Double { percentile(singleMilliseconds, 0.5) }

        /// The figures as one JSON object's fields.
        public var fields: [String: Any] {
            var fields = grounding.fields
            fields["customers"] = customers
            fields["distinct_2"] = distinct2
            fields["distinct_2_delexicalised"] = distinct2Delexicalised
            fields["identical_to_training"] = identicalToTraining
            fields["evidence_share"] = evidenceShare
            fields["generated_evidence_share"] = generatedEvidenceShare
            fields["fallback_causes"] = Dictionary(fallbackCauses.map { ($0.cause, $0.count) }, uniquingKeysWith: +)
            fields["fallback_places"] = Dictionary(fallbackPlaces.map { ($0.place, $0.count) }, uniquingKeysWith: +)
            fields["page_ms_p50"] = pageP50
            fields["page_ms_p95"] = pageP95
            if !singleMilliseconds.isEmpty { fields["single_ms_p50"] = singleP50 }
            if let perplexity {
                fields["val_perplexity"] = perplexity.perplexity
                fields["val_tokens"] = perplexity.tokensScored
            }
            if let decode {
                fields["decode_step_ms_batch10"] = decode.batchStepMillisecondsP50
                fields["decode_step_ms_single"] = decode.singleStepMillisecondsP50
                fields["decode_step_ratio"] = decode.stepCostRatio
                fields["decode_step_cpu_ratio"] = decode.stepCPURatio
            }
            return fields
        }
    }

    /// Narrates each customer's page of `recommend(customer)` with fact sheets from `facts`
    /// (the training side), checking against `facts`' histories. `trainingCompletions` is the
    /// corpus copying is measured against; `validation` the examples perplexity is measured on.
    public static func run(narrator: Narrator, facts: NarrativeDataset, customers: [Int],
                           recommend: (Int) throws -> [RecommendedItem], trainingCompletions: Set<String>,
                           validation: [NarrativeDataset.Example], settings: Settings,
                           progress: (String) -> Void) throws -> Report {
        var report = Report()
        report.customers = customers.count
        var served: [String] = [], generated: [String] = []
        var identical = 0, evidenceItems = 0, evidenceServed = 0, evidenceGenerated = 0
        var causes: [String: Int] = [:], places: [String: Int] = [:]
        for (position, customer) in customers.enumerated() {
            let start = DispatchTime.now()
            let sheets = try facts.sheets(customer: customer, items: try recommend(customer))
            let page = try narrator.narrate(customer: customer, sheets: sheets, voice: settings.voice, seed: settings.seed,
                                            parameters: settings.parameters)
            report.pageMilliseconds.append(LatencyBenchmark.milliseconds(since: start))
            for (narration, sheet) in zip(page, sheets) {
                let text = narration.served.text
                report.grounding.add(narrator.checker.check(text, item: sheet.item, history: sheet.history),
                                     isFallback: narration.served.isFallback)
                served.append(text)
                generated.append(narration.delexicalised)
                if trainingCompletions.contains(narration.delexicalised) { identical += 1 }
                if narration.served.isFallback, let problem = narration.served.problems.first {
                    causes[cause(of: problem), default: 0] += 1
                    let place = FallbackPlace(delexicalised: narration.delexicalised, generatedTokens: narration.generatedTokens.count,
                                              maxNewTokens: narrator.maxNewTokens)
                    places[place.rawValue, default: 0] += 1
                }
                if let named = NarrativeQuality.namesEvidence(text, sheet: sheet) {
                    evidenceItems += 1
                    if named { evidenceServed += 1 }
                    let filled = try? NarrativeSlot.fill(narration.delexicalised, sheet: sheet)
                    if let filled, NarrativeQuality.namesEvidence(filled, sheet: sheet) == true { evidenceGenerated += 1 }
                }
            }
            if report.samples.count < 12, position % max(1, customers.count / 12) == 0, let first = page.first {
                report.samples.append("\(customer) \(first.stockCode): \(first.served.text)\(first.served.isFallback ? "  [fallback]" : "")")
            }
            if position < settings.singleNarratives, let first = sheets.first {
                let single = DispatchTime.now()
                _ = try narrator.narrate(customer: customer, sheets: [first], voice: settings.voice, seed: settings.seed,
                                         parameters: settings.parameters)
                report.singleMilliseconds.append(LatencyBenchmark.milliseconds(since: single))
            }
            if (position + 1) % 50 == 0 { progress("narrate-benchmark: \(position + 1) / \(customers.count) customers") }
        }
        report.served = served
        report.distinct2 = NarrativeQuality.distinct2(served)
        report.distinct2Delexicalised = NarrativeQuality.distinct2(generated)
        report.identicalToTraining = Double(identical) / Double(max(1, generated.count))
        report.evidenceShare = Double(evidenceServed) / Double(max(1, evidenceItems))
        report.generatedEvidenceShare = Double(evidenceGenerated) / Double(max(1, evidenceItems))
        report.fallbackCauses = causes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
        report.fallbackPlaces = places.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }

        let weights = try narrator.model.weights(voice: settings.voice)
        if !validation.isEmpty {
            progress("narrate-benchmark: perplexity on \(validation.count) validation examples")
            report.perplexity = try CompletionPerplexity.evaluate(weights: weights, tokenizer: narrator.tokenizer, examples: validation)
        }
        if settings.decodeRepeats > 0 {
            progress("narrate-benchmark: batched decode, 10 sequences against 1")
            let promptTokens = min(100, narrator.promptBudget)
            report.decode = try BatchedDecodeBenchmark.run(weights: weights, batch: 10, promptTokens: promptTokens,
                                                           newTokens: narrator.maxNewTokens, repeats: settings.decodeRepeats)
        }
        return report
    }

    /// A checker problem without its particulars, so causes count.
    static func cause(of problem: String) -> String {
        if problem.hasPrefix("no finished sentence") { return "unfinished" }
        if problem.hasPrefix("slot <") || problem.hasPrefix("unknown slot") || problem.hasPrefix("unclosed slot") { return "slot" }
        let words = problem.split(separator: " ")
        // "quotes £1.00; …", "states 12, …", "names X, …": the verb is the cause, the rest its particulars.
        if let verb = words.first, ["quotes", "states", "names"].contains(verb) { return String(verb) }
        // "does not name X", "does not state the evidence 41", "does not give the price": a fact left out, and which kind.
        if words.starts(with: ["does", "not"]) { return words.prefix(3).joined(separator: " ") }
        return words.prefix(2).joined(separator: " ")
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}
