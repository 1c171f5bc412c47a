import Recommend

/// The narrator voice's sentence frames. `{a|b|c}` is a choice and `{@name}` one of the shared
/// word lists (`NarrativeLexicon.swift`), each drawn independently of every other, so a frame
/// stands for many wordings and a narrative is composed from independent parts (opening,
/// evidence, the customer's own product, attribute or season, price): the corpus then has
/// almost no two equal completions, and a model trained on it has no handful of whole texts to
/// copy. Frames never hold a digit, "once" or "twice" (the checker would take them for facts),
/// and a slot never starts a sentence when its value is lower-case.
extension NarrativeCorpusWriter {
    /// A sentence stating `reason` with the product; the first sentence of a narrative.
    static func leadFrames(_ reason: Reason) -> [String] {
        switch reason {
        case .boughtTogether: [
            "<customers> who {@boughtPast} the <with> {@alsoTook} the <product>.",
            "You {@boughtPast} the <with>; <customers> who did the same {@alsoTook} the <product>.",
            "The <product> {@pairsWith} your <with>: <customers> {@boughtPast} both.",
            "{Shoppers|Customers|People|Buyers} who {love|bought|chose|picked} the <with> {keep adding|often add|also add} the <product>, <customers> {@soFar}.",
            "Since you have the <with>, the <product> is a {@nice} {@companion}; <customers> {@agree}.",
            "Your <with> has a {@nice} {@companion}: <customers> {@alsoTook} the <product>.",
            "{Bought|Got|Picked up|Ordered} the <with>? So did <customers> who then {@alsoTook} the <product>.",
            "The <product> and the <with> {travel together|go together|turn up together|sit side by side} in the baskets of <customers>.",
            "{Complete|Round off|Finish|Pair} your <with> with the <product>, {a pairing|a match|a combination|a choice} <customers> {made|liked|backed}.",
            "{Paired with|Next to|Alongside|Together with} the <with>, the <product> {won over|suited|pleased|convinced} <customers>.",
            "<customers> {put|placed|had|kept} the <product> in the same basket as the <with>.",
            "{Love|Like|Enjoying|Happy with} your <with>? <customers> who {@boughtPastIt} it {@alsoTook} the <product>.",
        ]
        case .similar: [
            "If you {@liked} the <to>, the <product> is {@similarTo} it.",
            "The <product> is {@similarTo} your <to>{|, a <similarity> match}.",
            "{Much like|Just like|Rather like|Not unlike} the <to> you {@boughtPast}, the <product> should {suit|please|delight} you.",
            "The <product> {shares the look of|has the feel of|echoes|recalls} your <to>.",
            "You {@boughtPast} the <to>; the <product> is {its nearest neighbour|its closest match|the next best thing} in our range{|, <similarity> alike}.",
            "{Here is|We found|There is} something {close to|much like|akin to|in the spirit of|in the style of|in tune with} your <to>: the <product>.",
            "{A @nice|A fine|A natural|A neat} match for the <to> on your list: the <product>.",
            "For another take on the <to>, {@look} the <product>.",
        ]
        case let .boughtBefore(times) where times >= 3: everyFrequency + [
            "The <product> is one of your {regulars|staples|usuals}: <times> {@soFar}.",
            "{An old favourite|A staple for you|A regular of yours|A firm favourite|One of your classics}: the <product>, {@boughtAdj} <times>.",
            "You keep coming back for the <product>, <times> {@soFar}.",
            "The <product> never stays long {in your basket|on your shelf|in your home|in the cupboard}: <times> {@soFar}.",
            "You know the <product> well, having {@boughtIt} it <times>.",
            "{@youLike} the <product>: <times> {@soFar}.",
            "{Stock up|Top up|Restock} on the <product> again; you have {@boughtIt} it <times>.",
        ]
        // Once or twice is not yet a habit.
        case .boughtBefore: everyFrequency + [
            "You tried the <product> <times>; {@isBack}.",
            "{Liked|Enjoyed|Happy with|Pleased with} the <product>? You have {@boughtIt} it <times> {@soFar}.",
            "{Another look at|Back to|Still thinking of|Remember} the <product>, which you have {@boughtIt} <times>?",
        ]
        case .trending: [
            "The <product> is {@popularNow}: <orders> in the last 30 days.",
            "{Plenty of people|Many shoppers|Lots of people} {are after|want|went for|chose} the <product> {right now|lately|this month}, with <orders> in the last 30 days.",
            "The <product> is trending, <orders> in the {past|last} 30 days.",
            "{Popular|Busy|Hot|Wanted} this month: the <product>, with <orders> in 30 days.",
            "<orders> in the last 30 days make the <product> one of our {busiest|liveliest|quickest|most wanted} lines.",
            "{Catch|Grab|Get|Pick up} the <product> while it is {@popularNow}: <orders> in the last 30 days.",
        ]
        case .popular: [
            "The <product> is a shop favourite, {@manyChose} <buyers>.",
            "<buyers> have already {@bought} the <product>.",
            "A best seller: the <product>, {@manyChose} <buyers>.",
            "{Tried and trusted|Well loved|Much loved|Widely liked}, the <product> has won over <buyers>.",
            "Join the <buyers> who {@boughtPast} the <product>.",
            "The <product> is one of our most {loved|bought|popular|ordered} lines, {@manyChose} <buyers>.",
        ]
        }
    }

