extension ImportSummary {
    /// The summary `recommend import` prints: what was read, what each rule dropped, the first
    /// malformed lines by number, what changed, and the store's totals.
    public var report: [String] {
        var lines = ["rows read \(csv.rowsRead), kept \(csv.kept), dropped \(csv.dropped.values.reduce(0, +)), malformed \(csv.malformed)"]
        for rule in DropRule.allCases where csv.dropped(rule) > 0 {
            lines.append("  dropped, \(rule.rawValue): \(csv.dropped(rule))")
        }
        if csv.malformed > 0 {
            let shown = csv.firstMalformed.map { "line \($0.line) (\($0.reason))" }
            let more = csv.malformed > shown.count ? ", and \(csv.malformed - shown.count) more" : ""
            lines.append("  malformed: " + shown.prefix(5).joined(separator: "; ") + (shown.count > 5 ? "; …" : "") + more)
        }
        lines.append("invoices added \(invoicesAdded), replaced \(invoicesReplaced), unchanged \(invoicesUnchanged); lines written \(linesWritten), removed \(linesRemoved)")
        lines.append("store: \(totals.products) products, \(totals.customers) customers, \(totals.invoices) invoices, \(totals.purchaseLines) purchase lines")
        return lines
    }
}
