import Foundation
import Hummingbird
import Store

/// `POST /api/token`: username and password, as an OAuth2 password form
/// (`application/x-www-form-urlencoded`, what FastAPI's `OAuth2PasswordRequestForm` reads) or
/// JSON, for `{"access_token", "token_type": "bearer", "expires_in"}`. bcrypt runs on a thread
/// of its own, never on the request tasks' threads.
enum TokenRoute {
    struct Credentials: Decodable {
        let username: String
        let password: String
    }

    struct Token: Encodable {
        let accessToken: String
        let tokenType = "bearer"
        let expiresIn: Int

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in"
        }
    }

    static func add(to router: Router<FinchRequestContext>, shop: ShopHost) {
        router.post("/api/token") { request, context -> Response in
            let services = try shop.require()
            let credentials = try await decodeCredentials(request, context: context)
            let accounts = services.accounts
            guard let account = try await onOwnThread({ try accounts.authenticate(username: credentials.username, password: credentials.password) })
            else { throw APIError.badCredentials }
            let token = try await services.tokens.issue(for: account)
            return JSONResponse.make(Token(accessToken: token, expiresIn: Int(services.tokens.lifetime)))
        }
        ShopParameters.refuseOtherMethods(on: router, "/api/token", allowed: [.post])
    }

    private static func decodeCredentials(_ request: Request, context: FinchRequestContext) async throws -> Credentials {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            return try await request.decodeJSON(as: Credentials.self, context: context)
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try URLEncodedFormDecoder().decode(Credentials.self, from: String(buffer: body))
        } catch {
            throw APIError.invalidRequest("The form needs the fields 'username' and 'password'.", param: "username")
        }
    }
}