    /// Bought-before leads that read right for any count. A question is a sentence of its own
    /// here only when the evidence follows in the same frame.
    private static let everyFrequency = [
        "You have {@bought} the <product> <times> {@soFar}.",
        "{@restockQuestion} You have {@bought} the <product> <times>.",
        "{@restockQuestion} The <product>, {@boughtAdj} <times> {@soFar}, {is back|is here again|is ready}.",
        "{Running low on|Out of|Short of|Nearly out of} the <product>? You have {@boughtIt} it <times>.",
        "The <product> again: you have {@boughtIt} it <times> {@soFar}.",
        "You have had the <product> <times>, and {@isBack}.",
        "{Still|Back|Top} on your list: the <product>, {@boughtAdj} <times> {@soFar}.",
        "{Another round|A fresh supply|More|A new batch} of the <product>? You {@boughtPastIt} it <times>{@before}.",
        "{We see|We noticed|It looks like|We know} you have {@bought} the <product> <times>.",
        "{Your|The} <product>, {@boughtAdj} <times> {@soFar}, {is back|is here again|is ready for you|awaits}.",
        "{Again|Back} for your basket: the <product>, which you have {@boughtIt} <times>.",
    ]

    /// A second sentence stating `reason` about a product already named ("it").
    static func supportFrames(_ reason: Reason) -> [String] {
        switch reason {
        case .boughtTogether: [
            "It {@pairsWith} your <with>, as <customers> found.",
            "<customers> who {@boughtPast} the <with> {@agree}.",
            "It also {@pairsWith} the <with>: <customers> {@boughtPast} both.",
            "{Fans|Buyers|Owners} of the <with> {like|love|want|choose} it too, <customers> of them.",
            "With the <with> it {won over|suited|pleased|convinced} <customers>.",
            "<customers> {have paired|have matched|have combined|have teamed} it with the <with> {@soFar}.",
        ]
        case .similar: [
            "It is also {@similarTo} the <to> you {@boughtPast}.",
            "It is {@similarTo} your <to>.",
            "It {matches|echoes|recalls} your <to>{|, <similarity> alike}.",
            "{Think of|Picture|See} it as a {@companion} to your <to>.",
        ]
        case .boughtBefore: [
            "You have {@boughtIt} it <times> {@soFar}.",
            "{It has been|It was} in your basket <times> {@soFar}.",
            "You {@boughtPastIt} it <times>{@before}.",
            "Your orders have had it <times> {@soFar}.",
        ]
        case .trending: [
            "It is trending too, with <orders> in the last 30 days.",
            "{Right now|This month|Lately} it is {@popularNow}: <orders> in the last 30 days.",
            "It has had <orders> in the {last|past} 30 days.",
        ]
        case .popular: [
            "<buyers> have {@boughtIt} it.",
            "It is {@manyChose} <buyers>.",
            "It has been {chosen|picked|bought} by <buyers>.",
        ]
        }
    }

    static let plainLeads = [
        "We think you will {like|enjoy|love} the <product>.",
        "{Picked|Chosen|Found|Selected} for you: the <product>.",
        "{@look} the <product>.",
    ]

