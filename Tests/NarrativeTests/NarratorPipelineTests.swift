import Foundation
import GPT
import TestSupport
import Tokenizer
import XCTest
@testable import Narrative

/// `scripts/narrator --quick` end to end on the 40k-row sample: database, index, corpus, both
/// training stages, int8 quantisation and the brief voice. It runs the executables in
/// `FINCH_TEST_BIN` (scripts/test passes its release build: a debug build spends minutes
/// embedding the catalogue alone), or those `swift test` built.
final class NarratorPipelineTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var executables: String {
        ProcessInfo.processInfo.environment["FINCH_TEST_BIN"] ?? ProgramRun.productsDirectory().path
    }

    func testQuickPipelineWritesAnInt8NarratorThatLearnedAndWritesOnlyKnownSlots() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finch-narrator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("narrator").path
        let script = Self.repository.appendingPathComponent("scripts/narrator").path
        let run = try ProgramRun.run("/bin/bash", [script, "--quick", "--pretrain-steps", "5", "--out", out], timeout: 900,
                                     environment: ["FINCH_BIN": Self.executables])
        XCTAssertFalse(run.timedOut, run.output)
        XCTAssertEqual(run.status, 0, run.output)
        guard run.status == 0 else { return }

        // The served checkpoint is int8 and loads as one.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))) as? [String: Any]
        XCTAssertEqual((config?["quantization"] as? [String: Any])?["bits"] as? Int, 8, "\(config ?? [:])")
        let loaded = try InferenceCheckpoint.load(directory: out)
        XCTAssertNotNil(loaded.quantized)
        // with the output shortlist built from its corpus, carried through quantisation.
        let shortlist = try XCTUnwrap(try OutputShortlist.load(directory: out, vocabSize: GPTConfig.gpt2VocabularySize))
        XCTAssertLessThan(shortlist.tokens.count, GPTConfig.gpt2VocabularySize / 5, shortlist.note)
        XCTAssertTrue(loaded.weights.head is ShortlistHead)

        // Both stages (the quick run has a few pretraining steps too) learned: the best
        // validation loss is below the one before training.
        for stage in ["pretrain", "narrator"] {
            let losses = try validationLosses(out + "/training/\(stage)-metrics.jsonl")
            XCTAssertGreaterThan(losses.count, 1, stage)
            if let first = losses.first, let best = losses.dropFirst().min() {
                XCTAssertLessThan(best, first, "\(stage): validation loss \(losses)")
            }
        }

        // Greedy completions of held-out prompts use only slots the filler knows. A few training
        // steps leave end-of-text the favourite first token of many prompts, so stops wait for 16
        // tokens, as Hugging Face's `min_new_tokens` does: the text is the model's, not empty.
        let tokenizer = try GPT2Tokenizer(directory: Self.repository.appendingPathComponent("data/gpt2").path)
        let prompts = try CompletionPrompts.read(out + "-work/corpus/val.jsonl", limit: 4)
        XCTAssertEqual(prompts.count, 4)
        var slotCount = 0
        for prompt in prompts {
            var generator = TokenGenerator(session: InferenceSession(weights: loaded.weights),
                                           sampler: try Sampler(parameters: SamplingParameters(temperature: 0), seed: 1),
                                           stopTokens: [GPT2Tokenizer.endOfText],
                                           processor: MinimumNewTokens(stops: [GPT2Tokenizer.endOfText], count: 16))
            var ids: [Int] = []
            _ = try generator.generate(prompt: tokenizer.encode(prompt), maxNewTokens: 48) { ids.append($0); return true }
            let text = tokenizer.decode(ids)
            for name in Self.slotNames(in: text) {
                XCTAssertNotNil(NarrativeSlot(rawValue: name), "unknown slot <\(name)> in \"\(text)\"")
                slotCount += 1
            }
        }
        XCTAssertGreaterThan(slotCount, 0, "the narrator writes slots")

        // The brief voice is a PEFT adapter that `generate` runs on the int8 narrator.
        let adapter = out + "/voices/brief"
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapter + "/adapter_config.json"))
        let prompt = directory.appendingPathComponent("prompt.txt")
        try Data(prompts[0].utf8).write(to: prompt)
        let voiced = try ProgramRun.run(Self.executables + "/generate",
                                        ["--checkpoint", out, "--lora", adapter, "--prompt-file", prompt.path,
                                         "--temperature", "0", "--max-new-tokens", "24"], timeout: 120)
        XCTAssertEqual(voiced.status, 0, voiced.output)
    }

    /// The `val_loss` values of a trainer's metrics.jsonl, in step order.
    private func validationLosses(_ path: String) throws -> [Double] {
        try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["val_loss"] as? Double
        }
    }

    /// The names between `<` and `>` (a generated `<` without its `>` names nothing).
    static func slotNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

/// Hugging Face's `MinNewTokensLengthLogitsProcessor`: the stop tokens are forbidden until
/// `count` tokens have been drawn.
struct MinimumNewTokens: LogitsProcessor {
    let stops: [Int]
    let count: Int
    private var drawn = 0

    init(stops: [Int], count: Int) {
        self.stops = stops
        self.count = count
    }

    func process(_ logits: LogitRow) {
        guard drawn < count else { return }
        logits.forbid(stops)
    }

    mutating func accept(_ token: Int) { drawn += 1 }
}

/// The prompts of a narratives JSONL file, as the narrator reads them.
enum CompletionPrompts {
    static func read(_ path: String, limit: Int) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).prefix(limit).map { line in
            let example = try JSONDecoder().decode(NarrativeDataset.Example.self, from: Data(line.utf8))
            return example.prompt
        }
    }
}
