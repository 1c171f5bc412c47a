import Store

/// How purchase lines are divided into training data and held-out test baskets, exactly as
/// `bench/recsys_reference.py` divides them.
public enum DataSplit: Sendable, Equatable, CustomStringConvertible {
    /// Every customer with at least two invoices has the last one (by date, then invoice number)
    /// held out; every other line trains.
    case lastBasket
    /// Lines dated before `date` (`YYYY-MM-DD`) train; each training customer buying again on or
    /// after it is tested on the first such invoice.
    case cutoff(String)

    /// Parses `last-basket` or `cutoff:YYYY-MM-DD`.
    public init(parsing text: String) throws {
        if text == "last-basket" {
            self = .lastBasket
            return
        }
        let prefix = "cutoff:"
        if text.hasPrefix(prefix) {
            let date = String(text.dropFirst(prefix.count))
            if date.count == 10, DayNumber.of(date) != nil {
                self = .cutoff(date)
                return
            }
        }
        throw RecommendError("--split: expected last-basket or cutoff:YYYY-MM-DD, got \"\(text)\"")
    }

    public var description: String {
        switch self {
        case .lastBasket: return "last-basket"
        case let .cutoff(date): return "cutoff:\(date)"
        }
    }

    /// The training lines (in their original order) and each test customer's held-out basket of
    /// stock codes.
    public func apply(to lines: [PurchaseLine]) -> (train: [PurchaseLine], test: [Int: Set<String>]) {
        // As the reference: an invoice's date is the date of its last line, its basket every
        // stock code on it.
        var invoiceDate: [String: String] = [:]
        var invoicesOf: [Int: Set<String>] = [:]
        var itemsOf: [String: Set<String>] = [:]
        for line in lines {
            invoiceDate[line.invoice] = line.date
            invoicesOf[line.customer, default: []].insert(line.invoice)
            itemsOf[line.invoice, default: []].insert(line.stockCode)
        }
        func isEarlier(_ a: String, _ b: String) -> Bool {
            let (da, db) = (invoiceDate[a]!, invoiceDate[b]!)
            return da != db ? da < db : a < b
        }
        var testInvoice: [Int: String] = [:]
        let train: [PurchaseLine]
        switch self {
        case .lastBasket:
            for (customer, invoices) in invoicesOf where invoices.count >= 2 {
                testInvoice[customer] = invoices.max(by: isEarlier)
            }
            train = lines.filter { testInvoice[$0.customer] != $0.invoice }
        case let .cutoff(date):
            train = lines.filter { $0.date < date }
            let seen = Set(train.map(\.customer))
            for (customer, invoices) in invoicesOf where seen.contains(customer) {
                if let first = invoices.filter({ invoiceDate[$0]! >= date }).min(by: isEarlier) {
                    testInvoice[customer] = first
                }
            }
        }
        return (train, testInvoice.mapValues { itemsOf[$0]! })
    }
}
