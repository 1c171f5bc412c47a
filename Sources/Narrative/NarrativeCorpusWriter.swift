import Recommend
import Tensor

/// Writes the delexicalised completions a narrator is trained on: one to three sentences per
/// recommendation, from many frames per reason kind, with the product's own attributes
/// (colour, material, kind, set size, an occasion that is coming up) and the price always in
/// it. Every frame uses only slots the sheet can fill, so each completion fills exactly.
public struct NarrativeCorpusWriter {
    public private(set) var generator: SeededGenerator

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// One delexicalised narrative for `sheet` in `voice`, e.g. `"<customers> who bought the
    /// <with> also took the <product>. Yours for <price>."`.
    public mutating func completion(for sheet: FactSheet, voice: NarrativeVoice = .narrator) -> String {
        let available = Set(NarrativeSlot.values(for: sheet).keys)
        if voice == .brief { return pick(Self.briefFrames(sheet.item.reasons.first), available) }
        var sentences: [String] = []
        let reasons = sheet.item.reasons
        if let primary = reasons.first {
            sentences.append(pick(Self.leadFrames(primary), available))
        } else {
            sentences.append(pick(Self.plainLeads, available))
        }
        // A second reason of another kind (two of one kind would name the same slot twice).
        if reasons.count > 1, reasons[1].kind != reasons[0].kind, next(2) == 0 {
            sentences.append(pick(Self.supportFrames(reasons[1]), available))
        }
        let attributeSentence = seasonalOrAttributeSentence(sheet, available)
        let priceSentence = pick(Self.priceSentences, available)
        if let attributeSentence, sentences.count < 2 || next(3) == 0 {
            // The price rides in the attribute sentence or after it: never more than three sentences.
            if sentences.count == 2 {
                sentences.append(String(attributeSentence.dropLast()) + pick(Self.priceClauses, available))
            } else {
                sentences.append(attributeSentence)
                sentences.append(priceSentence)
            }
        } else if next(2) == 0 {
            sentences[sentences.count - 1] = String(sentences[sentences.count - 1].dropLast()) + pick(Self.priceClauses, available)
        } else {
            sentences.append(priceSentence)
        }
        return sentences.joined(separator: " ")
    }

    private mutating func seasonalOrAttributeSentence(_ sheet: FactSheet, _ available: Set<NarrativeSlot>) -> String? {
        if sheet.occasionIsSeasonal { return pick(Self.seasonalSentences, available) }
        let usable = Self.attributeSentences.filter { Self.slots(in: $0).isSubset(of: available) }
        return usable.isEmpty || next(2) == 0 ? nil : usable[next(usable.count)]
    }

    /// A random frame among those whose slots are all available (the lists always hold one
    /// that needs only `<product>` and `<price>` or the reason's own slots).
    private mutating func pick(_ frames: [String], _ available: Set<NarrativeSlot>) -> String {
        let usable = frames.filter { Self.slots(in: $0).isSubset(of: available) }
        precondition(!usable.isEmpty, "no frame fits the slots \(available)")
        return usable[next(usable.count)]
    }

    private mutating func next(_ bound: Int) -> Int { generator.nextInt(below: bound) }

