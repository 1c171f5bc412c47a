/// RFC 4180 CSV, fed a chunk at a time: fields separated by commas, records by LF or CRLF,
/// fields in double quotes may hold commas, line breaks and `""` for a quote. Lenient where
/// spreadsheets are (a stray quote inside an unquoted field is kept as text). Blank lines are skipped.
/// Each record comes with the 1-based line of the input it starts on, so callers can name it in
/// diagnostics even when quoted fields span lines.
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
    /// The line the next byte is on, and the line the current record started on.
    private var line = 1
    private var recordLine = 1

    public init() {}

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ onRecord: (_ fields: [[UInt8]], _ line: Int) throws -> Void) rethrows {
        for byte in bytes {
            defer { offset += 1 }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    afterClosingQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
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
                line += 1
                recordLine = line
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
    public mutating func finish(_ onRecord: (_ fields: [[UInt8]], _ line: Int) throws -> Void) throws {
        if inQuotes {
            throw Unclosed(quoteOffset: quoteOffset, line: recordLine)
        }
        if !field.isEmpty || !record.isEmpty || wasQuoted {
            if !wasQuoted, field.last == UInt8(ascii: "\r") { field.removeLast() }
            endField()
            try endRecord(onRecord)
        }
    }

    /// A quoted field still open at the end of the input.
    public struct Unclosed: Error {
        /// Byte offset of the opening quote, and the line its record starts on.
        public let quoteOffset: Int
        public let line: Int
    }

    private mutating func endField() {
        record.append(field)
        field.removeAll(keepingCapacity: true)
        wasQuoted = false
    }

    private mutating func endRecord(_ onRecord: ([[UInt8]], Int) throws -> Void) rethrows {
        defer { record.removeAll(keepingCapacity: true) }
        if record.count == 1 && record[0].isEmpty { return }
        try onRecord(record, recordLine)
    }
}
