import Embedding
import Foundation
import Tensor
import XCTest

/// Loading a model folder: what is read from it, and one clear error naming the file or tensor
/// for each way it can be wrong. The folders are tiny random BERTs written by the test.
final class ModelFolderTests: XCTestCase {
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "white", "heart", "holder", "##s", "-", "t", "light"]
    static let (hidden, heads, intermediate, positions) = (8, 2, 16, 12)

    /// Writes a one-layer BERT with BertModel's tensor names, leaving out or reshaping one tensor
    /// when asked, and the folder's JSON files.
    func writeTinyModel(
        omitting omitted: String? = nil, reshaping reshaped: String? = nil,
        pooling: String = #"{"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true}"#
    ) throws -> String {
        let directory = try Fixtures.temporaryDirectory(self)
        let (c, ff) = (Self.hidden, Self.intermediate)
        var shapes: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [Self.vocabulary.count, c]),
            ("embeddings.position_embeddings.weight", [Self.positions, c]),
            ("embeddings.token_type_embeddings.weight", [2, c]),
            ("embeddings.LayerNorm.weight", [c]), ("embeddings.LayerNorm.bias", [c]),
        ]
        let layer = "encoder.layer.0."
        for name in ["query", "key", "value"] {
            shapes += [(layer + "attention.self.\(name).weight", [c, c]), (layer + "attention.self.\(name).bias", [c])]
        }
        shapes += [
            (layer + "attention.output.dense.weight", [c, c]), (layer + "attention.output.dense.bias", [c]),
            (layer + "attention.output.LayerNorm.weight", [c]), (layer + "attention.output.LayerNorm.bias", [c]),
            (layer + "intermediate.dense.weight", [ff, c]), (layer + "intermediate.dense.bias", [ff]),
            (layer + "output.dense.weight", [c, ff]), (layer + "output.dense.bias", [c]),
            (layer + "output.LayerNorm.weight", [c]), (layer + "output.LayerNorm.bias", [c]),
        ]
        var generator = SeededGenerator(seed: 7)
        var writer = SafeTensorsWriter()
        for (name, shape) in shapes where name != omitted {
            let actual = name == reshaped ? [shape.reduce(1, *) + 1] : shape
            try writer.add(name, tensor: Tensor.randomNormal(actual, std: 0.5, generator: &generator))
        }
        try writer.write(to: directory + "/model.safetensors")
        let config = """
            {"vocab_size": \(Self.vocabulary.count), "hidden_size": \(c), "num_hidden_layers": 1, "num_attention_heads": \(Self.heads),
             "intermediate_size": \(ff), "max_position_embeddings": \(Self.positions), "type_vocab_size": 2,
             "layer_norm_eps": 1e-12, "hidden_act": "gelu", "model_type": "bert"}
            """
        try config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        try (Self.vocabulary.joined(separator: "\n") + "\n").write(toFile: directory + "/vocab.txt", atomically: true, encoding: .utf8)
        try #"{"do_lower_case": true}"#.write(toFile: directory + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        try #"{"max_seq_length": 6}"#.write(toFile: directory + "/sentence_bert_config.json", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/1_Pooling", withIntermediateDirectories: true)
        try pooling.write(toFile: directory + "/1_Pooling/config.json", atomically: true, encoding: .utf8)
        return directory
    }

    func assertLoadFails(_ directory: String, mentioning fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SentenceEncoder(modelDirectory: directory), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "\(message) should mention \(fragment)", file: file, line: line)
            }
        }
    }

    func testATinyModelLoadsAndGivesUnitVectors() throws {
        let encoder = try SentenceEncoder(modelDirectory: try writeTinyModel())
        XCTAssertEqual(encoder.dimension, 8)
        XCTAssertEqual(encoder.tokenizer.maximumLength, 6, "max_seq_length from sentence_bert_config.json")
        let embeddings = try encoder.embed(["White heart holders", "", "t-light t-light t-light"])
        XCTAssertEqual(embeddings.count, 3)
        for embedding in embeddings {
            XCTAssertEqual(embedding.count, 8)
            XCTAssertEqual(embedding.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        }
        XCTAssertNotEqual(embeddings[0], embeddings[1])
    }

    func testMissingFolderSaysHowToGetTheModel() {
        assertLoadFails(NSTemporaryDirectory() + "no-such-model-\(UUID().uuidString)", mentioning: ["scripts/setup-minilm"])
    }

    func testMissingTensorIsNamed() throws {
        assertLoadFails(try writeTinyModel(omitting: "encoder.layer.0.attention.self.key.weight"),
                        mentioning: ["model.safetensors", "encoder.layer.0.attention.self.key.weight"])
    }

    func testMisShapedTensorIsNamedWithBothShapes() throws {
        assertLoadFails(try writeTinyModel(reshaping: "encoder.layer.0.intermediate.dense.weight"),
                        mentioning: ["encoder.layer.0.intermediate.dense.weight", "[129]", "[16, 8]"])
    }

    func testUnsupportedPoolingModeIsRefused() throws {
        let cls = #"{"word_embedding_dimension": 8, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#
        assertLoadFails(try writeTinyModel(pooling: cls), mentioning: ["1_Pooling/config.json", "pooling_mode_cls_token"])
        let wrongWidth = #"{"word_embedding_dimension": 384, "pooling_mode_mean_tokens": true}"#
        assertLoadFails(try writeTinyModel(pooling: wrongWidth), mentioning: ["word_embedding_dimension 384"])
    }

    func testBadConfigIsNamed() throws {
        let directory = try writeTinyModel()
        try #"{"hidden_size": 8}"#.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        assertLoadFails(directory, mentioning: ["config.json", "vocab_size"])
        try #"{"vocab_size": 12, "hidden_size": 9, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 12}"#
            .write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        assertLoadFails(directory, mentioning: ["config.json", "not a multiple"])
        try "{not json".write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        assertLoadFails(directory, mentioning: ["config.json", "not valid JSON"])
    }

    func testTruncatedWeightsFileIsNamed() throws {
        let directory = try writeTinyModel()
        let path = directory + "/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        assertLoadFails(directory, mentioning: ["model.safetensors"])
    }

    func testJSONLinesInputErrorsNameTheLine() throws {
        let good = Data("{\"text\": \"a\"}\n\n  \n{\"text\": \"b\", \"id\": 3}\n".utf8)
        XCTAssertEqual(try TextLines.texts(fromJSONLines: good, source: "in.jsonl"), ["a", "b"])
        let cases: [(Data, String)] = [
            (Data("{\"text\": \"a\"}\n[1, 2]\n".utf8), "in.jsonl:2: not a JSON object"),
            (Data("{\"text\": \"a\"}\n\n{\"name\": \"b\"}\n".utf8), "in.jsonl:3: no string \"text\""),
            (Data("{\"text\": 5}".utf8), "in.jsonl:1: no string \"text\""),
            (Data([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]), "in.jsonl:1: the line is not valid UTF-8"),
        ]
        for (data, expected) in cases {
            XCTAssertThrowsError(try TextLines.texts(fromJSONLines: data, source: "in.jsonl")) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(error) should start with \(expected)")
            }
        }
    }

    func testEmbeddingLinesRoundTripThroughJSON() throws {
        let values: [Float] = [0.125, -1e-5, 0.333_333_34]
        let line = values.withUnsafeBufferPointer { TextLines.embeddingLine($0) }
        XCTAssertTrue(line.hasSuffix("\n"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual((object["embedding"] as? [NSNumber])?.map(\.floatValue), values)
    }
}
