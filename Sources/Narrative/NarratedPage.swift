import Recommend

/// A recommendations page with narratives, as `recommend query --narrate` prints it and
/// `check-grounding` reads it: `{"customer": ID, "cold_start": false, "items": [{…item…,
/// "narrative": "…", "narrative_fallback": false}]}`.
public struct NarratedPage: Encodable, Sendable {
    public struct Item: Encodable, Sendable {
        public var item: RecommendedItem
        public var narrative: String
        public var isFallback: Bool

        private enum CodingKeys: String, CodingKey {
            case narrative
            case isFallback = "narrative_fallback"
        }

        public init(item: RecommendedItem, served: ServedNarrative) {
            self.item = item
            narrative = served.text
            isFallback = served.isFallback
        }

        /// The item's own fields, then the narrative's, in one object.
        public func encode(to encoder: any Encoder) throws {
            try item.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(narrative, forKey: .narrative)
            try container.encode(isFallback, forKey: .isFallback)
        }
    }

    public var customer: Int
    public var coldStart: Bool
    public var items: [Item]

    private enum CodingKeys: String, CodingKey {
        case customer, coldStart = "cold_start", items
    }

    /// `recommendations` with `narrations` (one per item, in order) attached.
    public init(_ recommendations: CustomerRecommendations, narrations: [Narration]) {
        customer = recommendations.customer
        coldStart = recommendations.coldStart
        items = zip(recommendations.items, narrations).map { Item(item: $0, served: $1.served) }
    }
}
