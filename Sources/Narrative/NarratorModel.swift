import Foundation
import GPT
import LoRA
import Tokenizer

/// A narrator checkpoint opened for decoding: the base weights (float or int8, as
/// `generate quantize` writes them), its voices — PEFT LoRA adapters, each wrapping the base
/// weights unmerged, so one loaded base serves every voice — and the GPT-2 tokenizer.
///
/// The directory is what `scripts/narrator` writes: `config.json` + `model.safetensors`, and
/// `voices/NAME/` (`adapter_config.json` + `adapter_model.safetensors`) per voice. A vocabulary
/// (`encoder.json` + `vocab.bpe`, or `vocab.json` + `merges.txt`) in the directory is used when
/// there is one; otherwise the caller's.
public final class NarratorModel: @unchecked Sendable {
    public static let defaultDirectory = "checkpoints/narrator"
    public static let voicesFolder = "voices"

    public let directory: String
    /// The base narrator's operators (no voice).
    public let base: InferenceWeights
    /// Each voice's operators: the base with that voice's adapter on top.
    public let voices: [String: InferenceWeights]
    public let tokenizer: GPT2Tokenizer

    public var config: GPTConfig { base.model.config }
    public var voiceNames: [String] { voices.keys.sorted() }

    /// Assembles a narrator from weights already in memory (tests, or a caller that loaded them).
    public init(directory: String, base: InferenceWeights, voices: [String: InferenceWeights], tokenizer: GPT2Tokenizer) throws {
        guard tokenizer.vocabSize <= base.model.config.vocabSize else {
            throw NarrativeError("\(directory): the narrator's vocabulary has \(base.model.config.vocabSize) tokens but the tokenizer has \(tokenizer.vocabSize): it was not trained with the GPT-2 tokenizer")
        }
        self.directory = directory
        self.base = base
        self.voices = voices
        self.tokenizer = tokenizer
    }

    /// Loads `directory` and its voices: `voiceAdapters` maps names to adapter directories, nil
    /// takes every adapter under `directory/voices/`. `vocabulary` is the tokenizer directory
    /// used when the narrator directory has none.
    public static func load(directory: String, voiceAdapters: [String: String]? = nil, vocabulary: String?) throws -> NarratorModel {
        try requireCheckpoint(directory)
        let weights: InferenceWeights
        do {
            weights = try InferenceCheckpoint.load(directory: directory).weights
        } catch {
            throw NarrativeError("--narrator \(directory): \(error)")
        }
        guard let vocabularyDirectory = vocabularyDirectory(in: directory) ?? vocabulary else {
            throw NarrativeError("--narrator \(directory): no GPT-2 vocabulary in it (encoder.json + vocab.bpe) and none given")
        }
        let tokenizer = try GPT2Tokenizer(directory: vocabularyDirectory)
        var voices: [String: InferenceWeights] = [:]
        for (name, adapterDirectory) in try voiceAdapters ?? installedVoices(in: directory) {
            voices[name] = try loadVoice(name: name, adapterDirectory: adapterDirectory, base: weights)
        }
        return try NarratorModel(directory: directory, base: weights, voices: voices, tokenizer: tokenizer)
    }

    /// The operators of `voice` (nil: the base narrator). An unknown name lists the voices there are.
    public func weights(voice: String?) throws -> InferenceWeights {
        guard let voice else { return base }
        guard let weights = voices[voice] else { throw Self.unknownVoice(voice, known: voiceNames, directory: directory) }
        return weights
    }

    /// The adapter a `--voice` value names: `NAME=ADAPTER_DIR`, or `NAME` of a voice installed
    /// under `directory/voices/` (an unknown one lists those there are).
    public static func voiceAdapter(choice: String, directory: String) throws -> [String: String] {
        if let equals = choice.firstIndex(of: "=") {
            let name = String(choice[..<equals]), path = String(choice[choice.index(after: equals)...])
            guard !name.isEmpty, !path.isEmpty else { throw NarrativeError("--voice: \"\(choice)\" is not NAME or NAME=ADAPTER_DIR") }
            return [name: path]
        }
        try requireCheckpoint(directory)
        let installed = try installedVoices(in: directory)
        guard let path = installed[choice] else { throw unknownVoice(choice, known: installed.keys.sorted(), directory: directory) }
        return [choice: path]
    }

    private static func unknownVoice(_ name: String, known: [String], directory: String) -> NarrativeError {
        let voices = known.isEmpty ? "this narrator has no voices; scripts/narrator trains them into \(directory)/\(voicesFolder)/"
            : "voices: \(known.joined(separator: ", "))"
        return NarrativeError("--voice: unknown voice \"\(name)\" (\(voices))")
    }

    /// Throws the line saying how to build a narrator when `directory` does not hold one.
    static func requireCheckpoint(_ directory: String) throws {
        let configPath = (directory as NSString).appendingPathComponent(Checkpoint.configFile)
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw NarrativeError("--narrator: no narrator checkpoint at \(directory) (no \(Checkpoint.configFile)): scripts/narrator builds one into \(defaultDirectory), or pass --narrator DIR")
        }
    }

    /// Every `voices/NAME/` holding an adapter config, by name.
    public static func installedVoices(in directory: String) throws -> [String: String] {
        let folder = (directory as NSString).appendingPathComponent(voicesFolder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [:] }
        var voices: [String: String] = [:]
        for name in names.sorted() {
            let adapter = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: (adapter as NSString).appendingPathComponent(PEFTAdapterConfig.fileName)) {
                voices[name] = adapter
            }
        }
        return voices
    }

    /// `base` with the adapter in `adapterDirectory` wrapped around it; a missing adapter or one
    /// made for another model is one line naming the voice.
    public static func loadVoice(name: String, adapterDirectory: String, base: InferenceWeights) throws -> InferenceWeights {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: adapterDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw NarrativeError("--voice \(name): no adapter directory at \(adapterDirectory) (scripts/narrator trains the voices into \(defaultDirectory)/\(voicesFolder)/NAME)")
        }
        do {
            return try LoRAAdapter.load(directory: adapterDirectory, model: base.model).wrap(base)
        } catch {
            throw NarrativeError("--voice \(name): the adapter in \(adapterDirectory) does not fit the narrator: \(error)")
        }
    }

    /// `directory` when it holds a GPT-2 vocabulary in either layout.
    static func vocabularyDirectory(in directory: String) -> String? {
        let layouts = [["encoder.json", "vocab.bpe"], ["vocab.json", "merges.txt"]]
        let found = layouts.contains { files in
            files.allSatisfy { FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
        }
        return found ? directory : nil
    }
}
