import Foundation

/// Timestamps the shop writes (`created_at`, `served_at`): UTC, ISO 8601 to the second
/// (`2026-11-25T17:01:02Z`), so they sort as text and read the same in every time zone.
public enum ShopClock {
    public static func timestamp(_ date: Date = Date()) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
