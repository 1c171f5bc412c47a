import Foundation

/// Why a well-formed row is not a purchase line: the cleaning rules of `bench/recsys_reference.py`,
/// checked in its order (the first that applies is the one counted).
public enum DropRule: String, CaseIterable, Sendable {
    case noCustomer = "no CustomerID"
    case cancellation = "cancellation (InvoiceNo C…)"
    case nonProduct = "not a product StockCode"
    case nonPositiveQuantity = "Quantity <= 0"
    case nonPositivePrice = "UnitPrice <= 0"
}

/// What one CSV record is: a purchase line, a row the cleaning rules drop, or a malformed line
/// (wrong field count, text that is not UTF-8, a number or date that does not parse).
enum RetailRow {
    case kept(PurchaseLine)
    case dropped(DropRule)
    case malformed(String)
}

/// Maps the header's columns (any order, extra columns ignored) and classifies each record.
struct RetailRowReader {
    static let columns = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    private let fieldCount: Int
    private let invoice, stockCode, description, quantity, date, unitPrice, customer, country: Int

    /// Fails with the missing column names when the header lacks any of the eight.
    init(header: [[UInt8]], path: String) throws {
        var names = header.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces) }
        // A byte-order mark (spreadsheet exports) is not part of the first column's name.
        if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
        let indexes = Self.columns.map { names.firstIndex(of: $0) }
        let missing = zip(Self.columns, indexes).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw StoreError("\(path): no column \(missing.joined(separator: ", ")) (the header has \(names.joined(separator: ", ")); an Online Retail CSV needs \(Self.columns.joined(separator: ", ")))")
        }
        let found = indexes.map { $0! }
        fieldCount = header.count
        (invoice, stockCode, description, quantity) = (found[0], found[1], found[2], found[3])
        (date, unitPrice, customer, country) = (found[4], found[5], found[6], found[7])
    }

    func classify(_ fields: [[UInt8]]) -> RetailRow {
        guard fields.count == fieldCount else {
            return .malformed("\(fields.count) fields, the header has \(fieldCount)")
        }
        func text(_ index: Int) -> Substring? { Self.trimmedText(fields[index]) }
        guard let invoiceText = String(validating: fields[invoice], as: UTF8.self), let code = text(stockCode),
              let descriptionText = text(description), let quantityText = text(quantity), let dateText = text(date),
              let priceText = text(unitPrice), let customerID = text(customer), let countryText = text(country)
        else { return .malformed("not valid UTF-8") }

        if customerID.isEmpty { return .dropped(.noCustomer) }
        if invoiceText.hasPrefix("C") { return .dropped(.cancellation) }
        if !Self.isProductCode(code) { return .dropped(.nonProduct) }
        guard let quantityValue = Double(quantityText), quantityValue.isFinite else {
            return .malformed("Quantity \"\(quantityText)\" is not a number")
        }
        if quantityValue <= 0 { return .dropped(.nonPositiveQuantity) }
        guard let price = Double(priceText), price.isFinite else {
            return .malformed("UnitPrice \"\(priceText)\" is not a number")
        }
        if price <= 0 { return .dropped(.nonPositivePrice) }
        guard quantityValue == quantityValue.rounded(), quantityValue < 1e15 else {
            return .malformed("Quantity \(quantityText) is not a whole number")
        }
        // Spreadsheet exports write the id as a float ("13607.0"); the reference keeps the part before the dot.
        guard let customerNumber = Int(customerID.prefix { $0 != "." }) else {
            return .malformed("CustomerID \"\(customerID)\" is not a number")
        }
        guard let normalisedDate = InvoiceDate.normalise(dateText) else {
            return .malformed("InvoiceDate \"\(dateText)\" is not a date")
        }
        return .kept(PurchaseLine(
            customer: customerNumber, invoice: invoiceText, stockCode: code.uppercased(), date: normalisedDate,
            quantity: Int(quantityValue), unitPrice: price, description: String(descriptionText),
            country: String(countryText)
        ))
    }

    /// Five ASCII digits and optional ASCII letters (`85123A`); POST, DOT, M, C2, gift vouchers are not products.
    static func isProductCode(_ code: Substring) -> Bool {
        let bytes = code.utf8
        guard bytes.count >= 5 else { return false }
        for (offset, byte) in bytes.enumerated() {
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            let isLetter = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            if offset < 5 ? !isDigit : !isLetter { return false }
        }
        return true
    }

    /// The field as text without leading and trailing whitespace, as Python's `str.strip()`; nil
    /// when it is not UTF-8. ASCII whitespace is trimmed on the bytes, the common case; other
    /// whitespace (a no-break space) by characters.
    static func trimmedText(_ bytes: [UInt8]) -> Substring? {
        func isASCIISpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) || (0x1C...0x1F).contains(byte) }
        var start = 0
        var end = bytes.count
        while start < end && isASCIISpace(bytes[start]) { start += 1 }
        while end > start && isASCIISpace(bytes[end - 1]) { end -= 1 }
        guard let text = String(validating: bytes[start..<end], as: UTF8.self) else { return nil }
        guard start < end, bytes[start] >= 0x80 || bytes[end - 1] >= 0x80 else { return text[...] }
        guard let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return text[first...last]
    }
}
