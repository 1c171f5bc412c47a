import Recommend
import Store

/// The facts one narrative may state, and the compact prompt text a narrator model reads:
/// the customer's recent products, the recommended product's name, price and attributes, and
/// its reasons with their numbers. Each fact is labelled with the slot a delexicalised narrative
/// uses for it (`product:`, `price:`, `with=`, `customers=`, `set=`… for `<product>`, `<price>`,
/// `<with>`, `<customers>`, `<set>`), so the prompt tells the model which slots this item can fill.
public struct FactSheet: Sendable {
    public let item: RecommendedItem
    /// The customer's products, newest first.
    public let history: [Product]
    public let attributes: ProductAttributes
    /// Names of the products the reasons cite (`with`, `to`), by stock code.
    public let citedNames: [String: String]
    /// The month (1–12) the recommendation is made in, for seasonal occasions.
    public let month: Int?

    /// `catalogue` resolves the stock codes the reasons cite; `description` is the recommended
    /// product's cleaned description (its attributes' source). A reason citing a product the
    /// catalogue does not have throws: a narrative cannot name it.
    public init(item: RecommendedItem, description: String, history: [Product], catalogue: [String: Product],
                month: Int? = nil) throws {
        self.item = item
        self.history = history
        attributes = ProductAttributes(description: description)
        self.month = month
        var cited: [String: String] = [:]
        for reason in item.reasons {
            guard let code = reason.citedStockCode else { continue }
            guard let product = catalogue[code] else {
                throw NarrativeError("reason \(reason) of \(item.stockCode) cites stock code \(code), which is not in the catalogue")
            }
            cited[code] = product.name
        }
        citedNames = cited
    }

    /// The price as every narrative writes it: `£12.75`.
    public static func formatPrice(_ price: Double) -> String {
        let pence = Int((price * 100).rounded())
        let penceText = pence % 100 < 10 ? "0\(pence % 100)" : "\(pence % 100)"
        return "£\(pence / 100).\(penceText)"
    }

    /// Whether the item's occasion is coming up in `month`.
    public var occasionIsSeasonal: Bool {
        guard let month, let months = attributes.occasion?.leadMonths else { return false }
        return months.contains(month)
    }

    /// The prompt: at most `historyLimit` recent products, then the oldest of those dropped
    /// one by one (with a note saying how many) until `countTokens` of the whole text is within
    /// `tokenBudget`. Throws when even no history does not fit.
    public func prompt(tokenBudget: Int, historyLimit: Int = 5, countTokens: (String) -> Int) throws -> String {
        var shown = Array(history.prefix(max(0, historyLimit)))
        while true {
            let text = render(shownHistory: shown, omitted: history.count - shown.count)
            if countTokens(text) <= tokenBudget { return text }
            guard !shown.isEmpty else {
                throw NarrativeError("the fact sheet of \(item.stockCode) needs \(countTokens(text)) tokens even without history; the budget is \(tokenBudget)")
            }
            shown.removeLast()
        }
    }

    private func render(shownHistory: [Product], omitted: Int) -> String {
        var lines: [String] = []
        var recent = shownHistory.map(\.name).joined(separator: "; ")
        if omitted > 0 { recent += (recent.isEmpty ? "" : "; ") + "(\(omitted) earlier omitted)" }
        lines.append("recent: " + (recent.isEmpty ? "none" : recent))
        lines.append("product: \(item.name)")
        lines.append("price: \(Self.formatPrice(item.price))")
        if let about = Self.aboutLine(attributes, occasionIsSeasonal: occasionIsSeasonal) { lines.append(about) }
        for reason in item.reasons { lines.append("reason: " + describe(reason)) }
        lines.append("narrative:")
        return lines.joined(separator: "\n")
    }

    /// `about: colour=red kind=lantern …`, the attributes a description gives, or nil if none.
    static func aboutLine(_ attributes: ProductAttributes, occasionIsSeasonal: Bool) -> String? {
        var described: [String] = []
        if let colour = attributes.colour { described.append("colour=\(colour)") }
        if let material = attributes.material { described.append("material=\(material)") }
        if let kind = attributes.kind { described.append("kind=\(kind)") }
        if let size = attributes.setSize { described.append("set=\(size)") }
        if let occasion = attributes.occasion { described.append("occasion=\(occasion.rawValue)\(occasionIsSeasonal ? " (soon)" : "")") }
        return described.isEmpty ? nil : "about: " + described.joined(separator: " ")
    }

    private func describe(_ reason: Reason) -> String {
        switch reason {
        case let .boughtTogether(with, customers): "bought-together with=\(citedNames[with] ?? with) customers=\(customers)"
        case let .similar(to, cosine): "similar to=\(citedNames[to] ?? to) similarity=\(Int((cosine * 100).rounded()))%"
        case let .boughtBefore(times): "bought-before times=\(times)"
        case let .trending(orders): "trending orders=\(orders)"
        case let .popular(customers): "popular buyers=\(customers)"
        }
    }
}

extension Reason {
    /// The reason's kind as its JSON spells it.
    public var kind: String {
        switch self {
        case .boughtTogether: "bought-together"
        case .similar: "similar"
        case .boughtBefore: "bought-before"
        case .trending: "trending"
        case .popular: "popular"
        }
    }

    /// The product this reason names, if any.
    public var citedStockCode: String? {
        switch self {
        case let .boughtTogether(with, _): with
        case let .similar(to, _): to
        case .boughtBefore, .trending, .popular: nil
        }
    }
}

/// A fact sheet, narrative or catalogue that cannot be used, with the reason.
public struct NarrativeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
