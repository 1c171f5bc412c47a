import ArgumentParser
import CommandLineSupport
import Foundation
import Narrative
import Recommend
import Store
import Tensor

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Top-k products for customers, with the evidence behind each, one JSON line per customer."
    )

    @Option(help: "The shop database, indexed by `recommend index`.")
    var db: String

    @Option(help: "A customer id.")
    var customer: String?

    @Option(help: "A file of customer ids, one a line.")
    var customers: String?

    @Option(help: "How many products per customer.")
    var k = 10

    @Flag(help: "Leave out everything the customer bought before.")
    var excludePurchased = false

    @Option(help: "hybrid, tifu-knn, repurchase-rate, gp-topfreq, itemknn, itemknn-recent, ease-recent, minilm-mean, trending or popularity.")
    var method = "hybrid"

    @Flag(help: "JSON lines (the only output format; accepted for clarity).")
    var json = false

    @Flag(help: "Print per-customer latency percentiles (load excluded) to stderr.")
    var timing = false

    @Flag(help: "Add a grounded narrative to each item (\"narrative\", \"narrative_fallback\"), a page's narratives generated together.")
    var narrate = false

    @OptionGroup(title: "Narratives (with --narrate)")
    var narration: NarrationOptions

    func validate() throws {
        guard (customer == nil) != (customers == nil) else { throw ValidationError("give one of --customer ID or --customers FILE") }
        guard k >= 1 else { throw ValidationError("--k: \(k) must be at least 1") }
        guard ShopRecommender.methodNames.contains(method) else {
            throw ValidationError("--method: unknown method \"\(method)\" (one of \(ShopRecommender.methodNames.joined(separator: ", ")))")
        }
        if !narrate, let flag = narration.givenFlags.first { throw ValidationError("\(flag) needs --narrate") }
    }

    func run() throws {
        try runReportingErrors {
            let ids = try CustomerIDs.parse(single: customer, file: customers)
            let database = try ShopDatabase(path: db, readOnly: true)
            let index = try RecommenderIndex.load(from: database)
            let products = try database.products()
            let lines = try database.purchaseLines()
            let recommender = try ShopRecommender(products: products, lines: lines, index: index)
            // Only a narrated query needs the model, and the facts' source.
            let narrator = narrate ? try narration.load(catalogue: products) : nil
            let facts = narrate ? NarrativeDataset(products: products, trainingLines: lines) : nil
            // A recommendation's products are too small to share between threads; a narrator's are not.
            if !narrate { Matmul.setThreads(1) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var latencies: [Double] = []
            var cpuTimes: [Double] = []
            var output = Data()
            for id in ids {
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = threadCPUMilliseconds()
                let answer = try recommender.recommend(customer: id, k: k, excludePurchased: excludePurchased, method: method)
                if let narrator, let facts {
                    let narrations = try narrator.narrate(customer: id, sheets: try facts.sheets(customer: id, items: answer.items),
                                                          voice: narration.voiceName, seed: narration.seed ?? 0,
                                                          parameters: narration.sampling)
                    output += try encoder.encode(NarratedPage(answer, narrations: narrations))
                } else {
                    output += try encoder.encode(answer)
                }
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                cpuTimes.append(threadCPUMilliseconds() - cpuStart)
                output.append(UInt8(ascii: "\n"))
            }
            writeOutput(output)
            if timing, !latencies.isEmpty {
                // Wall time is what a caller waits; thread CPU time leaves out waiting for a core
                // on a busy machine.
                func percentiles(_ values: [Double]) -> String {
                    let sorted = values.sorted()
                    func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
                    return String(format: "p50 %.2f ms, p95 %.2f ms, max %.2f ms", at(0.5), at(0.95), sorted.last!)
                }
                printError("query: \(latencies.count) customers, load excluded; wall \(percentiles(latencies)); thread CPU \(percentiles(cpuTimes))")
            }
        }
    }
}

/// CPU time the calling thread has used, in milliseconds.
private func threadCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}
