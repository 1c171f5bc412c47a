import Tensor
import XCTest
@testable import GPT

final class BatchedForwardTests: XCTestCase {
    /// With int8 weights and int8 activations every product's output depends only on its own row,
    /// and `InferenceSession` is the batched forward with one sequence: so a sequence's logits in a
    /// batch — prefilled in chunks beside other sequences' rows, decoding beside others — are the
    /// logits it gets alone, bit for bit, at every step.
    func testInt8LogitsInABatchEqualTheSequenceAloneBitForBit() throws {
        try XCTSkipUnless(Int8ActivationMatrix.isAvailable, "this CPU has no AVX-512 VNNI")
        let model = GPTModel(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 64, contextLength: 48, vocabSize: 300),
                             seed: 9)
        let weights = try InferenceWeights(model: model, quantized: try QuantizedModelWeights(quantizing: model))
        var generator = SeededGenerator(seed: 3)
        let sequences = [13, 1, 30].map { length in (0..<(length + 6)).map { _ in generator.nextInt(below: 300) } }
        let vocabulary = model.config.vocabSize

        var alone: [[[UInt32]]] = []  // [sequence][step][V]
        for tokens in sequences {
            let session = InferenceSession(weights: weights)
            let promptLength = tokens.count - 6
            var steps = [try session.prefill(Array(tokens[..<promptLength])).map(\.bitPattern)]
            for token in tokens[promptLength...] { steps.append(try session.next(token).map(\.bitPattern)) }
            alone.append(steps)
        }

        // The prompts go in chunks of at most 5 rows per sequence and step, then one token a step.
        let forward = BatchedForward(weights: weights)
        let caches = sequences.map { _ in KeyValueCache(config: model.config) }
        var fed = [Int](repeating: 0, count: sequences.count)
        var batched: [[[UInt32]]] = sequences.map { _ in [] }
        while zip(fed, sequences).contains(where: { $0 < $1.count }) {
            var segments: [BatchedForward.Segment] = [], owners: [Int] = []
            for (s, tokens) in sequences.enumerated() where fed[s] < tokens.count {
                let promptLength = tokens.count - 6
                let end = fed[s] < promptLength ? min(promptLength, fed[s] + 5) : fed[s] + 1
                let wantsLogits = end >= promptLength
                segments.append(.init(cache: caches[s], tokens: tokens[fed[s]..<end], wantsLogits: wantsLogits))
                if wantsLogits { owners.append(s) }
                fed[s] = end
            }
            forward.run(segments)
            for (row, s) in owners.enumerated() {
                let logits = UnsafeBufferPointer(start: forward.logits.pointer + row * vocabulary, count: vocabulary)
                batched[s].append(logits.map(\.bitPattern))
            }
        }
        for s in sequences.indices {
            XCTAssertEqual(batched[s].count, alone[s].count, "sequence \(s): steps")
            for (step, (a, b)) in zip(alone[s], batched[s]).enumerated() {
                XCTAssertEqual(a, b, "sequence \(s) step \(step)")
            }
        }
    }
}
