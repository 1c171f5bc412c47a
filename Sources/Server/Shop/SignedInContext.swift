import Foundation
import Hummingbird
import Store

/// The context of every signed-in `/api` route: the account is there by type, so a route cannot
/// forget to check it. Made from `FinchRequestContext` after `ShopAuthenticationMiddleware`; no
/// account means no (or no valid) bearer token, answered 401.
public struct SignedInContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let account: Account

    public init(context: FinchRequestContext) throws {
        guard let account = context.account else { throw APIError.notSignedIn }
        coreContext = context.coreContext
        self.account = account
    }

    public var maxUploadSize: Int { FinchRequestContext.bodyLimit }

    public var requestDecoder: JSONDecoder { JSONDecoder() }

    /// 403 unless the account is an admin.
    func requireAdmin() throws {
        guard account.role == .admin else {
            throw APIError(status: .forbidden, message: "This route needs an admin account.", type: "permission_error", code: "admin_only")
        }
    }

    /// 403 unless the account is that customer's or an admin's.
    func requireAccess(toCustomer id: Int) throws {
        guard account.role == .admin || account.customer == id else {
            throw APIError(status: .forbidden, message: "A customer account reads only its own customer (\(account.username)).",
                           type: "permission_error", code: "other_customer")
        }
    }
}

/// Reads `Authorization: Bearer <JWT>` on the signed-in routes: a valid token of an existing
/// account sets `context.account`; a missing header leaves it nil (the context then answers 401);
/// a malformed, forged or expired token is 401 here. The token itself is never logged.
struct ShopAuthenticationMiddleware: RouterMiddleware {
    typealias Context = FinchRequestContext
    let shop: ShopHost

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let services = try shop.require()
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { throw APIError.invalidToken }
        guard let username = await services.tokens.username(in: String(header.dropFirst(7))),
              let account = try services.accounts.account(username)
        else { throw APIError.invalidToken }
        var context = context
        context.account = account
        return try await next(request, context)
    }
}

extension APIError {
    static let notSignedIn = APIError(
        status: .unauthorized, message: "Sign in first: send 'Authorization: Bearer <token>' with a token from POST /api/token.",
        type: "authentication_error", code: "missing_token")

    static let invalidToken = APIError(
        status: .unauthorized, message: "The bearer token is invalid or expired; get a new one from POST /api/token.",
        type: "authentication_error", code: "invalid_token")

    static let badCredentials = APIError(
        status: .unauthorized, message: "Incorrect username or password.", type: "authentication_error", code: "invalid_credentials")

    static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String, allowed: [HTTPRequest.Method]) -> APIError {
        APIError(status: .methodNotAllowed,
                 message: "\(method.rawValue) is not allowed on \(path); use \(allowed.map(\.rawValue).joined(separator: " or ")).",
                 type: "invalid_request_error", code: "method_not_allowed")
    }
}
