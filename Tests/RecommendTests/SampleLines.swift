import Foundation
import Store

/// The committed 40k-row sample, read once through the store's CSV reader (the reference's
/// cleaning rules).
enum SampleLines {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/online-retail/online_retail_sample.csv").path

    static let lines: [PurchaseLine] = (try? RetailCSV.readAll(path: path).lines) ?? []
}
