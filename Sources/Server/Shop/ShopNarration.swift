import Foundation
import Narrative
import Recommend
import Store

/// What `narrate=true` needs: the narrator's scheduler, and the fact sheets' source — each
/// customer's products and the catalogue, as the narrator's training examples were built.
public final class ShopNarration: @unchecked Sendable {
    public let scheduler: NarrationScheduler
    private let dataset: NarrativeDataset

    public init(narrator: Narrator, products: [Product], lines: [PurchaseLine], capacity: Int = 64) {
        scheduler = NarrationScheduler(narrator: narrator, capacity: capacity)
        dataset = NarrativeDataset(products: products, trainingLines: lines)
    }

    public var narrator: Narrator { scheduler.narrator }

    /// One served narrative per item, as each finishes (any order), with the item's index. A
    /// sheet that cannot become a prompt is served its fallback at once (as if nothing was written).
    func narratives(customer: Int, items: [RecommendedItem], voice: String?) throws
        -> AsyncThrowingStream<(index: Int, served: ServedNarrative), any Error> {
        let sheets = try dataset.sheets(customer: customer, items: items)
        let narrator = self.narrator
        let scheduler = self.scheduler
        let (stream, continuation) = AsyncThrowingStream<(index: Int, served: ServedNarrative), any Error>.makeStream()
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: (index: Int, served: ServedNarrative).self) { group in
                    for (index, sheet) in sheets.enumerated() {
                        group.addTask {
                            guard let prompt = try? narrator.promptTokens(for: sheet) else {
                                return (index, narrator.serve(generatedTokens: [], sheet: sheet))
                            }
                            let tokens = try await scheduler.generate(prompt: prompt, customer: customer, stockCode: sheet.item.stockCode,
                                                                      seed: 0, voice: voice,
                                                                      constraint: narrator.constraint(for: sheet))
                            return (index, narrator.serve(generatedTokens: tokens, sheet: sheet))
                        }
                    }
                    for try await narrative in group { continuation.yield(narrative) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
