import ArgumentParser
import CommandLineSupport
import Foundation
import Recommend
import Store
import Tensor

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Every method on a held-out split, both tracks: HR@10, Recall@10, NDCG@10, coverage, popularity bias, UK vs rest."
    )

    @Option(help: "The shop database (with `recommend index` run, for the embedding methods).")
    var db: String

    @Option(help: "last-basket or cutoff:YYYY-MM-DD.")
    var split = "last-basket"

    @Flag(help: "JSON lines: the split's sizes, then one line per method and track.")
    var json = false

    func validate() throws {
        do { _ = try DataSplit(parsing: split) } catch let error as RecommendError { throw ValidationError(error.message) }
    }

    func run() throws {
        try runReportingErrors {
            let split = try DataSplit(parsing: split)
            let database = try ShopDatabase(path: db, readOnly: true)
            let index: RecommenderIndex?
            do {
                index = try RecommenderIndex.load(from: database)
            } catch let error as RecommendError {
                printError("evaluate: \(error.message) — minilm-mean left out")
                index = nil
            }
            Matmul.setThreads(1)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            OfflineEvaluation.run(
                products: try database.products(), lines: try database.purchaseLines(), split: split, index: index,
                progress: printError,
                announce: { info in
                    writeOutput(json ? String(decoding: (try? encoder.encode(info)) ?? Data(), as: UTF8.self) + "\n" : "\(info)\n")
                }
            ) { metrics in
                if json {
                    writeOutput(String(decoding: (try? encoder.encode(metrics)) ?? Data(), as: UTF8.self) + "\n")
                } else {
                    writeOutput(String(format: "%-4@ %-12@ n=%d HR@10=%.4f Recall@10=%.4f NDCG@10=%.4f coverage=%.3f pop-pct=%.1f HR@10 UK=%.3f other=%.3f\n",
                                       metrics.track.rawValue, metrics.method, metrics.customers, metrics.hitRate, metrics.recall,
                                       metrics.ndcg, metrics.coverage, metrics.popularityPercentile, metrics.hitRateUK, metrics.hitRateOther))
                }
            }
        }
    }
}
