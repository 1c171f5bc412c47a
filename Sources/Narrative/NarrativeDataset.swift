import Foundation
import Recommend
import Store

/// The narrator's training pairs, `{"prompt": fact sheet, "completion": delexicalised
/// narrative}` — the JSON lines `train finetune` reads — built from purchase lines the caller
/// has already cut to the training side of a split, so no held-out basket reaches a prompt.
public struct NarrativeDataset {
    public struct Example: Codable, Equatable, Sendable {
        public var prompt: String
        public var completion: String

        public init(prompt: String, completion: String) {
            self.prompt = prompt
            self.completion = completion
        }
    }

    public let catalogue: [String: Product]
    /// Each customer's products, newest purchase first, from the training lines.
    public let histories: [Int: [Product]]
    /// The month of the last training purchase: the "now" seasonal frames are written for.
    public let month: Int?

    public init(products: [Product], trainingLines: [PurchaseLine]) {
        catalogue = Dictionary(products.map { ($0.stockCode, $0) }, uniquingKeysWith: { first, _ in first })
        var newest: [Int: [String: String]] = [:]  // customer → stock code → last date
        for line in trainingLines where line.date > newest[line.customer]?[line.stockCode] ?? "" {
            newest[line.customer, default: [:]][line.stockCode] = line.date
        }
        let catalogue = self.catalogue
        histories = newest.mapValues { dates in
            dates.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.compactMap { catalogue[$0.key] }
        }
        month = trainingLines.map(\.date).max().flatMap { Int($0.dropFirst(5).prefix(2)) }
    }

    /// An example with its completion filled from the fact sheet, as it would be served.
    public struct WrittenExample: Sendable {
        public var example: Example
        public var filled: String
    }

    /// What a written completion must satisfy beyond filling: the independent checker on the
    /// real catalogue (a frame's words must not happen to spell another product) and a length
    /// the narrator can write within its new-token limit (a narrative cut short loses its price).
    public struct Acceptance: Sendable {
        public var checker: GroundingChecker?
        public var completionTokenLimit: Int
        /// Draws of the writer before an item is given up (and left out of the corpus).
        public var draws: Int

        public init(checker: GroundingChecker? = nil, completionTokenLimit: Int = .max, draws: Int = 20) {
            self.checker = checker
            self.completionTokenLimit = completionTokenLimit
            self.draws = draws
        }
    }

    /// One example per recommended item (`variants` narratives each), for the customers in order.
    public func examples(customers: [Int], recommend: (Int) throws -> [RecommendedItem], variants: Int,
                         voice: NarrativeVoice = .narrator, writer: inout NarrativeCorpusWriter, tokenBudget: Int,
                         countTokens: (String) -> Int) throws -> [Example] {
        try written(customers: customers, recommend: recommend, variants: variants, voice: voice, writer: &writer,
                    tokenBudget: tokenBudget, countTokens: countTokens).examples.map(\.example)
    }

    /// The examples with their filled completions, each drawn until it fills and satisfies
    /// `acceptance`; `skipped` counts the narratives no draw could make acceptable.
    public func written(customers: [Int], recommend: (Int) throws -> [RecommendedItem], variants: Int,
                        voice: NarrativeVoice = .narrator, writer: inout NarrativeCorpusWriter, tokenBudget: Int,
                        countTokens: (String) -> Int,
                        acceptance: Acceptance = Acceptance()) throws -> (examples: [WrittenExample], skipped: Int) {
        var examples: [WrittenExample] = []
        var skipped = 0
        for customer in customers {
            let history = histories[customer] ?? []
            for item in try recommend(customer) {
                guard let product = catalogue[item.stockCode] else {
                    throw NarrativeError("recommended stock code \(item.stockCode) is not in the catalogue")
                }
                let sheet = try FactSheet(item: item, description: product.description, history: history,
                                          catalogue: catalogue, month: month)
                let prompt = try sheet.prompt(tokenBudget: tokenBudget, countTokens: countTokens)
                for _ in 0..<variants {
                    var accepted: WrittenExample?
                    for _ in 0..<max(1, acceptance.draws) where accepted == nil {
                        let completion = writer.completion(for: sheet, voice: voice)
                        guard let filled = try? NarrativeSlot.fill(completion, sheet: sheet),
                              countTokens(completion) <= acceptance.completionTokenLimit,
                              acceptance.checker?.check(filled, item: item, history: history).passes ?? true
                        else { continue }
                        accepted = WrittenExample(example: Example(prompt: prompt + "\n", completion: completion), filled: filled)
                    }
                    if let accepted { examples.append(accepted) } else { skipped += 1 }
                }
            }
        }
        return (examples, skipped)
    }

    /// The catalogue as pretraining text, one document per product in the fact sheet's own
    /// lines (`product:`, `price:`, `about:`) after its original description, sorted by stock
    /// code so the file is reproducible. Names and prices are the data's, never a customer's.
    public func catalogueText() -> [String] {
        catalogue.values.sorted { $0.stockCode < $1.stockCode }.map { product in
            var lines = [product.description, "product: \(product.name)", "price: \(FactSheet.formatPrice(product.price))"]
            if let about = FactSheet.aboutLine(ProductAttributes(description: product.description), occasionIsSeasonal: false) {
                lines.append(about)
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
