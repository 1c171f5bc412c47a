import Foundation
import Hummingbird
import Store

/// The request context every route receives: Hummingbird's core storage plus the server's body
/// limit (a larger body is refused with 413 before it is read whole) and its JSON coders.
public struct FinchRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The account a valid shop bearer token named (`ShopAuthenticationMiddleware`); the signed-in
    /// routes see it as `SignedInContext.account`.
    public var account: Account?

    /// Completion and tokenize bodies are text: 1 MiB is far above any prompt a 1,024-token context can use.
    public static let bodyLimit = 1 << 20

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { Self.bodyLimit }

    public var requestDecoder: JSONDecoder { JSONDecoder() }
}

extension Request {
    /// The JSON body as `T`. Unlike `Request.decode`, a decoding failure stays a `DecodingError`,
    /// so the error object can name the field at fault.
    func decodeJSON<T: Decodable, Context: RequestContext>(as type: T.Type, context: Context) async throws -> T {
        try await context.requestDecoder.decode(type, from: self, context: context)
    }
}
