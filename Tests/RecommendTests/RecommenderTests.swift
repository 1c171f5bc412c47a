import Recommend
import Store
import XCTest
@testable import Recommend

/// Splits, ranking, metrics and the methods on purchase histories small enough to work out by hand.
final class RecommenderTests: XCTestCase {
    private func line(_ customer: Int, _ invoice: String, _ code: String, _ date: String, country: String = "United Kingdom") -> PurchaseLine {
        PurchaseLine(customer: customer, invoice: invoice, stockCode: code, date: date, quantity: 1,
                     unitPrice: 1, description: code, country: country)
    }

    /// Customer 1: invoices A (day 1: 10001, 10002) and B (day 2: 10003); customer 2: C (day 1:
    /// 10001, 10003), D (day 3: 10002), E (day 3, later number: 10004); customer 3: F (day 2: 10001).
    private var lines: [PurchaseLine] {
        [
            line(1, "A", "10001", "2011-01-01 10:00:00"), line(1, "A", "10002", "2011-01-01 10:00:00"),
            line(1, "B", "10003", "2011-01-02 09:00:00"),
            line(2, "C", "10001", "2011-01-01 11:00:00"), line(2, "C", "10003", "2011-01-01 11:00:00"),
            line(2, "D", "10002", "2011-01-03 08:00:00"), line(2, "E", "10004", "2011-01-03 08:00:00"),
            line(3, "F", "10001", "2011-01-02 12:00:00", country: "France"),
        ]
    }

    func testLastBasketHoldsOutTheLatestInvoiceByDateThenNumber() {
        let (train, test) = DataSplit.lastBasket.apply(to: lines)
        XCTAssertEqual(test, [1: ["10003"], 2: ["10004"]])
        XCTAssertEqual(train.map(\.invoice), ["A", "A", "C", "C", "D", "F"])
    }

    func testCutoffTestsTheFirstLaterInvoiceOfTrainingCustomers() throws {
        let (train, test) = try DataSplit(parsing: "cutoff:2011-01-02").apply(to: lines)
        XCTAssertEqual(Set(train.map(\.invoice)), ["A", "C"])
        // Customer 3 has no training line; customer 2's first later invoice is D (E ties on date, higher number).
        XCTAssertEqual(test, [1: ["10003"], 2: ["10002"]])
    }

    func testSplitParsingRejectsBadDates() {
        for text in ["cutoff:2011-13-01", "cutoff:2011-1-1", "cutoff:", "last", ""] {
            XCTAssertThrowsError(try DataSplit(parsing: text), text)
        }
    }

    func testTopKOrdersByScoreThenIndexAndSkipsExcluded() {
        XCTAssertEqual(TopK.select([0.5, 2, 2, 1, .nan, 3], k: 3), [5, 1, 2])
        XCTAssertEqual(TopK.select([0.5, 2, 2, 1, 3], k: 3, excluding: [5 - 1, 1]), [2, 3, 0])
        XCTAssertEqual(TopK.select([1, 2], k: 5), [1, 0])
    }

