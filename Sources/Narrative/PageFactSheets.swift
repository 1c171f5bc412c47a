import Recommend

extension NarrativeDataset {
    /// The fact sheets of one customer's page, built as the training examples are (the
    /// customer's products newest first, the data's last month as "now"), so a narrator reads
    /// at run time the prompts it was trained on. A recommended product missing from the
    /// catalogue throws.
    public func sheets(customer: Int, items: [RecommendedItem]) throws -> [FactSheet] {
        let history = histories[customer] ?? []
        return try items.map { item in
            guard let product = catalogue[item.stockCode] else {
                throw NarrativeError("recommended stock code \(item.stockCode) is not in the catalogue")
            }
            return try FactSheet(item: item, description: product.description, history: history, catalogue: catalogue, month: month)
        }
    }
}
