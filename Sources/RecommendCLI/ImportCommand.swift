import ArgumentParser
import CommandLineSupport
import Foundation
import Store

/// `recommend import`: an Online Retail CSV (plain or .xz) into the shop database.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an Online Retail-format CSV (.csv or .csv.xz) into the shop's SQLite database, in one transaction.",
        discussion: "Re-importing a file changes nothing; a file of other months adds its invoices; an invoice already stored with other lines is replaced.")

    @Option(help: "The CSV: columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country in any order; plain or xz-compressed.")
    var csv: String

    @Option(help: "The shop database (SQLite); created when missing.")
    var db: String

    mutating func run() throws {
        try runReportingErrors {
            let start = Date()
            let summary = try RetailImport.run(csv: csv, database: db) { rows in
                let seconds = Date().timeIntervalSince(start)
                printError("import: \(formatCount(rows)) rows read, \(formatCount(Int(Double(rows) / max(seconds, 1e-3)))) rows/s")
            }
            let seconds = Date().timeIntervalSince(start)
            for line in summary.report { print(line) }
            print(String(format: "imported %@ into %@ in %.1f s (%@ rows/s)", csv, db, seconds,
                         formatCount(Int(Double(summary.csv.rowsRead) / max(seconds, 1e-3)))))
        }
    }
}
