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

    @Option(help: "Sampling temperature (default \(Narrator.defaultSampling.temperature)).")
    var temperature: Float?

    @Option(help: "Top-k of the sampling, 0 off (default \(Narrator.defaultSampling.topK)).")
    var topK: Int?

    @Option(help: "Nucleus top-p of the sampling (default \(Narrator.defaultSampling.topP)).")
    var topP: Float?

    @Flag(help: "Decode without the fact sheet's slot constraint (for comparison): unfillable slots and missing facts then fall back.")
    var unconstrained = false

    @Flag(help: "Decode without the token budget (for comparison): the constraint no longer steers a narrative to state its facts within the limit, and a sentence the limit cuts is dropped, never closed.")
    var noTokenBudget = false

    @Option(help: "GPT-2 vocabulary directory when the narrator directory has none; default: the project's data/gpt2.")
    var vocab: String?

    /// The flags given, for `--narrate`'s check that none is given without it.
    var givenFlags: [String] {
        [narrator.map { _ in "--narrator" }, voice.map { _ in "--voice" }, seed.map { _ in "--seed" },
         greedy ? "--greedy" : nil, unconstrained ? "--unconstrained" : nil,
         noTokenBudget ? "--no-token-budget" : nil, vocab.map { _ in "--vocab" }, temperature.map { _ in "--temperature" },
         topK.map { _ in "--top-k" }, topP.map { _ in "--top-p" }].compactMap { $0 }
    }

    var directory: String { narrator ?? NarratorModel.defaultDirectory }

    /// The chosen voice's name (nil: the base narrator).
    var voiceName: String? {
        voice.map { choice in choice.firstIndex(of: "=").map { String(choice[..<$0]) } ?? choice }
    }

    /// The sampling asked for: greedy, the narrator's default with any of the three changed, or nil (the default).
    var sampling: SamplingParameters? {
        if greedy { return .greedy }
        guard temperature != nil || topK != nil || topP != nil else { return nil }
        var parameters = Narrator.defaultSampling
        if let temperature { parameters.temperature = temperature }
        if let topK { parameters.topK = topK }
        if let topP { parameters.topP = topP }
        return parameters
    }

    func validate() throws {
        if greedy, temperature != nil || topK != nil || topP != nil {
            throw ValidationError("--greedy takes no --temperature, --top-k or --top-p")
        }
        if let problem = sampling?.problem { throw ValidationError(problem) }
    }

    /// Loads the narrator with only the chosen voice, checking against `catalogue`.
    func load(catalogue: [Product]) throws -> Narrator {
        let adapters = try voice.map { try NarratorModel.voiceAdapter(choice: $0, directory: directory) } ?? [:]
        let fallbackVocabulary = vocab ?? (try? VocabularyLocation.resolve(nil))
        let model = try NarratorModel.load(directory: directory, voiceAdapters: adapters, vocabulary: fallbackVocabulary)
        return try Narrator(model: model, catalogue: catalogue, constrainsSlots: !unconstrained, budgetsTokens: !noTokenBudget)
    }
}
