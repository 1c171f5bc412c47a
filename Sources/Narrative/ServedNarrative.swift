import Recommend
import Store

/// The narrative a response carries: the generated one when it passes the grounding check,
/// otherwise a plain template sentence, flagged as a fallback with the reasons.
public struct ServedNarrative: Equatable, Sendable {
    public var text: String
    public var isFallback: Bool
    /// Why the generated narrative was not served (empty when it was).
    public var problems: [String]

    /// Fills `delexicalised` from `sheet`, checks the result with `checker`, and serves it or the
    /// fallback. The fallback is built from the same facts and is itself grounded.
    public static func serve(_ delexicalised: String, sheet: FactSheet, checker: GroundingChecker) -> ServedNarrative {
        let problems: [String]
        do {
            let text = try NarrativeSlot.fill(delexicalised, sheet: sheet)
            let report = checker.check(text, item: sheet.item, history: sheet.history)
            if report.passes { return ServedNarrative(text: text, isFallback: false, problems: []) }
            problems = report.problems
        } catch {
            problems = ["\(error)"]
        }
        return ServedNarrative(text: fallback(for: sheet), isFallback: true, problems: problems)
    }

    /// The plain sentence for `sheet`: its product, price and first reason, nothing else.
    public static func fallback(for sheet: FactSheet) -> String {
        let template = switch sheet.item.reasons.first {
        case .boughtTogether: "<customers> who bought the <with> also bought the <product> (<price>)."
        case .similar: "The <product> (<price>) is similar to your <to>."
        case .boughtBefore: "You have bought the <product> <times> before; it is <price>."
        case .trending: "The <product> (<price>) had <orders> in the last 30 days."
        case .popular: "The <product> (<price>) has been bought by <buyers>."
        case nil: "The <product> is <price>."
        }
        // Every slot of these templates has a value whenever its reason is present.
        return (try? NarrativeSlot.fill(template, sheet: sheet)) ?? "\(sheet.item.name), \(FactSheet.formatPrice(sheet.item.price))."
    }
}
