import Foundation
import Logging
import Narrative
import Server
import ServiceLifecycle
import Store

/// Every log line a test server writes, kept so a test can look for secrets in it.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append("\(event.level) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}

/// A real server with the shop API (and no completion model) on a free loopback port, over a
/// private copy of the fixture database, logging everything at trace level into `log`.
final class ShopTestServer: @unchecked Sendable {
    let port: Int
    let fixture: ShopFixture
    let services: ShopServices
    let log: CapturedLog
    /// The HS256 key the server signs with, so a test can forge an expired token with it.
    let secret: [UInt8]
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// - Parameter narrator: serves `narrate=true` when given.
    static func start(apiKey: String? = nil, narrator: Narrator? = nil) async throws -> ShopTestServer {
        let fixture = try ShopFixture.shared()
        let database = try ShopDatabase(path: try fixture.copyDatabase(), migrate: true)
        let narration = try narrator.map { ShopNarration(narrator: $0, products: try database.products(), lines: try database.purchaseLines()) }
        let secret = TokenIssuer.randomSecret()
        let encoder = fixture.encoder
        let services = ShopServices(
            database: database, accounts: ShopAccounts(database: database, cost: 4), recommender: fixture.recommender,
            embedQuery: { try encoder.embed([$0])[0] }, tokens: await TokenIssuer(secret: secret), narration: narration)
        let log = CapturedLog()
        var logger = Logger(label: "finch.shop-test") { _ in CapturedLog.Handler(log: log) }
        logger.logLevel = .trace
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = ServerApplication.make(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, apiKey: apiKey),
            logger: logger, loadModel: nil, shop: ShopConfiguration(load: { services }),
            onListening: { port in portContinuation.yield(port) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPTestError("the server did not start") }
        let server = ShopTestServer(port: port, fixture: fixture, services: services, log: log, secret: secret, group: group, task: task)
        for _ in 0..<200 {
            if try await server.request("GET", "/health").status == 200 { return server }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HTTPTestError("the shop never became ready")
    }

    private init(port: Int, fixture: ShopFixture, services: ShopServices, log: CapturedLog, secret: [UInt8],
                 group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.fixture = fixture
        self.services = services
        self.log = log
        self.secret = secret
        self.group = group
        self.task = task
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    func request(_ method: String, _ path: String, token: String? = nil, headers: [(String, String)] = [],
                 body: Data? = nil) async throws -> HTTPResult {
        let auth = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        return try await HTTPTestClient.request(port: port, method, path, headers: auth + headers, body: body)
    }

    func post(_ path: String, token: String?, json: [String: Any]) async throws -> HTTPResult {
        try await request("POST", path, token: token, headers: [("Content-Type", "application/json")],
                          body: try JSONSerialization.data(withJSONObject: json))
    }

    /// A token from `POST /api/token` (JSON body), failing the test's call if the server refuses.
    func token(_ username: String, _ password: String) async throws -> String {
        let answer = try await post("/api/token", token: nil, json: ["username": username, "password": password])
        guard answer.status == 200, let token = try answer.json()["access_token"] as? String else {
            throw HTTPTestError("no token for \(username): \(answer.status) \(answer.text)")
        }
        return token
    }

    func adminToken() async throws -> String { try await token("admin", ShopFixture.adminPassword) }

    func customerToken(_ id: Int) async throws -> String { try await token(String(id), ShopFixture.customerPassword) }
}
