/// The completion model as the routes see it: loading (the server answers 503 meanwhile, as
/// llama.cpp's does), then ready with its scheduler.
public final class ModelHost: Sendable {
    private let state = Locked<GenerationScheduler?>(nil)

    public init() {}

    public func ready(_ scheduler: GenerationScheduler) {
        state.withLock { $0 = scheduler }
    }

    public var scheduler: GenerationScheduler? { state.withLock { $0 } }

    /// The scheduler, or the 503 error object while the model loads.
    func requireScheduler() throws -> GenerationScheduler {
        guard let scheduler else { throw APIError.loading }
        return scheduler
    }
}
