/// RFC 4180 CSV, fed a chunk at a time: fields separated by commas, records by LF or CRLF,
/// fields in double quotes may hold commas, line breaks and `""` for a quote. Lenient where
/// spreadsheets are (a stray quote inside an unquoted field is kept as text). Blank lines are skipped.
public struct CSVRecordParser {
    private var field: [UInt8] = []
    private var record: [[UInt8]] = []
    private var inQuotes = false
    /// A quote just closed a quoted field; a second quote right after it is an escaped quote.
    private var afterClosingQuote = false
    private var wasQuoted = false
    /// Offset, in the whole input, of the next byte fed and of the quote that opened the current field.
    private var offset = 0
    private var quoteOffset = 0

    public init() {}

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ onRecord: ([[UInt8]]) throws -> Void) rethrows {
        for byte in bytes {
            defer { offset += 1 }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    afterClosingQuote = true
                } else {
                    field.append(byte)
                }
                continue
            }
            if afterClosingQuote {
                afterClosingQuote = false
                if byte == UInt8(ascii: "\"") {
                    field.append(byte)
                    inQuotes = true
                    continue
                }
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                if !wasQuoted, field.last == UInt8(ascii: "\r") { field.removeLast() }
                endField()
                try endRecord(onRecord)
            case UInt8(ascii: "\r") where wasQuoted:
                break
            case UInt8(ascii: "\"") where field.isEmpty && !wasQuoted:
                inQuotes = true
                wasQuoted = true
                quoteOffset = offset
            default:
                field.append(byte)
            }
        }
    }

    /// The input ended: emits a last record without a line break, or throws for an open quote.
    public mutating func finish(_ onRecord: ([[UInt8]]) throws -> Void) throws {
        if inQuotes {
            throw Unclosed(quoteOffset: quoteOffset)
        }
        if !field.isEmpty || !record.isEmpty || wasQuoted {
            if !wasQuoted, field.last == UInt8(ascii: "\r") { field.removeLast() }
            endField()
            try endRecord(onRecord)
        }
    }

    public struct Unclosed: Error {
        let quoteOffset: Int
    }

    private mutating func endField() {
        record.append(field)
        field.removeAll(keepingCapacity: true)
        wasQuoted = false
    }

    private mutating func endRecord(_ onRecord: ([[UInt8]]) throws -> Void) rethrows {
        defer { record.removeAll(keepingCapacity: true) }
        if record.count == 1 && record[0].isEmpty { return }
        try onRecord(record)
    }
}
