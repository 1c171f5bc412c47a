import Recommend
import Store

/// Checks any narrative text against the catalogue, trusting nothing about how it was written:
/// it finds every product mention (a catalogue name or description, case- and
/// punctuation-insensitive, so `White Hanging Heart T-Light Holder` and `WHITE HANGING HEART
/// T-LIGHT HOLDER` are the same product), every price (`£x.xx`) and every other number, and
/// compares them with the recommendation's facts.
public struct GroundingChecker: Sendable {
    /// A catalogue form of a product as lower-case words.
    private struct Form: Sendable {
        let stockCode: String
        let words: [String]
    }

    /// Catalogue forms by their first word, longest first.
    private let formsByFirstWord: [String: [Form]]
    private let products: [String: Product]

    public init(catalogue: [Product]) {
        var forms: [String: [Form]] = [:]
        var products: [String: Product] = [:]
        for product in catalogue {
            products[product.stockCode] = product
            let variants = Set([Self.words(product.name), Self.words(product.description)]).filter { !$0.isEmpty }
            for words in variants { forms[words[0], default: []].append(Form(stockCode: product.stockCode, words: words)) }
        }
        formsByFirstWord = forms.mapValues { $0.sorted { $0.words.count > $1.words.count } }
        self.products = products
    }

    /// One product named in a text.
    public struct Mention: Equatable, Sendable {
        public let stockCode: String
        /// Word positions of the mention in the text's words.
        public let words: Range<Int>
    }

    /// The text's pieces: the prices, and the words left once prices are taken out.
    struct Scan {
        var prices: [Double] = []
        var words: [String] = []
    }

    /// Every product the text names, longest catalogue form first, never overlapping.
    public func mentions(in text: String) -> [Mention] {
        mentions(inWords: scan(text).words)
    }

    private func mentions(inWords words: [String]) -> [Mention] {
        var found: [Mention] = []
        var index = 0
        while index < words.count {
            let match = formsByFirstWord[words[index]]?.first { form in
                index + form.words.count <= words.count && words[index..<(index + form.words.count)].elementsEqual(form.words)
            }
            if let match {
                found.append(Mention(stockCode: match.stockCode, words: index..<(index + match.words.count)))
                index += match.words.count
            } else {
                index += 1
            }
        }
        return found
    }

    /// Compares `text` with the recommendation: the products it may name are the recommended
    /// one, the customer's own (`history`) and those its reasons cite; the only price is the
    /// recommended product's; the numbers are its reasons' (and its set size).
    public func check(_ text: String, item: RecommendedItem, history: [Product]) -> GroundingReport {
        let scanned = scan(text)
        var report = GroundingReport()
        var required = RequiredFacts(item: item)
        report.required = required.count

        let found = mentions(inWords: scanned.words)
        let allowed = Set([item.stockCode] + history.map(\.stockCode) + item.reasons.compactMap(\.citedStockCode))
        report.productMentions = found.count
        for mention in found {
            let code = resolve(mention, words: scanned.words, item: item.stockCode, allowed: allowed)
            if allowed.contains(code) {
                report.allowedProductMentions += 1
                required.see(product: code, in: &report)
            } else {
                report.added += 1
                report.problems.append("names \(products[mention.stockCode]?.name ?? mention.stockCode), which is neither recommended nor the customer's")
            }
        }

        let price = (item.price * 100).rounded()
        report.prices = scanned.prices.count
        for quoted in scanned.prices {
            if (quoted * 100).rounded() == price {
                report.correctPrices += 1
                required.seePrice(in: &report)
            } else {
                report.wrong += 1
                report.problems.append("quotes \(FactSheet.formatPrice(quoted)); the price is \(FactSheet.formatPrice(item.price))")
            }
        }

        let covered = Set(found.flatMap { Array($0.words) })
        var factNumbers = item.reasons.flatMap(\.numbers)
        if let size = products[item.stockCode].flatMap({ ProductAttributes(description: $0.description).setSize }) {
            factNumbers.append(size)
        }
        let allowedNumbers = Set(factNumbers)
        required.allowOptional(numbers: factNumbers)
        for (index, word) in scanned.words.enumerated() where !covered.contains(index) {
            guard let number = Self.number(word) else { continue }
            // "in the last 30 days": the trending window, part of the sentence, not a fact.
            if number == Self.trendingWindowDays, index + 1 < scanned.words.count, scanned.words[index + 1] == "days" { continue }
            report.numbers += 1
            if allowedNumbers.contains(number) {
                report.correctNumbers += 1
                required.see(number: number, in: &report)
            } else {
                report.wrong += 1
                report.problems.append("states \(number), which no reason gives")
            }
        }
        required.reportMissing(in: &report, names: { products[$0]?.name ?? $0 })
        return report
    }

    /// The stock code a mention names. The data has names several stock codes share (one
    /// product re-coded, a colour variant with the same description): such a name names the
    /// recommended product if it is one of them, else an allowed one, else the first.
    private func resolve(_ mention: Mention, words: [String], item: String, allowed: Set<String>) -> String {
        guard !allowed.contains(mention.stockCode) || mention.stockCode != item else { return mention.stockCode }
        let named = words[mention.words]
        let sharing = (formsByFirstWord[named.first ?? ""] ?? []).filter { $0.words.elementsEqual(named) }.map(\.stockCode)
        if sharing.contains(item) { return item }
        if allowed.contains(mention.stockCode) { return mention.stockCode }
        return sharing.first(where: allowed.contains) ?? mention.stockCode
    }

    /// Prices out first (so `£12.75` is not also the numbers 12 and 75), then lower-case words.
    func scan(_ text: String) -> Scan {
        var result = Scan()
        var rest = Substring(text)
        var plain = ""
        while let pound = rest.firstIndex(of: "£") {
            plain += rest[..<pound]
            let afterPound = rest[rest.index(after: pound)...]
            let digits = afterPound.prefix { $0.isNumber || $0 == "." || $0 == "," }
            var amount = String(digits.filter { $0 != "," })
            while amount.hasSuffix(".") { amount.removeLast() }
            if let value = Double(amount) {
                result.prices.append(value)
                plain += " "
                rest = afterPound.dropFirst(digits.count)
            } else {
                plain += " "
                rest = afterPound
            }
        }
        plain += rest
        result.words = Self.words(plain)
        return result
    }

    /// The trending reason's window: "in the last 30 days" is the one number a narrative may write
    /// that no reason gives.
    public static let trendingWindowDays = 30

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    static func number(_ word: String) -> Int? {
        if let value = Int(word) { return value }
        return ["once": 1, "twice": 2][word]
    }
}

extension Reason {
    /// The numbers this reason gives a narrative (the similarity as a whole percentage).
    var numbers: [Int] {
        switch self {
        case let .boughtTogether(_, customers): [customers]
        case let .similar(_, cosine): [Int((cosine * 100).rounded())]
        case let .boughtBefore(times): [times]
        case let .trending(orders): [orders]
        case let .popular(customers): [customers]
        }
    }
}
