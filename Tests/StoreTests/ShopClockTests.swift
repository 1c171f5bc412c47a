import Foundation
import Store
import XCTest

/// The shop's timestamps read exactly as Foundation's ISO 8601 formatter writes them.
final class ShopClockTests: XCTestCase {
    func testTimestampsMatchISO8601DateFormatter() {
        let formatter = ISO8601DateFormatter()
        for seconds in [0, 1, 59, 951_782_400, 1_764_090_062, 1_764_115_199, 4_102_444_800] as [Double] {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(ShopClock.timestamp(date), formatter.string(from: date), "\(seconds)")
        }
        XCTAssertEqual(ShopClock.timestamp(Date(timeIntervalSince1970: 1_764_090_062)), "2025-11-25T17:01:02Z")
    }
}