    static func slots(in frame: String) -> Set<NarrativeSlot> {
        var found: Set<NarrativeSlot> = []
        var rest = Substring(frame)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            if let slot = NarrativeSlot(rawValue: String(rest[rest.index(after: open)..<close])) { found.insert(slot) }
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    // MARK: Frames

    static func leadFrames(_ reason: Reason) -> [String] {
        switch reason {
        case .boughtTogether: [
            "<customers> who bought the <with> also took the <product>.",
            "You picked up the <with>; <customers> who did the same came back for the <product>.",
            "The <product> goes with your <with>: <customers> bought both.",
            "Shoppers who love the <with> keep adding the <product> to their order, <customers> so far.",
            "Since you have the <with>, the <product> is a natural partner; <customers> thought so too.",
            "<customers> who chose the <with> paired it with the <product>.",
            "Your <with> has a favourite companion: <customers> also bought the <product>.",
            "Fans of the <with> often reach for the <product> next, <customers> of them to date.",
            "Bought the <with>? So did <customers> who then added the <product>.",
            "The <product> and your <with> travel together in the baskets of <customers>.",
            "Customers who picked the <with>, <customers> in all, also took home the <product>.",
            "Complete your <with> with the <product>, a pairing <customers> chose.",
            "With the <with> in your basket, the <product> follows: <customers> did just that.",
            "The <with> you bought is often joined by the <product>, as <customers> found.",
        ]
        case .similar: [
            "If you liked the <to>, the <product> is in the same spirit.",
            "The <product> is a close cousin of your <to>, a <similarity> match.",
            "Much like the <to> you bought, the <product> should suit you.",
            "The <product> shares the look of your <to>.",
            "You chose the <to>; the <product> is its nearest neighbour in our range, <similarity> alike.",
            "Here is something close to your <to>: the <product>.",
            "A good match for the <to> on your list: the <product>.",
            "For another take on the <to>, try the <product>.",
        ]
        case let .boughtBefore(times) where times >= 3: [
            "You have ordered the <product> <times> before.",
            "Time to restock? You have bought the <product> <times>.",
            "The <product> is one of your regulars: <times> so far.",
            "Running low on the <product>? You have picked it up <times>.",
            "An old favourite: you have ordered the <product> <times>.",
            "Your <product> again, which you have bought <times> already.",
            "You keep coming back for the <product>, <times> to date.",
            "The <product> never stays long in your basket: <times> so far.",
            "A staple for you: the <product>, bought <times>.",
            "You know the <product> well, having ordered it <times>.",
            "Stock up on the <product> again; you have bought it <times>.",
        ]
        // Once or twice is not yet a habit.
        case .boughtBefore: [
            "You have ordered the <product> <times> before.",
            "Time to restock? You have bought the <product> <times>.",
            "Running low on the <product>? You have picked it up <times>.",
            "You tried the <product> <times>; here it is again.",
            "Liked the <product>? You have bought it <times> so far.",
            "Back for more? You have picked up the <product> <times> already.",
            "The <product> again: you have ordered it <times>.",
            "You have had the <product> <times>, and it is ready when you are.",
            "Still on your list: the <product>, bought <times> so far.",
            "Another round of the <product>? You bought it <times> before.",
        ]
        case .trending: [
            "The <product> is flying off the shelves: <orders> in the last 30 days.",
            "Everyone is after the <product> right now, with <orders> this month.",
            "The <product> is trending, <orders> in the past 30 days.",
            "Popular this month: the <product>, with <orders> in 30 days.",
            "<orders> in the last 30 days make the <product> one of our busiest lines.",
            "Catch the <product> while it is hot: <orders> in the last month.",
        ]
        case .popular: [
            "The <product> is a shop favourite, bought by <buyers>.",
            "<buyers> have already taken home the <product>.",
            "A best seller: the <product>, chosen by <buyers>.",
            "Tried and trusted, the <product> has won over <buyers>.",
            "Join the <buyers> who picked the <product>.",
            "The <product> is one of our most loved lines, with <buyers>.",
        ]
        }
    }

    /// Shorter second sentences for a second reason.
    static func supportFrames(_ reason: Reason) -> [String] {
        switch reason {
        case .boughtTogether: [
            "It pairs well with your <with>, as <customers> found.",
            "<customers> who bought the <with> agree.",
            "It also goes with the <with>: <customers> bought both.",
        ]
        case .similar: [
            "It is also close to the <to> you chose.",
            "It is in the same style as your <to>.",
            "It matches your <to>, <similarity> alike.",
        ]
        case .boughtBefore: [
            "You have bought it <times> before.",
            "You have ordered it <times> already.",
            "You have ordered it <times>.",
        ]
        case .trending: [
            "It is trending too, with <orders> in the last 30 days.",
            "Right now it is popular: <orders> this month.",
            "It has had <orders> in the last 30 days.",
        ]
        case .popular: [
            "<buyers> have bought it.",
            "It is a favourite of <buyers>.",
            "It has been chosen by <buyers>.",
        ]
        }
    }

    static let plainLeads = [
        "We think you will like the <product>.",
        "Picked for you: the <product>.",
        "Have a look at the <product>.",
    ]

    static let attributeSentences = [
        "A <colour> <kind> that brightens any shelf.",
        "This <material> <kind> is made to last.",
        "It comes as a <set>, so there is one for every corner.",
        "The <colour> finish is a favourite with our customers.",
        "A handy <kind> in <material>.",
        "A <set> makes it easy to share.",
        "Made in <material>, it feels as good as it looks.",
        "Perfect for <occasion>.",
        "In <colour>, it is easy to place.",
        "A <colour> <material> <kind>, simple and charming.",
    ]

    static let seasonalSentences = [
        "Just in time for <occasion>.",
        "<occasion> is around the corner, so now is the moment.",
        "Get ready for <occasion> with this one.",
        "Stock up before <occasion> arrives.",
    ]

    static let priceSentences = [
        "Yours for <price>.",
        "It costs <price>.",
        "All for <price>.",
        "Just <price> each.",
        "At <price>, it is an easy add.",
        "The price: <price>.",
        "Only <price>.",
        "You can have it for <price>.",
    ]

    /// A price as the end of a sentence (replacing its full stop).
    static let priceClauses = [
        ", for <price>.",
        ", yours for <price>.",
        ", at just <price>.",
        " (<price>).",
        ", only <price>.",
    ]
}
