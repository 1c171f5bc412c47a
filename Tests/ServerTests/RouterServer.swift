import Hummingbird
import Logging
import Server
import ServiceLifecycle

/// A router served on a free loopback port with no loading services: for tests of routes that
/// need neither a model nor a shop's data (route lists, 405s, the page).
final class RouterServer: @unchecked Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func start(_ router: Router<FinchRequestContext>) async throws -> RouterServer {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "finch.test")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPTestError("the server did not start") }
        return RouterServer(port: port, group: group, task: task)
    }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
