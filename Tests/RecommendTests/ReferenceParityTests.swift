import Foundation
import Recommend
import XCTest

/// Finch's evaluator and its three classic methods reproduce `bench/recsys_reference.py` on the
/// committed sample: the same test customers and HR/Recall/NDCG@10 to 1e-3, in both tracks.
final class ReferenceParityTests: XCTestCase {
    struct ReferenceLine: Decodable {
        let method: String
        let track: String
        let customers: Int
        let hr: Double
        let recall: Double
        let ndcg: Double

        enum CodingKeys: String, CodingKey {
            case method, track, customers, hr = "hr@10", recall = "recall@10", ndcg = "ndcg@10"
        }
    }

    func testLastBasket() throws { try checkParity(split: "last-basket", golden: "reference_sample_last-basket.jsonl") }

    func testCutoff() throws { try checkParity(split: "cutoff:2011-09-01", golden: "reference_sample_cutoff-2011-09-01.jsonl") }

    private func checkParity(split: String, golden: String) throws {
        let lines = SampleLines.lines
        XCTAssertEqual(lines.count, 29_180, "cleaned sample rows (the reference's count)")
        let (train, test) = try DataSplit(parsing: split).apply(to: lines)
        let data = TrainingData(catalogue: lines.map(\.stockCode), lines: train)
        let evaluation = Evaluation(data: data, test: test)
        let methods: [String: any Recommender] = [
            "popularity": PopularityRecommender(data: data),
            "gp-topfreq": TopFrequencyRecommender(data: data),
            "itemknn": ItemKNNRecommender(data: data),
        ]
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(golden)")
        let expected = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst().map {
            try JSONDecoder().decode(ReferenceLine.self, from: Data($0.utf8))
        }
        XCTAssertEqual(expected.count, 6)
        for reference in expected {
            let method = try XCTUnwrap(methods[reference.method])
            let metrics = evaluation.evaluate(method, track: try XCTUnwrap(Track(rawValue: reference.track)))
            let what = "\(split) \(reference.method) \(reference.track)"
            XCTAssertEqual(metrics.customers, reference.customers, what)
            XCTAssertEqual(metrics.hitRate, reference.hr, accuracy: 1e-3, what)
            XCTAssertEqual(metrics.recall, reference.recall, accuracy: 1e-3, what)
            XCTAssertEqual(metrics.ndcg, reference.ndcg, accuracy: 1e-3, what)
        }
    }
}
