import Foundation

/// Timestamps the shop writes (`created_at`, `served_at`): UTC, ISO 8601 to the second
/// (`2026-11-25T17:01:02Z`), so they sort as text and read the same in every time zone.
/// Written from `gmtime_r`'s fields: every served recommendation is stamped, and building an
/// `ISO8601DateFormatter` (an ICU formatter) per stamp was a tenth of the server's CPU under load.
public enum ShopClock {
    public static func timestamp(_ date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(fields.tm_year + 1900, 4))-\(padded(fields.tm_mon + 1, 2))-\(padded(fields.tm_mday, 2))"
            + "T\(padded(fields.tm_hour, 2)):\(padded(fields.tm_min, 2)):\(padded(fields.tm_sec, 2))Z"
    }
}
