import Store

/// The evidence behind a recommendation, as data: the facts a narrative may state and a
/// grounding check compares against. Encoded as `{"kind": "bought-together", "with": "85123A",
/// "customers": 41}` and so on.
public enum Reason: Sendable, Equatable, Hashable {
    /// `customers` customers who bought `with` (one of this customer's products) also bought it.
    case boughtTogether(with: String, customers: Int)
    /// Its description embedding is `cosine`-close to `to`, one of this customer's products.
    case similar(to: String, cosine: Double)
    /// This customer bought it `times` times (invoices) before.
    case boughtBefore(times: Int)
    /// `orders30d` invoices included it in the last 30 days of the data.
    case trending(orders30d: Int)
    /// `customers` customers bought it: the cold-start and fallback evidence.
    case popular(customers: Int)
}

/// One recommended product with its score and reasons, as `recommend query --json` prints it.
public struct RecommendedItem: Sendable, Equatable {
    public var stockCode: String
    public var name: String
    public var price: Double
    public var score: Double
    public var reasons: [Reason]

    public init(stockCode: String, name: String, price: Double, score: Double, reasons: [Reason]) {
        self.stockCode = stockCode
        self.name = name
        self.price = price
        self.score = score
        self.reasons = reasons
    }
}

extension Reason: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, with, customers, to, cosine, times
        case orders30d = "orders_30d"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "bought-together":
            self = .boughtTogether(with: try c.decode(String.self, forKey: .with), customers: try c.decode(Int.self, forKey: .customers))
        case "similar":
            self = .similar(to: try c.decode(String.self, forKey: .to), cosine: try c.decode(Double.self, forKey: .cosine))
        case "bought-before":
            self = .boughtBefore(times: try c.decode(Int.self, forKey: .times))
        case "trending":
            self = .trending(orders30d: try c.decode(Int.self, forKey: .orders30d))
        case "popular":
            self = .popular(customers: try c.decode(Int.self, forKey: .customers))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown reason kind \"\(other)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .boughtTogether(with, customers):
            try c.encode("bought-together", forKey: .kind)
            try c.encode(with, forKey: .with)
            try c.encode(customers, forKey: .customers)
        case let .similar(to, cosine):
            try c.encode("similar", forKey: .kind)
            try c.encode(to, forKey: .to)
            try c.encode(cosine, forKey: .cosine)
        case let .boughtBefore(times):
            try c.encode("bought-before", forKey: .kind)
            try c.encode(times, forKey: .times)
        case let .trending(orders30d):
            try c.encode("trending", forKey: .kind)
            try c.encode(orders30d, forKey: .orders30d)
        case let .popular(customers):
            try c.encode("popular", forKey: .kind)
            try c.encode(customers, forKey: .customers)
        }
    }
}

extension RecommendedItem: Codable {
    private enum CodingKeys: String, CodingKey {
        case stockCode = "stock_code", name, price, score, reasons
    }
}

/// The same JSON as the Codable conformances give, written directly: the recommendations route
/// answers with it on every request.
extension Reason {
    public func write(to json: inout JSONText) {
        json.object {
            switch self {
            case let .boughtTogether(with, customers):
                $0.key("customers"); $0.integer(customers)
                $0.key("kind"); $0.string("bought-together")
                $0.key("with"); $0.string(with)
            case let .similar(to, cosine):
                $0.key("cosine"); $0.number(cosine)
                $0.key("kind"); $0.string("similar")
                $0.key("to"); $0.string(to)
            case let .boughtBefore(times):
                $0.key("kind"); $0.string("bought-before")
                $0.key("times"); $0.integer(times)
            case let .trending(orders30d):
                $0.key("kind"); $0.string("trending")
                $0.key("orders_30d"); $0.integer(orders30d)
            case let .popular(customers):
                $0.key("customers"); $0.integer(customers)
                $0.key("kind"); $0.string("popular")
            }
        }
    }
}

extension RecommendedItem {
    public func write(to json: inout JSONText) {
        json.object {
            $0.key("name"); $0.string(name)
            $0.key("price"); $0.number(price)
            $0.key("reasons"); $0.array(reasons) { $1.write(to: &$0) }
            $0.key("score"); $0.number(score)
            $0.key("stock_code"); $0.string(stockCode)
        }
    }
}
