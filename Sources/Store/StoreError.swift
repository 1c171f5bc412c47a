import Foundation

/// Why an import or a store operation failed, as the one line the command prints: it names the
/// file (CSV or database) so the user knows what to fix.
public struct StoreError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
