import Store

/// The purchase history the recommenders learn from, indexed: catalogue items and customers as
/// dense indices, each customer's items with their purchase counts, each customer's invoices in
/// time order, and each item's customers. Rows of a sparse matrix are stored CSR-style
/// (`start[r]..<start[r + 1]` into flat arrays) so scoring a customer touches only their items.
public struct TrainingData: Sendable {
    /// Stock codes of the catalogue, sorted (the reference's item order).
    public let items: [String]
    public let itemIndex: [String: Int]
    /// Customer ids that have training lines, ascending.
    public let customers: [Int]
    public let customerIndex: [Int: Int]
    /// Each customer's country (of their last training line): the fairness split UK vs the rest.
    public let countries: [String]

    /// Customer × item purchase counts (purchase lines, as the reference's `freq`), items ascending.
    public let customerItemStart: [Int]
    public let customerItems: [Int32]
    public let customerItemCounts: [Float]
    /// How many invoices of the customer contained the item, aligned with `customerItems`.
    public let customerItemInvoices: [Int32]

    /// Item × customer incidence (who bought it), customers ascending.
    public let itemCustomerStart: [Int]
    public let itemCustomers: [Int32]

    /// Each customer's invoices in time order (date, then invoice number), indices into the
    /// invoice arrays below.
    public let customerInvoiceStart: [Int]
    public let customerInvoices: [Int32]
    /// Each invoice's distinct items and its day (days since 1970).
    public let invoiceItemStart: [Int]
    public let invoiceItems: [Int32]
    public let invoiceDays: [Int]

    /// Distinct training customers per item: the popularity every method falls back on. [items]
    public let popularity: [Float]
    /// The last day with a training purchase: "now" for time decay.
    public let lastDay: Int

    public var itemCount: Int { items.count }
    public var customerCount: Int { customers.count }

    /// Indexes `lines` over `catalogue` (stock codes; lines whose code is not in it are an error
    /// of the caller and are skipped).
    public init(catalogue: [String], lines: [PurchaseLine]) {
        items = Array(Set(catalogue)).sorted()
        var itemIndex: [String: Int] = [:]
        for (k, code) in items.enumerated() { itemIndex[code] = k }
        self.itemIndex = itemIndex
        customers = Array(Set(lines.map(\.customer))).sorted()
        var customerIndex: [Int: Int] = [:]
        for (k, id) in customers.enumerated() { customerIndex[id] = k }
        self.customerIndex = customerIndex

        var countries = [String](repeating: "", count: customers.count)
        var counts = [[Int32: Float]](repeating: [:], count: customers.count)
        struct InvoiceKey: Hashable { let customer: Int; let invoice: String }
        var invoiceNumber: [InvoiceKey: Int] = [:]
        var invoiceNames: [String] = []
        var invoiceDates: [String] = []
        var invoiceOwner: [Int] = []
        var invoiceItemSets: [Set<Int32>] = []
        var lastDate = ""
        for line in lines {
            guard let item = itemIndex[line.stockCode] else { continue }
            let c = customerIndex[line.customer]!
            countries[c] = line.country
            counts[c][Int32(item), default: 0] += 1
            let key = InvoiceKey(customer: c, invoice: line.invoice)
            let n: Int
            if let known = invoiceNumber[key] {
                n = known
            } else {
                n = invoiceNames.count
                invoiceNumber[key] = n
                invoiceNames.append(line.invoice)
                invoiceDates.append(line.date)
                invoiceOwner.append(c)
                invoiceItemSets.append([])
            }
            invoiceDates[n] = line.date
            invoiceItemSets[n].insert(Int32(item))
            lastDate = max(lastDate, line.date)
        }
        self.countries = countries
        lastDay = DayNumber.of(lastDate) ?? 0

        var invoicesOf = [[Int]](repeating: [], count: customers.count)
        for n in invoiceNames.indices { invoicesOf[invoiceOwner[n]].append(n) }
        var invoiceCountOf = [[Int32: Int32]](repeating: [:], count: customers.count)
        var customerInvoiceStart = [0]
        var customerInvoices: [Int32] = []
        for c in customers.indices {
            let ordered = invoicesOf[c].sorted {
                invoiceDates[$0] != invoiceDates[$1] ? invoiceDates[$0] < invoiceDates[$1] : invoiceNames[$0] < invoiceNames[$1]
            }
            customerInvoices += ordered.map { Int32($0) }
            customerInvoiceStart.append(customerInvoices.count)
            for n in ordered { for item in invoiceItemSets[n] { invoiceCountOf[c][item, default: 0] += 1 } }
        }
        self.customerInvoiceStart = customerInvoiceStart
        self.customerInvoices = customerInvoices
        var invoiceItemStart = [0]
        var invoiceItems: [Int32] = []
        for set in invoiceItemSets {
            invoiceItems += set.sorted()
            invoiceItemStart.append(invoiceItems.count)
        }
        self.invoiceItemStart = invoiceItemStart
        self.invoiceItems = invoiceItems
        invoiceDays = invoiceDates.map { DayNumber.of($0) ?? 0 }

        var customerItemStart = [0]
        var customerItems: [Int32] = []
        var customerItemCounts: [Float] = []
        var customerItemInvoices: [Int32] = []
        var popularity = [Float](repeating: 0, count: items.count)
        var buyers = [[Int32]](repeating: [], count: items.count)
        for c in customers.indices {
            for (item, count) in counts[c].sorted(by: { $0.key < $1.key }) {
                customerItems.append(item)
                customerItemCounts.append(count)
                customerItemInvoices.append(invoiceCountOf[c][item] ?? 0)
                popularity[Int(item)] += 1
                buyers[Int(item)].append(Int32(c))
            }
            customerItemStart.append(customerItems.count)
        }
        self.customerItemStart = customerItemStart
        self.customerItems = customerItems
        self.customerItemCounts = customerItemCounts
        self.customerItemInvoices = customerItemInvoices
        self.popularity = popularity
        itemCustomerStart = buyers.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        itemCustomers = buyers.flatMap { $0 }
    }

    /// The customer's distinct items, ascending.
    public func items(ofCustomer c: Int) -> ArraySlice<Int32> {
        customerItems[customerItemStart[c]..<customerItemStart[c + 1]]
    }

    /// Where `item` is in the customer's items (an index into `customerItems`), if they bought it.
    public func position(ofItem item: Int, inCustomer c: Int) -> Int? {
        var low = customerItemStart[c], high = customerItemStart[c + 1]
        while low < high {
            let middle = (low + high) / 2
            if Int(customerItems[middle]) < item { low = middle + 1 } else { high = middle }
        }
        return low < customerItemStart[c + 1] && Int(customerItems[low]) == item ? low : nil
    }

    /// The customers who bought the item, ascending.
    public func customers(ofItem i: Int) -> ArraySlice<Int32> {
        itemCustomers[itemCustomerStart[i]..<itemCustomerStart[i + 1]]
    }

    /// The customer's invoices, oldest first.
    public func invoices(ofCustomer c: Int) -> ArraySlice<Int32> {
        customerInvoices[customerInvoiceStart[c]..<customerInvoiceStart[c + 1]]
    }

    public func items(ofInvoice n: Int) -> ArraySlice<Int32> {
        invoiceItems[invoiceItemStart[n]..<invoiceItemStart[n + 1]]
    }

    /// The reference's tie-breaker: 1e-6 · popularity / max popularity, added to scores that
    /// would otherwise tie on zero. [items]
    public var tieBreak: [Float] {
        let top = max(popularity.max() ?? 1, 1)
        return popularity.map { Float(1e-6) * $0 / top }
    }
}
