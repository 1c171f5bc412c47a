import Foundation
import GPT
import Tensor
import Tokenizer

/// The narrator's held-out perplexity as its training scores it: on the completion tokens and
/// the end-of-text that closes them, each predicted from `<|endoftext|>`, the fact sheet and the
/// completion so far (the prompt is context, not scored). Runs through an inference session, so
/// int8 and voice operators are measured as they serve.
public enum CompletionPerplexity {
    public struct Result: Equatable, Sendable {
        public var negativeLogLikelihood = 0.0
        public var tokensScored = 0
        public var examples = 0
        public var perplexity: Double { Foundation.exp(negativeLogLikelihood / Double(max(1, tokensScored))) }
    }

    public static func evaluate(weights: InferenceWeights, tokenizer: GPT2Tokenizer,
                                examples: [NarrativeDataset.Example]) throws -> Result {
        let session = InferenceSession(weights: weights)
        let context = weights.model.config.contextLength
        var result = Result()
        for example in examples {
            let prompt = [GPT2Tokenizer.endOfText] + tokenizer.encode(example.prompt)
            let targets = tokenizer.encode(example.completion) + [GPT2Tokenizer.endOfText]
            // Only the completion's first tokens when the whole does not fit.
            let scored = targets.prefix(max(0, context - prompt.count + 1))
            guard !scored.isEmpty else { continue }
            session.reset()
            result.examples += 1
            var logits = try session.prefill(prompt)
            for (index, target) in scored.enumerated() {
                // −log softmax(logits)[target]
                result.negativeLogLikelihood += Double(CrossEntropy.logSumExp(logits.baseAddress!, logits.count) - logits[target])
                result.tokensScored += 1
                if index + 1 < scored.count { logits = try session.next(target) }
            }
        }
        return result
    }
}
