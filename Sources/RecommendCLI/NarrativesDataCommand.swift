import ArgumentParser
import CommandLineSupport
import Foundation
import Narrative
import Recommend
import Store
import Tensor
import Tokenizer

/// `recommend narratives-data`: the narrator's fine-tuning set, prompt/completion JSON lines
/// from the training side of a split (no held-out basket reaches a prompt).
struct NarrativesDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "narratives-data",
        abstract: "Write the narrator's training data (train.jsonl, val.jsonl: fact sheet → delexicalised narrative) from a shop database.")

    @Option(help: "The shop database, indexed by `recommend index`.")
    var db: String

    @Option(help: "Output directory for train.jsonl and val.jsonl.")
    var out: String

    @Option(help: "last-basket or cutoff:YYYY-MM-DD: only purchases before the held-out part are used.")
    var split = "last-basket"

    @Option(help: "Use at most this many customers, spread evenly over the ids (default: all).")
    var customers: Int?

    @Option(help: "Recommendations per customer.")
    var k = 10

    @Option(help: "Narratives written per recommendation.")
    var variants = 1

    @Option(help: "Every Nth customer's examples go to val.jsonl.")
    var validationEvery = 20

    @Option(help: "Prompt budget in GPT-2 tokens (history is dropped oldest first to fit).")
    var tokenBudget = 160

    @Option(help: "The narratives' style: narrator (one to three sentences) or brief (one short sentence).")
    var voice = NarrativeVoice.narrator.rawValue

    @Flag(help: "Also write pretrain-train.jsonl and pretrain-val.jsonl: each example's prompt and narrative as one document, every token scored.")
    var pretrainingText = false

    @Flag(help: "Also write catalogue.jsonl: every product's description, name, price and attributes as a document, every token scored.")
    var catalogueText = false

    @Option(help: "Seed of the narrative writer.")
    var seed: UInt64 = 0

    @Option(help: "GPT-2 vocabulary directory (encoder.json + vocab.bpe), for the prompt's token count; default: the project's data/gpt2.")
    var vocab: String?

    func validate() throws {
        if let customers, customers < 1 { throw ValidationError("--customers must be at least 1 (got \(customers))") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1 (got \(k))") }
        guard variants >= 1 else { throw ValidationError("--variants must be at least 1 (got \(variants))") }
        guard validationEvery >= 2 else { throw ValidationError("--validation-every must be at least 2 (got \(validationEvery))") }
        guard tokenBudget >= 16 else { throw ValidationError("--token-budget must be at least 16 (got \(tokenBudget))") }
        guard NarrativeVoice(rawValue: voice) != nil else {
            throw ValidationError("--voice \(voice) is unknown; choose \(NarrativeVoice.allCases.map(\.rawValue).joined(separator: " or "))")
        }
    }

    func run() throws {
        try runReportingErrors {
            let dataSplit = try DataSplit(parsing: split)
            let tokenizer = try GPT2Tokenizer(directory: try VocabularyLocation.resolve(vocab))
            let database = try ShopDatabase(path: db, readOnly: true)
            let index = try RecommenderIndex.load(from: database)
            let products = try database.products()
            let training = dataSplit.apply(to: try database.purchaseLines()).train
            let recommender = try ShopRecommender(products: products, lines: training, index: index)
            let dataset = NarrativeDataset(products: products, trainingLines: training)

            var ids = Set(training.map(\.customer)).sorted()
            if let customers, customers < ids.count {
                ids = (0..<customers).map { ids[$0 * ids.count / customers] }
            }
            var writer = NarrativeCorpusWriter(seed: seed)
            var train = Data(), validation = Data()
            var pretrainTrain = Data(), pretrainValidation = Data()
            var counts = (train: 0, validation: 0)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Every completion passes the checker on this catalogue and leaves the runtime a few of
            // its new tokens to spare, so no training narrative is one the server would refuse.
            let acceptance = NarrativeDataset.Acceptance(checker: GroundingChecker(catalogue: products),
                                                         completionTokenLimit: Narrator.defaultMaxNewTokens - 4)
            var statistics = NarrativeCorpusStatistics()
            for (position, id) in ids.enumerated() {
                let written = try dataset.written(
                    customers: [id], recommend: { try recommender.recommend(customer: $0, k: k).items },
                    variants: variants, voice: NarrativeVoice(rawValue: voice) ?? .narrator, writer: &writer, tokenBudget: tokenBudget,
                    countTokens: { tokenizer.encode($0).count }, acceptance: acceptance)
                statistics.skipped += written.skipped
                for example in written.examples {
                    statistics.add(example, completionTokens: tokenizer.encode(example.example.completion).count)
                }
                let isValidation = position % validationEvery == validationEvery - 1
                for example in written.examples.map(\.example) {
                    let line = try encoder.encode(example) + Data("\n".utf8)
                    if isValidation { validation += line; counts.validation += 1 } else { train += line; counts.train += 1 }
                    if pretrainingText {
                        let document = try encoder.encode(NarrativeDataset.Example(prompt: "", completion: example.prompt + example.completion)) + Data("\n".utf8)
                        if isValidation { pretrainValidation += document } else { pretrainTrain += document }
                    }
                }
                if (position + 1) % 500 == 0 { printError("narratives-data: \(position + 1) / \(ids.count) customers") }
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try AtomicFile.write(train, to: (out as NSString).appendingPathComponent("train.jsonl"))
            try AtomicFile.write(validation, to: (out as NSString).appendingPathComponent("val.jsonl"))
            if pretrainingText {
                try AtomicFile.write(pretrainTrain, to: (out as NSString).appendingPathComponent("pretrain-train.jsonl"))
                try AtomicFile.write(pretrainValidation, to: (out as NSString).appendingPathComponent("pretrain-val.jsonl"))
                print("wrote \(out)/pretrain-train.jsonl and \(out)/pretrain-val.jsonl (the examples as whole documents)")
            }
            if catalogueText {
                var catalogue = Data()
                for text in dataset.catalogueText() {
                    catalogue += try encoder.encode(NarrativeDataset.Example(prompt: "", completion: text)) + Data("\n".utf8)
                }
                try AtomicFile.write(catalogue, to: (out as NSString).appendingPathComponent("catalogue.jsonl"))
                print("wrote \(out)/catalogue.jsonl (\(dataset.catalogue.count) products)")
            }
            print("corpus: \(statistics.summary)")
            print("wrote \(out)/train.jsonl (\(counts.train) examples) and \(out)/val.jsonl (\(counts.validation)) from \(ids.count) customers, split \(dataSplit)")
        }
    }
}
