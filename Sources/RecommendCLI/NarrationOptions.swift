import ArgumentParser
import CommandLineSupport
import GPT
import Narrative
import Store

/// The flags that choose and drive the narrator, shared by `query --narrate` and `narrate-benchmark`.
struct NarrationOptions: ParsableArguments {
    @Option(help: "Narrator checkpoint directory (float or int8, voices under voices/); scripts/narrator builds the default.")
    var narrator: String?

    @Option(help: "Voice: NAME of an adapter under the narrator's voices/, or NAME=ADAPTER_DIR (PEFT LoRA); default the base narrator.")
    var voice: String?

    @Option(help: "Sampling seed; each item's draws derive from it, the customer and the product, so a page is reproducible.")
    var seed: UInt64?

    @Flag(help: "Greedy decoding instead of the narrator's sampling.")
    var greedy = false

    @Option(help: "GPT-2 vocabulary directory when the narrator directory has none; default: the project's data/gpt2.")
    var vocab: String?

    /// The flags given, for `--narrate`'s check that none is given without it.
    var givenFlags: [String] {
        [narrator.map { _ in "--narrator" }, voice.map { _ in "--voice" }, seed.map { _ in "--seed" },
         greedy ? "--greedy" : nil, vocab.map { _ in "--vocab" }].compactMap { $0 }
    }

    var directory: String { narrator ?? NarratorModel.defaultDirectory }

    /// The chosen voice's name (nil: the base narrator).
    var voiceName: String? {
        voice.map { choice in choice.firstIndex(of: "=").map { String(choice[..<$0]) } ?? choice }
    }

    var sampling: SamplingParameters? { greedy ? .greedy : nil }

    /// Loads the narrator with only the chosen voice, checking against `catalogue`.
    func load(catalogue: [Product]) throws -> Narrator {
        let adapters = try voice.map { try NarratorModel.voiceAdapter(choice: $0, directory: directory) } ?? [:]
        let fallbackVocabulary = vocab ?? (try? VocabularyLocation.resolve(nil))
        let model = try NarratorModel.load(directory: directory, voiceAdapters: adapters, vocabulary: fallbackVocabulary)
        return try Narrator(model: model, catalogue: catalogue)
    }
}
