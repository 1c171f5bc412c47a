import Foundation
import Recommend

/// The quality measures over many narratives, beside the grounding checker's.
public enum NarrativeQuality {
    /// Distinct-2 (Li et al., 2016): distinct word bigrams over all bigrams of all texts, words
    /// lower-cased and split at spaces, so a narrator that repeats one frame scores low.
    public static func distinct2(_ texts: [String]) -> Double {
        var distinct = Set<String>()
        var total = 0
        for text in texts {
            let words = text.lowercased().split(separator: " ")
            for (first, second) in zip(words, words.dropFirst()) {
                distinct.insert("\(first) \(second)")
                total += 1
            }
        }
        return total == 0 ? 0 : Double(distinct.count) / Double(total)
    }

    /// The values that state the first reason's evidence: the product bought together and how
    /// many customers, the similar product, the times bought, the orders, the buyers. Nil for
    /// an item with no reason.
    public static func evidence(of sheet: FactSheet) -> [String]? {
        guard let reason = sheet.item.reasons.first else { return nil }
        let values = NarrativeSlot.values(for: sheet)
        let slots: [NarrativeSlot] = switch reason {
        case .boughtTogether: [.with, .customers]
        case .similar: [.to]
        case .boughtBefore: [.times]
        case .trending: [.orders]
        case .popular: [.buyers]
        }
        return slots.compactMap { values[$0] }
    }

    /// Whether `text` states every evidence value of the sheet's first reason (nil when the
    /// item has no reason); case-insensitive, as the checker matches names.
    public static func namesEvidence(_ text: String, sheet: FactSheet) -> Bool? {
        guard let evidence = evidence(of: sheet) else { return nil }
        let lowered = text.lowercased()
        return evidence.allSatisfy { lowered.contains($0.lowercased()) }
    }

    /// The examples of a `narratives-data` file (`{"prompt", "completion"}` lines): the training
    /// completions a generated narrative is compared with for copying, the validation ones the
    /// narrator's perplexity is measured on.
    public static func examples(jsonLines data: Data, name: String) throws -> [NarrativeDataset.Example] {
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().map { index, line in
            guard let example = try? decoder.decode(NarrativeDataset.Example.self, from: Data(line)) else {
                throw NarrativeError("\(name):\(index + 1): not a {\"prompt\", \"completion\"} line")
            }
            return example
        }
    }
}
