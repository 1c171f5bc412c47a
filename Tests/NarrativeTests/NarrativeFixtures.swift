import Narrative
import Recommend
import Store

/// A few real Online Retail products (descriptions from the data, names title-cased as the
/// store writes them) and a recommendation over them.
enum NarrativeFixtures {
    static func product(_ code: String, _ description: String, _ price: Double) -> Product {
        let name = description.split(separator: " ").map { $0.prefix(1) + $0.dropFirst().lowercased() }.joined(separator: " ")
        return Product(stockCode: code, description: description, name: name, price: price,
                       firstSold: "2010-12-01 08:26:00", lastSold: "2011-12-09 12:50:00")
    }

    static let heart = product("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55)
    static let lantern = product("71053", "WHITE METAL LANTERN", 3.39)
    static let cakestand = product("22423", "REGENCY CAKESTAND 3 TIER", 12.75)
    static let jumboBag = product("85099B", "JUMBO BAG RED RETROSPOT", 2.08)
    static let paperChain = product("22086", "PAPER CHAIN KIT 50'S CHRISTMAS", 2.95)
    static let decorations = product("22470", "SET OF 3 WOODEN HEART DECORATIONS", 1.25)
    static let alarmClock = product("22727", "ALARM CLOCK BAKELIKE RED", 3.75)
    static let teacups = product("22698", "PINK REGENCY TEACUP AND SAUCER", 2.95)

    static let catalogue = [heart, lantern, cakestand, jumboBag, paperChain, decorations, alarmClock, teacups]
    static var byCode: [String: Product] { Dictionary(uniqueKeysWithValues: catalogue.map { ($0.stockCode, $0) }) }

    /// The cakestand for a customer who bought the heart holder and the lantern.
    static let history = [heart, lantern]
    static let item = RecommendedItem(
        stockCode: cakestand.stockCode, name: cakestand.name, price: cakestand.price, score: 0.9,
        reasons: [.boughtTogether(with: heart.stockCode, customers: 41), .trending(orders30d: 120)])

    static func sheet(item: RecommendedItem = item, history: [Product] = history, month: Int? = nil) throws -> FactSheet {
        let description = byCode[item.stockCode]?.description ?? item.name.uppercased()
        return try FactSheet(item: item, description: description, history: history, catalogue: byCode, month: month)
    }

    /// Every kind of reason, alone and combined, over several products.
    static func variedSheets() throws -> [FactSheet] {
        let reasonSets: [[Reason]] = [
            [.boughtTogether(with: heart.stockCode, customers: 41)],
            [.similar(to: lantern.stockCode, cosine: 0.83)],
            [.boughtBefore(times: 5)],
            [.boughtBefore(times: 1)],
            [.trending(orders30d: 120)],
            [.popular(customers: 1)],
            [.boughtTogether(with: lantern.stockCode, customers: 7), .boughtBefore(times: 2)],
            [.similar(to: heart.stockCode, cosine: 0.61), .trending(orders30d: 33), .popular(customers: 250)],
            [],
        ]
        var sheets: [FactSheet] = []
        for (index, target) in [cakestand, jumboBag, paperChain, decorations, alarmClock, teacups].enumerated() {
            for reasons in reasonSets {
                let item = RecommendedItem(stockCode: target.stockCode, name: target.name, price: target.price, score: 1,
                                           reasons: reasons)
                sheets.append(try sheet(item: item, month: 1 + (index * 5) % 12))
            }
        }
        return sheets
    }
}
