import GPT
import Tensor
import XCTest
@testable import LoRA

/// The batched generator over an unmerged adapter (the per-request voice of a narrator).
final class BatchedLoRATests: XCTestCase {
    func testBatchedGreedyOutputWithAnAdapterEqualsEachSequenceAlone() throws {
        // The golden model's weights scaled up so its greedy continuations vary with the context.
        let model = try Checkpoint.load(directory: Fixtures.tinyGPT2)
        for i in 0..<model.layout.count { model.parameters.pointer[i] *= 8 }
        let adapter = try LoRAAdapter.load(directory: Fixtures.tinyGPT2 + "/lora", model: model)
        let weights = try adapter.wrap(InferenceWeights(model: model))
        let prompts = [[5, 17, 3, 88], [400], [9, 9, 250, 31, 77, 12, 600, 2, 41]]
        let generator = try BatchedGenerator(weights: weights)
        var ids: [SequenceID] = []
        for (index, prompt) in prompts.enumerated() {
            ids.append(try generator.add(prompt: prompt, sampler: try Sampler(parameters: .greedy, seed: 0), maxNewTokens: 6 + 3 * index))
        }
        let results = generator.runToCompletion()
        for (index, prompt) in prompts.enumerated() {
            var alone = TokenGenerator(session: InferenceSession(weights: weights),
                                       sampler: try Sampler(parameters: .greedy, seed: 0), stopTokens: [])
            var tokens: [Int] = []
            _ = try alone.generate(prompt: prompt, maxNewTokens: 6 + 3 * index) { tokens.append($0); return true }
            XCTAssertEqual(results[ids[index]]?.tokens, tokens, "sequence \(index)")
        }
        // The adapter changes what is generated, so the comparison above is about the adapted model.
        let plain = try BatchedGenerator(weights: InferenceWeights(model: model))
        let plainID = try plain.add(prompt: prompts[2], sampler: try Sampler(parameters: .greedy, seed: 0), maxNewTokens: 12)
        XCTAssertNotEqual(plain.runToCompletion()[plainID]?.tokens, results[ids[2]]?.tokens)
    }
}
