import Foundation

/// Runs long blocking work (loading a checkpoint) on a thread of its own, so it never occupies
/// one of the few threads the server's request tasks share.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
