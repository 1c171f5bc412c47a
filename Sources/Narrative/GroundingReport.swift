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
    /// A fact stated more than once: E2E counts every repeated slot, so a product, price or number the
    /// narrative may state but need not (a second reason's) counts as well as a required one.
    public var repeated = 0
    /// One line per error, for logs and `check-grounding`.
    public var problems: [String] = []
    /// The required facts not stated, as keys (`product:CODE`, `number:41`, `price`): what
    /// constrained decoding compares to know which facts a slot's value states.
    var missingFacts: Set<String> = []
    /// Every allowed fact stated, required or not, with the same keys: what a slot's value
    /// states, so constrained decoding writes no fact twice.
    var statedFacts: Set<String> = []

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

/// The facts a narrative of `item` must state, and how often each fact it states was seen.
struct RequiredFacts {
    private(set) var products: [String: Int] = [:]
    private(set) var numbers: [Int: Int] = [:]
    private var pricesSeen = 0
    private var optionalProductsSeen: Set<String> = []
    /// An optional number may be stated as often as facts give it (`3` times and a set of `3`).
    private var optionalNumbersLeft: [Int: Int] = [:]

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

    /// `allowed`: every number some fact of the item gives, once per fact.
    mutating func allowOptional(numbers allowed: [Int]) {
        for number in allowed { optionalNumbersLeft[number, default: 0] += 1 }
        for number in numbers.keys { optionalNumbersLeft[number, default: 0] -= 1 }
    }

    mutating func see(product code: String, in report: inout GroundingReport) {
        report.statedFacts.insert("product:\(code)")
        guard let seen = products[code] else {
            if !optionalProductsSeen.insert(code).inserted { report.repeated += 1 }
            return
        }
        if seen > 0 { report.repeated += 1 }
        products[code] = seen + 1
    }

    mutating func see(number: Int, in report: inout GroundingReport) {
        report.statedFacts.insert("number:\(number)")
        if let seen = numbers[number], seen == 0 {
            numbers[number] = 1
            return
        }
        let left = optionalNumbersLeft[number, default: 0]
        if left > 0 {
            optionalNumbersLeft[number] = left - 1
        } else {
            report.repeated += 1
            if let seen = numbers[number] { numbers[number] = seen + 1 }
        }
    }

    mutating func seePrice(in report: inout GroundingReport) {
        report.statedFacts.insert("price")
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
