import Recommend
import Store

/// The placeholders of a delexicalised narrative (the E2E NLG approach): the narrator model
/// writes `<product>` and `<price>`, never a name or a number, and `fill` puts the catalogue's
/// values in after generation, so a weak model cannot invent a product or misquote a price.
///
/// Why slots rather than the exact text: a 60M model trained on a few thousand narratives
/// copies a 30-character product name or a price from its prompt imperfectly (a dropped word,
/// £12.57 for £12.75), and decoding constrained to a trie of allowed strings still lets it stop
/// a name halfway. A slot is a few tokens the model only has to place; the value is exact by
/// construction, and the grounding checker verifies the filled text independently anyway.
/// Counts carry their noun (`41 customers`, `once`, `twice`) so every frame reads correctly for 1.
public enum NarrativeSlot: String, CaseIterable, Sendable {
    case product, price
    /// bought-together: the customer's product and how many customers bought both.
    case with, customers
    /// similar: the customer's product and the similarity as a percentage.
    case to, similarity
    /// bought-before: how often this customer bought it.
    case times
    /// trending: invoices in the last 30 days.
    case orders
    /// popular: how many customers bought it.
    case buyers
    /// The customer's most recent product.
    case recent
    /// Two more of the customer's own products, from anywhere in their history (61 distinct
    /// products each on average) and different for each item of a page, so a page speaks of
    /// more of what this customer bought. (They barely move corpus distinct-2: histories hold
    /// the same best sellers; `data/narratives/README.md`.)
    case earlier, another
    case colour, material, kind, set, occasion

    public var token: String { "<\(rawValue)>" }

    /// The value of every slot this fact sheet can fill.
    public static func values(for sheet: FactSheet) -> [NarrativeSlot: String] {
        var values: [NarrativeSlot: String] = [.product: sheet.item.name, .price: FactSheet.formatPrice(sheet.item.price)]
        for reason in sheet.item.reasons {
            switch reason {
            case let .boughtTogether(with, customers):
                values[.with] = values[.with] ?? sheet.citedNames[with]
                values[.customers] = values[.customers] ?? count(customers, "customer")
            case let .similar(to, cosine):
                values[.to] = values[.to] ?? sheet.citedNames[to]
                values[.similarity] = values[.similarity] ?? "\(Int((cosine * 100).rounded()))%"
            case let .boughtBefore(times):
                values[.times] = values[.times] ?? (times == 1 ? "once" : times == 2 ? "twice" : "\(times) times")
            case let .trending(orders):
                values[.orders] = values[.orders] ?? count(orders, "order")
            case let .popular(customers):
                values[.buyers] = values[.buyers] ?? count(customers, "customer")
            }
        }
        let recent = recentProduct(for: sheet)
        if let recent { values[.recent] = recent.name }
        let others = otherOwnProducts(for: sheet, besides: recent)
        values[.earlier] = others.first?.name
        values[.another] = others.dropFirst().first?.name
        let attributes = sheet.attributes
        values[.colour] = attributes.colour
        values[.material] = attributes.material
        values[.kind] = attributes.kind
        values[.set] = attributes.setSize.map { "set of \($0)" }
        values[.occasion] = attributes.occasion.map(occasionName)
        return values
    }

    /// Replaces every `<slot>` of `delexicalised` with its value. Throws on a slot this sheet
    /// cannot fill or an unknown one: a narrative with a hole is never served.
    public static func fill(_ delexicalised: String, sheet: FactSheet) throws -> String {
        let values = values(for: sheet)
        var result = ""
        var rest = Substring(delexicalised)
        while let open = rest.firstIndex(of: "<") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: ">") else {
                throw NarrativeError("unclosed slot in \"\(delexicalised)\"")
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard let slot = NarrativeSlot(rawValue: name) else { throw NarrativeError("unknown slot <\(name)>") }
            guard let value = values[slot] else {
                throw NarrativeError("slot <\(name)> has no value for \(sheet.item.stockCode)")
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The customer's product `<recent>` names for this item: among the newest five (those the
    /// prompt shows), the one sharing most words with the recommended product, so the pairing
    /// reads naturally and the items of one page name different products of the customer's.
    /// Never the recommended product or one a reason cites (by code or by name): that product
    /// would be named twice.
    static func recentProduct(for sheet: FactSheet) -> Product? {
        let item = sheet.item
        let cited = item.reasons.compactMap(\.citedStockCode)
        let excludedNames = Set(([item.name] + cited.compactMap { sheet.citedNames[$0] }).map { $0.lowercased() })
        let excludedCodes = Set([item.stockCode] + cited)
        let candidates = sheet.history.prefix(5).filter {
            !excludedCodes.contains($0.stockCode) && !excludedNames.contains($0.name.lowercased())
        }
        guard !candidates.isEmpty else { return nil }
        let itemWords = Set(ProductAttributes.words(item.name).filter { $0.count >= 4 })
        let shared = candidates.map { Set(ProductAttributes.words($0.name)).intersection(itemWords).count }
        let most = shared.max() ?? 0
        let tied = candidates.indices.filter { shared[$0] == most }.map { candidates[$0] }
        // Ties (often: nothing shared) go round by the item, stable across runs.
        let turn = NarrationSeed.seed(0, customer: 0, stockCode: item.stockCode) % UInt64(tied.count)
        return tied[Int(turn)]
    }

    /// Up to two more of the customer's products for `<earlier>` and `<another>`, from the whole
    /// history, never one `<recent>`, a reason or the item names, nor two of the same name.
    /// Where in the history they come from turns with the item, so the items of one page name
    /// different products of the customer's.
    static func otherOwnProducts(for sheet: FactSheet, besides recent: Product?) -> [Product] {
        let item = sheet.item
        let cited = item.reasons.compactMap(\.citedStockCode)
        var excludedNames = Set(([item.name] + cited.compactMap { sheet.citedNames[$0] }).map { $0.lowercased() })
        if let recent { excludedNames.insert(recent.name.lowercased()) }
        let excludedCodes = Set([item.stockCode] + cited + (recent.map { [$0.stockCode] } ?? []))
        var seenNames: Set<String> = []
        let candidates = sheet.history.filter {
            !excludedCodes.contains($0.stockCode) && !excludedNames.contains($0.name.lowercased())
                && seenNames.insert($0.name.lowercased()).inserted
        }
        guard !candidates.isEmpty else { return [] }
        let turn = Int(NarrationSeed.seed(1, customer: 0, stockCode: item.stockCode) % UInt64(candidates.count))
        let first = candidates[turn]
        guard candidates.count > 1 else { return [first] }
        // The second from the other half of the history: one newer and one older purchase.
        return [first, candidates[(turn + candidates.count / 2) % candidates.count]]
    }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    private static func occasionName(_ occasion: ProductAttributes.Occasion) -> String {
        switch occasion {
        case .christmas: "Christmas"
        case .easter: "Easter"
        case .valentine: "Valentine's Day"
        case .birthday: "birthdays"
        case .wedding: "weddings"
        case .halloween: "Halloween"
        case .party: "parties"
        case .summer: "summer"
        }
    }
}