    func testTrainingDataCountsAndPopularity() {
        let (train, _) = DataSplit.lastBasket.apply(to: lines)
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: train)
        XCTAssertEqual(data.items, ["10001", "10002", "10003", "10004"])
        XCTAssertEqual(data.popularity, [3, 2, 1, 0])
        XCTAssertEqual(data.items(ofCustomer: data.customerIndex[2]!).map { Int($0) }, [0, 1, 2])
        XCTAssertEqual(data.invoices(ofCustomer: data.customerIndex[2]!).count, 2)
        XCTAssertEqual(data.lastDay - DayNumber.of("2011-01-01")!, 2)
    }

    func testMetricsOnAHandWorkedCase() {
        let (train, test) = DataSplit.lastBasket.apply(to: lines)
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: train)
        let evaluation = Evaluation(data: data, test: test, k: 2)
        // Popularity ranks 10001, 10002: customer 1 wants 10003 (miss), customer 2 wants 10004 (miss).
        let popularity = evaluation.evaluate(PopularityRecommender(data: data), track: .all)
        XCTAssertEqual(popularity.customers, 2)
        XCTAssertEqual(popularity.hitRate, 0)
        // Track new for customer 1 excludes 10001, 10002: the top 2 are 10003 (hit at rank 1) and
        // 10004; customer 2 has bought 10001–10003, so only 10004 is left: a hit at rank 1.
        let new = evaluation.evaluate(PopularityRecommender(data: data), track: .new)
        XCTAssertEqual(new.customers, 2)
        XCTAssertEqual(new.hitRate, 1)
        XCTAssertEqual(new.ndcg, 1, accuracy: 1e-12)
        XCTAssertEqual(new.coverage, 0.5)
        XCTAssertEqual(new.hitRateUK, 1)
    }

    func testItemKNNCountsCustomersWhoBoughtBoth() {
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: lines)
        let knn = ItemKNNRecommender(data: data)
        let n = data.itemCount
        // 10001 with 10003: customers 1 and 2; with 10002: customers 1 and 2; 10001 alone: customer 3.
        XCTAssertEqual(knn.coPurchases[0 * n + 2], 2)
        XCTAssertEqual(knn.coPurchases[0 * n + 1], 2)
        XCTAssertEqual(knn.coPurchases[0 * n + 0], 0)
        let link = knn.strongestLink(among: data.items(ofCustomer: data.customerIndex[3]!), item: 2)
        XCTAssertEqual(link?.item, 0)
        XCTAssertEqual(link?.customers, 2)
        // Customer 3 scores 10003 at co / sqrt(pop · pop) = 2 / sqrt(3 · 2).
        let scores = knn.scores(customer: data.customerIndex[3]!, excludingPurchased: false)
        XCTAssertEqual(scores[2], 2 / (3 * 2 as Float).squareRoot(), accuracy: 1e-5)
    }

    func testRecentItemKNNWeighsItemsByTheirLastPurchase() {
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: lines)
        let knn = ItemKNNRecommender(data: data)
        let customer = data.customerIndex[1]!
        // Customer 1 last bought 10001 and 10002 two days before the data's last day, 10003 one
        // day before: with a one-day half-life they weigh 1/4, 1/4 and 1/2. Each has customer 2
        // in common with 10004 (pop 1): cosines 1/√3, 1/√2, 1/√2.
        let recent = RecentItemKNNRecommender(itemKNN: knn, data: data, halfLifeDays: 1)
        let expected = 0.25 / Float(3).squareRoot() + 0.75 / Float(2).squareRoot() + 1e-6 / 3
        XCTAssertEqual(recent.scores(customer: customer, excludingPurchased: false)[3], expected, accuracy: 1e-6)
        let timeless = RecentItemKNNRecommender(itemKNN: knn, data: data, halfLifeDays: .infinity)
        XCTAssertEqual(timeless.scores(customer: customer, excludingPurchased: true), knn.scores(customer: customer, excludingPurchased: true))
    }

    func testRepeatNeighbourDecaysOlderInvoices() {
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: lines)
        var parameters = RepeatNeighbourRecommender.Parameters()
        parameters.groupSize = 2
        parameters.basketDecay = 0.5
        parameters.groupDecay = 0.25
        var vector = [Float](repeating: 0, count: data.itemCount)
        // Customer 2's invoices oldest first: C, D, E → groups [E, D] and [C]: E weighs 1/2/2,
        // D 0.5/2/2, C 0.25/1/2.
        RepeatNeighbourRecommender.decayedVector(data, customer: data.customerIndex[2]!, parameters, into: &vector)
        XCTAssertEqual(vector, [0.125, 0.125, 0.125, 0.25])
        let method = RepeatNeighbourRecommender(data: data, parameters: parameters)
        XCTAssertEqual(method.neighbours(of: data.customerIndex[3]!).first, data.customerIndex[1]!,
                       "customer 1's vector is closer to customer 3's single item than customer 2's")
    }

    func testHybridNormalisesOverRecommendableItems() {
        XCTAssertEqual(HybridRecommender.normalised([4, 2, 1], excluding: [0]), [2, 1, 0.5])
        XCTAssertEqual(HybridRecommender.normalised([1, 2]), [0.5, 1])
        XCTAssertEqual(HybridRecommender.normalised([4, 2, 1], excludingMask: [true, false, false]), [2, 1, 0.5])
        XCTAssertEqual(HybridRecommender.normalised([0, 0]), [0, 0])
    }

    func testTuningIsNeverWorseThanTheBestSingleComponent() throws {
        let lines = SampleLines.lines
        let (train, _) = DataSplit.lastBasket.apply(to: lines)
        let (innerTrain, validation) = DataSplit.lastBasket.apply(to: train)
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: innerTrain)
        let components: [any Recommender] = [TopFrequencyRecommender(data: data), TrendingRecommender(data: data)]
        let tuning = HybridTuning()
        let cases = tuning.buildCases(Evaluation(data: data, test: validation), components: components, track: .all)
        let single = [[Float(1), 0], [0, 1]].map { tuning.meanNDCG(cases, weights: $0) }
        let (_, best) = tuning.search([cases], componentCount: 2)
        XCTAssertGreaterThanOrEqual(best, single.max()!)
    }

    func testTuningValidatesOnTheLastBasketAndOnLateDateCutoffs() {
        let lines = SampleLines.lines
        var tuning = HybridTuning()
        tuning.cutoffQuantiles = [0.5, 0.9, 0.9]
        let splits = tuning.validationSplits(of: lines)
        let days = lines.map { String($0.date.prefix(10)) }.sorted()
        XCTAssertEqual(splits.count, 3, "the repeated quantile gives one split, not two: \(splits)")
        XCTAssertEqual(splits.first, .lastBasket)
        guard case let .cutoff(middle) = splits[1], case let .cutoff(late) = splits[2] else {
            return XCTFail("expected two cutoffs after the last basket: \(splits)")
        }
        XCTAssertEqual(middle, days[days.count / 2])
        XCTAssertLessThan(middle, late)
        XCTAssertGreaterThan(days.filter { $0 >= late }.count, 0, "the late cutoff leaves baskets to validate on")
        XCTAssertLessThan(days.filter { $0 < late }.count, days.count * 91 / 100)
    }

    func testSearchTakesOnlyGainsAboveTheMinimum() throws {
        let lines = SampleLines.lines
        let (train, _) = DataSplit.lastBasket.apply(to: lines)
        let (innerTrain, validation) = DataSplit.lastBasket.apply(to: train)
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: innerTrain)
        let components: [any Recommender] = [TopFrequencyRecommender(data: data), TrendingRecommender(data: data), PopularityRecommender(data: data)]
        var tuning = HybridTuning()
        let cases = [tuning.buildCases(Evaluation(data: data, test: validation), components: components, track: .all)]
        let single = (0..<3).map { j in tuning.meanNDCG(cases, weights: (0..<3).map { $0 == j ? 1 : 0 }) }
        tuning.minimumGain = 0
        let (_, freeNDCG) = tuning.search(cases, componentCount: 3)
        XCTAssertGreaterThanOrEqual(freeNDCG, single.max()!)
        tuning.minimumGain = 1
        let (held, heldNDCG) = tuning.search(cases, componentCount: 3)
        XCTAssertEqual(held.filter { $0 > 0 }.count, 1, "no step doubles NDCG, so the best single component stays")
        XCTAssertEqual(heldNDCG, single.max()!, accuracy: 1e-12)
    }

    /// EASE's B is the ridge regression of each item's column on the others: with G = XᵀX + λI,
    /// G · (I − B) is diagonal (Steck's closed form), and a customer's score sums their items' rows.
    func testEASEIsTheClosedFormRidgeRegression() {
        let lines = [
            line(1, "a", "A", "2011-01-01 10:00"), line(1, "a", "B", "2011-01-01 10:00"), line(1, "b", "C", "2011-02-01 10:00"),
            line(2, "c", "A", "2011-01-05 10:00"), line(2, "c", "C", "2011-01-05 10:00"),
            line(3, "d", "B", "2011-01-07 10:00"), line(3, "d", "C", "2011-01-07 10:00"), line(3, "d", "D", "2011-01-07 10:00"),
            line(4, "e", "D", "2011-01-09 10:00"), line(4, "e", "A", "2011-01-09 10:00"),
        ]
        let data = TrainingData(catalogue: ["A", "B", "C", "D"], lines: lines)
        let knn = ItemKNNRecommender(data: data)
        let lambda = 0.5
        let ease = EASERecommender(data: data, coPurchases: knn.coPurchases, regularization: lambda)
        let n = data.itemCount
        for i in 0..<n {
            for j in 0..<n where j != i {
                var entry = 0.0
                for k in 0..<n {
                    let gram = Double(k == i ? data.popularity[i] : Float(knn.coPurchases[i * n + k])) + (k == i ? lambda : 0)
                    entry += gram * ((k == j ? 1 : 0) - Double(ease.itemWeights[k * n + j]))
                }
                XCTAssertEqual(entry, 0, accuracy: 1e-5, "(G·(I − B))[\(i), \(j)]")
            }
            XCTAssertEqual(ease.itemWeights[i * n + i], 0)
        }
        let c = data.customerIndex[2]!
        let scores = ease.scores(customer: c, excludingPurchased: true)
        let tie = data.tieBreak
        for j in 0..<n {
            let expected = data.items(ofCustomer: c).reduce(tie[j]) { $0 + ease.itemWeights[Int($1) * n + j] }
            XCTAssertEqual(scores[j], expected, accuracy: 1e-6)
        }
        XCTAssertGreaterThan(scores[data.itemIndex["B"]!], scores[data.itemIndex["D"]!],
                             "B is bought with both of customer 2's items, D with one")
    }

    /// A weight that raises the mean over the splits but lowers one of them is not taken.
    func testSearchRefusesAStepThatHurtsOneSplit() {
        let tuning = HybridTuning()
        /// Two candidate items; component 0 scores them `first`, component 1 `second`.
        func split(first: (Float, Float), second: (Float, Float), target: Int) -> [HybridTuning.Case] {
            [HybridTuning.Case(candidates: [0, 1], values: [first.0, second.0, first.1, second.1], tieBreak: [0, 0],
                               isTarget: [target == 0, target == 1], idealDCG: 1)]
        }
        // Component 0 alone is best; any weight ≥ 0.2 on component 1 lifts item 1 over item 0 in
        // the first three splits (right in two, wrong in the third) and in none of the others.
        let close = split(first: (1, 0.9), second: (0, 1), target: 1)
        let hurt = split(first: (1, 0.9), second: (0, 1), target: 0)
        let far = split(first: (1, 0), second: (0, 1), target: 0)
        let splits = [close, close, hurt, far, far]
        let (weights, _) = tuning.search(splits, componentCount: 2)
        XCTAssertEqual(weights, [1, 0], "component 1 raises the mean but lowers the third split")
        XCTAssertGreaterThan(tuning.meanNDCG(splits, weights: [1, 0.5]), tuning.meanNDCG(splits, weights: [1, 0]) * 1.05,
                             "the refused step would have raised the mean")
    }
}
