import Hummingbird

/// `--api-key`: every route but the public ones needs `Authorization: Bearer <key>`, as llama.cpp's
/// server asks (health and the model list stay open so load balancers and clients can probe).
/// The shop's `/api` routes carry their own bearer tokens (JWTs), so the key does not apply there.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = FinchRequestContext
    let expected: [UInt8]

    static let publicPaths = Set(["/health", "/v1/health", "/v1/models"]).union(DocumentRoutes.publicPaths)

    init(apiKey: String) {
        expected = Array("Bearer \(apiKey)".utf8)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.publicPaths.contains(request.uri.path) || request.uri.path.hasPrefix("/api/") { return try await next(request, context) }
        guard let header = request.headers[.authorization], Self.constantTimeEqual(Array(header.utf8), expected) else {
            throw APIError.invalidAPIKey
        }
        return try await next(request, context)
    }

    /// Compares every byte whatever the first difference, so the time taken does not reveal how
    /// much of a guessed key was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
