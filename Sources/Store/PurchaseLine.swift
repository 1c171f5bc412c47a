/// One cleaned purchase line of an Online Retail-format CSV: what the store keeps and every
/// recommender trains on. Rows without a customer, cancellations, non-positive quantities or
/// prices and non-product stock codes never become a `PurchaseLine` (the cleaning rules of
/// `bench/recsys_reference.py`).
public struct PurchaseLine: Sendable, Equatable, Hashable {
    /// CustomerID as an integer (`17850`; the sample's `13607.0` is read as 13607).
    public var customer: Int
    /// InvoiceNo (`536365`), never a cancellation (`C…`).
    public var invoice: String
    /// StockCode, trimmed and upper-cased: five digits and optional letters (`85123A`).
    public var stockCode: String
    /// InvoiceDate as `YYYY-MM-DD HH:MM:SS`: string order is time order, as the reference
    /// script compares them.
    public var date: String
    public var quantity: Int
    public var unitPrice: Double
    /// Description, trimmed (may be empty).
    public var description: String
    public var country: String

    public init(
        customer: Int, invoice: String, stockCode: String, date: String,
        quantity: Int, unitPrice: Double, description: String, country: String
    ) {
        self.customer = customer
        self.invoice = invoice
        self.stockCode = stockCode
        self.date = date
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.description = description
        self.country = country
    }
}

/// A catalogue entry as the store derives it from the purchase lines.
public struct Product: Sendable, Equatable, Hashable {
    public var stockCode: String
    /// The cleaned description (`WHITE HANGING HEART T-LIGHT HOLDER`): the code's most frequent
    /// one, ties going to the one seen first.
    public var description: String
    /// The code's description on its first line in file order, which the reference's
    /// `minilm-mean` embeds (`names.setdefault`).
    public var firstDescription: String
    /// A readable, title-cased name (`White Hanging Heart T-Light Holder`).
    public var name: String
    /// The median unit price over its purchase lines, in pounds.
    public var price: Double
    /// First and last sale, `YYYY-MM-DD HH:MM:SS`.
    public var firstSold: String
    public var lastSold: String

    public init(
        stockCode: String, description: String, name: String, price: Double, firstSold: String, lastSold: String,
        firstDescription: String? = nil
    ) {
        self.stockCode = stockCode
        self.description = description
        self.firstDescription = firstDescription ?? description
        self.name = name
        self.price = price
        self.firstSold = firstSold
        self.lastSold = lastSold
    }
}
