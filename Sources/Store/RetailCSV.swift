import CSV

/// What reading an Online Retail CSV found: every data row is counted once, as kept, dropped by
/// the first cleaning rule that applies, or malformed.
public struct RetailCSVCounts: Sendable, Equatable {
    /// Data rows (records after the header).
    public var rowsRead = 0
    public var kept = 0
    public var dropped: [DropRule: Int] = [:]
    public var malformed = 0
    /// The first `RetailCSV.malformedExamples` malformed lines, in file order.
    public var firstMalformed: [MalformedLine] = []

    public init() {}

    public func dropped(_ rule: DropRule) -> Int { dropped[rule, default: 0] }
}

/// A record that could not be read as a row, with the line of the file it starts on.
public struct MalformedLine: Sendable, Equatable {
    public let line: Int
    public let reason: String
}

/// Streams an Online Retail-format CSV (the eight columns InvoiceNo, StockCode, Description,
/// Quantity, InvoiceDate, UnitPrice, CustomerID, Country in any order; RFC 4180 quoting; plain or
/// `.xz`) and yields the purchase lines the cleaning rules keep, in file order.
public enum RetailCSV {
    public static let columns = RetailRowReader.columns
    public static let malformedExamples = 20
    /// How often, in data rows, `progress` is called.
    public static let progressInterval = 50_000

    /// Calls `onLine` with each kept purchase line and the line of the file it is on. A missing
    /// column, an unreadable file or a quote never closed throws, naming the file; a malformed
    /// record is counted and skipped.
    @discardableResult
    public static func read(
        path: String, progress: ((_ rowsRead: Int) -> Void)? = nil,
        _ onLine: (_ line: PurchaseLine, _ lineNumber: Int) throws -> Void
    ) throws -> RetailCSVCounts {
        var counts = RetailCSVCounts()
        var reader: RetailRowReader?
        var parser = CSVRecordParser()
        func onRecord(_ fields: [[UInt8]], _ lineNumber: Int) throws {
            guard let rows = reader else {
                reader = try RetailRowReader(header: fields, path: path)
                return
            }
            counts.rowsRead += 1
            switch rows.classify(fields) {
            case let .kept(line):
                counts.kept += 1
                try onLine(line, lineNumber)
            case let .dropped(rule):
                counts.dropped[rule, default: 0] += 1
            case let .malformed(reason):
                counts.malformed += 1
                if counts.firstMalformed.count < malformedExamples {
                    counts.firstMalformed.append(MalformedLine(line: lineNumber, reason: reason))
                }
            }
            if counts.rowsRead % progressInterval == 0 { progress?(counts.rowsRead) }
        }
        try FileChunks.forEach(path: path) { try parser.feed($0, onRecord) }
        do {
            try parser.finish(onRecord)
        } catch let unclosed as CSVRecordParser.Unclosed {
            throw StoreError("\(path): the quoted field on line \(unclosed.line) is never closed")
        }
        guard reader != nil else { throw StoreError("\(path): empty, no header line") }
        return counts
    }

    /// Every kept purchase line of the file, in file order.
    public static func readAll(path: String) throws -> (lines: [PurchaseLine], counts: RetailCSVCounts) {
        var lines: [PurchaseLine] = []
        let counts = try read(path: path) { line, _ in lines.append(line) }
        return (lines, counts)
    }
}
