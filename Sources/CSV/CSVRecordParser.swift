/// RFC 4180 CSV, fed a chunk at a time: fields separated by commas, records by LF or CRLF,
/// fields in double quotes may hold commas, line breaks and `""` for a quote. Lenient where
/// spreadsheets are (a stray quote inside an unquoted field is kept as text). Blank lines are skipped.
/// Each record comes with the 1-based line of the input it starts on, so callers can name it in
/// diagnostics even when quoted fields span lines.
public struct CSVRecordParser {
    /// The current record's field bytes, back to back, and where each finished field ends: one
    /// buffer reused for every record instead of an array per field.
    private var bytes: [UInt8] = []
    private var fieldEnds: [Int] = []
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

    private var fieldIsEmpty: Bool { bytes.count == (fieldEnds.last ?? 0) }

    public mutating func feed(_ input: UnsafeBufferPointer<UInt8>, _ onRecord: (_ record: CSVRecord, _ line: Int) throws -> Void) rethrows {
        for byte in input {
            defer { offset += 1 }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    afterClosingQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    bytes.append(byte)
                }
                continue
            }
            if afterClosingQuote {
                afterClosingQuote = false
                if byte == UInt8(ascii: "\"") {
                    bytes.append(byte)
                    inQuotes = true
                    continue
                }
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                dropCarriageReturn()
                endField()
                try endRecord(onRecord)
                line += 1
                recordLine = line
            case UInt8(ascii: "\r") where wasQuoted:
                break
            case UInt8(ascii: "\"") where fieldIsEmpty && !wasQuoted:
                inQuotes = true
                wasQuoted = true
                quoteOffset = offset
            default:
                bytes.append(byte)
            }
        }
    }

    /// The input ended: emits a last record without a line break, or throws for an open quote.
    public mutating func finish(_ onRecord: (_ record: CSVRecord, _ line: Int) throws -> Void) throws {
        if inQuotes {
            throw Unclosed(quoteOffset: quoteOffset, line: recordLine)
        }
        if !fieldIsEmpty || !fieldEnds.isEmpty || wasQuoted {
            dropCarriageReturn()
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

    /// The CR of a CRLF ending an unquoted field.
    private mutating func dropCarriageReturn() {
        if !wasQuoted, !fieldIsEmpty, bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
    }

    private mutating func endField() {
        fieldEnds.append(bytes.count)
        wasQuoted = false
    }

    private mutating func endRecord(_ onRecord: (CSVRecord, Int) throws -> Void) rethrows {
        defer {
            bytes.removeAll(keepingCapacity: true)
            fieldEnds.removeAll(keepingCapacity: true)
        }
        if fieldEnds == [0] { return }
        try onRecord(CSVRecord(bytes: bytes, fieldEnds: fieldEnds), recordLine)
    }
}

/// One CSV record: its fields as byte slices, in order.
public struct CSVRecord: RandomAccessCollection {
    let bytes: [UInt8]
    let fieldEnds: [Int]

    public var startIndex: Int { 0 }
    public var endIndex: Int { fieldEnds.count }

    public subscript(field: Int) -> ArraySlice<UInt8> {
        bytes[(field == 0 ? 0 : fieldEnds[field - 1])..<fieldEnds[field]]
    }
}
