import GPT
import Recommend
import Tokenizer
import XCTest
@testable import Narrative

final class SlotConstraintTests: XCTestCase {
    private let tokenizer = NarratorFixtures.tokenizer
    private let checker = GroundingChecker(catalogue: NarrativeFixtures.catalogue)
    /// Built once: it reads every token of the vocabulary.
    private static let vocabulary = SlotVocabulary(tokenizer: NarratorFixtures.tokenizer)

    private func sheet(_ reasons: [Reason]) throws -> FactSheet {
        let cakestand = NarrativeFixtures.cakestand
        return try NarrativeFixtures.sheet(item: RecommendedItem(stockCode: cakestand.stockCode, name: cakestand.name,
                                                                 price: cakestand.price, score: 1, reasons: reasons))
    }

    private func constraint(_ sheet: FactSheet, after text: String = "") -> SlotConstraint {
        var constraint = SlotConstraint(sheet: sheet, vocabulary: Self.vocabulary, checker: checker)
        for token in tokenizer.encode(text) { constraint.accept(token) }
        return constraint
    }

    /// The single token `text` encodes to (the test's premise about GPT-2's merges).
    private func token(_ text: String) throws -> Int {
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, 1, "\"\(text)\" is one GPT-2 token")
        return try XCTUnwrap(ids.first)
    }

    /// A row of zeros with `favourite` far above the rest, processed by `constraint`.
    private func processedRow(_ constraint: SlotConstraint, favouring favourite: [Int: Float]) -> [Float] {
        var row = [Float](repeating: 0, count: GPTConfig.gpt2VocabularySize)
        for (id, value) in favourite { row[id] = value }
        row.withUnsafeMutableBufferPointer { constraint.process(LogitRow(full: $0)) }
        return row
    }

    /// After ` <`, the slot name the model likes best is `with`: the mask removes it when the
    /// sheet has no bought-together reason (the argmax becomes a fillable slot) and keeps it
    /// when it has one.
    func testAnUnfillableSlotIsMaskedEvenWhenItIsTheArgmax() throws {
        let with = try token("with"), product = try token("product")
        let favourite: [Int: Float] = [with: 9, product: 5]
        let boughtBefore = processedRow(constraint(try sheet([.boughtBefore(times: 5)]), after: "The <"), favouring: favourite)
        XCTAssertEqual(boughtBefore[with], -.infinity)
        XCTAssertEqual(Sampler.argmax(boughtBefore), product)
        let boughtTogether = processedRow(constraint(try sheet([.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41)]),
                                                     after: "The <"), favouring: favourite)
        XCTAssertEqual(Sampler.argmax(boughtTogether), with)
        // Inside a slot only continuations of fillable names are left: no stray word, no stop.
        XCTAssertEqual(boughtBefore[try token(" the")], -.infinity)
        XCTAssertEqual(boughtBefore[GPT2Tokenizer.endOfText], -.infinity)
        // Outside a slot, an opener that would spell an unfillable slot in one token is masked too.
        let outside = processedRow(constraint(try sheet([.boughtBefore(times: 5)]), after: "The"), favouring: [:])
        XCTAssertEqual(outside[try token(" <")], 0, "an opener is allowed: fillable slots follow it")
        XCTAssertEqual(outside[try token("with")], 0, "the word with is plain text outside a slot")
    }

    /// End-of-text and line breaks wait for the product, the price and the first reason's
    /// evidence (the product bought together and the number of customers) and a finished sentence.
    func testNoStopBeforeTheRequiredSlotsAndAFinishedSentence() throws {
        let sheet = try sheet([.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41), .trending(orders30d: 120)])
        let newline = try token("\n")
        func stopsAllowed(after text: String) -> Bool {
            let row = processedRow(constraint(sheet, after: text), favouring: [:])
            XCTAssertEqual(row[GPT2Tokenizer.endOfText], row[newline], text)
            return row[GPT2Tokenizer.endOfText] == 0
        }
        XCTAssertFalse(stopsAllowed(after: ""))
        XCTAssertFalse(stopsAllowed(after: "The <product> is <price>."))
        XCTAssertFalse(stopsAllowed(after: "The <product> is <price>. It goes with the <with>."), "the customers are missing")
        XCTAssertFalse(stopsAllowed(after: "The <product> is <price>. <customers> bought it with the <with>"), "no finished sentence")
        XCTAssertTrue(stopsAllowed(after: "The <product> is <price>. <customers> bought it with the <with>."))
        XCTAssertFalse(stopsAllowed(after: "The <product> is <price>. <customers> bought it with the <with>. <orders"), "inside a slot")
        XCTAssertTrue(stopsAllowed(after: "The <product> is <price>. <customers> bought it with the <with>. <orders>!"))
        let done = constraint(sheet, after: "<customers> bought the <with> and the <product>, <price>.")
        XCTAssertTrue(done.hasStatedRequiredFacts)
    }

    /// A required fact is stated once: its slot, or another slot with the same value (`<to>` is
    /// the heart holder, which the bought-together reason already cites as `<with>`), is masked after it.
    func testASlotRepeatingAStatedFactIsMasked() throws {
        let sheet = try sheet([.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41),
                               .similar(to: NarrativeFixtures.heart.stockCode, cosine: 0.83)])
        XCTAssertEqual(NarrativeSlot.values(for: sheet)[.to], NarrativeSlot.values(for: sheet)[.with])
        let product = try token("product"), price = try token("price"), to = try token("to")
        let fresh = processedRow(constraint(sheet, after: "The <"), favouring: [:])
        XCTAssertEqual([fresh[product], fresh[price], fresh[to]], [0, 0, 0])
        let after = processedRow(constraint(sheet, after: "The <product> goes with your <with>. The <"), favouring: [:])
        XCTAssertEqual(after[product], -.infinity)
        XCTAssertEqual(after[to], -.infinity)
        XCTAssertEqual(after[price], 0)
    }

    /// A fact the narrative may state but need not (the second reason's 120 orders) is stated
    /// once too: the checker counts a repeat of it, so `<orders>` is masked after `<orders>`.
    func testASlotRepeatingAnOptionalFactIsMasked() throws {
        let sheet = try sheet([.boughtTogether(with: NarrativeFixtures.heart.stockCode, customers: 41), .trending(orders30d: 120)])
        let orders = try token("orders"), price = try token("price")
        let fresh = processedRow(constraint(sheet, after: "The <"), favouring: [:])
        XCTAssertEqual(fresh[orders], 0)
        let after = processedRow(constraint(sheet, after: "It had <orders> in the last 30 days. The <"), favouring: [:])
        XCTAssertEqual(after[orders], -.infinity)
        XCTAssertEqual(after[price], 0)
        XCTAssertFalse(constraint(sheet, after: "It had <orders> orders.").hasStatedRequiredFacts, "an optional fact is not a required one")
    }

    /// An adversary that prefers end-of-text, then ` <with>`, then the other slots: under the
    /// constraint, greedy decoding writes a narrative the filler and the checker both accept.
    func testAnAdversarialModelStillWritesAServableNarrative() throws {
        let narrator = try NarratorFixtures.int8Narrator()
        for reasons: [Reason] in [[.boughtBefore(times: 5)], [.similar(to: NarrativeFixtures.lantern.stockCode, cosine: 0.8)], [.popular(customers: 90)]] {
            let sheet = try sheet(reasons)
            let preferred = [GPT2Tokenizer.endOfText] + tokenizer.encode(" <with>. <customers>. <product>. <price>. <times>. <to>. <buyers>.")
            var favourite: [Int: Float] = [:]
            for (rank, id) in preferred.enumerated() where favourite[id] == nil { favourite[id] = Float(100 - rank) }
            var constraint = try XCTUnwrap(narrator.constraint(for: sheet))
            var sampler = try narrator.sampler(customer: 1, stockCode: sheet.item.stockCode, seed: 0, parameters: .greedy)
            var tokens: [Int] = []
            var stopped = false
            for _ in 0..<40 {
                var row = [Float](repeating: 0, count: GPTConfig.gpt2VocabularySize)
                for (id, value) in favourite { row[id] = value }
                let next = row.withUnsafeMutableBufferPointer { row in
                    constraint.process(LogitRow(full: row))
                    return sampler.next(logits: UnsafeBufferPointer(row), history: [])
                }
                constraint.accept(next)
                if narrator.stopTokens.contains(next) {
                    stopped = true
                    break
                }
                tokens.append(next)
            }
            let text = narrator.delexicalised(tokens)
            XCTAssertTrue(stopped, "\(reasons): \(text)")
            XCTAssertFalse(text.contains("<with>") || text.contains("<customers>"), text)
            let served = narrator.serve(generatedTokens: tokens, sheet: sheet)
            XCTAssertFalse(served.isFallback, "\(text): \(served.problems)")
        }
    }
}
