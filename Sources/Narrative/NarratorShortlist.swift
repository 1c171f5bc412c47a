import Foundation
import GPT
import LoRA
import Tokenizer

/// The narrator's output shortlist: the tokens it was trained on, plus every token the slot
/// constraint may force. The narrator is trained from scratch on the narratives corpus and the
/// catalogue text, which use a few thousand of GPT-2's tokens; every price, name and number a
/// narrative states comes from a slot filled after generation, so the model itself only ever
/// writes the corpus's words and the slots' spellings.
public enum NarratorShortlist {
    /// The tokens of every prompt and completion in `corpora` (JSON lines as `train` reads them,
    /// encoded as it encodes them: prompt and completion apart), end-of-text, and
    /// `SlotVocabulary.tokensTheConstraintMayKeep`.
    public static func build(corpora: [String], tokenizer: GPT2Tokenizer, vocabSize: Int) throws -> OutputShortlist {
        var texts = Set<String>()
        var exampleCount = 0
        for path in corpora {
            let examples = try CompletionExample.readJSONL(path: path)
            exampleCount += examples.count
            for example in examples {
                texts.insert(example.prompt)
                texts.insert(example.completion)
            }
        }
        var corpusTokens: Set<Int> = [GPT2Tokenizer.endOfText]
        for text in texts { corpusTokens.formUnion(tokenizer.encode(text, allowSpecial: false)) }
        let constrained = SlotVocabulary(tokenizer: tokenizer).tokensTheConstraintMayKeep
        let tokens = corpusTokens.union(constrained)
        let files = corpora.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
        let note = "\(corpusTokens.count) tokens of the prompts and completions of \(files) (\(exampleCount) examples) "
            + "and end-of-text, with the \(constrained.count) tokens the slot constraint may keep "
            + "(\(constrained.subtracting(corpusTokens).count) of them not in the corpus): \(tokens.count) of \(vocabSize)"
        do {
            return try OutputShortlist(tokens: tokens, vocabSize: vocabSize, note: note)
        } catch {
            throw NarrativeError("the narrator's shortlist: \(error) (was the narrator trained with the GPT-2 tokenizer?)")
        }
    }
}
