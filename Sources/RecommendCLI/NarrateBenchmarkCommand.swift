import ArgumentParser
import CommandLineSupport
import Foundation
import Narrative
import Recommend
import Store
import Tensor
import Tokenizer

/// `recommend narrate-benchmark`: the narrator on held-out customers, as issue 11's goals
/// measure it (grounding, variety, copying, evidence, perplexity, latency, batched decode).
struct NarrateBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "narrate-benchmark",
        abstract: "Narrate pages for held-out customers: grounding, fallbacks, distinct-2, copying, evidence, perplexity, page latency, batched decode cost.")

    @Option(help: "The shop database, indexed by `recommend index`.")
    var db: String

    @OptionGroup(title: "The narrator")
    var narration: NarrationOptions

    @Option(help: "Held-out test customers to narrate for, spread evenly over the ids.")
    var customers = 500

    @Option(help: "Recommendations (narratives) per page.")
    var k = 10

    @Option(help: "last-basket or cutoff:YYYY-MM-DD: the recommender and fact sheets see only the training side.")
    var split = "last-basket"

    @Option(help: "The narrator's training file (narratives-data's train.jsonl) to measure copying against; default: the corpus narratives-data writes for this split.")
    var corpus: String?

    @Option(help: "A validation file (narratives-data's val.jsonl) for the narrator's held-out perplexity.")
    var val: String?

    @Option(help: "At most this many validation examples are scored.")
    var valExamples = 300

    @Option(help: "Customers whose first item is also narrated alone (one-narrative latency).")
    var single = 100

    @Option(help: "Runs of the batched decode measurement (10 sequences against 1); 0 skips it.")
    var decodeRepeats = 3

    @Option(help: "Also write every served narrative to this file, one a line in page order (to compare two narrators or builds).")
    var narrativesOut: String?

    @Flag(help: "Print only the JSON line (no table on standard error).")
    var json = false

    func validate() throws {
        guard customers >= 1 else { throw ValidationError("--customers must be at least 1 (got \(customers))") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1 (got \(k))") }
        guard valExamples >= 1 else { throw ValidationError("--val-examples must be at least 1 (got \(valExamples))") }
        guard single >= 0 else { throw ValidationError("--single must be ≥ 0 (got \(single))") }
        guard decodeRepeats >= 0 else { throw ValidationError("--decode-repeats must be ≥ 0 (got \(decodeRepeats))") }
        do { _ = try DataSplit(parsing: split) } catch let error as RecommendError { throw ValidationError(error.message) }
    }

    func run() throws {
        try runReportingErrors {
            for (flag, path) in [("--corpus", corpus), ("--val", val)] {
                if let path, !RegularFile.exists(path) { throw ValidationError("\(flag): \(path): not found") }
            }
            let dataSplit = try DataSplit(parsing: split)
            let database = try ShopDatabase(path: db, readOnly: true)
            let index = try RecommenderIndex.load(from: database)
            let products = try database.products()
            let (training, test) = dataSplit.apply(to: try database.purchaseLines())
            let recommender = try ShopRecommender(products: products, lines: training, index: index)
            let facts = NarrativeDataset(products: products, trainingLines: training)
            let narrator = try narration.load(catalogue: products)
            let recommend = { (customer: Int) in try recommender.recommend(customer: customer, k: k).items }

            let trainingCompletions = try corpus.map {
                Set(try NarrativeQuality.examples(jsonLines: try RegularFile.contents(of: $0), name: $0).map(\.completion))
            } ?? writtenCorpus(facts: facts, training: training, recommend: recommend, tokenizer: narrator.tokenizer)
            let validation = try val.map {
                Array(try NarrativeQuality.examples(jsonLines: try RegularFile.contents(of: $0), name: $0).prefix(valExamples))
            } ?? []

            var ids = test.keys.sorted()
            if customers < ids.count { ids = (0..<customers).map { ids[$0 * ids.count / customers] } }
            var settings = NarrateBenchmark.Settings(voice: narration.voiceName, seed: narration.seed ?? 0, parameters: narration.sampling)
            settings.singleNarratives = single
            settings.decodeRepeats = decodeRepeats
            printError("narrate-benchmark: \(ids.count) held-out customers, \(k) narratives each, narrator \(narration.directory)\(narration.voiceName.map { " voice \($0)" } ?? "")")
            let report = try NarrateBenchmark.run(narrator: narrator, facts: facts, customers: ids, recommend: recommend,
                                                  trainingCompletions: trainingCompletions, validation: validation,
                                                  settings: settings, progress: printError)
            if !json { printError(NarrateBenchmarkTable.render(report)) }
            if let narrativesOut {
                try AtomicFile.write(Data(report.served.map { $0 + "\n" }.joined().utf8), to: narrativesOut)
            }
            let line = try JSONSerialization.data(withJSONObject: report.fields, options: [.sortedKeys])
            print(String(decoding: line, as: UTF8.self))
        }
    }

    /// The completions `narratives-data` writes for this split with its defaults (every training
    /// customer, one variant, seed 0): what a narrator trained on that corpus saw.
    private func writtenCorpus(facts: NarrativeDataset, training: [PurchaseLine], recommend: (Int) throws -> [RecommendedItem],
                               tokenizer: GPT2Tokenizer) throws -> Set<String> {
        printError("narrate-benchmark: writing the training corpus to compare with (--corpus FILE skips this)")
        var writer = NarrativeCorpusWriter(seed: 0)
        let examples = try facts.examples(customers: Set(training.map(\.customer)).sorted(), recommend: recommend, variants: 1,
                                          writer: &writer, tokenBudget: Narrator.trainingPromptBudget,
                                          countTokens: { tokenizer.encode($0).count })
        return Set(examples.map(\.completion))
    }
}
