/// InvoiceDate as the store keeps it, `YYYY-MM-DD HH:MM:SS`, from the forms Online Retail files come
/// in: that form itself (the sample, the full `.csv.xz`), without seconds, with a `T`, or the UCI
/// spreadsheet's `M/D/YYYY H:MM` export. One form for all makes string order time order.
enum InvoiceDate {
    /// The normalised date, or nil when the text is no date of these forms or out of range.
    static func normalise(_ text: Substring) -> String? {
        let utf8 = Array(text.utf8)
        var position = 0
        func number(maxDigits: Int) -> Int? {
            var value = 0
            var digits = 0
            while position < utf8.count, digits < maxDigits, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(utf8[position]) {
                value = value * 10 + Int(utf8[position] - UInt8(ascii: "0"))
                position += 1
                digits += 1
            }
            return digits == 0 ? nil : value
        }
        func skip(_ separators: String) -> Bool {
            guard position < utf8.count, separators.utf8.contains(utf8[position]) else { return false }
            position += 1
            return true
        }
        let year, month, day: Int
        guard let first = number(maxDigits: 4) else { return nil }
        if position == 4, skip("-") {
            year = first
            guard let m = number(maxDigits: 2), skip("-"), let d = number(maxDigits: 2) else { return nil }
            (month, day) = (m, d)
        } else if skip("/") {
            month = first
            guard let d = number(maxDigits: 2), skip("/"), let y = number(maxDigits: 4) else { return nil }
            (day, year) = (d, y < 100 ? 2000 + y : y)
        } else {
            return nil
        }
        guard skip(" T"), let hour = number(maxDigits: 2), skip(":"), let minute = number(maxDigits: 2) else { return nil }
        var second = 0
        if skip(":") {
            guard let s = number(maxDigits: 2) else { return nil }
            second = s
        }
        guard position == utf8.count, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
