import Foundation
import Recommend

/// One line of `recommend query` output with narratives: `{"customer": ID, "items": [{…item…,
/// "narrative": "…", "narrative_fallback": false}]}` — what `check-grounding` reads.
public struct NarratedRecommendations: Decodable, Sendable {
    public struct Item: Decodable, Sendable {
        public var item: RecommendedItem
        public var narrative: String?
        public var isFallback: Bool

        private enum CodingKeys: String, CodingKey {
            case narrative
            case isFallback = "narrative_fallback"
        }

        public init(from decoder: any Decoder) throws {
            item = try RecommendedItem(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            narrative = try container.decodeIfPresent(String.self, forKey: .narrative)
            isFallback = try container.decodeIfPresent(Bool.self, forKey: .isFallback) ?? false
        }
    }

    public var customer: Int
    public var items: [Item]
}

/// The grounding measures over many narratives: micro-averaged precision and
/// accuracies, the slot error rate over all required facts, and the fallback share.
public struct GroundingSummary: Equatable, Sendable {
    public var narratives = 0
    public var passing = 0
    public var fallbacks = 0
    public private(set) var totals = GroundingReport()

    public init() {}

    public mutating func add(_ report: GroundingReport, isFallback: Bool) {
        narratives += 1
        if report.passes { passing += 1 }
        if isFallback { fallbacks += 1 }
        totals.productMentions += report.productMentions
        totals.allowedProductMentions += report.allowedProductMentions
        totals.prices += report.prices
        totals.correctPrices += report.correctPrices
        totals.numbers += report.numbers
        totals.correctNumbers += report.correctNumbers
        totals.required += report.required
        totals.missing += report.missing
        totals.wrong += report.wrong
        totals.added += report.added
        totals.repeated += report.repeated
    }

    /// The figures as one JSON object's fields.
    public var fields: [String: Any] {
        [
            "narratives": narratives, "passing": passing, "fallbacks": fallbacks,
            "fallback_rate": narratives == 0 ? 0 : Double(fallbacks) / Double(narratives),
            "product_precision": totals.productPrecision, "price_accuracy": totals.priceAccuracy,
            "number_accuracy": totals.numberAccuracy, "slot_error_rate": totals.slotErrorRate,
            "missing": totals.missing, "wrong": totals.wrong, "added": totals.added, "repeated": totals.repeated,
        ]
    }
}
