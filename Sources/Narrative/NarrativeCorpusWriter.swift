import Recommend
import Tensor

/// Writes the delexicalised completions a narrator is trained on: one to three sentences per
/// recommendation, composed from independent parts — the first reason's evidence (sometimes
/// after another reason's sentence), one of the customer's own recent products, the product's
/// attributes or an occasion that is coming up, and always the price — each drawn from many
/// frames whose wordings vary independently (`NarrativeFrames.swift`). Every part uses only
/// slots the sheet can fill and never states a number twice, so each completion fills exactly.
public struct NarrativeCorpusWriter {
    public private(set) var generator: SeededGenerator

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// One delexicalised narrative for `sheet` in `voice`, e.g. `"<customers> who bought the
    /// <with> also took the <product>. Yours for <price>."`.
    public mutating func completion(for sheet: FactSheet, voice: NarrativeVoice = .narrator) -> String {
        let available = Set(NarrativeSlot.values(for: sheet).keys)
        if voice == .brief { return expand(pick(Self.briefFrames(sheet.item.reasons.first), available)) }
        var composition = Composition(sheet: sheet, available: available)
        let reasons = sheet.item.reasons
        guard let primary = reasons.first else {
            composition.append(expand(pick(Self.plainLeads, available)))
            return finish(&composition, sheet: sheet)
        }
        // A second reason of another kind that neither names the same product nor repeats a number.
        let secondary = reasons.dropFirst().first { reason in
            reason.kind != primary.kind && reason.citedStockCode != primary.citedStockCode
                && Set(reason.numbers).isDisjoint(with: primary.numbers)
        }.flatMap { next(2) == 0 ? $0 : nil }
        if let secondary, next(3) == 0 {
            // The other reason first, the required evidence after it.
            composition.append(expand(pick(Self.leadFrames(secondary), available)))
            composition.append(expand(pick(Self.supportFrames(primary), available)))
        } else {
            if secondary == nil, available.contains(.recent), next(4) == 0 { composition.append(expand(pick(Self.recentOpenings, available))) }
            composition.append(expand(pick(Self.leadFrames(primary), available)))
            if let secondary { composition.append(expand(pick(Self.supportFrames(secondary), available))) }
        }
        return finish(&composition, sheet: sheet)
    }

    /// Adds the customer's product, an attribute or the season, and the price, within three sentences.
    private mutating func finish(_ composition: inout Composition, sheet: FactSheet) -> String {
        if sheet.occasionIsSeasonal, composition.sentences.count < 3 {
            composition.append(expand(pick(Self.seasonalSentences, composition.available)))
        }
        // The customer's other products most of the time: the part no two customers share.
        if composition.sentences.count < 3, next(4) != 0 {
            let usable = Self.ownProductSentences.filter { composition.fits($0) }
            if !usable.isEmpty { composition.append(expand(usable[next(usable.count)])) }
        }
        var extras: [[String]] = []
        if composition.available.contains(.recent) && !composition.uses(.recent) { extras.append(Self.recentSentences) }
        if !sheet.occasionIsSeasonal { extras.append(Self.attributeSentences) }
        for frames in extras.shuffled(using: &generator) where composition.sentences.count < 3 && next(2) == 0 {
            let usable = frames.filter { composition.fits($0) }
            if !usable.isEmpty { composition.append(expand(usable[next(usable.count)])) }
        }
        if !composition.uses(.price) {
            let last = composition.sentences.count - 1
            if composition.sentences.count == 3 || (composition.sentences[last].hasSuffix(".") && next(3) == 0) {
                if composition.sentences[last].hasSuffix(".") {
                    composition.sentences[last] = String(composition.sentences[last].dropLast()) + expand(pick(Self.priceClauses, composition.available))
                } else {
                    composition.sentences[last] += " " + expand(pick(Self.priceSentences, composition.available))
                }
            } else {
                composition.append(expand(pick(Self.priceSentences, composition.available)))
            }
        }
        return composition.sentences.joined(separator: " ")
    }

    /// A random frame among those whose slots are all available (the lists always hold one
    /// that needs only `<product>` and `<price>` or the reason's own slots).
    private mutating func pick(_ frames: [String], _ available: Set<NarrativeSlot>) -> String {
        let usable = frames.filter { Self.slots(in: $0).isSubset(of: available) }
        precondition(!usable.isEmpty, "no frame fits the slots \(available)")
        return usable[next(usable.count)]
    }

    /// The frame with each `{a|b|c}` replaced by one of its choices, and each `@name` in the
    /// chosen text by one of `lexicon[name]`, all drawn independently.
    mutating func expand(_ frame: String) -> String {
        var result = ""
        var rest = Substring(frame)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let choices = rest[rest.index(after: open)..<close].split(separator: "|", omittingEmptySubsequences: false)
            result += lexicalised(choices[next(choices.count)])
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    private mutating func lexicalised(_ choice: Substring) -> String {
        guard let at = choice.firstIndex(of: "@") else { return String(choice) }
        let name = choice[choice.index(after: at)...].prefix { $0.isLetter }
        guard let words = Self.lexicon[String(name)] else { preconditionFailure("no word list @\(name)") }
        return String(choice[..<at]) + words[next(words.count)] + lexicalised(choice[name.endIndex...])
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
}

/// The sentences of one narrative so far, and the slots and numbers they state: an optional
/// part fits only if its slots can be filled, none is used yet, and it states no number already
/// stated (a set of 3 and "bought 3 times" would be read as one fact said twice).
private struct Composition {
    let sheet: FactSheet
    let available: Set<NarrativeSlot>
    var sentences: [String] = []
    private var usedSlots: Set<NarrativeSlot> = []
    private var stated: Set<Int> = []

    init(sheet: FactSheet, available: Set<NarrativeSlot>) {
        self.sheet = sheet
        self.available = available
    }

    func uses(_ slot: NarrativeSlot) -> Bool { usedSlots.contains(slot) }

    func fits(_ frame: String) -> Bool {
        let slots = NarrativeCorpusWriter.slots(in: frame)
        return slots.isSubset(of: available) && slots.isDisjoint(with: usedSlots)
            && Set(slots.flatMap(numbers)).isDisjoint(with: stated)
    }

    mutating func append(_ sentence: String) {
        let slots = NarrativeCorpusWriter.slots(in: sentence)
        usedSlots.formUnion(slots)
        stated.formUnion(slots.flatMap(numbers))
        sentences.append(sentence)
    }

    /// The numbers a slot's value states: its reason's (the first of its kind, as `NarrativeSlot`
    /// fills it) or the set size.
    private func numbers(_ slot: NarrativeSlot) -> [Int] {
        if slot == .set { return sheet.attributes.setSize.map { [$0] } ?? [] }
        let kind: String? = switch slot {
        case .customers: "bought-together"
        case .similarity: "similar"
        case .times: "bought-before"
        case .orders: "trending"
        case .buyers: "popular"
        case .product, .price, .with, .to, .recent, .earlier, .another, .colour, .material, .kind, .occasion, .set: nil
        }
        return sheet.item.reasons.first { $0.kind == kind }?.numbers ?? []
    }
}
