/// Derives the `products` rows from purchase lines in store order: what a product is called
/// (its most frequent description, ties going to the one seen first; and the first one seen,
/// which the reference's `minilm-mean` embeds), what it costs (the median unit price over its
/// lines) and when it sold (first and last line dates).
enum ProductCatalog {
    static func derive<Lines: Sequence>(from lines: Lines) -> [Product] where Lines.Element == PurchaseLine {
        var order: [String] = []
        var accumulators: [String: Accumulator] = [:]
        for line in lines {
            if accumulators[line.stockCode] == nil {
                order.append(line.stockCode)
                accumulators[line.stockCode] = Accumulator(first: line)
            }
            accumulators[line.stockCode]!.add(line)
        }
        return order.map { accumulators[$0]!.product(stockCode: $0) }
    }

    private struct Accumulator {
        var firstDescription: String
        /// Lines per description, and the order descriptions were first seen in (for ties).
        var descriptionCounts: [String: Int] = [:]
        var descriptionOrder: [String] = []
        var prices: [Double] = []
        var firstSold: String
        var lastSold: String

        init(first: PurchaseLine) {
            firstDescription = first.description
            firstSold = first.date
            lastSold = first.date
        }

        mutating func add(_ line: PurchaseLine) {
            if descriptionCounts[line.description] == nil { descriptionOrder.append(line.description) }
            descriptionCounts[line.description, default: 0] += 1
            prices.append(line.unitPrice)
            firstSold = min(firstSold, line.date)
            lastSold = max(lastSold, line.date)
        }

        func product(stockCode: String) -> Product {
            var description = descriptionOrder[0]
            for candidate in descriptionOrder where descriptionCounts[candidate]! > descriptionCounts[description]! {
                description = candidate
            }
            let name = ProductName.titleCased(description)
            return Product(
                stockCode: stockCode, description: description, name: name.isEmpty ? stockCode : name,
                price: median(prices), firstSold: firstSold, lastSold: lastSold, firstDescription: firstDescription
            )
        }

        private func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
    }
}
