import Foundation
import Store

/// The committed 40k-row sample, cleaned by the reference's rules, read once per test run.
enum SampleLines {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/online-retail/online_retail_sample.csv").path

    static let lines: [PurchaseLine] = {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var lines: [PurchaseLine] = []
        for row in text.split(whereSeparator: \.isNewline).dropFirst() {
            let f = fields(of: String(row))
            guard f.count == 8, let line = cleaned(f) else { continue }
            lines.append(line)
        }
        return lines
    }()

    /// InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
    private static func cleaned(_ f: [String]) -> PurchaseLine? {
        let customer = f[6].trimmingCharacters(in: .whitespaces)
        let code = f[1].trimmingCharacters(in: .whitespaces).uppercased()
        guard !customer.isEmpty, !f[0].hasPrefix("C"),
              code.range(of: #"^[0-9]{5}[A-Z]*$"#, options: .regularExpression) != nil,
              let quantity = Double(f[3]), quantity > 0, let price = Double(f[5]), price > 0,
              let id = Int(customer.split(separator: ".")[0]) else { return nil }
        return PurchaseLine(customer: id, invoice: f[0], stockCode: code, date: f[4], quantity: Int(quantity),
                            unitPrice: price, description: f[2].trimmingCharacters(in: .whitespaces), country: f[7])
    }

    /// RFC 4180 fields of one line (quoted fields may hold commas and doubled quotes).
    private static func fields(of line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var chars = line.makeIterator()
        while let ch = chars.next() {
            if quoted {
                if ch == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; if next == "," { fields.append(field); field = "" } else { field.append(next) } }
                    } else { quoted = false }
                } else { field.append(ch) }
            } else if ch == "\"" { quoted = true } else if ch == "," { fields.append(field); field = "" } else { field.append(ch) }
        }
        fields.append(field)
        return fields
    }
}
