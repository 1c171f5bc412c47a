/// Each customer's most recently bought distinct products, newest first: the products the
/// shop's "similar" and "bought-together" evidence is drawn from. A wholesaler's history runs to
/// ~1,800 products; the evidence for a recommendation cites what they stock now, and looking at
/// a bounded window keeps each answer's cost independent of how long the customer has been buying.
///
/// The rule: walk the customer's invoices from the newest back (time order as in
/// `TrainingData`: date, then invoice number), taking each invoice's products not taken yet in
/// catalogue order, until `window` products are taken or the history ends.
public struct RecentPurchases: Sendable {
    /// At most this many products per customer.
    public let window: Int
    private let start: [Int]
    private let products: [Int32]

    public init(data: TrainingData, window: Int = 50) {
        precondition(window >= 1, "a window of at least one product")
        self.window = window
        var start = [0]
        var products: [Int32] = []
        products.reserveCapacity(data.customerCount * window)
        // The customer (plus one) that last took each item: no clearing between customers.
        var takenBy = [Int](repeating: 0, count: data.itemCount)
        for c in 0..<data.customerCount {
            var taken = 0
            invoices: for n in data.invoices(ofCustomer: c).reversed() {
                for i in data.items(ofInvoice: Int(n)) where takenBy[Int(i)] != c + 1 {
                    takenBy[Int(i)] = c + 1
                    products.append(i)
                    taken += 1
                    if taken == window { break invoices }
                }
            }
            start.append(products.count)
        }
        self.start = start
        self.products = products
    }

    /// Customer `c`'s recent distinct products (catalogue indices), newest first.
    public func products(ofCustomer c: Int) -> ArraySlice<Int32> {
        products[start[c]..<start[c + 1]]
    }
}