    /// An opening naming one of the customer's own recent products (`<recent>`): what makes two
    /// customers' narratives differ.
    static let recentOpenings = [
        "{After|Following} your <recent>, {here is|this is} {a natural next step|a good next pick|another idea|something new}.",
        "{Thanks|Thank you} for {your recent|the} <recent> order.",
        "{We know|We can tell|We see|It seems} you like the <recent>.",
        "{Picked|Chosen|Found|Selected} with your <recent> in mind.",
        "You {@boughtPast} the <recent> {@lately}.",
    ]

    /// The same after the evidence, about the product already named ("it").
    static let recentSentences = [
        "It would sit {well|nicely|happily} {next to|beside|with|alongside} the <recent> you {@boughtPast} {@lately}.",
        "{A @nice|A fine|A handy|A good} {@companion} for your <recent>{| too}.",
        "It {@pairsWith} the <recent> you {@boughtPast} {@lately}.",
        "Your <recent> {would welcome|could use|would like} {the company|a @companion}.",
        "{Add|Put|Place|Keep} it {next to|beside|with} your <recent>.",
    ]

    /// Sentences naming two more of the customer's own products (`<earlier>`, `<another>`, or
    /// one of them with `<recent>`), about the product already named ("it").
    static let ownProductSentences = [
        "It {would sit well|belongs|fits right in|would look at home} {beside|with|next to|among} your <earlier> and <another>.",
        "{From|Judging by|Going by|Seeing} your <earlier> and <another>, {it should suit you|we think it fits|it is your kind of thing|you will like it}.",
        "{Your|The} <earlier> and <another> {would welcome|could use|would like} {the company|a @companion}.",
        "It {@pairsWith} the <earlier> {and|or} the <another> you {@boughtPast}.",
        "You {@boughtPast} the <earlier> and the <another>{@before}; it {@pairsWith} both.",
        "{Add|Put|Place|Keep} it {next to|beside|with} your <earlier> or your <another>.",
        "{A @nice|A fine|A handy|A good} {@companion} for the <earlier> and <another> you {@boughtPast}.",
        "It {@pairsWith} your <recent> and the <earlier> {you @boughtPast|from an earlier order|from your past orders}.",
        "{With|Beside|Next to} your <recent> and <earlier>, it {fits right in|makes a set|completes the look}.",
        "It {@pairsWith} the <earlier> you {@boughtPast}{@before}.",
        "{Think of|Picture} it {next to|beside|with} your <earlier>.",
    ]

    /// Sentences from the description's attributes.
    static let attributeSentences = [
        "{A|This} <colour> <kind> {@cheer}.",
        "This <material> <kind> is {@made}.",
        "It comes as a <set>, so there is {one for every corner|plenty to go round|enough to share|one to spare}.",
        "The <colour> {finish|colour|shade|tone} {@cheer}.",
        "A {handy|pretty|sturdy|charming|practical} <kind> in <material>.",
        "A <set> {makes it easy to share|goes a long way|covers every need|is ready to share}.",
        "Made in <material>, it {feels as good as it looks|wears well|is @made}.",
        "{Perfect|Just right|Lovely|Ideal|Made} for <occasion>.",
        "In <colour>, it {is easy to place|is a cheerful touch|@cheer}.",
        "A <colour> <material> <kind>, {simple and charming|plain and pretty|quietly smart|easy to love}.",
        "{Its|The} <material> {finish|build|body} {feels right|looks smart|is @made}.",
    ]

    /// Sentences for an occasion that is coming up.
    static let seasonalSentences = [
        "Just in time for <occasion>.",
        "With <occasion> {@soon}, now is the moment.",
        "{@ready} for <occasion> with this one.",
        "{Stock up|Shop early|Be ready} before <occasion> {arrives|comes|is here}.",
    ]

    static let priceSentences = [
        "{@priceIntro} <price>{@priceEnd}.",
        "At <price>, it is an easy {add|choice|pick|yes}.",
        "The price: <price>{@priceEnd}.",
        "You can have it for <price>{@priceEnd}.",
        "{Today|Right now|At the moment} it is <price>{@priceEnd}.",
    ]

    /// A price as the end of a sentence (replacing its full stop).
    static let priceClauses = [
        "{@priceClause} <price>{@priceEnd}.",
        " (<price>{@priceEnd}).",
    ]
}
