import Recommend

/// The styles a narrator writes in. Every voice uses the same slots and the same fact sheet as
/// its prompt, so a voice is only a LoRA adapter on one narrator model, chosen per request.
public enum NarrativeVoice: String, CaseIterable, Sendable {
    /// One to three sentences: the reason, the product's attributes or season, the price.
    case narrator
    /// One short sentence for a phone screen: the product, its price and the first reason's
    /// evidence, nothing else.
    case brief
}

extension NarrativeCorpusWriter {
    /// Brief frames per reason kind. Each names the product, the price and everything the
    /// grounding checker requires of the reason (both `<with>` and `<customers>` for bought-
    /// together), so a brief narrative is as complete as a long one.
    static func briefFrames(_ reason: Reason?) -> [String] {
        switch reason {
        case .boughtTogether: [
            "<product>, <price>: <customers> bought it with the <with>.",
            "Goes with your <with>: the <product>, <price>, bought together by <customers>.",
            "<customers> pair the <with> with the <product>, <price>.",
            "Add the <product> to your <with> for <price>, like <customers>.",
            "The <product> (<price>) joins the <with> in the baskets of <customers>.",
            "<customers> bought the <product> (<price>) alongside the <with>.",
            "The <product>, <price>, a favourite of <customers> with the <with>.",
            "Pairs with your <with>: the <product>, <price>, as <customers> agree.",
        ]
        case .similar: [
            "Like your <to>: the <product>, <price>.",
            "The <product>, <price>, close to your <to>.",
            "Similar to the <to>: the <product> at <price>.",
            "More like the <to>: the <product> for <price>.",
            "If you loved the <to>, try the <product>, <price>.",
        ]
        case .boughtBefore: [
            "Restock the <product>, bought <times>, for <price>.",
            "The <product> again, bought <times> before, for <price>.",
            "Your <product>, ordered <times>, is <price>.",
            "Bought <times> already: the <product>, <price>.",
            "Another <product> for <price>, after ordering it <times>.",
            "Restock: the <product> at <price>, ordered <times>.",
            "Ordered <times> before, the <product> is <price>.",
            "For your next order: the <product>, bought <times>, <price>.",
        ]
        case .trending: [
            "Trending: the <product>, <orders> in the last 30 days, <price>.",
            "The <product> at <price>, with <orders> in the last 30 days.",
            "Hot right now: the <product> (<price>), <orders> in the last 30 days.",
        ]
        case .popular: [
            "The <product>, <price>, loved by <buyers>.",
            "Chosen by <buyers>: the <product>, <price>.",
            "A best seller with <buyers>: the <product> at <price>.",
        ]
        case nil: [
            "Picked for you: the <product>, <price>.",
            "Try the <product>, just <price>.",
        ]
        }
    }
}
