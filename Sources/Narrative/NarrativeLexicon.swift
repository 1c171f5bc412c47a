/// The word choices frames share: `{@bought}` in a frame is one of `lexicon["bought"]`, drawn
/// independently of every other choice. Distinct-2 over a page of narratives is mostly decided
/// by how often two of them put the same two words side by side; with a handful of wordings a
/// corpus of thousands of narratives repeats its bigrams endlessly (the product names repeat
/// too: a shop's best sellers are everyone's recommendations), so each common move — bought,
/// so far, pairs with, the price — has ten or so ways to be said, which multiply at every pair
/// of neighbouring words. No entry holds a digit, "once" or "twice", or a claim the data
/// does not support (no discount, no stock level, no rating).
extension NarrativeCorpusWriter {
    static let lexicon: [String: [String]] = [
        // After "you have".
        "bought": ["bought", "ordered", "picked up", "chosen", "had", "added", "taken home", "snapped up", "got",
                   "gone for", "reordered", "brought home"],
        // After "have", before "it".
        "boughtIt": ["bought", "ordered", "chosen", "had", "added", "got", "reordered", "tried", "taken", "grabbed"],
        // A participle after the product: "the jam set, bought twice".
        "boughtAdj": ["bought", "ordered", "picked up", "chosen", "reordered", "taken home", "snapped up",
                      "added to your basket"],
        // Simple past, before "it".
        "boughtPastIt": ["bought", "ordered", "chose", "got", "grabbed", "took", "added", "tried", "reordered", "picked"],
        "before": [" before", " in the past", " previously", " earlier", "", ""],
        // Simple past.
        "boughtPast": ["bought", "ordered", "picked up", "chose", "took home", "added", "got", "snapped up", "went for",
                       "grabbed", "brought home"],
        "soFar": ["so far", "to date", "already", "before", "until now", "up to now", "in all", "over time",
                  "in the past", "all told"],
        "restockQuestion": ["Time to restock?", "Running low?", "Need a refill?", "Fancy another?", "Back for more?",
                            "Out already?", "Stocking up?", "Ready for more?", "Shelf looking bare?", "Another round?",
                            "Missing it already?", "Due a top-up?", "Low on supplies?", "Need a fresh supply?"],
        "isBack": ["here it is again", "it is ready when you are", "it is waiting for you", "it is one click away",
                   "it is back on your list", "it is easy to reorder", "it is right here", "it is just a click away",
                   "it can be yours again", "it is ready to reorder"],
        "youLike": ["You clearly like", "You seem to love", "You are a fan of", "You rate", "You rely on",
                    "You trust", "You are keen on", "You know and like", "You enjoy", "You have a soft spot for"],
        "pairsWith": ["goes with", "pairs with", "sits well with", "matches", "suits", "complements", "works with",
                      "teams up with", "belongs beside", "looks right with", "partners"],
        "alsoTook": ["also took", "also bought", "added", "went on to buy", "came back for", "picked up", "chose",
                     "took home", "reached for", "grabbed", "also ordered", "snapped up"],
        "shoppers": ["shoppers", "customers", "people", "buyers", "fellow shoppers", "other customers", "others",
                     "fellow buyers", "browsers"],
        "agree": ["agree", "did the same", "took it too", "thought so too", "said yes", "went for both",
                  "made the same choice", "liked the pairing", "bought both", "found the same"],
        "lately": ["recently", "lately", "last time", "not long ago", "in a recent order", "of late",
                   "in your latest orders", "in a recent basket"],
        "nice": ["lovely", "natural", "good", "fine", "handy", "clever", "perfect", "welcome", "smart", "happy"],
        "companion": ["companion", "partner", "match", "pairing", "addition", "neighbour", "sidekick", "friend", "twin",
                      "follow-up"],
        "look": ["Have a look at", "Take a look at", "Try", "Consider", "Meet", "Discover", "See", "Check out",
                 "Say hello to", "Look at"],
        "similarTo": ["close to", "much like", "a cousin of", "in the spirit of", "akin to", "in the style of",
                      "a near match for", "of a kind with", "in tune with", "a relative of"],
        "liked": ["liked", "enjoyed", "loved", "chose", "picked", "went for", "admired", "were pleased with",
                  "got on with", "bought"],
        "popularNow": ["flying off the shelves", "selling fast", "in demand", "much wanted", "in the spotlight", "on a roll",
                       "a hit", "in favour", "moving quickly", "popular"],
        "manyChose": ["chosen by", "bought by", "taken home by", "picked by", "loved by", "ordered by",
                      "a hit with", "trusted by", "popular with", "favoured by"],
        "priceIntro": ["Yours for", "All for", "Just", "Only", "Priced at", "It costs", "It sells for", "It is",
                       "Take it home for", "Pick it up for", "Grab it for", "Add it for", "It comes in at",
                       "Get it for"],
        "priceClause": [", for", ", yours for", ", at just", ", only", ", and it is", ", priced at", ", all for",
                        " for just", ", just", ", costing", " and only"],
        "priceEnd": ["", "", "", " each", " a piece", " apiece"],
        "cheer": ["brightens any shelf", "lifts a room", "adds cheer", "catches the eye", "warms up a corner",
                  "makes a room smile", "looks smart anywhere", "adds colour", "never dates", "freshens a space"],
        "made": ["made to last", "built to last", "well made", "sturdy", "solid", "nicely finished", "hard-wearing",
                 "easy to care for", "pleasing to hold", "tough enough for daily use"],
        "soon": ["around the corner", "on the way", "coming up", "nearly here", "not far off", "drawing near",
                 "close", "approaching", "almost here", "soon upon us"],
        "ready": ["Get ready", "Be ready", "Plan ahead", "Prepare", "Gear up", "Stock up", "Get set", "Think ahead",
                  "Make ready", "Shop early"],
    ]
}
