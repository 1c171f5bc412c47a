import Recommend

/// What `GroundingChecker` found in one narrative, with the measures.
public struct GroundingReport: Equatable, Sendable {
    public var productMentions = 0
    /// Mentions of the recommended product, the customer's own or one a reason cites.
    public var allowedProductMentions = 0
    public var prices = 0
    public var correctPrices = 0
    /// Numbers outside product names and prices.
    public var numbers = 0
    public var correctNumbers = 0
    /// Facts the narrative must state: the product, its price and its first reason's evidence.
    public var required = 0
    public var missing = 0
    /// A price or number that is not the fact's.
    public var wrong = 0
    /// A product that is neither recommended, the customer's nor cited.
    public var added = 0
    /// A required fact stated more than once.
    public var repeated = 0
    /// One line per error, for logs and `check-grounding`.
    public var problems: [String] = []
    /// The required facts not stated, as keys (`product:CODE`, `number:41`, `price`): what
    /// constrained decoding compares to know which facts a slot's value states.
    var missingFacts: Set<String> = []

    public init() {}

    public var productPrecision: Double { ratio(allowedProductMentions, productMentions) }
    public var priceAccuracy: Double { ratio(correctPrices, prices) }
    public var numberAccuracy: Double { ratio(correctNumbers, numbers) }
    /// E2E's slot error rate: (missing + wrong + added + repeated) / required.
    public var slotErrorRate: Double { Double(missing + wrong + added + repeated) / Double(max(1, required)) }
    /// Whether the narrative may be served: no slot error of any kind.
    public var passes: Bool { missing + wrong + added + repeated == 0 }

    private func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 1 : Double(part) / Double(whole) }
}

/// The facts a narrative of `item` must state, and how often each was seen.
struct RequiredFacts {
    private(set) var products: [String: Int] = [:]
    private(set) var numbers: [Int: Int] = [:]
    private var pricesSeen = 0

    init(item: RecommendedItem) {
        products[item.stockCode] = 0
        guard let primary = item.reasons.first else { return }
        switch primary {
        case let .boughtTogether(with, customers):
            products[with] = 0
            numbers[customers] = 0
        case let .similar(to, _): products[to] = 0
        case let .boughtBefore(times): numbers[times] = 0
        case let .trending(orders): numbers[orders] = 0
        case let .popular(customers): numbers[customers] = 0
        }
    }

    /// The product, the price and each evidence fact.
    var count: Int { products.count + numbers.count + 1 }

    mutating func see(product code: String, in report: inout GroundingReport) {
        guard let seen = products[code] else { return }
        if seen > 0 { report.repeated += 1 }
        products[code] = seen + 1
    }

    mutating func see(number: Int, in report: inout GroundingReport) {
        guard let seen = numbers[number] else { return }
        if seen > 0 { report.repeated += 1 }
        numbers[number] = seen + 1
    }

    mutating func seePrice(in report: inout GroundingReport) {
        if pricesSeen > 0 { report.repeated += 1 }
        pricesSeen += 1
    }

    func reportMissing(in report: inout GroundingReport, names: (String) -> String) {
        for (code, seen) in products.sorted(by: { $0.key < $1.key }) where seen == 0 {
            report.missing += 1
            report.missingFacts.insert("product:\(code)")
            report.problems.append("does not name \(names(code))")
        }
        for (number, seen) in numbers.sorted(by: { $0.key < $1.key }) where seen == 0 {
            report.missing += 1
            report.missingFacts.insert("number:\(number)")
            report.problems.append("does not state the evidence \(number)")
        }
        if pricesSeen == 0 {
            report.missing += 1
            report.missingFacts.insert("price")
            report.problems.append("does not give the price")
        }
    }
}
