/// The completion model as the routes see it: loading (the server answers 503 meanwhile, as
/// llama.cpp's does), then ready with its scheduler.
public final class ModelHost: Sendable {
    private let state = Locked<GenerationScheduler?>(nil)
    private let absent = Locked(false)

    public init() {}

    public func ready(_ scheduler: GenerationScheduler) {
        state.withLock { $0 = scheduler }
    }

    public var scheduler: GenerationScheduler? { state.withLock { $0 } }

    /// The server runs without a completion model (`serve --db` alone serves the shop).
    func markAbsent() {
        absent.withLock { $0 = true }
    }

    /// The scheduler, or the 503 error object while the model loads (or when there is none).
    func requireScheduler() throws -> GenerationScheduler {
        guard let scheduler else { throw absent.withLock({ $0 }) ? APIError.noModel : APIError.loading }
        return scheduler
    }
}
