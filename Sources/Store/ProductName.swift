/// A readable name from an Online Retail description, which is upper case:
/// `WHITE HANGING HEART T-LIGHT HOLDER` → `White Hanging Heart T-Light Holder`,
/// `SET OF 3 CAKE TINS PANTRY DESIGN` → `Set of 3 Cake Tins Pantry Design`,
/// `CHILDREN'S APRON 60CM` → `Children's Apron 60cm`, `SET/6 RED SPOTTY PAPER CUPS` →
/// `Set/6 Red Spotty Paper Cups`. Acronyms (`LED`, `USB`) and short codes next to digits (`3D`,
/// `A4`) stay upper case; units after a number (`60CM`, `16X16CM`, `6PC`) are lower case.
public enum ProductName {
    /// Short words kept lower case inside a name, as English titles write them.
    static let minorWords: Set<String> = ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
    static let acronyms: Set<String> = ["LED", "USB", "UK", "USA", "DIY", "UFO", "TV", "CD", "DVD", "PVC", "XL", "XXL", "II", "III", "IV"]
    /// Units written straight after a number (`60CM`, `3.5G`, `18PC`, the `X` of `16X16CM`).
    static let units: Set<String> = ["cm", "mm", "m", "g", "kg", "ml", "l", "pc", "pcs", "oz", "x"]

    public static func titleCased(_ description: String) -> String {
        let words = description.split(whereSeparator: { $0.isWhitespace })
        return words.enumerated().map { index, word in
            titleCased(word: word, isFirst: index == 0)
        }.joined(separator: " ")
    }

    private static func titleCased(word: Substring, isFirst: Bool) -> String {
        if acronyms.contains(word.uppercased()) { return word.uppercased() }
        if !isFirst && minorWords.contains(word.lowercased()) { return word.lowercased() }
        // Each run of letters is cased by what is around it: after an apostrophe ("Children's",
        // "50's"), after a digit (a unit, or a short code like "3D"), before a digit ("A4"),
        // or as a word-segment ("T-Light", "Set/6").
        var result = ""
        var position = word.startIndex
        while position < word.endIndex {
            guard word[position].isLetter else {
                result.append(word[position])
                position = word.index(after: position)
                continue
            }
            let runEnd = word[position...].firstIndex { !$0.isLetter } ?? word.endIndex
            let run = word[position..<runEnd]
            let before = position > word.startIndex ? word[word.index(before: position)] : nil
            let after = runEnd < word.endIndex ? word[runEnd] : nil
            if before == "'" || before == "’" || (before?.isNumber == true && units.contains(run.lowercased())) {
                result += run.lowercased()
            } else if (before?.isNumber == true && run.count <= 2) || (after?.isNumber == true && run.count == 1) {
                result += run.uppercased()
            } else {
                result += run.prefix(1).uppercased() + run.dropFirst().lowercased()
            }
            position = runEnd
        }
        return result
    }
}
