/// What a product's description says about it, in words a narrative can use: its colour,
/// material, the kind of object, the size of a set and an occasion. Read from the cleaned
/// upper-case description (`SET OF 3 WOODEN HEART DECORATIONS`), never invented: a word that is
/// not in the description never becomes an attribute.
public struct ProductAttributes: Equatable, Sendable {
    public var colour: String?
    public var material: String?
    /// The object, singular and lower-case (`cake stand`, `lantern`, `bag`).
    public var kind: String?
    /// Items in a set or pack (`SET OF 4`, `SET/6`, `PACK OF 12`, `12 PENCILS`).
    public var setSize: Int?
    public var occasion: Occasion?

    public enum Occasion: String, Sendable, CaseIterable {
        case christmas, easter, valentine, birthday, wedding, halloween, party, summer

        /// Months (1–12) in which this occasion is coming up: a Christmas item in autumn.
        public var leadMonths: ClosedRange<Int>? {
            switch self {
            case .christmas: 9...12
            case .easter: 2...4
            case .valentine: 1...2
            case .halloween: 9...10
            case .summer: 4...7
            case .birthday, .wedding, .party: nil
            }
        }
    }

    public init(colour: String? = nil, material: String? = nil, kind: String? = nil, setSize: Int? = nil,
                occasion: Occasion? = nil) {
        self.colour = colour
        self.material = material
        self.kind = kind
        self.setSize = setSize
        self.occasion = occasion
    }

    public init(description: String) {
        let words = Self.words(description)
        colour = words.lazy.compactMap { Self.colours[$0] }.first
        material = words.lazy.compactMap { Self.materials[$0] }.first
        kind = Self.kind(of: words)
        setSize = Self.setSize(of: words)
        occasion = words.lazy.compactMap { Self.occasions[$0] }.first
    }

    /// Upper-case words of a description, split at anything that is not a letter or digit.
    static func words(_ text: String) -> [String] {
        text.uppercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The last object noun of the description (its head noun: `HEART T-LIGHT HOLDER` is a holder),
    /// preferring two-word objects.
    private static func kind(of words: [String]) -> String? {
        for index in words.indices.reversed() {
            if index > 0, let pair = objects[words[index - 1] + " " + words[index]] { return pair }
            if let single = objects[words[index]] { return single }
        }
        return nil
    }

    private static func setSize(of words: [String]) -> Int? {
        for (index, word) in words.enumerated() where word == "SET" || word == "PACK" || word == "BOX" {
            var next = index + 1
            if next < words.count, words[next] == "OF" { next += 1 }
            if next < words.count, let size = Int(words[next]), (2...1000).contains(size) { return size }
        }
        // `12 PENCILS`, `60 CAKE CASES`: a leading count of a plural object.
        if let first = words.first, let size = Int(first), (2...1000).contains(size), words.count > 1 { return size }
        return nil
    }

    private static let colours: [String: String] = [
        "RED": "red", "PINK": "pink", "BLUE": "blue", "GREEN": "green", "WHITE": "white", "BLACK": "black",
        "IVORY": "ivory", "CREAM": "cream", "GOLD": "gold", "SILVER": "silver", "PURPLE": "purple",
        "ORANGE": "orange", "YELLOW": "yellow", "BROWN": "brown", "GREY": "grey", "TURQUOISE": "turquoise",
        "LILAC": "lilac", "AQUA": "aqua", "COPPER": "copper",
    ]

    private static let materials: [String: String] = [
        "WOODEN": "wooden", "WOOD": "wooden", "GLASS": "glass", "METAL": "metal", "ZINC": "zinc", "ENAMEL": "enamel",
        "CERAMIC": "ceramic", "PORCELAIN": "porcelain", "PAPER": "paper", "FELT": "felt", "WICKER": "wicker",
        "TIN": "tin", "LEATHER": "leather", "COTTON": "cotton", "LACE": "lace", "CHINA": "china", "BONE": "bone china",
        "JUTE": "jute", "RATTAN": "rattan", "CARDBOARD": "cardboard", "WIRE": "wire", "VELVET": "velvet",
    ]

    private static let occasions: [String: Occasion] = [
        "CHRISTMAS": .christmas, "XMAS": .christmas, "ADVENT": .christmas, "SANTA": .christmas, "REINDEER": .christmas,
        "EASTER": .easter, "BUNNY": .easter, "VALENTINE": .valentine, "BIRTHDAY": .birthday, "WEDDING": .wedding,
        "HALLOWEEN": .halloween, "PARTY": .party, "SUMMER": .summer, "PICNIC": .summer, "BEACH": .summer,
    ]

    private static let objects: [String: String] = [
        "CAKE STAND": "cake stand", "CAKESTAND": "cake stand", "T LIGHT": "tea light", "HOT WATER": "hot water bottle",
        "CUSHION COVER": "cushion cover", "LUNCH BOX": "lunch box", "LUNCH BAG": "lunch bag", "CAKE CASES": "cake case",
        "DOOR MAT": "door mat", "DOORMAT": "door mat", "PHOTO FRAME": "photo frame", "WATER BOTTLE": "water bottle",
        "SHOPPER": "shopper", "BOTTLE": "bottle",
        "BAG": "bag", "BAGS": "bag", "MUG": "mug", "MUGS": "mug", "CANDLE": "candle", "CANDLES": "candle", "HOLDER": "holder",
        "SIGN": "sign", "CUSHION": "cushion", "LANTERN": "lantern", "CLOCK": "clock", "FRAME": "frame", "BOX": "box",
        "BOXES": "box", "TIN": "tin", "TINS": "tin", "JAR": "jar", "BOWL": "bowl", "PLATE": "plate", "PLATES": "plate",
        "CUP": "cup", "CUPS": "cup", "TEAPOT": "teapot", "BUNTING": "bunting", "GARLAND": "garland", "WREATH": "wreath",
        "DECORATION": "decoration", "DECORATIONS": "decoration", "ORNAMENT": "ornament", "HOOK": "hook", "HOOKS": "hook",
        "NOTEBOOK": "notebook", "PENCILS": "pencil", "PENCIL": "pencil", "CARD": "card", "CARDS": "card", "WRAP": "gift wrap",
        "NAPKINS": "napkin", "TISSUES": "tissue", "PURSE": "purse", "UMBRELLA": "umbrella", "APRON": "apron",
        "DOORSTOP": "doorstop", "LAMP": "lamp", "LIGHTS": "light", "MIRROR": "mirror", "BASKET": "basket",
        "TRAY": "tray", "DISH": "dish", "VASE": "vase", "STICKERS": "sticker", "BUCKET": "bucket", "TOWEL": "towel",
        "BLANKET": "blanket", "CHARM": "charm", "NECKLACE": "necklace", "BRACELET": "bracelet", "EARRINGS": "earrings",
        "PEG": "peg", "PEGS": "peg", "STAND": "stand", "RACK": "rack", "DRAWER": "drawer", "CABINET": "cabinet",
        "GLOVES": "gloves", "SLIPPERS": "slippers", "BOOK": "book", "JIGSAW": "jigsaw", "TOY": "toy", "DOLL": "doll",
        "BALLOONS": "balloon", "HEART": "heart", "STAR": "star", "BELL": "bell", "BELLS": "bell",
    ]
}
