import Foundation
import GPT
import LoRA
import XCTest
@testable import Narrative

/// Loading a narrator directory as `scripts/narrator` writes it, and every way it can be wrong.
final class NarratorLoadingTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NarratorFixtures.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// An int8 narrator with a `brief` voice under `voices/`, as `scripts/narrator` leaves it.
    private func writeNarrator() throws -> (model: GPTModel, adapter: LoRAAdapter) {
        let model = NarratorFixtures.randomModel()
        try QuantizedCheckpoint.save(model: model, weights: try QuantizedModelWeights(quantizing: model), directory: directory)
        let adapter = try NarratorFixtures.voiceAdapter(for: model.config)
        let voice = directory + "/voices/brief"
        try FileManager.default.createDirectory(atPath: voice, withIntermediateDirectories: true)
        try adapter.save(to: voice, baseModel: directory)
        return (model, adapter)
    }

    private func assertFails(_ load: @autoclosure () throws -> Any, mentions parts: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for part in parts { XCTAssertTrue(message.contains(part), "\"\(part)\" not in: \(message)", file: file, line: line) }
        }
    }

    func testLoadsTheInt8NarratorWithItsVoices() throws {
        let (model, adapter) = try writeNarrator()
        let loaded = try NarratorModel.load(directory: directory, vocabulary: NarratorFixtures.gpt2Directory)
        XCTAssertEqual(loaded.voiceNames, ["brief"])
        XCTAssertEqual(loaded.config, model.config)
        // The loaded voice is the saved adapter on the loaded int8 base: the same greedy page.
        let narrator = try Narrator(model: loaded, catalogue: NarrativeFixtures.catalogue, maxNewTokens: 12)
        let base = try NarratorFixtures.int8Weights(model)
        let expected = try NarratorFixtures.narrator(base, voices: ["brief": try adapter.wrap(base)])
        let sheets = try NarratorFixtures.page()
        for voice in [nil, "brief"] {
            XCTAssertEqual(try narrator.narrate(customer: 1, sheets: sheets, voice: voice, parameters: .greedy),
                           try expected.narrate(customer: 1, sheets: sheets, voice: voice, parameters: .greedy))
        }
        // Voices named explicitly replace the installed ones.
        let renamed = try NarratorModel.load(directory: directory, voiceAdapters: ["mobile": directory + "/voices/brief"],
                                             vocabulary: NarratorFixtures.gpt2Directory)
        XCTAssertEqual(renamed.voiceNames, ["mobile"])
    }

    func testMissingNarratorSaysHowToBuildIt() {
        assertFails(try NarratorModel.load(directory: directory + "/absent", vocabulary: NarratorFixtures.gpt2Directory),
                    mentions: ["--narrator", directory + "/absent", "scripts/narrator"])
    }

    func testUnknownVoiceListsTheVoicesThereAre() throws {
        _ = try writeNarrator()
        let loaded = try NarratorModel.load(directory: directory, vocabulary: NarratorFixtures.gpt2Directory)
        assertFails(try loaded.weights(voice: "herald"), mentions: ["--voice", "\"herald\"", "brief"])
        let bare = try NarratorModel.load(directory: directory, voiceAdapters: [:], vocabulary: NarratorFixtures.gpt2Directory)
        assertFails(try bare.weights(voice: "brief"), mentions: ["--voice", "no voices", "scripts/narrator"])
    }

    func testMissingAdapterDirectoryNamesTheVoice() throws {
        _ = try writeNarrator()
        assertFails(try NarratorModel.load(directory: directory, voiceAdapters: ["herald": directory + "/voices/herald"],
                                           vocabulary: NarratorFixtures.gpt2Directory),
                    mentions: ["--voice herald", directory + "/voices/herald", "scripts/narrator"])
    }

    func testAdapterForAnotherModelIsRefused() throws {
        _ = try writeNarrator()
        let wider = GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 48, contextLength: 256, vocabSize: GPTConfig.gpt2VocabularySize)
        let foreign = directory + "/voices/foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try NarratorFixtures.voiceAdapter(for: wider).save(to: foreign, baseModel: nil)
        assertFails(try NarratorModel.load(directory: directory, vocabulary: NarratorFixtures.gpt2Directory),
                    mentions: ["--voice foreign", "does not fit the narrator", "48"])
    }

    func testCorruptCheckpointIsOneLine() throws {
        _ = try writeNarrator()
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
        assertFails(try NarratorModel.load(directory: directory, vocabulary: NarratorFixtures.gpt2Directory),
                    mentions: ["--narrator", "model.safetensors"])
    }

    func testAModelOnAnotherVocabularyIsRefused() {
        let model = GPTModel(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 256, vocabSize: 1000))
        assertFails(try NarratorModel(directory: "small-vocabulary", base: InferenceWeights(model: model), voices: [:],
                                      tokenizer: NarratorFixtures.tokenizer),
                    mentions: ["1000", "50257", "GPT-2 tokenizer"])
    }
}
