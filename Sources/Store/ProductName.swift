/// A readable name from an Online Retail description, which is upper case:
/// `WHITE HANGING HEART T-LIGHT HOLDER` → `White Hanging Heart T-Light Holder`,
/// `SET OF 3 CAKE TINS PANTRY DESIGN` → `Set of 3 Cake Tins Pantry Design`,
/// `CHILDREN'S APRON 50CM` → `Children's Apron 50cm`. Acronyms (`LED`, `USB`) and codes mixing
/// digits and letters (`3D`, `A4`) stay upper case; units after a number (`12 PENCILS`, `3 TIER`)
/// are ordinary words.
public enum ProductName {
    /// Short words kept lower case inside a name, as English titles write them.
    static let minorWords: Set<String> = ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
    static let acronyms: Set<String> = ["LED", "USB", "UK", "USA", "DIY", "UFO", "TV", "CD", "DVD", "PVC", "XL", "XXL", "II", "III", "IV"]
    /// Units written after a number in one word (`50CM`, `6PC`), lower-cased as metric units are.
    static let units: Set<String> = ["cm", "mm", "m", "g", "kg", "ml", "l", "pc", "pcs", "oz", "in"]

    public static func titleCased(_ description: String) -> String {
        let words = description.split(whereSeparator: { $0.isWhitespace })
        return words.enumerated().map { index, word in
            titleCased(word: word, isFirst: index == 0)
        }.joined(separator: " ")
    }

    private static func titleCased(word: Substring, isFirst: Bool) -> String {
        let upper = word.uppercased()
        let lower = word.lowercased()
        if acronyms.contains(upper) { return upper }
        if !isFirst && minorWords.contains(lower) { return lower }
        if word.contains(where: \.isNumber) && word.contains(where: \.isLetter) {
            let letters = lower.drop { $0.isNumber }
            let isNumberWithUnit = letters.count < lower.count && units.contains(String(letters))
            return isNumberWithUnit ? lower : upper
        }
        // A letter starts a word-segment after anything but a letter, digit or apostrophe ("T-Light", "Children's").
        var result = ""
        var startsSegment = true
        for character in word {
            if character.isLetter {
                result += startsSegment ? character.uppercased() : character.lowercased()
                startsSegment = false
            } else {
                result.append(character)
                startsSegment = !(character.isNumber || character == "'" || character == "’")
            }
        }
        return result
    }
}
