/// How varied a narratives corpus is — the ceiling of any narrator trained on it: the number of
/// distinct completions and distinct-2 over the delexicalised and the filled texts, over the
/// whole corpus and over its first `benchmarkSize` examples (distinct-2 falls as texts are
/// added, so the figure to set beside `narrate-benchmark`'s is over as many narratives).
public struct NarrativeCorpusStatistics: Sendable {
    public static let benchmarkSize = 5_000

    public private(set) var delexicalised: [String] = []
    public private(set) var filled: [String] = []
    public private(set) var completionTokens: [Int] = []
    public var skipped = 0

    public init() {}

    public mutating func add(_ example: NarrativeDataset.WrittenExample, completionTokens count: Int) {
        delexicalised.append(example.example.completion)
        filled.append(example.filled)
        completionTokens.append(count)
    }

    public var distinctCompletions: Int { Set(delexicalised).count }

    /// The share of completions that name the customer's own product (`<recent>`).
    public var recentShare: Double { share(naming: [.recent]) }

    /// The share that name a product from further back in the customer's history.
    public var earlierShare: Double { share(naming: [.earlier, .another]) }

    private func share(naming slots: [NarrativeSlot]) -> Double {
        let naming = delexicalised.filter { text in slots.contains { text.contains($0.token) } }.count
        return delexicalised.isEmpty ? 0 : Double(naming) / Double(delexicalised.count)
    }

    /// One line: `examples 14250, distinct completions 14190, distinct-2 filled 0.52 (first 5000: 0.61), …`.
    public var summary: String {
        let first = Self.benchmarkSize
        func ratio(_ value: Double) -> String { String(format: "%.3f", value) }
        let meanTokens = completionTokens.isEmpty ? 0 : Double(completionTokens.reduce(0, +)) / Double(completionTokens.count)
        return "examples \(delexicalised.count), distinct completions \(distinctCompletions), "
            + "distinct-2 filled \(ratio(NarrativeQuality.distinct2(filled))) (first \(first): \(ratio(NarrativeQuality.distinct2(Array(filled.prefix(first)))))), "
            + "delexicalised \(ratio(NarrativeQuality.distinct2(delexicalised))) (first \(first): \(ratio(NarrativeQuality.distinct2(Array(delexicalised.prefix(first)))))), "
            + "naming the customer's product \(ratio(recentShare)), an earlier one \(ratio(earlierShare)), completion tokens mean \(String(format: "%.1f", meanTokens)) max \(completionTokens.max() ?? 0), "
            + "skipped \(skipped)"
    }
}
